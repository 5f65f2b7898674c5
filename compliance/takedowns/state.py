"""The removal-request state machine: the only code that changes RemovalRequest.status.

    received -> verified -> approved -> processing -> completed -> reversed
    received | verified -> rejected
    received | verified | approved | processing -> withdrawn

Each transition reads the current status, claims the row with a conditional UPDATE
(`WHERE status = <what we read>`) and writes the audit event, in the caller's transaction
with whatever else the step does (its mail: compliance.takedowns.mail). Of two concurrent
attempts exactly one updates the row; the other sees zero rows and raises TransitionError,
changing nothing. The steps themselves live by concern: submission (received, verified),
decisions (approved, rejected, withdrawn), processing (the takedown job), reversal.
"""

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.destinations.models import Delivery
from compliance.destinations.services import deliveries_notify
from compliance.destinations.tasks import deliveries_queue_on_commit

from .models import OPEN_STATUSES, RemovalRequest
from .signals import request_decided

Status = RemovalRequest.Status

# For each status, the statuses it may be reached from. No other transition exists.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.VERIFIED: frozenset({Status.RECEIVED}),
    Status.APPROVED: frozenset({Status.VERIFIED}),
    Status.PROCESSING: frozenset({Status.APPROVED}),
    Status.COMPLETED: frozenset({Status.PROCESSING}),
    Status.REJECTED: frozenset({Status.RECEIVED, Status.VERIFIED}),
    Status.WITHDRAWN: frozenset(OPEN_STATUSES),
    Status.REVERSED: frozenset({Status.COMPLETED}),
}
VERBS = {
    Status.VERIFIED: "verify",
    Status.APPROVED: "approve",
    Status.PROCESSING: "start processing",
    Status.COMPLETED: "complete",
    Status.REJECTED: "reject",
    Status.WITHDRAWN: "withdraw",
    Status.REVERSED: "reverse",
}
TAKEDOWN_JOB = "process_takedown"
# Decisions the public records (DSA statements, Lumen notices) are made from.
DECIDED = frozenset({Status.COMPLETED, Status.REJECTED, Status.REVERSED})


class TransitionError(Exception):
    """A transition the state machine does not allow from the request's current status."""


def can_transition(from_status: str, to_status: str) -> bool:
    return from_status in TRANSITIONS.get(to_status, ())


def check_choice(name: str, value, choices, *, blank: bool) -> None:
    if blank and value == "":
        return
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValueError(f"unknown {name} {value!r} (one of: {allowed})")


def transition(
    removal_request: RemovalRequest,
    *,
    to: str,
    actor: Actor,
    reason: str = "",
    changes: dict | None = None,
    after: dict | None = None,
) -> RemovalRequest:
    """Move the request to `to` if the state machine allows it from its current status."""
    verb = VERBS[to]
    rows = RemovalRequest.objects.filter(pk=removal_request.pk)
    with transaction.atomic():
        current = rows.values_list("status", flat=True).first()
        if current is None:
            raise TransitionError(f"cannot {verb} {removal_request}: it does not exist")
        if current not in TRANSITIONS[to]:
            raise TransitionError(f"cannot {verb} {removal_request}: it is {current}")
        # The claim: only one of two concurrent transactions finds the status it read.
        claimed = rows.filter(status=current).update(status=to, **(changes or {}))
        if not claimed:
            now_status = rows.values_list("status", flat=True).first()
            raise TransitionError(f"cannot {verb} {removal_request}: it is {now_status}")
        removal_request.refresh_from_db()
        audit_record(
            actor=actor,
            action=f"request.{to}",
            obj=removal_request,
            reason=reason,
            before={"status": current},
            after={"status": to, **(after or {})},
            case=removal_request.reference,
        )
        if to in DECIDED:
            request_decided.send(
                sender=RemovalRequest, removal_request=removal_request, status=to, reason=reason
            )
        # Connected systems hear of every status change (webhooks), after commit.
        if deliveries_notify(
            event=Delivery.Event.REQUEST_STATUS,
            case=removal_request.reference,
            change=to,
            payload={"reference": removal_request.reference, "from": current, "to": to},
        ):
            deliveries_queue_on_commit(
                case=removal_request.reference, event=Delivery.Event.REQUEST_STATUS
            )
    return removal_request


def request_start_processing(
    *, removal_request: RemovalRequest, actor: Actor | None = None
) -> RemovalRequest:
    """approved -> processing: the takedown job has started on the request."""
    return transition(
        removal_request,
        to=Status.PROCESSING,
        actor=actor or Actor.system(TAKEDOWN_JOB),
        changes={"processing_started_at": timezone.now()},
    )


def request_complete(
    *, removal_request: RemovalRequest, actor: Actor | None = None, reason: str = ""
) -> RemovalRequest:
    """processing -> completed: every target is down (the job sends the confirmation).
    A flag raised by an earlier failed attempt is cleared: the job has now succeeded."""
    now = timezone.now()
    return transition(
        removal_request,
        to=Status.COMPLETED,
        actor=actor or Actor.system(TAKEDOWN_JOB),
        reason=reason,
        changes={"completed_at": now, "closed_at": now, "attention_needed": ""},
    )


def request_reverse(
    *, removal_request: RemovalRequest, actor: Actor, reason: str
) -> RemovalRequest:
    """completed -> reversed: the content is back (after a counter-notice, say)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reversal needs a reason")
    return transition(
        removal_request,
        to=Status.REVERSED,
        actor=actor,
        reason=reason,
        changes={"closed_at": timezone.now()},
    )
