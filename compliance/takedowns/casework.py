"""Changes to a request that are not transitions: who handles it, what needs a person's
attention, and staff completing what a mailed notice left out."""

from django.db import transaction

from compliance.audit.services import audit_record
from compliance.core.actors import Actor

from .models import OPEN_STATUSES, RemovalRequest
from .state import TAKEDOWN_JOB, Status, TransitionError, check_choice
from .submission import request_targets_resolve

# Fields staff may complete on a request opened by mail, until it is decided.
EDITABLE_BEFORE_DECISION = (
    "requester_name",
    "organisation",
    "role",
    "urls",
    "scope",
    "future",
    "ground",
    "explanation",
)
EDITABLE_ALWAYS = ("staff_notes",)
UNDECIDED_STATUSES = (Status.RECEIVED, Status.VERIFIED)


def request_assign(*, removal_request: RemovalRequest, user, assignee) -> RemovalRequest:
    """Give an open request to a staff member (None: unassign)."""
    if assignee is not None and not (assignee.is_active and assignee.is_staff):
        raise ValueError(f"{assignee} is not active staff")
    rows = RemovalRequest.objects.filter(pk=removal_request.pk)
    with transaction.atomic():
        before = rows.select_related("assignee").first()
        if before is None or not before.is_open:
            status = before.status if before else "gone"
            raise TransitionError(f"cannot assign {removal_request}: it is {status}")
        if not rows.filter(status__in=OPEN_STATUSES).update(assignee=assignee):
            raise TransitionError(f"cannot assign {removal_request}: it is no longer open")
        removal_request.refresh_from_db()
        audit_record(
            actor=Actor.staff(user),
            action="request.assigned",
            obj=removal_request,
            before={"assignee": before.assignee.get_username() if before.assignee else None},
            after={"assignee": assignee.get_username() if assignee else None},
            case=removal_request.reference,
        )
    return removal_request


def request_flag(
    *, removal_request: RemovalRequest, reason: str, actor: Actor | None = None
) -> RemovalRequest:
    """Ask a person to look (a job gave up, a self-check failed, the requester wrote):
    shown in the queue whatever the request's status, until staff clear it. Reasons add up:
    a new one never hides an earlier one."""
    reason = (reason or "").strip() or "needs attention"
    with transaction.atomic():
        current = RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        earlier = current.attention_needed.strip()
        noted = f"{earlier}\n{reason}" if earlier and reason not in earlier else earlier or reason
        RemovalRequest.objects.filter(pk=current.pk).update(attention_needed=noted)
        removal_request.attention_needed = noted
        audit_record(
            actor=actor or Actor.system(TAKEDOWN_JOB),
            action="request.flagged",
            obj=removal_request,
            reason=reason,
            case=removal_request.reference,
        )
    return removal_request


def request_attention_clear(*, removal_request: RemovalRequest, user, note: str) -> None:
    """Staff looked at what the request was flagged for, and say what they did."""
    note = (note or "").strip()
    if not note:
        raise ValueError("say what was done about it")
    with transaction.atomic():
        current = RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        if not current.attention_needed:
            raise ValueError("nothing is waiting for attention")
        RemovalRequest.objects.filter(pk=current.pk).update(attention_needed="")
        audit_record(
            actor=Actor.staff(user),
            action="request.attention_cleared",
            obj=current,
            reason=note,
            before={"attention_needed": current.attention_needed},
            case=current.reference,
        )


def request_update(*, removal_request: RemovalRequest, user, **fields) -> RemovalRequest:
    """Staff complete or correct a request (one opened by mail, typically). The fields that
    decide what is taken down can change only until the request is approved or rejected;
    changed URLs or scope re-resolve the targets."""
    unknown = set(fields) - set(EDITABLE_BEFORE_DECISION) - set(EDITABLE_ALWAYS)
    if unknown:
        raise ValueError(f"these fields cannot be edited: {', '.join(sorted(unknown))}")
    check_choice("role", fields.get("role", ""), RemovalRequest.Role, blank=True)
    check_choice("ground", fields.get("ground", ""), RemovalRequest.Ground, blank=True)
    if "scope" in fields:
        check_choice("scope", fields["scope"], RemovalRequest.Scope, blank=False)
    if "urls" in fields:
        if isinstance(fields["urls"], str):
            raise ValueError("urls must be a list of URLs, not a string")
        fields["urls"] = list(dict.fromkeys(u.strip() for u in fields["urls"] if u.strip()))
    with transaction.atomic():
        current = RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        changed = {name: value for name, value in fields.items() if getattr(current, name) != value}
        locked = set(changed) & set(EDITABLE_BEFORE_DECISION)
        if locked and current.status not in UNDECIDED_STATUSES:
            raise TransitionError(
                f"cannot change {', '.join(sorted(locked))} of {current}: it is {current.status}"
            )
        if not changed:
            return removal_request
        RemovalRequest.objects.filter(pk=current.pk).update(**changed)
        removal_request.refresh_from_db()
        if {"urls", "scope"} & set(changed):
            request_targets_resolve(removal_request=removal_request)
        audit_record(
            actor=Actor.staff(user),
            action="request.updated",
            obj=removal_request,
            before={name: getattr(current, name) for name in changed},
            after=changed,
            case=removal_request.reference,
        )
    return removal_request


def request_explanation_publish(*, removal_request: RemovalRequest, text: str, user) -> None:
    """Publish (or, with empty text, withdraw) the redacted explanation that
    /transparency/ shows for a request: a compliance officer's decision. The requester's
    original is kept untouched. The only writer of RemovalRequest.public_explanation."""
    actor = Actor.staff(user)
    actor.check_may_decide("publish an explanation")
    text = (text or "").strip()
    with transaction.atomic():
        current = RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        before = current.public_explanation
        if before == text:
            return
        RemovalRequest.objects.filter(pk=current.pk).update(public_explanation=text)
        removal_request.public_explanation = text
        audit_record(
            actor=actor,
            action="request.explanation_published" if text else "request.explanation_withdrawn",
            obj=removal_request,
            reason="redacted explanation for the transparency page",
            before={"public_explanation": before},
            after={"public_explanation": text},
            case=removal_request.reference,
        )
