"""/takedown/mine/: a requester asks for a sign-in link by email and sees every request and
counter-notice made from that address. The link works once and for an hour; the page
never says whether an address has requests (the mail does, to its owner only)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.messaging.services import mail_queue

from .models import CounterNotice, CounterNoticeSubmission, RemovalRequest, RequesterSignIn
from .tokens import status_url

SIGN_IN_MAX_AGE = timedelta(hours=1)
LINKS_PER_ADDRESS_PER_HOUR = 3
SESSION_KEY = "takedowns_mine_email"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _allowed(email: str) -> bool:
    """At most a few links an hour to one address: the form cannot be used to flood it."""
    key = f"mine-link:{_hash(email.lower())}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= LINKS_PER_ADDRESS_PER_HOUR
    except ValueError:
        return True


def sign_in_link_send(*, email: str) -> bool:
    """Mail a sign-in link to `email` (whether or not it made requests: the mail says which).
    False when the hourly allowance for the address is used up."""
    email = email.strip()
    if not _allowed(email):
        return False
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        RequesterSignIn.objects.create(email=email, token_hash=_hash(token))
        mail_queue(
            to=[email],
            subject=str(_("Your removal requests")),
            template="emails/mine_link",
            context={
                "SITE_NAME": settings.SITE_NAME,
                "sign_in_url": f"{settings.SITE_URL}/takedown/mine/{token}/",
                "has_any": RemovalRequest.objects.filter(requester_email__iexact=email).exists()
                or CounterNoticeSubmission.objects.filter(email__iexact=email).exists(),
            },
            kind="mine_link",
        )
    return True


def sign_in_claim(*, token: str) -> str | None:
    """The address a fresh, unused link signs in, or None. Claimed with a conditional
    update: the second use of a link finds it used."""
    sign_in = RequesterSignIn.objects.filter(token_hash=_hash(token)).first()
    if sign_in is None or timezone.now() - sign_in.created_at > SIGN_IN_MAX_AGE:
        return None
    claimed = RequesterSignIn.objects.filter(pk=sign_in.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    return sign_in.email if claimed else None


def requester_records(*, email: str) -> dict:
    """Everything made from this address, newest first, in a fixed number of queries."""
    requests = [
        {"request": r, "status_url": status_url(r)}
        for r in RemovalRequest.objects.filter(requester_email__iexact=email).order_by(
            "-received_at", "-id"
        )
    ]
    submitted = CounterNoticeSubmission.objects.filter(email__iexact=email).select_related(
        "request"
    )
    recorded = (
        CounterNotice.objects.filter(email__iexact=email, submission__isnull=True)
        .select_related("request")
        .order_by("-received_at")
    )
    return {"requests": requests, "submitted": list(submitted), "recorded": list(recorded)}
