"""Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins (a wrong
password or a wrong second-factor code) for a username, or from a client address, that
username or address is locked out for LOGIN_LOCKOUT_MINUTES. Every lockout is in the
audit trail; staff with the right permission unlock in the admin (Axes > Access
attempts, action Unlock), audited too."""

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_record
from compliance.core.actors import Actor

LOCKOUT = Actor.system("login-throttle")


def client_ip(request) -> str:
    """As for the rate limit of removal requests: REMOTE_ADDR only, since any client can
    write X-Forwarded-For (behind a proxy, it must pass the client's address there)."""
    return request.META.get("REMOTE_ADDR", "") or ""


def _subject(username: str):
    """What a lockout's event is about: the account, or the attempt for an unknown name."""
    user = get_user_model().objects.filter(username=username).first()
    return user or AccessAttempt.objects.filter(username=username).order_by("-pk").first()


def _already_recorded(username: str) -> bool:
    """axes signals again at each attempt while locked: one event per lockout is enough."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    last = (
        AuditEvent.objects.filter(action__in=["staff.locked_out", "staff.unlocked"], at__gte=since)
        .filter(after__username=username)
        .order_by("-at", "-id")
        .first()
    )
    return last is not None and last.action == "staff.locked_out"


@receiver(user_locked_out)
def lockout_audit(sender, request, username, ip_address, **kwargs):
    subject = _subject(username or "")
    if subject is None or _already_recorded(username or ""):
        return  # no name given (axes keeps the attempt), or recorded at its start
    audit_record(
        actor=LOCKOUT,
        action="staff.locked_out",
        obj=subject,
        after={"username": username or "", "ip_address": ip_address or ""},
    )


def lockout_lift(*, attempt: AccessAttempt, user) -> int:
    """Unlock the username and the address of a lockout; audited."""
    with transaction.atomic():
        subject = _subject(attempt.username or "") or attempt
        audit_record(
            actor=Actor.staff(user),
            action="staff.unlocked",
            obj=subject,
            after={"username": attempt.username or "", "ip_address": attempt.ip_address or ""},
        )
        return reset(username=attempt.username) + reset(ip=attempt.ip_address)
