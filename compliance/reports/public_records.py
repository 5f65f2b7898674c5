"""The public records of each decision: its DSA statement(s) of reasons and its Lumen
notice, made when the decision is taken and frozen then (exports and submission read these
rows, never the request as it is later).

- completed: the decision's statement (puid = the reference) and its Lumen notice;
- reversed: a statement of its own (puid `<reference>-r1`, then -r2…): the Transparency
  Database has no update and refuses a second statement under the same puid;
- rejected: a Lumen notice (action taken: no); nothing restricted, so no statement.

A notice that names no work (a mail naming no URL) is recorded as not sent, with why:
Lumen refuses a notice without works.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.queue import enqueue_on_commit
from compliance.takedowns.models import RemovalRequest

from . import exports, selectors
from .models import DsaStatement, LumenNotice, PublicRecordState

logger = logging.getLogger("compliance.public_records")
Status = RemovalRequest.Status
NO_WORKS = (
    "The notice names no work or URL that can be reported (Lumen refuses a notice without works)."
)


def records_on_decision(*, removal_request, status: str, reason: str = "", **kwargs) -> None:
    """The `request_decided` receiver, in the decision's own transaction. A record that
    cannot be made must not undo the decision: it is logged, and the sweep's backfill makes
    it later (from the request as it then stands)."""
    try:
        with transaction.atomic():
            _records_on_decision(removal_request.pk, status=status, reason=reason)
    except Exception:
        logger.exception("public records of %s not made; the sweep will retry", removal_request)


def _records_on_decision(request_id: int, *, status: str, reason: str) -> None:
    removal_request = selectors.decision_for_export(request_id=request_id)
    now = timezone.now()
    if status == Status.COMPLETED:
        _decision_statement(removal_request, created_at=now)
        _lumen_notice(removal_request, created_at=now)
    elif status == Status.REVERSED:
        _reversal_statement(removal_request, reversed_at=now, reason=reason)
        _lumen_notice(removal_request, created_at=now)
    elif status == Status.REJECTED:
        _lumen_notice(removal_request, created_at=now)
    _queue_submission()


def _queue_submission() -> None:
    """Submitted soon after the decision commits, not at the next sweep."""
    from . import lumen, tdb
    from .tasks import submit_public_records

    if tdb.configured() or lumen.configured():
        enqueue_on_commit(submit_public_records)


def _create(model, **fields):
    """Made once: a second attempt (a concurrent backfill) finds the first."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        unique = {"puid": fields["puid"]} if "puid" in fields else {"request": fields["request"]}
        return model.objects.get(**unique)


def _decision_statement(removal_request, *, created_at) -> DsaStatement:
    return _create(
        DsaStatement,
        request=removal_request,
        kind=DsaStatement.Kind.DECISION,
        puid=exports.puid(removal_request),
        payload=exports.dsa_statement(removal_request),
        created_at=created_at,
    )


def _reversal_statement(removal_request, *, reversed_at, reason: str) -> None:
    decision = removal_request.dsa_statements.filter(kind=DsaStatement.Kind.DECISION).first()
    if decision is None:
        created_at = removal_request.completed_at or reversed_at
        decision = _decision_statement(removal_request, created_at=created_at)
    number = removal_request.dsa_statements.filter(kind=DsaStatement.Kind.REVERSAL).count() + 1
    _create(
        DsaStatement,
        request=removal_request,
        kind=DsaStatement.Kind.REVERSAL,
        puid=exports.reversal_puid(removal_request, number),
        payload=exports.dsa_reversal_statement(
            removal_request,
            decision=decision.payload,
            number=number,
            reversed_at=reversed_at,
            reason=reason,
        ),
        created_at=reversed_at,
    )


def _lumen_notice(removal_request, *, created_at) -> None:
    if LumenNotice.objects.filter(request=removal_request).exists():
        return  # one per decision; a reversal does not make a second notice
    payload = exports.lumen_notice(removal_request)
    skipped = not payload["notice"]["works_attributes"]
    _create(
        LumenNotice,
        request=removal_request,
        payload=payload,
        created_at=created_at,
        state=LumenNotice.State.SKIPPED if skipped else LumenNotice.State.DUE,
        reason=NO_WORKS if skipped else "",
    )


def public_records_backfill() -> int:
    """Records for decisions taken before records existed (or whose receiver did not
    run): made from the request as it stands, dated when it was decided. Returns how many
    decisions it completed; a second run finds nothing to do."""
    decision = DsaStatement.objects.filter(request=OuterRef("pk"), kind=DsaStatement.Kind.DECISION)
    reversal = DsaStatement.objects.filter(request=OuterRef("pk"), kind=DsaStatement.Kind.REVERSAL)
    notice = LumenNotice.objects.filter(request=OuterRef("pk"))
    carried_out = [Status.COMPLETED, Status.REVERSED]
    ids = set(
        RemovalRequest.objects.filter(status__in=[*carried_out, Status.REJECTED])
        .exclude(Exists(notice))
        .values_list("pk", flat=True)
    )
    ids |= set(
        RemovalRequest.objects.filter(status__in=carried_out)
        .exclude(Exists(decision))
        .values_list("pk", flat=True)
    )
    ids |= set(
        RemovalRequest.objects.filter(status=Status.REVERSED)
        .exclude(Exists(reversal))
        .values_list("pk", flat=True)
    )
    for request_id in sorted(ids):
        with transaction.atomic():
            _backfill_one(selectors.decision_for_export(request_id=request_id))
    return len(ids)


def _backfill_one(removal_request) -> None:
    decided_at = (
        removal_request.completed_at
        or removal_request.decided_at
        or removal_request.closed_at
        or timezone.now()
    )
    statements = removal_request.dsa_statements
    carried_out = removal_request.status in (Status.COMPLETED, Status.REVERSED)
    if carried_out and not statements.filter(kind=DsaStatement.Kind.DECISION).exists():
        _decision_statement(removal_request, created_at=decided_at)
    reversed_ = removal_request.status == Status.REVERSED
    if reversed_ and not statements.filter(kind=DsaStatement.Kind.REVERSAL).exists():
        event = (
            AuditEvent.objects.filter(case=removal_request.reference, action="request.reversed")
            .order_by("-at", "-id")
            .first()
        )
        reversed_at = (event.at if event else None) or removal_request.closed_at or decided_at
        _reversal_statement(
            removal_request, reversed_at=reversed_at, reason=event.reason if event else ""
        )
    _lumen_notice(removal_request, created_at=decided_at)


def public_records_submit() -> dict:
    """The beat job: records for any decision still without them, then whatever is due to
    the Transparency Database and Lumen (each only when configured and switched on)."""
    from . import lumen, tdb

    return {
        "backfilled": public_records_backfill(),
        "dsa_submitted": tdb.dsa_statements_submit(),
        "lumen_submitted": lumen.lumen_notices_submit(),
    }


def public_record_rebuild(*, record, actor: Actor) -> bool:
    """A refused record made again from the request as it now stands (after the cause was
    fixed: a redacted explanation published, a bug corrected) and due again; its old
    payload and errors stay in the audit event. Officers only. False if it was not refused."""
    actor.check_may_decide("resubmit a public record")
    with transaction.atomic():
        record = type(record).objects.select_for_update().get(pk=record.pk)
        if record.state != PublicRecordState.REFUSED:
            return False
        removal_request = selectors.decision_for_export(request_id=record.request_id)
        before = {"payload": record.payload, "errors": record.errors}
        if isinstance(record, LumenNotice):
            payload = exports.lumen_notice(removal_request)
        elif record.kind == DsaStatement.Kind.DECISION:
            payload = exports.dsa_statement(removal_request)
        else:
            payload = _reversal_payload_again(removal_request, record)
        type(record).objects.filter(pk=record.pk).update(
            payload=payload,
            state=PublicRecordState.DUE,
            errors={},
            last_error="",
            next_attempt_at=None,
        )
        audit_record(
            actor=actor,
            action="public_record.rebuilt",
            obj=record,
            before=before,
            after={"payload": payload},
            case=removal_request.reference,
        )
    _queue_submission()
    return True


def _reversal_payload_again(removal_request, record: DsaStatement) -> dict:
    decision = removal_request.dsa_statements.get(kind=DsaStatement.Kind.DECISION)
    event = (
        AuditEvent.objects.filter(case=removal_request.reference, action="request.reversed")
        .order_by("-at", "-id")
        .first()
    )
    reversed_at = event.at if event else record.created_at
    return exports.dsa_reversal_statement(
        removal_request,
        decision=decision.payload,
        number=int(record.puid.rsplit("-r", 1)[1]),
        reversed_at=reversed_at,
        reason=event.reason if event else "",
    )
