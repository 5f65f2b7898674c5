"""Abuse protection for public intake (the form, and the API later): who is asking, and
may they ask again.

Nothing here stores an IP address. A client is known by a keyed hash of its address
(HMAC-SHA256 with SECRET_KEY), kept on each RemovalRequest as `client_key`; the rate limit
counts those rows, so it needs no cache and survives restarts.
"""

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from .models import RemovalRequest, RemovalTarget

# What one request may carry, whichever way it arrives (form, mail, API).
MAX_URLS = 100
MAX_URL_LENGTH = RemovalTarget._meta.get_field("url").max_length
MAX_EXPLANATION = 10_000

RATE_WINDOW = timedelta(hours=1)
# A removal request needs a few kilobytes: 100 URLs of 2,000 characters, percent-encoded,
# and a 10,000-character explanation still fit well under this. A bigger body is refused
# before it is parsed.
MAX_BODY_BYTES = 1024 * 1024


def form_body_limit(content_type: str) -> int:
    """The removal form's limit: the fields', plus the evidence files' when it may carry
    them (multipart). Each file is checked against its own limits once read."""
    if content_type == "multipart/form-data":
        return MAX_BODY_BYTES + settings.EVIDENCE_MAX_TOTAL_BYTES + 64 * 1024
    return MAX_BODY_BYTES


def client_address(http_request) -> str:
    """The address the request came from, as the WSGI server saw it.

    X-Forwarded-For is not read: any client can write it. Behind a reverse proxy, the
    proxy must pass the client's address as REMOTE_ADDR.
    """
    return http_request.META.get("REMOTE_ADDR", "") or ""


def _rate_limit_subject(address: str) -> str:
    # One IPv6 subscriber usually holds a whole /64: count the network, not the address.
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def client_key_for(http_request) -> str:
    """HMAC-SHA256 of the client's address keyed with SECRET_KEY: stable enough to count
    submissions, useless for recovering the address."""
    subject = _rate_limit_subject(client_address(http_request))
    if not subject:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256).hexdigest()


class RateLimited(Exception):
    """This client has sent its hourly share of removal requests; it may send again at
    `retry_at`."""

    def __init__(self, retry_at: datetime):
        super().__init__(f"rate limit reached; retry at {retry_at.isoformat()}")
        self.retry_at = retry_at


def client_lock(client_key: str) -> None:
    """Inside a transaction, wait until no other transaction of this client holds the
    lock, and hold it until commit, so that counting a client's requests and storing the
    next one cannot interleave with a concurrent submission. PostgreSQL: an advisory lock
    on the key. SQLite: nothing to do, every transaction here begins IMMEDIATE, so write
    transactions already run one at a time."""
    if connection.vendor == "postgresql" and client_key:
        lock_id = int.from_bytes(hashlib.sha256(client_key.encode()).digest()[:8], signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def submission_allowed(client_key: str, now: datetime) -> tuple[bool, datetime | None]:
    """May this client submit another request now? If not, also when it may.

    Counts the requests stored with this client key in the last hour (one indexed query).
    """
    limit = settings.TAKEDOWN_RATE_LIMIT_PER_HOUR
    if limit <= 0 or not client_key:
        return True, None
    recent = list(
        RemovalRequest.objects.filter(client_key=client_key, received_at__gt=now - RATE_WINDOW)
        .order_by("received_at")
        .values_list("received_at", flat=True)
    )
    if len(recent) < limit:
        return True, None
    # Once this many of the oldest have left the window, one more fits under the limit.
    return False, recent[len(recent) - limit] + RATE_WINDOW


def mail_sender_allowed(address: str, now: datetime) -> str:
    """May mailgate open another request for this sender address now? "" if so, else why
    not: the requests mail opened for the address, or for its domain, in the last hour
    reached MAILGATE_LIMIT_PER_ADDRESS_PER_HOUR or MAILGATE_LIMIT_PER_DOMAIN_PER_HOUR. A
    flood of forged mail then opens (and acknowledges) only that many."""
    address = address.strip().lower()
    domain = address.rpartition("@")[2]
    recent = RemovalRequest.objects.filter(
        channel=RemovalRequest.Channel.EMAIL, received_at__gt=now - RATE_WINDOW
    )
    for limit, who, mine in (
        (
            settings.MAILGATE_LIMIT_PER_ADDRESS_PER_HOUR,
            address,
            {"requester_email__iexact": address},
        ),
        (
            settings.MAILGATE_LIMIT_PER_DOMAIN_PER_HOUR,
            domain,
            {"requester_email__iendswith": f"@{domain}"},
        ),
    ):
        if limit > 0 and recent.filter(**mine).count() >= limit:
            return f"{limit} requests from {who} by mail in the last hour"
    return ""
