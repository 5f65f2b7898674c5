"""Undoing a takedown: counter-notices (DMCA 512(g)) and the restoration that follows.

A counter-notice is recorded by staff on a completed request and forwarded at once to the
requester; the content comes back COUNTER_NOTICE_BUSINESS_DAYS business days after that
mail was sent (the law's window is 10 to 14), unless staff record first that the requester
filed legal action. Restoration, by the beat job or by staff at once, reverses the whole request in
one transaction whose first step is the completed -> reversed transition: of two attempts
only one restores anything.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.destinations.models import Delivery
from compliance.destinations.services import deliveries_open, deliveries_outcome
from compliance.destinations.tasks import deliveries_queue_on_commit
from compliance.items.models import BlockRule, Item, Origin
from compliance.items.rules import block_rule_deactivate, origin_block_lift
from compliance.items.status import items_reattribute, items_restore
from compliance.items.staydown import Candidate, blocks_for
from compliance.messaging.models import Message

from .business_days import add_business_days
from .mail import request_mail
from .models import CounterNotice, RemovalRequest
from .selectors import request_target_items
from .selfcheck import run_self_check
from .state import TransitionError, request_reverse

logger = logging.getLogger("compliance.takedowns")

COUNTER_NOTICE_BUSINESS_DAYS = 10
RESTORE_JOB = Actor.system("restore_counter_notices")
RESTORATION = Delivery.Event.RESTORATION
# The elements of a DMCA 512(g)(3) counter-notification that must be present.
REQUIRED = {
    "name": "the name",
    "address": "the postal address",
    "phone": "the telephone number",
    "email": "the email address",
    "signature": "the signature (full name)",
}


def _check_officer(user) -> None:
    Actor.staff(user).check_may_decide("decide on counter-notices")


def counter_notice_record(
    *,
    removal_request: RemovalRequest,
    user,
    name: str,
    address: str,
    phone: str,
    email: str,
    mistake_statement: bool,
    jurisdiction_consent: bool,
    signature: str,
    explanation: str = "",
    received_at: datetime | None = None,
) -> CounterNotice:
    """A compliance officer records a counter-notice against a completed request. It is
    forwarded to the requester in the same transaction, and the content's restoration is
    scheduled COUNTER_NOTICE_BUSINESS_DAYS business days after that forwarding.

    Raises PermissionDenied (not an officer), ValueError (an element is missing) or
    TransitionError (the request is not completed, or already has a pending notice)."""
    _check_officer(user)
    values = {
        "name": name.strip(),
        "address": address.strip(),
        "phone": phone.strip(),
        "email": email.strip(),
        "signature": signature.strip(),
    }
    missing = [label for key, label in REQUIRED.items() if not values[key]]
    if not mistake_statement:
        missing.append("the statement under penalty of perjury that the removal was a mistake")
    if not jurisdiction_consent:
        missing.append("the consent to jurisdiction")
    if missing:
        raise ValueError(f"a counter-notice needs {', '.join(missing)}")
    try:
        validate_email(values["email"])
    except ValidationError:
        raise ValueError(f"{values['email']!r} is not an email address") from None
    now = timezone.now()
    with transaction.atomic():
        current = RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        if current.status != RemovalRequest.Status.COMPLETED:
            raise TransitionError(
                f"a counter-notice disputes a completed takedown; {current} is {current.status}"
            )
        try:
            with transaction.atomic():
                notice = CounterNotice.objects.create(
                    request=current,
                    **values,
                    explanation=explanation.strip(),
                    mistake_statement=True,
                    jurisdiction_consent=True,
                    received_at=received_at or now,
                    recorded_by=user,
                    restore_at=_restoration_after(now),
                )
        except IntegrityError:
            raise TransitionError(
                f"{current} already has a counter-notice waiting for its restoration"
            ) from None
        audit_record(
            actor=Actor.staff(user),
            action="counter_notice.recorded",
            obj=notice,
            reason="forwarded to the requester; restoration due "
            f"{COUNTER_NOTICE_BUSINESS_DAYS} business days after the mail is sent, "
            f"{notice.restore_at:%Y-%m-%d} at the earliest",
            after={
                "restore_at": notice.restore_at,
                "business_days": COUNTER_NOTICE_BUSINESS_DAYS,
            },
            case=current.reference,
        )
        notice.forward_message = request_mail(
            removal_request=current,
            kind="counter_notice",
            subject=_("A counter-notice disputes your removal request"),
            context={
                "counter_notice": notice,
                "business_days": COUNTER_NOTICE_BUSINESS_DAYS,
            },
        )
        notice.save(update_fields=["forward_message"])
    return notice


def _restoration_after(sent: datetime) -> datetime:
    return add_business_days(sent, COUNTER_NOTICE_BUSINESS_DAYS, settings.TAKEDOWN_HOLIDAYS)


def _clock_started(notice: CounterNotice, now: datetime) -> bool:
    """Whether the notice's business days have run since it reached the requester (the
    forwarding mail was sent). A forward still queued, failing or abandoned starts no
    clock; once it is sent, the notice records when, and when the content is due back."""
    forward = notice.forward_message
    if forward is None or forward.state != Message.State.SENT:
        logger.info("counter-notice %s waits: its forward to the requester is unsent", notice.pk)
        return False
    if notice.forwarded_at != forward.sent_at:
        notice.forwarded_at = forward.sent_at
        notice.restore_at = _restoration_after(forward.sent_at)
        CounterNotice.objects.filter(pk=notice.pk).update(
            forwarded_at=notice.forwarded_at, restore_at=notice.restore_at
        )
    return notice.restore_at <= now


def counter_notice_cancel(*, counter_notice: CounterNotice, user, note: str) -> CounterNotice:
    """The requester told us they filed legal action: the restoration does not happen."""
    _check_officer(user)
    note = (note or "").strip()
    if not note:
        raise ValueError("say what legal action was filed (court, case, date)")
    now = timezone.now()
    with transaction.atomic():
        cancelled = (
            CounterNotice.objects.pending()
            .filter(pk=counter_notice.pk)
            .update(legal_action_filed_at=now, legal_action_note=note, cancelled_at=now)
        )
        if not cancelled:
            raise TransitionError(
                f"{counter_notice} is no longer waiting: it was restored or cancelled"
            )
        counter_notice.refresh_from_db()
        audit_record(
            actor=Actor.staff(user),
            action="counter_notice.cancelled",
            obj=counter_notice,
            reason=f"legal action filed: {note}",
            after={"legal_action_filed_at": now},
            case=counter_notice.request.reference,
        )
    return counter_notice


def request_restore(
    *, removal_request: RemovalRequest, actor: Actor, reason: str
) -> RemovalRequest:
    """Reverse a completed takedown: completed -> reversed, the items it hid (and those
    its rules or its origin block withheld since) published again, its rules deactivated,
    the origin unblocked if this request blocked it, a pending counter-notice marked
    restored, and the requester told. One transaction; only an officer (or the
    counter-notice clock) may."""
    actor.check_may_decide("restore a takedown")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a restoration needs a reason")
    now = timezone.now()
    with transaction.atomic():
        # The claim: of two restorations, the second fails here and changes nothing.
        request_reverse(removal_request=removal_request, actor=actor, reason=reason)
        restored = takedown_undo(
            removal_request=removal_request,
            actor=actor,
            reason=f"Removal request {removal_request.reference} reversed: {reason}",
        )
        removal_request.counter_notices.pending().update(restored_at=now)
        outcome = deliveries_outcome(case=removal_request.reference, event=RESTORATION)
        if outcome.settled:  # no destination to wait for: the mail goes now
            _reversal_mail(removal_request, reason=reason, restored=restored, checks=[])
    return removal_request


def _reversal_mail(removal_request, *, reason: str, restored: int, checks: list) -> None:
    outcome = deliveries_outcome(case=removal_request.reference, event=RESTORATION)
    seen = {check.where: check for check in checks}
    request_mail(
        removal_request=removal_request,
        kind="reversal",
        subject=_("The content you asked about has been restored"),
        context={
            "reason": reason,
            "restored": restored,
            "destinations": [
                {
                    "name": d.destination.name,
                    "kind": d.destination.get_kind_display(),
                    "answer": d.last_response,
                    "check": seen.get(d.destination.name),
                }
                for d in outcome.acknowledged
            ],
        },
    )


def restoration_confirm(*, removal_request_id: int) -> str:
    """Every destination acknowledged the restoration: check through each edge cache that
    the pages are back (200), then tell the requester, once. Until then (or if a
    destination failed, which flags the request) no reversal mail is sent."""
    removal_request = RemovalRequest.objects.filter(pk=removal_request_id).first()
    if removal_request is None or removal_request.status != RemovalRequest.Status.REVERSED:
        return "not reversed"
    outcome = deliveries_outcome(case=removal_request.reference, event=RESTORATION)
    if not outcome.settled or outcome.failed or not outcome.acknowledged:
        return "waiting" if not outcome.settled else "not confirmed"
    payload = outcome.acknowledged[0].payload
    items = [
        (item["id"], path)
        for item, path in zip(payload["items"], payload["item_paths"], strict=True)
    ]
    checks = [
        run_self_check(
            items, base=d.destination.url, where=d.destination.name, fresh=False, expect=200
        )
        for d in outcome.acknowledged
        if d.destination.is_edge
    ]
    failed = [c for c in checks if not c.passed]
    if failed:
        from .casework import request_flag  # casework imports decisions, which imports us

        request_flag(
            removal_request=removal_request,
            actor=RESTORE_JOB,
            reason="The restored pages are not back at "
            + "; ".join(f"{c.where}: {', '.join(c.failures[:3])}" for c in failed),
        )
        return "flagged"
    reversed_event = (
        AuditEvent.objects.for_object(removal_request).filter(action="request.reversed").last()
    )
    with transaction.atomic():
        RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        if removal_request.messages.filter(kind="reversal").exists():
            return "already confirmed"
        _reversal_mail(
            removal_request,
            reason=reversed_event.reason if reversed_event else "",
            restored=len(items),
            checks=checks,
        )
    return "confirmed"


# Requests whose takedown is decided and stands: what they cover stays down.
LIVE_STATUSES = (
    RemovalRequest.Status.APPROVED,
    RemovalRequest.Status.PROCESSING,
    RemovalRequest.Status.COMPLETED,
)


def takedown_undo(*, removal_request: RemovalRequest, actor: Actor, reason: str) -> int:
    """Undo what a request's takedown did (it was reversed, or withdrawn while being
    carried out): stop its block rules (lifting an origin block it made), and publish again
    the items it hid or withheld. What another standing request still covers, or another
    active rule still matches, stays down, handed over to that request or rule. Call inside
    the transaction that moves the request out of its live status. Returns how many items
    were published again."""
    case = removal_request.reference
    mine = Item.objects.filter(
        status_case=case, status__in=[Item.Status.HIDDEN, Item.Status.WITHHELD]
    )
    others = (
        RemovalRequest.objects.filter(status__in=LIVE_STATUSES, origin__in=mine.values("origin_id"))
        .exclude(pk=removal_request.pk)
        .order_by("received_at", "pk")
    )
    for other in others:
        items_reattribute(
            items=mine.filter(pk__in=request_target_items(other).values("pk")),
            from_case=case,
            to_case=other.reference,
            actor=actor,
            reason=f"{reason}; removal request {other.reference} still covers it",
        )
    blocked = Origin.objects.filter(
        block_rules__case=case, block_rules__kind=BlockRule.Kind.ORIGIN, block_rules__is_active=True
    ).distinct()
    for origin in blocked.order_by("pk"):
        origin_block_lift(origin=origin, actor=actor, reason=reason, case=case)
    for rule in removal_request.block_rules.filter(is_active=True).order_by("pk"):
        block_rule_deactivate(rule=rule, actor=actor, reason=reason)
    _hand_over_to_rules(mine, from_case=case, actor=actor, reason=reason)
    returning = list(mine.values_list("pk", flat=True))
    restored = items_restore(items=mine, actor=actor, reason=reason, case=case)
    # The edge caches, search engines and connected systems hear of it once this commits.
    if deliveries_open(
        event=Delivery.Event.RESTORATION,
        case=case,
        items=Item.objects.filter(pk__in=returning, status=Item.Status.PUBLISHED),
    ):
        deliveries_queue_on_commit(case=case, event=Delivery.Event.RESTORATION)
    return restored


def _hand_over_to_rules(items, *, from_case: str, actor: Actor, reason: str) -> None:
    """Items that an active rule (of another request, or the staff's) still covers stay
    down under that rule, a thousand matched at a time."""
    pending = list(items.select_related("origin").order_by("pk"))
    for start in range(0, len(pending), 1_000):
        batch = pending[start : start + 1_000]
        by_rule: dict[BlockRule, list[int]] = {}
        for item, block in zip(
            batch, blocks_for([Candidate.of_item(i) for i in batch]), strict=True
        ):
            if block is not None:
                by_rule.setdefault(block.rule, []).append(item.pk)
        for rule, ids in by_rule.items():
            items_reattribute(
                items=Item.objects.filter(pk__in=ids),
                from_case=from_case,
                to_case=rule.case,
                rule=rule,
                actor=actor,
                reason=f"{reason}; still covered by block rule: {rule}",
            )


def counter_notices_restore_due(*, now: datetime) -> list[int]:
    """Beat job: restore every request whose counter-notice waited its business days
    without notice of legal action. Returns the ids of the requests reversed."""
    reversed_ids = []
    due = (
        CounterNotice.objects.due(now)
        .select_related("request", "forward_message")
        .order_by("restore_at")
    )
    for notice in due:
        if not _clock_started(notice, now):
            continue
        if notice.request.attention_needed:
            # The requester may have written that they went to court, or a mail failed:
            # nothing is restored by the clock until staff have looked.
            logger.info("counter-notice %s waits: the request needs attention", notice.pk)
            continue
        try:
            request_restore(
                removal_request=notice.request,
                actor=RESTORE_JOB,
                reason=f"Counter-notice by {notice.name}: {COUNTER_NOTICE_BUSINESS_DAYS} "
                "business days passed with no notice that legal action was filed.",
            )
        except TransitionError as exc:
            logger.warning("counter-notice %s not restored: %s", notice.pk, exc)
            continue
        reversed_ids.append(notice.request_id)
    return reversed_ids
