"""An origin's verified opt-out, without a notice: its representative asks for a token
(/takedown/opt-out/), the origin publishes it, in DNS (TXT at `_courtesy.<domain>`) or on
its site (/.well-known/courtesy-optout.txt); once we find it, a whole-origin, now-and-future
removal request is opened and approved automatically, and the takedown job does the rest as
for any approved request (hide, block, confirm to the address given).

DNS is read with dnspython, from OPTOUT_DNS_NAMESERVERS when set (tests run a local
server) or the system's resolver; the lookup can also be passed in. The file is fetched
with the feeds' rules (compliance.items.fetching).
"""

import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import normalise_domain
from compliance.items.fetching import fetch_feed
from compliance.items.models import Origin

from .decisions import AUTO_APPROVAL, approve
from .models import OriginOptOut, RemovalRequest
from .state import Status, transition
from .submission import request_submit

OPT_OUT_FILE = "/.well-known/courtesy-optout.txt"
VERIFIER = Actor.system("opt-out verification")
TOKEN_DAYS = 14


class OptOutError(ValueError):
    """The opt-out cannot be asked for or verified; the message says why, for the page."""


def dns_txt(name: str) -> list[str]:
    """The TXT strings at `name` ([] when there is none)."""
    resolver = dns.resolver.Resolver(configure=not settings.OPTOUT_DNS_NAMESERVERS)
    if settings.OPTOUT_DNS_NAMESERVERS:
        host, _, port = settings.OPTOUT_DNS_NAMESERVERS[0].partition(":")
        resolver.nameservers = [host]
        resolver.port = int(port or 53)
    resolver.lifetime = settings.FETCH_TIMEOUT_SECONDS
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise OptOutError(
            _("the DNS lookup of %(name)s failed (%(error)s)")
            % {"name": name, "error": type(exc).__name__}
        ) from None
    return [b"".join(record.strings).decode("utf-8", errors="replace") for record in answer]


def optout_file_url(origin: Origin) -> str:
    """Where the origin may publish the token instead: on its home page's host."""
    home = urlsplit(origin.home_page)
    return f"{home.scheme}://{home.netloc}{OPT_OUT_FILE}"


def optout_request(*, domain: str, requester_name: str, requester_email: str) -> OriginOptOut:
    """A token for an origin we republish; asking again for the same address and origin
    gives the pending token back rather than a new one."""
    domain = normalise_domain(domain)
    origin = Origin.objects.filter(domain=domain).first()
    if origin is None:
        raise OptOutError(
            _("we republish nothing from %(domain)s, so there is nothing to opt out of")
            % {"domain": domain}
        )
    pending = OriginOptOut.objects.filter(
        origin=origin,
        requester_email__iexact=requester_email.strip(),
        verified_at__isnull=True,
        created_at__gte=timezone.now() - timedelta(days=TOKEN_DAYS),
    ).first()
    if pending:
        return pending
    opt_out = OriginOptOut.objects.create(
        origin=origin,
        requester_name=requester_name.strip(),
        requester_email=requester_email.strip(),
        token=secrets.token_urlsafe(24),
        page_key=secrets.token_urlsafe(32),
    )
    audit_record(
        actor=Actor.requester(opt_out.requester_email),
        action="optout.requested",
        obj=origin,
        after={"opt_out": opt_out.pk},
    )
    return opt_out


def _where_published(opt_out: OriginOptOut, resolve_txt: Callable[[str], list[str]]) -> str:
    domain = opt_out.origin.domain
    problems = []
    try:
        if any(opt_out.published_value == t.strip() for t in resolve_txt(f"_courtesy.{domain}")):
            return f"DNS TXT record at _courtesy.{domain}"
    except OptOutError as exc:
        problems.append(str(exc))
    url = optout_file_url(opt_out.origin)
    result = fetch_feed(url)
    if not result.error and result.status == 200:
        lines = {line.strip() for line in result.body.decode("utf-8", "replace").splitlines()}
        if lines & {opt_out.token, opt_out.published_value}:
            return url
    problems.append(
        _("the token is neither in DNS at _courtesy.%(domain)s nor at %(url)s")
        % {"domain": domain, "url": url}
    )
    raise OptOutError("; ".join(problems))


def optout_verify(
    *, opt_out: OriginOptOut, resolve_txt: Callable[[str], list[str]] | None = None
) -> RemovalRequest:
    """Look for the published token; when found, open the origin's request and approve it
    (a verified opt-out proves control of the domain, as an address at it does). Verifying
    twice opens one request. OptOutError says what is missing."""
    if opt_out.case:
        return RemovalRequest.objects.get(reference=opt_out.case)
    if opt_out.created_at < timezone.now() - timedelta(days=TOKEN_DAYS):
        raise OptOutError(
            _("this token is older than %(days)s days: ask for a new one") % {"days": TOKEN_DAYS}
        )
    now = timezone.now()
    try:
        where = _where_published(opt_out, resolve_txt or dns_txt)
    except OptOutError as exc:
        OriginOptOut.objects.filter(pk=opt_out.pk).update(last_attempt_at=now, last_error=str(exc))
        raise
    with transaction.atomic():
        claimed = OriginOptOut.objects.filter(pk=opt_out.pk, verified_at__isnull=True).update(
            verified_at=now, verified_by=where, last_attempt_at=now, last_error=""
        )
        if not claimed:  # a concurrent verification won; its request stands
            opt_out.refresh_from_db()
            return RemovalRequest.objects.get(reference=opt_out.case)
        origin = opt_out.origin
        removal_request = request_submit(
            channel=RemovalRequest.Channel.WEB,
            requester_email=opt_out.requester_email,
            requester_name=opt_out.requester_name,
            organisation=origin.name,
            role=RemovalRequest.Role.RIGHTS_HOLDER,
            urls=[origin.home_page],
            scope=RemovalRequest.Scope.ORIGIN,
            future=True,
            ground=RemovalRequest.Ground.LICENCE_WITHDRAWN,
            explanation=f"Verified opt-out by {origin.domain}: the token was published at "
            f"{where}. Everything from this origin, now and in the future.",
            good_faith=True,
            accuracy=True,
            signature=opt_out.requester_name,
            acknowledge=False,
        )
        # The origin proved itself: the request is its own, whatever its URL resolves to.
        RemovalRequest.objects.filter(pk=removal_request.pk).update(origin=origin)
        removal_request.origin = origin
        reason = f"opt-out verified: {origin.domain} published the token ({where})"
        transition(
            removal_request,
            to=Status.VERIFIED,
            actor=VERIFIER,
            reason=reason,
            changes={"verified_at": now},
        )
        approve(removal_request, actor=Actor.system(AUTO_APPROVAL), reason=reason)
        OriginOptOut.objects.filter(pk=opt_out.pk).update(case=removal_request.reference)
    return removal_request
