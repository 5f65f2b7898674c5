"""Deciding a request: approved (by a compliance officer, or automatically when the
requester speaks for the origin), rejected with a reason, or withdrawn. Each checks the
actor's permission itself, whichever entry point calls it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.core.actors import Actor
from compliance.core.queue import enqueue_on_commit

from .abuse import sender_measures_apply
from .mail import request_mail
from .models import RemovalRequest
from .reversal import takedown_undo
from .state import Status, transition

AUTO_APPROVAL = "auto-approval"
# Undoing what a withdrawn request's job already did is the withdrawal's consequence, not a
# decision of whoever withdrew it (the requester, or staff on their behalf).
WITHDRAWAL = Actor.system("withdrawal")


def queue_processing(removal_request: RemovalRequest) -> None:
    """The single point where an approval (by staff or automatic) hands the request to
    the takedown job, once the approval has committed. Should the broker be down, the
    request waits in `approved` until the stuck-request sweep queues it again."""
    from .tasks import process_takedown

    enqueue_on_commit(process_takedown, removal_request.pk)


# The elements of a DMCA 512(c)(3) / DSA Art. 16(2) notice. The form and the API require
# them all; a request opened by mail may lack some, and staff may still act on it (the
# disclaimer promises removal to whoever asks), but the record says so.
NOTICE_ELEMENTS = {
    "requester_name": "the requester's name",
    "ground": "the ground",
    "explanation": "the explanation",
    "good_faith": "the good-faith statement",
    "accuracy": "the statement of accuracy and authority",
    "signature": "the signature",
}


def notice_missing_elements(removal_request: RemovalRequest) -> list[str]:
    return [
        label for field, label in NOTICE_ELEMENTS.items() if not getattr(removal_request, field)
    ]


def approve(removal_request, *, actor: Actor, reason: str, user=None) -> RemovalRequest:
    automatically = user is None
    missing = notice_missing_elements(removal_request)
    if missing:
        note = f"Approved on an incomplete notice, without {', '.join(missing)}."
        reason = f"{reason} {note}".strip()
    transition(
        removal_request,
        to=Status.APPROVED,
        actor=actor,
        reason=reason,
        changes={
            "decided_at": timezone.now(),
            "decided_by": user,
            "decision_reason": reason,
            "approved_automatically": automatically,
        },
        after={"automatically": automatically, "notice_missing": missing},
    )
    queue_processing(removal_request)
    return removal_request


def request_approve(*, removal_request: RemovalRequest, user, reason: str = "") -> RemovalRequest:
    """A compliance officer approves a verified request; the takedown job takes over."""
    Actor.staff(user).check_may_decide("approve removal requests")
    with transaction.atomic():
        return approve(removal_request, actor=Actor.staff(user), reason=reason.strip(), user=user)


def request_reject(
    *, removal_request: RemovalRequest, user, reason: str, manifestly_unfounded: bool = False
) -> RemovalRequest:
    """A compliance officer rejects a request; the reason is mailed to the requester. A
    rejection marked manifestly unfounded counts towards the sender's warning and
    suspension (compliance.takedowns.abuse), in the same transaction."""
    Actor.staff(user).check_may_decide("reject removal requests")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a rejection needs a reason: it is sent to the requester")
    with transaction.atomic():
        now = timezone.now()
        transition(
            removal_request,
            to=Status.REJECTED,
            actor=Actor.staff(user),
            reason=reason,
            changes={
                "decided_at": now,
                "decided_by": user,
                "decision_reason": reason,
                "closed_at": now,
                "manifestly_unfounded": bool(manifestly_unfounded),
            },
            after={"manifestly_unfounded": True} if manifestly_unfounded else None,
        )
        request_mail(
            removal_request=removal_request,
            kind="rejection",
            subject=_("Your removal request was not granted"),
            context={"reason": reason},
        )
        if manifestly_unfounded:
            sender_measures_apply(removal_request=removal_request)
    return removal_request


def request_withdraw(
    *, removal_request: RemovalRequest, actor: Actor, reason: str = ""
) -> RemovalRequest:
    """The requester (or staff on their behalf) withdraws an open request; the requester
    gets a confirmation. Withdrawn while its takedown was under way, whatever the job
    already took down comes back (unless another request still covers it)."""
    with transaction.atomic():
        transition(
            removal_request,
            to=Status.WITHDRAWN,
            actor=actor,
            reason=reason.strip(),
            changes={"closed_at": timezone.now()},
        )
        # Nothing to undo unless the job had started (approved or processing).
        takedown_undo(
            removal_request=removal_request,
            actor=actor if actor.may_decide else WITHDRAWAL,
            reason=f"Removal request {removal_request.reference} withdrawn"
            + (f": {reason.strip()}" if reason.strip() else ""),
        )
        request_mail(
            removal_request=removal_request,
            kind="withdrawal",
            subject=_("Your removal request was withdrawn"),
            context={"reason": reason.strip()},
        )
    return removal_request
