"""Staff accounts: a second factor (TOTP, or a recovery code) for those who decide,
throttling and lockout of failed logins (audited, unlockable in the admin), Django's
password validators, and sessions that end after inactivity."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.accounts.second_factor import second_factor_enrol
from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from tests.factories import UserFactory
from tests.stafftools import current_code

pytestmark = pytest.mark.django_db
PASSWORD = "not-a-real-password-42"
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")


def log_in(client, username, password=PASSWORD, code=""):
    return client.post(
        LOGIN, {"username": username, "password": password, "otp_token": code, "next": INDEX}
    )


@pytest.fixture
def officer():
    user = UserFactory(username="olga", officer=True)
    user.enrolment = second_factor_enrol(user=user, actor=Actor.system("test"))
    return user


def test_an_officer_needs_the_code_from_the_authenticator(client, officer):
    refused = log_in(client, "olga")
    assert (
        refused.status_code == 200
        and "current code from your authenticator" in refused.content.decode()
    )
    assert client.get(INDEX).status_code == 302  # still signed out
    wrong = log_in(client, "olga", code="000000" if current_code(officer) != "000000" else "111111")
    assert wrong.status_code == 200
    # django-otp makes each device wait a little longer after every wrong code.
    with time_machine.travel(timezone.now() + timedelta(seconds=35)):
        signed_in = log_in(client, "olga", code=current_code(officer))
        assert signed_in.status_code == 302 and signed_in.url == INDEX
        assert client.get(INDEX).status_code == 200


def test_a_recovery_code_works_once(client, officer):
    code = officer.enrolment.recovery_codes[0]
    assert log_in(client, "olga", code=code).status_code == 302
    client.logout()
    assert log_in(client, "olga", code=code).status_code == 200


def test_superusers_need_it_too_and_cannot_sign_in_before_enrolment(client):
    UserFactory(username="root", is_superuser=True)
    page = log_in(client, "root").content.decode()
    assert "manage.py staff_2fa root" in page
    assert client.get(INDEX).status_code == 302


def test_plain_staff_who_only_read_sign_in_with_their_password(client):
    UserFactory(username="reader")
    assert log_in(client, "reader").status_code == 302
    assert client.get(INDEX).status_code == 200


def test_the_command_replaces_the_key_and_prints_it_once(client, officer, capsys):
    old_key = TOTPDevice.objects.get(user=officer).key
    call_command("staff_2fa", "olga")
    out = capsys.readouterr().out
    assert "otpauth://totp/" in out and "recovery codes" in out
    assert officer.enrolment.recovery_codes[0] not in out  # the old codes are gone
    assert log_in(client, "olga", code=officer.enrolment.recovery_codes[0]).status_code == 200
    assert TOTPDevice.objects.filter(user=officer).count() == 1
    assert TOTPDevice.objects.get(user=officer).key != old_key


def test_repeated_failures_lock_the_login_out_audited_and_an_admin_unlocks(client, settings):
    reader = UserFactory(username="reader")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "reader", password="wrong").status_code == 200
    locked = log_in(client, "reader", password="wrong")
    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    # Now even the right password is refused, and so is anyone from that address.
    assert log_in(client, "reader").status_code == 429
    UserFactory(username="colleague")
    assert log_in(client, "colleague").status_code == 429
    assert log_in(client_class_from(client), "colleague").status_code == 302
    event = AuditEvent.objects.get(action="staff.locked_out", after__username="reader")
    assert event.object_id == reader.pk and event.after["username"] == "reader"

    admin = UserFactory(username="root", is_superuser=True)
    second_factor_enrol(user=admin, actor=Actor.system("test"))
    other = client_class_from(client)
    assert log_in(other, "root", code=current_code(admin)).status_code == 302
    attempt = AccessAttempt.objects.get(username="reader")
    other.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [attempt.pk], "index": 0},
    )
    assert not AccessAttempt.objects.filter(username="reader").exists()
    assert AuditEvent.objects.filter(action="staff.unlocked", actor_user=admin).exists()
    assert log_in(client, "reader").status_code == 302


def test_wrong_codes_count_towards_the_lockout(client, officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "olga", code="not-a-code")
    assert log_in(client, "olga", code=current_code(officer)).status_code == 429


def test_the_lockout_ends_by_itself(client, settings):
    UserFactory(username="reader")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "reader", password="wrong")
    assert log_in(client, "reader").status_code == 429
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert log_in(client, "reader").status_code == 302


def test_password_validators_refuse_weak_passwords():
    user = UserFactory(username="casey")
    for weak in ("12345678", "password", "casey123", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("a long and unusual passphrase 7", user)


def test_a_staff_session_ends_after_inactivity(client, settings):
    UserFactory(username="reader")
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    log_in(client, "reader")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=20)):
        assert client.get(INDEX).status_code == 200  # activity renews the session
    with time_machine.travel(start + timedelta(minutes=45)):
        assert client.get(INDEX).status_code == 200  # 25 minutes after the last request
    with time_machine.travel(start + timedelta(minutes=80)):
        assert client.get(INDEX).status_code == 302  # 35 minutes idle: signed out


def client_class_from(client):
    """Another browser, elsewhere: the locked-out address would be refused too."""
    return type(client)(REMOTE_ADDR="192.0.2.10")
