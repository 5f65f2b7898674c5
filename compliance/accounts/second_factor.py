"""Two-factor login for the staff who decide (django-otp): compliance officers and
superusers sign in with their password and a TOTP code from an authenticator app, or one
of their single-use recovery codes. Other staff (who may only read) use their password.

Enrolment is out of band, by someone who already holds the server: `manage.py staff_2fa
USERNAME` (or `manage.py demo` for the demo user) makes the TOTP key and ten recovery
codes and prints them once. Nobody can enrol from the login page, so a stolen password
alone never gets a second factor attached to it.
"""

import secrets
from base64 import b32encode
from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.permissions import user_may_decide

RECOVERY_CODES = 10
TOTP_NAME = "authenticator app"
RECOVERY_NAME = "recovery codes"


def requires_second_factor(user) -> bool:
    """Those who decide (officers, superusers) must sign in with a second factor."""
    return bool(user and (user.is_superuser or user_may_decide(user)))


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_verify(user, token: str):
    """The device the code belongs to (a six-digit TOTP code, or a recovery code, which is
    then used up), or None. Each device's own throttling applies."""
    token = "".join((token or "").split())
    if not token:
        return None
    devices = (
        TOTPDevice.objects.filter(user=user, confirmed=True)
        if token.isdigit() and len(token) == 6
        else StaticDevice.objects.filter(user=user, confirmed=True)
    )
    for device in devices.order_by("pk"):
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            return device
    return None


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into an authenticator app
    url: str  # otpauth://… (what a QR code would hold)
    recovery_codes: list[str]


def second_factor_enrol(*, user, actor: Actor) -> Enrolment:
    """Give the user a new TOTP key and new recovery codes, replacing any they had."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        totp = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)
        static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
        audit_record(
            actor=actor,
            action="staff.second_factor_enrolled",
            obj=user,
            after={"user": user.get_username(), "recovery_codes": len(codes)},
        )
    return Enrolment(
        secret=b32encode(totp.bin_key).decode().rstrip("="),
        url=totp.config_url,
        recovery_codes=codes,
    )
