"""Destinations besides our own pages: webhooks (signed, retried with back-off, flagged
when they keep failing), IndexNow (against a stand-in that enforces the protocol), the
environment's defaults, and the rule that nothing is confirmed until every destination
has acknowledged."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import requests
from django.core.exceptions import PermissionDenied
from werkzeug import Response

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.destinations.configuration import (
    destination_create,
    destinations_sync_environment,
)
from compliance.destinations.models import Delivery, Destination
from compliance.destinations.services import deliveries_attempt_due, delivery_attempt
from compliance.items.models import Item
from compliance.items.status import items_hide, items_restore
from compliance.takedowns import processing
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.tasks import process_takedown
from tests import workers
from tests.factories import ItemFactory, UserFactory
from tests.test_takedown_jobs import approved_request, confirmations

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "a-signing-secret-of-some-length"
TOLERANCE = 300  # seconds: what the README tells receivers to accept


def verifying_receiver(received: list, *, clock=time.time):
    """A connected system as the README describes one: it checks the signature over
    "<t>.<body>" and refuses a timestamp more than five minutes from its own clock."""

    def handle(request):
        body = request.get_data()
        try:
            parts = dict(p.split("=", 1) for p in request.headers["Courtesy-Signature"].split(","))
            timestamp = int(parts["t"])
        except (KeyError, ValueError):
            return Response("no signature", status=400)
        expected = hmac.new(
            SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            return Response("bad signature", status=401)
        if abs(clock() - timestamp) > TOLERANCE:
            return Response("too old: a replay?", status=401)
        received.append((dict(request.headers), body, json.loads(body)))
        return Response("", status=204)

    return handle


@pytest.fixture
def site(live_server, settings):
    settings.SELF_CHECK_BASE_URL = live_server.url
    return live_server


def webhook(httpserver, path="/hook") -> Destination:
    return Destination.objects.create(
        name="Syndication partner",
        kind=Destination.Kind.WEBHOOK,
        url=httpserver.url_for(path),
        secret=SECRET,
    )


def test_a_takedown_is_posted_signed_to_webhooks_before_it_is_confirmed(site, httpserver):
    received = []
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        verifying_receiver(received)
    )
    webhook(httpserver)
    target = ItemFactory()
    removal_request = approved_request(target)

    assert processing.request_process(removal_request_id=removal_request.pk) == "completed"

    takedowns = [payload for _, _, payload in received if payload["type"] == "takedown"]
    assert len(takedowns) == 1
    (item,) = takedowns[0]["items"]
    assert (item["id"], item["status"]) == (target.pk, "hidden")
    assert item["url"].endswith(f"/items/{target.slug}/")
    assert takedowns[0]["case"] == removal_request.reference
    mail = confirmations(removal_request).get().text_body
    assert "Syndication partner (Webhook (connected system)): answered 204" in mail

    # A replay of the same request, six minutes on, is refused by the receiver; so is a
    # body changed on the way.
    # (The takedown's own POST: status notifications may arrive before or after it.)
    headers, body, _ = next(entry for entry in received if entry[2]["type"] == "takedown")
    late = verifying_receiver([], clock=lambda: time.time() + 360)
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_handler(late)
    signature = {"Courtesy-Signature": headers["Courtesy-Signature"]}
    assert (
        requests.post(httpserver.url_for("/hook"), data=body, headers=signature).status_code == 401
    )
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_handler(verifying_receiver([]))
    tampered = body.replace(b'"hidden"', b'"published"')
    assert (
        requests.post(httpserver.url_for("/hook"), data=tampered, headers=signature).status_code
        == 401
    )


def test_request_status_changes_are_queued_for_the_webhooks(httpserver):
    hook = webhook(httpserver)
    removal_request = approved_request(ItemFactory())
    from compliance.takedowns.state import request_start_processing

    request_start_processing(removal_request=removal_request)
    delivery = Delivery.objects.get(destination=hook, event=Delivery.Event.REQUEST_STATUS)
    assert delivery.payload == {
        "type": "request.status",
        "case": removal_request.reference,
        "reference": removal_request.reference,
        "from": "approved",
        "to": "processing",
    }


def test_every_item_status_change_is_posted_to_the_webhooks(httpserver, settings):
    received = []
    httpserver.expect_request("/hook").respond_with_handler(verifying_receiver(received))
    webhook(httpserver)
    item, _untouched = ItemFactory.create_batch(2)
    officer = UserFactory(is_staff=True, officer=True)
    items_hide(items=Item.objects.filter(pk=item.pk), actor=Actor.staff(officer), reason="by hand")
    items_restore(items=Item.objects.filter(pk=item.pk), actor=Actor.staff(officer), reason="ok")
    assert deliveries_attempt_due(event=Delivery.Event.ITEM_STATUS) == 2
    changes = [(p["from"], p["to"], [i["id"] for i in p["items"]]) for _, _, p in received]
    assert changes == [("published", "hidden", [item.pk]), ("hidden", "published", [item.pk])]
    assert received[0][2]["reason"] == "by hand"
    assert received[0][0]["Courtesy-Event"] == "item.status"


def test_a_failing_destination_is_retried_with_back_off_then_flagged_and_nothing_confirmed(
    site, httpserver, settings
):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    settings.DELIVERY_RETRY_BASE_SECONDS = 10
    httpserver.expect_request("/hook").respond_with_data("down for maintenance", status=503)
    webhook(httpserver)
    removal_request = approved_request(ItemFactory())

    assert processing.request_process(removal_request_id=removal_request.pk) == "waiting"
    delivery = Delivery.objects.get(case=removal_request.reference, event="takedown")
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "answered 503: down for maintenance" in delivery.last_response
    delays = [delivery.next_attempt_at - delivery.last_attempt_at]
    # Not due yet: a sweep now sends nothing.
    assert deliveries_attempt_due(case=removal_request.reference, event="takedown") == 0
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.last_attempt_at)
    assert delivery_attempt(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    delays.append(delivery.next_attempt_at - delivery.last_attempt_at)
    assert [round(d.total_seconds()) for d in delays] == [10, 20]  # doubling back-off
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.last_attempt_at)
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"

    assert processing.request_process(removal_request_id=removal_request.pk) == "flagged"
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.PROCESSING
    assert "Delivery to a destination failed: Syndication partner" in (
        removal_request.attention_needed
    )
    assert "after 3 attempt(s): answered 503" in removal_request.attention_needed
    assert not confirmations(removal_request).exists()
    actions = AuditEvent.objects.filter(case=removal_request.reference).values_list(
        "action", flat=True
    )
    assert list(actions).count("delivery.retrying") == 2
    assert "delivery.failed" in actions


def test_webhooks_keep_to_public_addresses_unless_loopback_is_allowed(site, settings):
    settings.FETCH_ALLOW_LOOPBACK = False
    Destination.objects.create(
        name="Internal", kind="webhook", url="http://10.1.2.3/hook", secret=SECRET
    )
    Destination.objects.create(
        name="Loopback", kind="webhook", url=f"{site.url}/hook", secret=SECRET
    )
    removal_request = approved_request(ItemFactory())
    processing.request_process(removal_request_id=removal_request.pk)
    answers = dict(
        Delivery.objects.filter(case=removal_request.reference, event="takedown").values_list(
            "destination__name", "last_response"
        )
    )
    assert "a private address" in answers["Internal"]
    assert "a loopback address" in answers["Loopback"]


# --- IndexNow --------------------------------------------------------------------------------


def indexnow_stand_in(submissions: list):
    """A search engine's IndexNow endpoint: the protocol's JSON POST, a key of 8 to 128
    letters, digits or dashes, URLs on the host given, and the key file at keyLocation
    (fetched, as engines do) holding the key."""

    def handle(request):
        if request.method != "POST" or not request.content_type.startswith("application/json"):
            return Response("POST JSON", status=400)
        body = json.loads(request.get_data())
        if set(body) != {"host", "key", "keyLocation", "urlList"}:
            return Response(f"fields: {sorted(body)}", status=400)
        key = body["key"]
        if not (8 <= len(key) <= 128) or not key.replace("-", "").isalnum():
            return Response("bad key", status=400)
        if not 1 <= len(body["urlList"]) <= 10_000:
            return Response("1 to 10,000 URLs", status=400)
        if any(requests.utils.urlparse(u).hostname != body["host"] for u in body["urlList"]):
            return Response("URLs must be on the host", status=422)
        found = requests.get(body["keyLocation"], timeout=5)
        if found.status_code != 200 or found.text.strip() != key:
            return Response("key not verified", status=403)
        submissions.append(body)
        return Response("", status=202)

    return handle


def test_removed_urls_are_submitted_to_indexnow_with_a_verifiable_key(site, settings, httpserver):
    settings.SITE_URL = site.url
    submissions = []
    httpserver.expect_request("/indexnow").respond_with_handler(indexnow_stand_in(submissions))
    Destination.objects.create(
        name="IndexNow", kind="indexnow", url=httpserver.url_for("/indexnow"), secret="0123abcd-key"
    )
    items = ItemFactory.create_batch(3)
    removal_request = approved_request(*items)

    assert processing.request_process(removal_request_id=removal_request.pk) == "completed"

    (submission,) = submissions
    assert submission["keyLocation"] == f"{site.url}/0123abcd-key.txt"
    assert sorted(submission["urlList"]) == sorted(f"{site.url}/items/{i.slug}/" for i in items)
    assert "IndexNow (Search engines: IndexNow): 3 URLs submitted (answered 202)" in (
        confirmations(removal_request).get().text_body
    )
    assert requests.get(f"{site.url}/some-other-key.txt").status_code == 404


def test_the_environment_makes_and_updates_its_destinations(settings):
    settings.EDGE_CACHE_URL = "http://127.0.0.1:6081"
    settings.INDEXNOW_KEY = "key-from-the-environment"
    destinations_sync_environment()
    settings.EDGE_CACHE_KIND = "purge"
    destinations_sync_environment()
    rows = {d.from_environment: d for d in Destination.objects.all()}
    assert set(rows) == {"EDGE_CACHE_URL", "INDEXNOW_KEY"}
    assert (rows["EDGE_CACHE_URL"].kind, rows["EDGE_CACHE_URL"].url) == (
        "http-purge",
        "http://127.0.0.1:6081",
    )
    assert rows["INDEXNOW_KEY"].secret == "key-from-the-environment"


def test_officers_configure_destinations_and_it_is_audited():
    officer = UserFactory(is_staff=True, officer=True)
    with pytest.raises(ValueError, match="signing secret"):
        destination_create(
            actor=Actor.staff(officer),
            name="Hook",
            kind="webhook",
            url="https://x.example/",
            secret="short",
        )
    hook = destination_create(
        actor=Actor.staff(officer),
        name="Hook",
        kind="webhook",
        url="https://x.example/",
        secret=SECRET,
    )
    event = AuditEvent.objects.get(action="destination.created")
    assert event.after["secret"] == "(set)" and SECRET not in json.dumps(event.after)
    plain_staff = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        destination_create(
            actor=Actor.staff(plain_staff),
            name="Other",
            kind="webhook",
            url="https://y.example/",
            secret=SECRET,
        )
    assert Destination.objects.filter(pk=hook.pk).exists()


def test_delivery_retry_delay_is_capped(settings):
    from compliance.destinations.services import _retry_delay

    settings.DELIVERY_RETRY_BASE_SECONDS = 10
    settings.DELIVERY_RETRY_MAX_SECONDS = 3600
    assert _retry_delay(1) == timedelta(seconds=10)
    assert _retry_delay(20) == timedelta(seconds=3600)


# --- on a real worker ------------------------------------------------------------------------


@pytest.fixture
def beat(celery_dirs):
    mail_dir, log_dir = celery_dirs
    process = workers.start_beat(mail_dir, log_dir, extra_env={"DELIVERY_SWEEP_SECONDS": "1"})
    yield process
    process.stop()
    workers.purge_queues()  # no sweep left queued for the next test's worker


@pytest.mark.worker
def test_on_a_worker_a_failed_delivery_is_retried_by_the_sweep_and_then_confirmed(
    celery_worker, beat, worker_mail, httpserver
):
    takedown_posts = []

    def flaky(request):
        payload = json.loads(request.get_data())
        if payload["type"] != "takedown":
            return Response("", status=204)
        takedown_posts.append(time.monotonic())
        return Response("busy", status=503 if len(takedown_posts) == 1 else 200)

    httpserver.expect_request("/hook").respond_with_handler(flaky)
    webhook(httpserver)
    removal_request = approved_request(ItemFactory())

    process_takedown.delay(removal_request.pk)

    workers.wait_until(
        lambda: RemovalRequest.objects.get(pk=removal_request.pk).status == "completed",
        timeout=90,
        message=f"not completed\nworker:\n{celery_worker.output()[-4000:]}",
    )
    assert len(takedown_posts) == 2
    # The back-off: the second attempt came DELIVERY_RETRY_BASE_SECONDS (10) after the first.
    assert takedown_posts[1] - takedown_posts[0] >= 9
    assert confirmations(removal_request).count() == 1
    delivery = Delivery.objects.get(case=removal_request.reference, event="takedown")
    assert (delivery.state, delivery.attempts) == ("acknowledged", 2)
