"""Destinations and the delivery log in the admin: officers configure, every staff member
reads, changes are audited without the secret, failed deliveries can be retried."""

import pytest

from compliance.audit.models import AuditEvent
from compliance.destinations.models import Delivery, Destination
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/destinations/destination/add/"
SECRET = "a-signing-secret-of-some-length"


def logged_in(client, **fields):
    client.force_login(UserFactory(is_staff=True, **fields))
    return client


def form(**fields):
    return {
        "name": "Partner",
        "kind": "webhook",
        "url": "https://partner.example/hook",
        "secret": SECRET,
        "enabled": "on",
        **fields,
    }


def test_an_officer_adds_a_webhook_and_the_change_is_audited_without_its_secret(client):
    officer = logged_in(client, officer=True)
    response = officer.post(ADD, form())
    assert response.status_code == 302
    destination = Destination.objects.get(name="Partner")
    assert (destination.kind, destination.secret) == ("webhook", SECRET)
    event = AuditEvent.objects.get(action="destination.created")
    assert event.after["secret"] == "(set)" and SECRET not in str(event.after)


def test_a_short_secret_is_refused_with_a_message_and_nothing_saved(client):
    officer = logged_in(client, officer=True)
    response = officer.post(ADD, form(secret="short"), follow=True)
    assert "signing secret of at least 16 characters" in response.content.decode()
    assert not Destination.objects.exists()


def test_plain_staff_read_the_delivery_log_but_cannot_configure(client):
    hook = Destination.objects.create(
        name="Partner", kind="webhook", url="https://p.example/", secret=SECRET
    )
    Delivery.objects.create(
        destination=hook,
        event="takedown",
        case="TD-2026-00001",
        state="failed",
        attempts=8,
        last_response="answered 503",
    )
    staff = logged_in(client)
    listing = staff.get("/admin/destinations/delivery/")
    assert listing.status_code == 200
    assert "answered 503" in listing.content.decode()
    assert staff.get(ADD).status_code == 403


def test_an_officer_retries_a_failed_delivery(client):
    hook = Destination.objects.create(
        name="Partner", kind="webhook", url="https://p.example/", secret=SECRET
    )
    delivery = Delivery.objects.create(
        destination=hook,
        event="takedown",
        case="TD-2026-00001",
        state="failed",
        attempts=8,
        last_response="answered 503",
    )
    officer = logged_in(client, officer=True)
    response = officer.post(
        "/admin/destinations/delivery/",
        {"action": "retry", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "1 failed delivery(ies) will be sent again." in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert AuditEvent.objects.filter(action="delivery.retried", case="TD-2026-00001").exists()
