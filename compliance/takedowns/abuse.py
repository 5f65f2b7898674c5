"""Abuse of the notice procedure (DSA Art. 23; the DMCA's notice floods), and the trusted
flaggers whose notices come first (DSA Art. 22).

A sender is a verified requester address and its mail domain. Each has a history (its
requests, approved, rejected, rejected as manifestly unfounded). When staff reject a
request as manifestly unfounded and the sender has ABUSE_UNFOUNDED_LIMIT such rejections
within ABUSE_WINDOW_DAYS, the sender is warned by mail; a further one while the warning
counts suspends them from filing for ABUSE_SUSPENSION_DAYS. The domain follows the same
rule with ABUSE_DOMAIN_UNFOUNDED_LIMIT (0: never). A measure is issued and lifted only here,
each with its audit event; `request_submit` refuses a suspended sender.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import normalise_domain

from .mail import request_mail
from .models import RemovalRequest, SenderMeasure, TrustedFlagger

ABUSE_JOB = "abuse-measures"
DECIDED = ("approved", "processing", "completed", "reversed")


class SenderSuspended(Exception):
    """The sender may not file notices until `measure.ends_at`."""

    def __init__(self, measure: SenderMeasure):
        until = timezone.localtime(measure.ends_at).strftime("%Y-%m-%d %H:%M %Z")
        super().__init__(
            f"{measure.sender} is suspended from filing removal requests until {until}, after "
            "repeated manifestly unfounded notices"
        )
        self.measure = measure


def sender_of(email: str) -> tuple[str, str]:
    """(address, domain) of a requester address, both lowercase."""
    address = (email or "").strip().lower()
    return address, normalise_domain(address.rpartition("@")[2])


def _sender_filter(sender: str) -> Q:
    if "@" in sender:
        return Q(requester_email__iexact=sender)
    return Q(requester_email__iendswith=f"@{sender}") | Q(requester_email__iendswith=f".{sender}")


def sender_history(email: str) -> dict:
    """The address's and its domain's record, in one query: {"address": {...}, "domain":
    {...}} with requests, approved, rejected and unfounded counts."""
    address, domain = sender_of(email)
    counts = {}
    for name, sender in (("address", address), ("domain", domain)):
        where = _sender_filter(sender)
        counts |= {
            f"{name}_requests": Count("pk", filter=where),
            f"{name}_approved": Count("pk", filter=where & Q(status__in=DECIDED)),
            f"{name}_rejected": Count("pk", filter=where & Q(status="rejected")),
            f"{name}_unfounded": Count(
                "pk", filter=where & Q(status="rejected", manifestly_unfounded=True)
            ),
        }
    row = RemovalRequest.objects.aggregate(**counts)
    return {
        name: {
            "sender": sender,
            **{
                key: row[f"{name}_{key}"]
                for key in ("requests", "approved", "rejected", "unfounded")
            },
        }
        for name, sender in (("address", address), ("domain", domain))
    }


def suspension_in_force(email: str, now=None) -> SenderMeasure | None:
    """The suspension that keeps this address (or its domain) from filing now, if any."""
    address, domain = sender_of(email)
    return (
        SenderMeasure.objects.in_force(now)
        .filter(kind=SenderMeasure.Kind.SUSPENSION, sender__in=[address, domain])
        .order_by("-ends_at")
        .first()
    )


def check_sender_may_file(email: str, now=None) -> None:
    measure = suspension_in_force(email, now)
    if measure is not None:
        raise SenderSuspended(measure)


def trusted_flagger_for(email: str) -> TrustedFlagger | None:
    """The active trusted flagger this address speaks for: listed, or at a listed domain
    (or a subdomain of one)."""
    address, domain = sender_of(email)
    for flagger in TrustedFlagger.objects.filter(active=True).order_by("pk"):
        if address in flagger.address_list or any(
            domain == d or domain.endswith(f".{d}") for d in flagger.domain_list
        ):
            return flagger
    return None


def request_deadline_hours(trusted_flagger: TrustedFlagger | None) -> int:
    if trusted_flagger is not None:
        return settings.TRUSTED_FLAGGER_TIME_LIMIT_HOURS
    return settings.TAKEDOWN_TIME_LIMIT_HOURS


def _measure_issue(*, sender, kind, removal_request, reason, now, ends_at) -> SenderMeasure:
    measure = SenderMeasure.objects.create(
        sender=sender,
        kind=kind,
        reason=reason,
        case=removal_request.reference,
        issued_at=now,
        ends_at=ends_at,
    )
    audit_record(
        actor=Actor.system(ABUSE_JOB),
        action=f"sender.{kind}",
        obj=measure,
        reason=reason,
        after={"sender": sender, "kind": kind, "ends_at": ends_at.isoformat()},
        case=removal_request.reference,
    )
    request_mail(
        removal_request=removal_request,
        kind=f"sender_{kind}",
        subject=_("Warning: manifestly unfounded notices")
        if kind == SenderMeasure.Kind.WARNING
        else _("You are suspended from filing removal requests"),
        context={"measure": measure, "limit": settings.ABUSE_UNFOUNDED_LIMIT},
    )
    return measure


def sender_measures_apply(*, removal_request: RemovalRequest) -> list[SenderMeasure]:
    """After a manifestly unfounded rejection (in its transaction): warn the sender once
    the limit is reached within the window, suspend one already warned. Returns what was
    issued."""
    now = timezone.now()
    window = timedelta(days=settings.ABUSE_WINDOW_DAYS)
    address, domain = sender_of(removal_request.requester_email)
    issued = []
    for sender, limit in (
        (address, settings.ABUSE_UNFOUNDED_LIMIT),
        (domain, settings.ABUSE_DOMAIN_UNFOUNDED_LIMIT),
    ):
        if limit <= 0 or not sender:
            continue
        in_force = SenderMeasure.objects.in_force(now).filter(sender=sender)
        if in_force.filter(kind=SenderMeasure.Kind.SUSPENSION).exists():
            continue
        unfounded = RemovalRequest.objects.filter(
            _sender_filter(sender),
            status="rejected",
            manifestly_unfounded=True,
            decided_at__gte=now - window,
        )
        warning = in_force.filter(kind=SenderMeasure.Kind.WARNING).order_by("-issued_at").first()
        who = f"the address {sender}" if "@" in sender else f"the domain {sender}"
        if warning is not None:
            if unfounded.filter(decided_at__gt=warning.issued_at).exists():
                issued.append(
                    _measure_issue(
                        sender=sender,
                        kind=SenderMeasure.Kind.SUSPENSION,
                        removal_request=removal_request,
                        reason=f"Another manifestly unfounded notice from {who} after the "
                        f"warning of {timezone.localtime(warning.issued_at):%Y-%m-%d}.",
                        now=now,
                        ends_at=now + timedelta(days=settings.ABUSE_SUSPENSION_DAYS),
                    )
                )
        elif unfounded.count() >= limit:
            issued.append(
                _measure_issue(
                    sender=sender,
                    kind=SenderMeasure.Kind.WARNING,
                    removal_request=removal_request,
                    reason=f"{unfounded.count()} manifestly unfounded notices from {who} in "
                    f"{settings.ABUSE_WINDOW_DAYS} days.",
                    now=now,
                    ends_at=now + window,
                )
            )
    return issued


def sender_measure_lift(*, measure: SenderMeasure, user, reason: str) -> SenderMeasure:
    """An officer lifts a warning or suspension, with a reason (audited)."""
    Actor.staff(user).check_may_decide("lift a sender's warning or suspension")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("lifting a measure needs a reason")
    with transaction.atomic():
        now = timezone.now()
        claimed = SenderMeasure.objects.filter(pk=measure.pk, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=user, lift_reason=reason
        )
        if not claimed:
            raise ValueError(f"{measure} was already lifted")
        measure.refresh_from_db()
        audit_record(
            actor=Actor.staff(user),
            action="sender.lifted",
            obj=measure,
            reason=reason,
            before={"lifted": False},
            after={"lifted": True, "sender": measure.sender, "kind": measure.kind},
            case=measure.case,
        )
    return measure


def duplicate_open_request(email: str, url_keys: set[str]) -> RemovalRequest | None:
    """An open request from this verified address for the same URLs (the new notice's URLs
    all among its targets): a notice sent again joins it instead of opening another."""
    address, _ = sender_of(email)
    if not url_keys:
        return None
    candidates = (
        RemovalRequest.objects.open()
        .filter(requester_email__iexact=address, verified_at__isnull=False)
        .order_by("received_at", "pk")
        .prefetch_related("targets")
    )
    for candidate in candidates:
        if url_keys <= {target.url_key for target in candidate.targets.all()}:
            return candidate
    return None


def trusted_flagger_save(*, flagger: TrustedFlagger, user, changed) -> TrustedFlagger:
    """An officer adds or edits a trusted flagger (audited, like every other writer)."""
    Actor.staff(user).check_may_decide("change the trusted flaggers")
    with transaction.atomic():
        adding = flagger.pk is None
        flagger.save()
        audit_record(
            actor=Actor.staff(user),
            action="trusted_flagger.added" if adding else "trusted_flagger.changed",
            obj=flagger,
            after={
                name: getattr(flagger, name)
                for name in (changed or ())
                if name in ("organisation", "addresses", "domains", "active", "notes")
            },
        )
    return flagger
