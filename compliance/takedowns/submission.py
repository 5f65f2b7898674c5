"""A request arrives and its requester confirms their address: received, then verified
(and approved at once when the requester speaks for the origin)."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import normalise_domain, url_key
from compliance.messaging.models import Message

from . import abuse, intake
from . import targets as target_resolution
from .decisions import AUTO_APPROVAL, approve
from .evidence import evidence_store
from .mail import request_mail
from .models import RemovalRequest, RemovalTarget
from .state import Status, check_choice, transition
from .tokens import VERIFICATION_MAX_AGE, verification_url


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
    acknowledge: bool = True,
    language: str = "",
    evidence: list[tuple] = (),
) -> RemovalRequest:
    """Store a new request as `received`, resolve its targets, and acknowledge it by mail
    with the verification and status links. The caller validates the fields; impossible
    values (an unknown channel, role, scope or ground) raise ValueError. With a
    `client_key`, the hourly rate limit applies: beyond it, intake.RateLimited is raised
    and nothing is stored. A suspended sender raises abuse.SenderSuspended. A notice from
    the verified address of an open request, for URLs that request already names, joins
    it (audited, the message added to its thread, no new mail): the open request is
    returned with `joined_existing` set. Without `acknowledge` (a verified opt-out, whose
    address needs no confirming, or mail a program sent, which must not be answered) no
    acknowledgement is queued."""
    check_choice("channel", channel, RemovalRequest.Channel, blank=False)
    check_choice("role", role, RemovalRequest.Role, blank=True)
    check_choice("scope", scope, RemovalRequest.Scope, blank=False)
    check_choice("ground", ground, RemovalRequest.Ground, blank=True)
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
        abuse.check_sender_may_file(requester_email, now)
        existing = abuse.duplicate_open_request(
            requester_email, {key for key in map(url_key, urls) if key}
        )
        if existing is not None:
            return _join_duplicate(existing, urls=urls, channel=channel, message=incoming_message)
        trusted_flagger = abuse.trusted_flagger_for(requester_email)
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
            language=language if language in dict(settings.LANGUAGES) else "",
            status=Status.RECEIVED,
            received_at=now,
            due_at=now + timedelta(hours=abuse.request_deadline_hours(trusted_flagger)),
            trusted_flagger=trusted_flagger,
            status_token=secrets.token_urlsafe(32),
        )
        # Unique because the primary key is; no counter to race on.
        removal_request.reference = f"TD-{timezone.localtime(now).year}-{removal_request.pk:05d}"
        removal_request.save(update_fields=["reference"])
        request_targets_resolve(removal_request=removal_request)
        # (upload, sniffed type) pairs that evidence.evidence_check accepted.
        evidence_store(removal_request=removal_request, files=list(evidence))
        audit_record(
            actor=Actor.requester(requester_email),
            action="request.received",
            obj=removal_request,
            after={
                "status": Status.RECEIVED,
                "channel": channel,
                "urls": len(urls),
                **({"trusted_flagger": trusted_flagger.organisation} if trusted_flagger else {}),
                "evidence": len(evidence),
            },
            case=removal_request.reference,
        )
        if incoming_message is not None:
            Message.objects.filter(pk=incoming_message.pk).update(case=removal_request.reference)
            incoming_message.case = removal_request.reference
        if acknowledge:
            _acknowledge(removal_request)
    return removal_request


def _acknowledge(removal_request: RemovalRequest) -> None:
    request_mail(
        removal_request=removal_request,
        kind="acknowledgement",
        subject=_("We received your removal request"),
        context={
            "verification_url": verification_url(removal_request),
            "verification_days": VERIFICATION_MAX_AGE.days,
            "targets": list(removal_request.targets.select_related("item")),
        },
    )


def _join_duplicate(existing, *, urls, channel, message) -> RemovalRequest:
    audit_record(
        actor=Actor.requester(existing.requester_email),
        action="request.duplicate_joined",
        obj=existing,
        reason="The same sender sent a notice for URLs this open request already names.",
        after={"channel": channel, "urls": len(urls)},
        case=existing.reference,
    )
    if message is not None:
        Message.objects.filter(pk=message.pk).update(case=existing.reference)
        message.case = existing.reference
    existing.joined_existing = True
    return existing


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
            case=current.reference,
        )
        return request_mail(
            removal_request=current,
            kind="verification",
            subject=_("Your new verification link"),
            context={
                "verification_url": verification_url(current),
                "verification_days": VERIFICATION_MAX_AGE.days,
            },
        )


def request_verify(*, removal_request: RemovalRequest) -> RemovalRequest:
    """The requester confirmed their address: received -> verified, then, in the same
    transaction, approved at once when the request qualifies for automatic approval."""
    with transaction.atomic():
        transition(
            removal_request,
            to=Status.VERIFIED,
            actor=Actor.requester(removal_request.requester_email),
            changes={"verified_at": timezone.now()},
        )
        reason = auto_approval_reason(removal_request)
        if reason:
            approve(removal_request, actor=Actor.system(AUTO_APPROVAL), reason=reason)
    return removal_request
