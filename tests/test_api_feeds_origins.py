"""feeds/ and origins/: officers manage feeds (audited, http(s) only) and ask for a fetch
now; they block and unblock origins through the takedown services."""

from pathlib import Path

import pytest

from compliance.audit.models import AuditEvent
from compliance.items.models import Feed, Item
from compliance.items.staydown import origin_block
from tests import workers
from tests.apitools import API, client_for
from tests.factories import FeedFactory, ItemFactory, OriginFactory, RemovalRequestFactory

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


@pytest.fixture
def origin(db):
    return OriginFactory(domain="harbour.example", name="Harbour Gazette")


# --- feeds ---------------------------------------------------------------------------------


def test_an_officer_adds_a_feed_and_it_is_audited(origin):
    response = client_for("officer").post(
        f"{API}/feeds/",
        {"origin": origin.pk, "url": "https://harbour.example/rss", "poll_interval_minutes": 45},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    feed = Feed.objects.get()
    assert body["id"] == feed.pk
    assert (body["url"], body["is_active"], body["poll_interval_minutes"]) == (
        "https://harbour.example/rss",
        True,
        45,
    )
    assert body["last_outcome"] == "" and body["last_fetched_at"] is None
    event = AuditEvent.objects.for_object(feed).get()
    assert (event.action, event.actor_name) == ("feed.created", "api-officer")
    assert event.after["url"] == "https://harbour.example/rss"
    assert client_for("staff").get(f"{API}/feeds/{feed.pk}/").json() == body


@pytest.mark.parametrize(
    "change,field",
    [
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "ftp://harbour.example/rss"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "harbour.example/rss"}, "url"),
        ({"url": "https://harbour.example/" + "a" * 2000}, "url"),
        ({"url": "https://harbour.example/\x00"}, "url"),
        ({"url": "https://taken.example/feed.xml"}, "url"),
        ({"origin": 999999}, "origin"),
        ({"origin": 2**70}, "origin"),
        ({"origin": "harbour"}, "origin"),
        ({"poll_interval_minutes": 0}, "poll_interval_minutes"),
        ({"poll_interval_minutes": 10**12}, "poll_interval_minutes"),
        ({"poll_interval_minutes": "30"}, "poll_interval_minutes"),
        ({"is_active": "no"}, "is_active"),
        ({"title": ["x"]}, "title"),
    ],
)
def test_bad_feed_input_is_400_and_stores_nothing(origin, change, field):
    FeedFactory(origin=origin, url="https://taken.example/feed.xml")
    data = {"origin": origin.pk, "url": "https://harbour.example/rss", **change}
    response = client_for("officer").post(f"{API}/feeds/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Feed.objects.count() == 1
    assert not AuditEvent.objects.filter(action="feed.created").exists()


def test_changing_a_feed_records_what_changed(origin):
    feed = FeedFactory(origin=origin, etag='"abc"', last_modified="Mon, 04 May 2026 09:00:00 GMT")
    officer = client_for("officer")
    response = officer.patch(
        f"{API}/feeds/{feed.pk}/", {"url": "https://harbour.example/atom"}, format="json"
    )
    assert response.status_code == 200, response.content
    feed.refresh_from_db()
    assert feed.url == "https://harbour.example/atom"
    assert (feed.etag, feed.last_modified) == ("", "")  # the old address's validators
    event = AuditEvent.objects.for_object(feed).get(action="feed.changed")
    assert event.before == {"url": "https://harbour.example/feed.xml"}
    assert event.after == {"url": "https://harbour.example/atom"}
    # The same values again change nothing and record nothing.
    officer.patch(f"{API}/feeds/{feed.pk}/", {"url": "https://harbour.example/atom"}, format="json")
    assert AuditEvent.objects.for_object(feed).filter(action="feed.changed").count() == 1


def test_deleting_a_feed_keeps_its_items(origin):
    feed = FeedFactory(origin=origin)
    item = ItemFactory(origin=origin, feed=feed)
    response = client_for("officer").delete(f"{API}/feeds/{feed.pk}/")
    assert response.status_code == 204
    assert not Feed.objects.exists()
    item.refresh_from_db()
    assert item.feed is None
    event = AuditEvent.objects.get(action="feed.deleted")
    assert event.before["url"] == "https://harbour.example/feed.xml"


def test_a_paused_feed_is_not_fetched(origin):
    feed = FeedFactory(origin=origin, is_active=False)
    response = client_for("officer").post(f"{API}/feeds/{feed.pk}/fetch/")
    assert response.status_code == 409
    assert "paused" in response.json()["detail"]


def test_fetch_now_queues_the_ingest_task_after_commit(origin, django_capture_on_commit_callbacks):
    feed = FeedFactory(origin=origin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for("officer").post(f"{API}/feeds/{feed.pk}/fetch/")
    assert response.status_code == 202
    assert response.json() == {"detail": f"Fetching {feed.url} was queued.", "feed": feed.pk}
    assert len(callbacks) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_fetch_now_is_ingested_by_a_real_worker(celery_worker, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(
        (FEEDS / "rss2.xml").read_bytes(), content_type="application/rss+xml"
    )
    origin = OriginFactory(domain="harbour-gazette.example", name="Harbour Gazette")
    officer = client_for("officer")
    created = officer.post(
        f"{API}/feeds/",
        {"origin": origin.pk, "url": httpserver.url_for("/feed.xml")},
        format="json",
    )
    assert created.status_code == 201, created.content
    feed_id = created.json()["id"]
    assert officer.post(f"{API}/feeds/{feed_id}/fetch/").status_code == 202

    workers.wait_until(
        lambda: Item.objects.filter(feed_id=feed_id).count() == 3,
        timeout=60,
        message=f"the feed was not ingested\nworker:\n{celery_worker.output()}",
    )
    feed = officer.get(f"{API}/feeds/{feed_id}/").json()
    assert feed["last_outcome"] == "ok"
    assert feed["last_fetched_at"] is not None


# --- origins -------------------------------------------------------------------------------


def test_staff_read_origins_with_filters(origin):
    blocked = OriginFactory(domain="fennel.example", name="Fennel Review")
    client_for("officer").post(
        f"{API}/origins/{blocked.pk}/block/", {"reason": "asked"}, format="json"
    )
    staff = client_for("staff")

    def domains(**query):
        response = staff.get(f"{API}/origins/", query)
        assert response.status_code == 200, response.content
        return [o["domain"] for o in response.json()["results"]]

    assert domains() == ["fennel.example", "harbour.example"]  # by name
    assert domains(blocked="true") == ["fennel.example"]
    assert domains(blocked="false") == ["harbour.example"]
    assert domains(domain="WWW.Harbour.Example") == ["harbour.example"]
    assert domains(search="gazette") == ["harbour.example"]
    one = staff.get(f"{API}/origins/{origin.pk}/").json()
    assert one["licence"]["kind"] == "public_feed"
    assert one["is_blocked"] is False


def test_an_officer_blocks_and_unblocks_an_origin(origin):
    request = RemovalRequestFactory(status="processing")
    officer = client_for("officer")
    url = f"{API}/origins/{origin.pk}"
    response = officer.post(
        f"{url}/block/",
        {"reason": "whole site", "removal_request": request.reference},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["changed"] is True
    assert response.json()["origin"]["blocked_by_request"] == request.reference
    origin.refresh_from_db()
    assert origin_block(origin.domain).case == request.reference
    event = AuditEvent.objects.for_object(origin).get(action="origin.blocked")
    assert (event.actor_name, event.reason, event.case) == (
        "api-officer",
        "whole site",
        request.reference,
    )

    again = officer.post(f"{url}/block/", {"reason": "twice"}, format="json")
    assert again.json()["changed"] is False
    assert AuditEvent.objects.for_object(origin).filter(action="origin.blocked").count() == 1

    # A block a request asked for is lifted by reversing that request, not by hand.
    refused = officer.post(f"{url}/unblock/", {"reason": "by hand"}, format="json")
    assert refused.status_code == 400
    assert request.reference in str(refused.json())
    assert origin_block(origin.domain).case == request.reference


def test_an_officer_lifts_a_block_of_their_own(origin):
    officer = client_for("officer")
    url = f"{API}/origins/{origin.pk}"
    assert officer.post(f"{url}/block/", {"reason": "no licence"}, format="json").json()["origin"][
        "is_blocked"
    ]
    response = officer.post(f"{url}/unblock/", {"reason": "agreement signed"}, format="json")
    assert response.json()["changed"] is True
    assert response.json()["origin"]["is_blocked"] is False
    assert AuditEvent.objects.for_object(origin).get(action="origin.unblocked").reason == (
        "agreement signed"
    )


def test_blocking_needs_a_reason(origin):
    response = client_for("officer").post(f"{API}/origins/{origin.pk}/block/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    origin.refresh_from_db()
    assert origin_block(origin.domain) is None
