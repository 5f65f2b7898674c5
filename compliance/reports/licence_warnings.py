"""Warning the report's recipients by mail, ahead of time, of licence bases about to expire
(LICENCE_EXPIRY_WARNING_DAYS): each basis is warned about once per expiry date (audit:
licence.expiry_warned), so a daily job mails only what is new, and a basis renewed with a
new date is warned about again when that one nears."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.items.models import LicenceBasis
from compliance.messaging.services import mail_queue

from .models import ReportRecipient

WARNING_ACTOR = Actor.system("licence_expiry_warning")


def licences_expiring_warn(*, now: datetime | None = None) -> list[int]:
    """Mail every active report recipient the bases expiring within the warning window
    that nobody was warned about for that expiry date. Returns the bases' ids."""
    now = now or timezone.now()
    until = now + timedelta(days=settings.LICENCE_EXPIRY_WARNING_DAYS)
    to = list(
        ReportRecipient.objects.filter(active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )
    with transaction.atomic():
        expiring = LicenceBasis.objects.select_for_update().filter(
            expires_at__gt=now, expires_at__lte=until
        )
        warned = {
            (event.object_id, event.after.get("expires_at"))
            for event in AuditEvent.objects.filter(
                action="licence.expiry_warned", object_id__in=expiring.values("pk")
            ).only("object_id", "after")
        }
        new = [
            basis
            for basis in expiring.order_by("expires_at", "pk")
            if (basis.pk, basis.expires_at.isoformat()) not in warned
        ]
        if not new or not to:
            return []
        for basis in new:
            audit_record(
                actor=WARNING_ACTOR,
                action="licence.expiry_warned",
                obj=basis,
                reason=f"expires within {settings.LICENCE_EXPIRY_WARNING_DAYS} days",
                after={"expires_at": basis.expires_at.isoformat(), "recipients": to},
            )
        mail_queue(
            to=to,
            subject=f"Licence expiring within {settings.LICENCE_EXPIRY_WARNING_DAYS} days: "
            + ", ".join(basis.name for basis in new),
            template="emails/licence_expiring",
            context={
                "bases": [
                    {"basis": b, "origins": b.origins.count(), "items": b.items.count()}
                    for b in new
                ],
                "days": settings.LICENCE_EXPIRY_WARNING_DAYS,
            },
            kind="licence_expiring",
        )
    return [basis.pk for basis in new]
