"""The removal-request state machine: the only code that changes RemovalRequest.status.

    received -> verified -> approved -> processing -> completed -> reversed
    received | verified -> rejected
    received | verified | approved | processing -> withdrawn

Each transition reads the current status, claims the row with a conditional UPDATE
(`WHERE status = <what we read>`), writes the audit event and queues its mail, all in one
transaction. Of two concurrent attempts exactly one updates the row; the other sees zero
rows and raises TransitionError, changing nothing.
"""

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from compliance.audit.services import Actor, audit_record
from compliance.core.normalise import author_key as make_author_key
from compliance.core.normalise import normalise_domain, normalise_url
from compliance.core.normalise import url_key as make_url_key
from compliance.core.queue import enqueue_on_commit
from compliance.items.models import Origin
from compliance.messaging.models import Message
from compliance.messaging.services import mail_queue

from . import intake
from . import targets as target_resolution
from .models import OPEN_STATUSES, BlockRule, RemovalRequest, RemovalTarget
from .permissions import DECIDE_PERMISSION
from .selectors import request_first_message
from .tokens import VERIFICATION_MAX_AGE, status_url, verification_url

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
AUTO_APPROVAL = "auto-approval"
TAKEDOWN_JOB = "process_takedown"
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
EDITABLE_ALWAYS = ("staff_notes", "public_explanation")
UNDECIDED_STATUSES = (Status.RECEIVED, Status.VERIFIED)


class TransitionError(Exception):
    """A transition the state machine does not allow from the request's current status."""


def can_transition(from_status: str, to_status: str) -> bool:
    return from_status in TRANSITIONS.get(to_status, ())


def user_may_decide(user) -> bool:
    """Only compliance officers (and superusers) approve or reject."""
    return bool(user and user.is_active and user.has_perm(DECIDE_PERMISSION))


def _check_may_decide(user) -> None:
    if not user_may_decide(user):
        raise PermissionDenied(f"{user} may not approve or reject removal requests")


def _check_choice(name: str, value, choices, *, blank: bool) -> None:
    if blank and value == "":
        return
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValueError(f"unknown {name} {value!r} (one of: {allowed})")


def _transition(
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
            request=removal_request,
        )
    return removal_request


def _queue_processing(removal_request: RemovalRequest) -> None:
    """The single point where an approval (by staff or automatic) hands the request to
    the takedown job, once the approval has committed. Should the broker be down, the
    request waits in `approved` until the stuck-request sweep queues it again."""
    from .tasks import process_takedown

    enqueue_on_commit(process_takedown, removal_request.pk)


# --- mail ----------------------------------------------------------------------------------


def request_mail(
    *, removal_request: RemovalRequest, kind: str, subject: str, context: dict | None = None
) -> Message:
    """Queue the mail `templates/emails/<kind>.*` to the requester, in the caller's
    transaction (see _mail_requester)."""
    return _mail_requester(removal_request, kind=kind, subject=subject, context=context)


def _mail_requester(
    removal_request: RemovalRequest, *, kind: str, subject: str, context: dict | None = None
) -> Message:
    """Queue a mail to the requester, threaded on the request's first message and with the
    reference in the subject, so that replies find their way back to the request."""
    first = request_first_message(removal_request)
    in_reply_to = first.message_id if first else ""
    references = " ".join(filter(None, [first.references, first.message_id])) if first else ""
    return mail_queue(
        to=[removal_request.requester_email],
        subject=f"[{removal_request.reference}] {subject}",
        template=f"emails/{kind}",
        context={
            "removal_request": removal_request,
            "status_url": status_url(removal_request),
            "SITE_NAME": settings.SITE_NAME,
            **(context or {}),
        },
        kind=kind,
        request=removal_request,
        in_reply_to=in_reply_to,
        references=references,
    )


# --- targets -------------------------------------------------------------------------------


def request_targets_resolve(*, removal_request: RemovalRequest) -> list[RemovalTarget]:
    """(Re)build the request's targets from its URLs and set its origin. Unknown URLs are
    kept as targets without an item, for staff to see."""
    resolved = target_resolution.resolve_urls(removal_request.urls)
    removal_request.targets.all().delete()
    created = RemovalTarget.objects.bulk_create(
        RemovalTarget(request=removal_request, url=r.url[:2000], url_key=r.url_key, item=r.item)
        for r in resolved
    )
    origin = target_resolution.origin_for(resolved)
    if origin is None and removal_request.scope != RemovalRequest.Scope.ITEMS:
        origin = removal_request.origin  # keep what staff set, if nothing names one
    RemovalRequest.objects.filter(pk=removal_request.pk).update(origin=origin)
    removal_request.origin = origin
    return created


def auto_approval_reason(removal_request: RemovalRequest) -> str:
    """Why the request may be approved without staff, or "" when it must wait: the
    requester speaks for the origin (an address at its domain or a subdomain, or one of its
    listed contacts) and every URL resolved to an item of that origin."""
    origin = removal_request.origin
    target_origins = list(removal_request.targets.values_list("item__origin_id", flat=True))
    if origin is None or not target_origins or set(target_origins) != {origin.pk}:
        return ""
    email = removal_request.requester_email.strip().lower()
    if email in origin.contact_email_list:
        return f"the requester {email} is a listed contact of {origin.domain}"
    email_domain = normalise_domain(email.rpartition("@")[2])
    origin_domain = normalise_domain(origin.domain)
    if email_domain == origin_domain or email_domain.endswith(f".{origin_domain}"):
        return f"the requester's address is at {origin_domain}, and every URL is theirs"
    return ""


# --- the state machine ---------------------------------------------------------------------


def request_submit(
    *,
    channel: str,
    requester_email: str,
    requester_name: str = "",
    organisation: str = "",
    role: str = "",
    urls=(),
    scope: str = RemovalRequest.Scope.ITEMS,
    future: bool = False,
    ground: str = "",
    explanation: str = "",
    good_faith: bool = False,
    accuracy: bool = False,
    signature: str = "",
    client_key: str = "",
    incoming_message: Message | None = None,
) -> RemovalRequest:
    """Store a new request as `received`, resolve its targets, and acknowledge it by mail
    with the verification and status links. The caller validates the fields; impossible
    values (an unknown channel, role, scope or ground) raise ValueError. With a
    `client_key`, the hourly rate limit applies: beyond it, intake.RateLimited is raised
    and nothing is stored."""
    _check_choice("channel", channel, RemovalRequest.Channel, blank=False)
    _check_choice("role", role, RemovalRequest.Role, blank=True)
    _check_choice("scope", scope, RemovalRequest.Scope, blank=False)
    _check_choice("ground", ground, RemovalRequest.Ground, blank=True)
    requester_email = (requester_email or "").strip()
    if "@" not in requester_email:
        raise ValueError(f"requester_email {requester_email!r} is not an address")
    if isinstance(urls, str):
        raise ValueError("urls must be a list of URLs, not a string")
    urls = list(dict.fromkeys(u.strip() for u in urls if u and u.strip()))
    now = timezone.now()
    with transaction.atomic():
        if client_key:
            # Counted under the client's lock, in the transaction that stores the request:
            # simultaneous submissions from one address cannot all slip under the limit.
            intake.client_lock(client_key)
            allowed, retry_at = intake.submission_allowed(client_key, now)
            if not allowed:
                raise intake.RateLimited(retry_at)
        removal_request = RemovalRequest.objects.create(
            # A placeholder until the primary key gives the reference, in this transaction.
            reference=f"~{secrets.token_hex(8)}",
            channel=channel,
            requester_email=requester_email,
            requester_name=requester_name,
            organisation=organisation,
            role=role,
            urls=urls,
            scope=scope,
            future=bool(future),
            ground=ground,
            explanation=explanation,
            good_faith=bool(good_faith),
            accuracy=bool(accuracy),
            signature=signature,
            client_key=client_key,
            status=Status.RECEIVED,
            received_at=now,
            due_at=now + timedelta(hours=settings.TAKEDOWN_TIME_LIMIT_HOURS),
            status_token=secrets.token_urlsafe(32),
        )
        # Unique because the primary key is; no counter to race on.
        removal_request.reference = f"TD-{timezone.localtime(now).year}-{removal_request.pk:05d}"
        removal_request.save(update_fields=["reference"])
        request_targets_resolve(removal_request=removal_request)
        audit_record(
            actor=Actor.requester(requester_email),
            action="request.received",
            obj=removal_request,
            after={"status": Status.RECEIVED, "channel": channel, "urls": len(urls)},
            request=removal_request,
        )
        if incoming_message is not None:
            Message.objects.filter(pk=incoming_message.pk).update(request=removal_request)
            incoming_message.request = removal_request
        _mail_requester(
            removal_request,
            kind="acknowledgement",
            subject="We received your removal request",
            context={
                "verification_url": verification_url(removal_request),
                "verification_days": VERIFICATION_MAX_AGE.days,
                "targets": list(removal_request.targets.select_related("item")),
            },
        )
    return removal_request


# A resend button pressed again and again must not become a way to flood an inbox.
VERIFICATION_RESEND_INTERVAL = timedelta(minutes=10)


def request_verification_resend(*, removal_request: RemovalRequest) -> Message | None:
    """Mail a fresh verification link to the address on file, for a request still waiting
    for it (the first link expired or was lost). Sends nothing, and returns None, when the
    request is no longer `received` or a link went out less than ten minutes ago."""
    with transaction.atomic():
        # Locks the row so that two presses at once cannot both pass the interval check.
        current = RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        recently = timezone.now() - VERIFICATION_RESEND_INTERVAL
        if (
            current.status != Status.RECEIVED
            or current.messages.filter(
                kind__in=["acknowledgement", "verification"], created_at__gte=recently
            ).exists()
        ):
            return None
        audit_record(
            actor=Actor.requester(current.requester_email),
            action="request.verification_resent",
            obj=current,
            request=current,
        )
        return _mail_requester(
            current,
            kind="verification",
            subject="Your new verification link",
            context={
                "verification_url": verification_url(current),
                "verification_days": VERIFICATION_MAX_AGE.days,
            },
        )


def request_verify(*, removal_request: RemovalRequest) -> RemovalRequest:
    """The requester confirmed their address: received -> verified, then, in the same
    transaction, approved at once when the request qualifies for automatic approval."""
    with transaction.atomic():
        _transition(
            removal_request,
            to=Status.VERIFIED,
            actor=Actor.requester(removal_request.requester_email),
            changes={"verified_at": timezone.now()},
        )
        reason = auto_approval_reason(removal_request)
        if reason:
            _approve(removal_request, actor=Actor.system(AUTO_APPROVAL), reason=reason)
    return removal_request


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


def _approve(removal_request, *, actor: Actor, reason: str, user=None) -> RemovalRequest:
    automatically = user is None
    missing = notice_missing_elements(removal_request)
    if missing:
        note = f"Approved on an incomplete notice, without {', '.join(missing)}."
        reason = f"{reason} {note}".strip()
    _transition(
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
    _queue_processing(removal_request)
    return removal_request


def request_approve(*, removal_request: RemovalRequest, user, reason: str = "") -> RemovalRequest:
    """A compliance officer approves a verified request; the takedown job takes over."""
    _check_may_decide(user)
    with transaction.atomic():
        return _approve(removal_request, actor=Actor.staff(user), reason=reason.strip(), user=user)


def request_reject(*, removal_request: RemovalRequest, user, reason: str) -> RemovalRequest:
    """A compliance officer rejects a request; the reason is mailed to the requester."""
    _check_may_decide(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a rejection needs a reason: it is sent to the requester")
    with transaction.atomic():
        now = timezone.now()
        _transition(
            removal_request,
            to=Status.REJECTED,
            actor=Actor.staff(user),
            reason=reason,
            changes={
                "decided_at": now,
                "decided_by": user,
                "decision_reason": reason,
                "closed_at": now,
            },
        )
        _mail_requester(
            removal_request,
            kind="rejection",
            subject="Your removal request was not granted",
            context={"reason": reason},
        )
    return removal_request


def request_withdraw(
    *, removal_request: RemovalRequest, actor: Actor, reason: str = ""
) -> RemovalRequest:
    """The requester (or staff on their behalf) withdraws an open request; the requester
    gets a confirmation. Withdrawn while its takedown was under way, whatever the job
    already took down comes back (unless another request still covers it)."""
    from .reversal import takedown_undo  # reversal builds on this module

    with transaction.atomic():
        _transition(
            removal_request,
            to=Status.WITHDRAWN,
            actor=actor,
            reason=reason.strip(),
            changes={"closed_at": timezone.now()},
        )
        # Nothing to undo unless the job had started (approved or processing).
        takedown_undo(
            removal_request=removal_request,
            actor=actor,
            reason=f"Removal request {removal_request.reference} withdrawn"
            + (f": {reason.strip()}" if reason.strip() else ""),
        )
        _mail_requester(
            removal_request,
            kind="withdrawal",
            subject="Your removal request was withdrawn",
            context={"reason": reason.strip()},
        )
    return removal_request


def request_start_processing(
    *, removal_request: RemovalRequest, actor: Actor | None = None
) -> RemovalRequest:
    """approved -> processing: the takedown job has started on the request."""
    return _transition(
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
    return _transition(
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
    return _transition(
        removal_request,
        to=Status.REVERSED,
        actor=actor,
        reason=reason,
        changes={"closed_at": timezone.now()},
    )


# --- changes that are not transitions ------------------------------------------------------


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
            request=removal_request,
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
            request=removal_request,
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
            request=current,
        )


# --- block rules and blocked origins ------------------------------------------------------


def block_rule_create(
    *,
    kind: str,
    actor: Actor,
    reason: str = "",
    origin: Origin | None = None,
    url: str = "",
    text_fingerprint: str = "",
    author: str = "",
    removal_request: RemovalRequest | None = None,
) -> BlockRule:
    """Keep something from being published by any later ingest, and audit it (rule.created).

    kind "url": the article at `url` (normalised; its domain need not be an origin of ours
    yet), and, when `text_fingerprint` is given, the same text under any other URL.
    kind "author": everything by `author` at `origin`. kind "origin": all of `origin`, its
    subdomains included. An identical rule (same request, or for staff rules the same
    active rule) is returned instead of a second one: a request's rules are unique in the
    database, so a job that runs twice or concurrently makes each once.
    """
    _check_choice("kind", kind, BlockRule.Kind, blank=False)
    fields = {"kind": kind, "url_key": "", "text_fingerprint": "", "author_key": ""}
    defaults = {"origin": origin, "url": "", "author": ""}
    if kind == BlockRule.Kind.URL:
        normalised = normalise_url(url)
        if not normalised:
            raise ValueError(f"a URL rule needs an http(s) URL, not {url!r}")
        fields |= {
            "domain": origin.domain if origin else urlsplit(normalised).hostname,
            "url_key": make_url_key(url),
            "text_fingerprint": text_fingerprint or "",
        }
        defaults["url"] = normalised[: BlockRule._meta.get_field("url").max_length]
    else:
        if origin is None:
            raise ValueError(f"an {kind} rule needs an origin")
        fields["domain"] = normalise_domain(origin.domain)
        if kind == BlockRule.Kind.AUTHOR:
            fields["author_key"] = make_author_key(author)
            if not fields["author_key"]:
                raise ValueError("an author rule needs the author's name")
            defaults["author"] = author.strip()[: BlockRule._meta.get_field("author").max_length]
    with transaction.atomic():
        if removal_request is not None:
            # The unique constraint settles a race: the loser's insert fails and it reads
            # the winner's rule instead.
            rule, created = BlockRule.objects.get_or_create(
                request=removal_request, **fields, defaults=defaults
            )
        else:
            rule = BlockRule.objects.filter(request=None, is_active=True, **fields).first()
            created = rule is None
            if created:
                rule = BlockRule.objects.create(**fields, **defaults)
        if created:
            audit_record(
                actor=actor,
                action="rule.created",
                obj=rule,
                reason=reason,
                after={
                    "kind": rule.kind,
                    "domain": rule.domain,
                    "url": rule.url,
                    "author": rule.author,
                    "text_fingerprint": bool(rule.text_fingerprint),
                },
                request=removal_request,
            )
    return rule


def block_rule_deactivate(*, rule: BlockRule, actor: Actor, reason: str) -> BlockRule:
    """Stop a rule from withholding anything new (rule.deactivated). A rule is never
    deleted: items it withheld keep pointing at it. Deactivating it twice does nothing."""
    with transaction.atomic():
        changed = BlockRule.objects.filter(pk=rule.pk, is_active=True).update(
            is_active=False, deactivated_at=timezone.now()
        )
        rule.refresh_from_db()
        if changed:
            audit_record(
                actor=actor,
                action="rule.deactivated",
                obj=rule,
                reason=(reason or "").strip(),
                before={"is_active": True},
                after={"is_active": False},
                request=rule.request,
            )
    return rule


def origin_block(
    *,
    origin: Origin,
    actor: Actor,
    reason: str,
    removal_request: RemovalRequest | None = None,
) -> Origin:
    """Mark an origin blocked: ingest withholds everything new from it (origin.blocked).
    Items already published stay so; hide them with items_hide. Blocking a blocked origin
    changes nothing (the first block, and its request, stand)."""
    with transaction.atomic():
        now = timezone.now()
        changed = Origin.objects.filter(pk=origin.pk, blocked_at__isnull=True).update(
            blocked_at=now, blocked_by_request=removal_request
        )
        origin.refresh_from_db()
        if changed:
            audit_record(
                actor=actor,
                action="origin.blocked",
                obj=origin,
                reason=(reason or "").strip(),
                before={"blocked": False},
                after={
                    "blocked": True,
                    "request": removal_request.reference if removal_request else None,
                },
                request=removal_request,
            )
    return origin


def origin_unblock(*, origin: Origin, actor: Actor, reason: str) -> Origin:
    """Let ingest publish an origin's new items again (origin.unblocked). Items withheld
    while it was blocked stay withheld until restored."""
    with transaction.atomic():
        before = Origin.objects.select_related("blocked_by_request").get(pk=origin.pk)
        changed = Origin.objects.filter(pk=origin.pk, blocked_at__isnull=False).update(
            blocked_at=None, blocked_by_request=None
        )
        origin.refresh_from_db()
        if changed:
            blocked_by = before.blocked_by_request
            audit_record(
                actor=actor,
                action="origin.unblocked",
                obj=origin,
                reason=(reason or "").strip(),
                before={"blocked": True, "request": blocked_by.reference if blocked_by else None},
                after={"blocked": False},
                request=blocked_by,
            )
    return origin


def request_update(*, removal_request: RemovalRequest, user, **fields) -> RemovalRequest:
    """Staff complete or correct a request (one opened by mail, typically). The fields that
    decide what is taken down can change only until the request is approved or rejected;
    changed URLs or scope re-resolve the targets."""
    unknown = set(fields) - set(EDITABLE_BEFORE_DECISION) - set(EDITABLE_ALWAYS)
    if unknown:
        raise ValueError(f"these fields cannot be edited: {', '.join(sorted(unknown))}")
    _check_choice("role", fields.get("role", ""), RemovalRequest.Role, blank=True)
    _check_choice("ground", fields.get("ground", ""), RemovalRequest.Ground, blank=True)
    if "scope" in fields:
        _check_choice("scope", fields["scope"], RemovalRequest.Scope, blank=False)
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
            request=removal_request,
        )
    return removal_request
