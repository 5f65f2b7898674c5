"""One writer for every record: origins, feeds, licence bases and report recipients are
created and changed by the same services whoever asks (the admin, the API, `manage.py demo`,
ingest), which validate them by the model's rules and write the same audit events."""

from io import StringIO

import pytest
from django.core.management import call_command

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.items.configuration import (
    FEED_SETTINGS,
    LICENCE_SETTINGS,
    ORIGIN_SETTINGS,
    feed_update,
    origin_update,
)
from compliance.items.models import Feed, LicenceBasis, Origin
from compliance.items.sources import feed_ingest_source
from compliance.reports.models import ReportRecipient
from compliance.reports.services import RECIPIENT_SETTINGS
from tests.factories import FeedFactory, ItemFactory, OriginFactory, UserFactory
from tests.feedtools import fixture, serve

pytestmark = pytest.mark.django_db


def created_event(obj) -> AuditEvent:
    return AuditEvent.objects.for_object(obj).get(action__endswith=".created")


def test_an_origin_is_recorded_the_same_way_by_the_admin_ingest_and_the_demo(client, httpserver):
    officer = UserFactory(officer=True, is_superuser=True)
    client.force_login(officer)
    response = client.post(
        "/admin/items/origin/add/",
        {
            "domain": "https://WWW.Lantern-Weekly.example/about",
            "name": "Lantern Weekly",
            "home_page": "https://lantern-weekly.example/",
            "contact_emails": "",
            "disclaimer_template": "",
            "canonical_to_original": "on",
            "attention_needed": "",
        },
    )
    assert response.status_code == 302, response.content
    by_admin = Origin.objects.get(domain="lantern-weekly.example")

    outcome = feed_ingest_source(source=serve(httpserver, fixture("rss2.xml")))
    assert not outcome.failed
    by_ingest = Origin.objects.get(domain="harbour-gazette.example")

    call_command("demo", stdout=StringIO())
    by_demo = Origin.objects.get(domain="fennel-review.example")

    events = [created_event(origin) for origin in (by_admin, by_ingest, by_demo)]
    assert [event.action for event in events] == ["origin.created"] * 3
    assert all(set(event.after) == set(ORIGIN_SETTINGS) for event in events)
    assert [event.actor_name for event in events] == [officer.username, "ingest", "demo"]
    assert events[1].after["domain"] == "harbour-gazette.example"
    # The licence basis the demo recorded went through the same writer.
    basis = LicenceBasis.objects.get(name__startswith="CC BY")
    assert set(created_event(basis).after) == set(LICENCE_SETTINGS)


def test_changing_a_feed_s_url_in_the_admin_starts_it_afresh_as_the_api_does(client):
    officer = UserFactory(officer=True)
    client.force_login(officer)
    feed = FeedFactory(etag='"v1"', last_modified="Tue, 03 Nov 2026 08:00:00 GMT")
    old_url = feed.url
    response = client.post(
        f"/admin/items/feed/{feed.pk}/change/",
        {
            "origin": feed.origin.pk,
            "url": "https://moved.example/feed.xml",
            "title": "",
            "is_active": "on",
            "poll_interval_minutes": 30,
        },
    )
    assert response.status_code == 302, response.content
    feed.refresh_from_db()
    assert (feed.url, feed.etag, feed.last_modified) == ("https://moved.example/feed.xml", "", "")
    event = AuditEvent.objects.for_object(feed).get(action="feed.changed")
    assert (event.before, event.after) == (
        {"url": old_url},
        {"url": "https://moved.example/feed.xml"},
    )
    assert set(event.after) <= set(FEED_SETTINGS)


def test_a_refused_change_is_an_error_on_the_page_and_changes_nothing(client):
    """The service's rules hold in the admin too: an origin's domain is its identity once
    it has items."""
    client.force_login(UserFactory(officer=True))
    item = ItemFactory()
    origin = item.origin
    response = client.post(
        f"/admin/items/origin/{origin.pk}/change/",
        {
            "domain": "renamed.example",
            "name": origin.name,
            "home_page": origin.home_page,
            "contact_emails": "",
            "disclaimer_template": "",
            "attention_needed": "",
        },
        follow=True,
    )
    assert "cannot change" in response.content.decode()
    origin.refresh_from_db()
    assert origin.domain != "renamed.example"
    assert not AuditEvent.objects.filter(action="origin.changed").exists()


def test_the_services_validate_as_the_model_says():
    origin = OriginFactory()
    actor = Actor.system("test")
    with pytest.raises(ValueError, match="contact_emails"):
        origin_update(origin=origin, actor=actor, contact_emails="not an address")
    with pytest.raises(ValueError, match="disclaimer_template"):
        origin_update(origin=origin, actor=actor, disclaimer_template="{% if %}")
    with pytest.raises(ValueError, match="cannot be set"):
        feed_update(feed=FeedFactory(), actor=actor, etag="forged")
    assert not AuditEvent.objects.exists()


def test_report_recipients_are_changed_through_their_service_in_the_admin(client):
    client.force_login(UserFactory(officer=True))
    response = client.post(
        "/admin/reports/reportrecipient/add/",
        {"name": "Counsel", "email": "counsel@paper.example", "active": "on", "weekly": "on"},
    )
    assert response.status_code == 302, response.content
    recipient = ReportRecipient.objects.get()
    event = created_event(recipient)
    assert event.action == "report_recipient.created"
    assert set(event.after) == set(RECIPIENT_SETTINGS)
    response = client.post(
        f"/admin/reports/reportrecipient/{recipient.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ReportRecipient.objects.exists()
    assert AuditEvent.objects.filter(action="report_recipient.deleted").count() == 1


def test_deleting_a_feed_in_the_admin_is_audited(client):
    client.force_login(UserFactory(officer=True))
    feed = FeedFactory()
    response = client.post(f"/admin/items/feed/{feed.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Feed.objects.exists()
    assert AuditEvent.objects.filter(action="feed.deleted").count() == 1
