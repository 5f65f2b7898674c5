"""Signing staff in the way they do: password and, for officers and superusers, the code
their authenticator app would show now (computed from the device's key, as the app does)."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.accounts.second_factor import second_factor_enrol
from compliance.core.actors import Actor

PASSWORD = "not-a-real-password-42"  # tests.factories.UserFactory's


def enrol(user):
    """A TOTP key and recovery codes for the user, as `manage.py staff_2fa` makes them."""
    return second_factor_enrol(user=user, actor=Actor.system("tests"))


def current_code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def browser_login(page, base_url, user, *, next_path="/admin/", password=PASSWORD, code=None):
    """Sign in through the real login page; a user with a TOTP device gives its code."""
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    if code is None and TOTPDevice.objects.filter(user=user).exists():
        code = current_code(user)
    if code:
        page.fill("#id_otp_token", code)
    page.click("input[type=submit]")
