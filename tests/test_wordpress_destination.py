"""WordPress as a destination, against a real WordPress: a takedown unpublishes the item's
post and is confirmed only once the post's public page is gone; a restoration publishes it
again; a wrong password or a site that is down flags the request, and nothing is
confirmed."""

import pytest

from compliance.core.actors import Actor
from compliance.destinations.models import Delivery, Destination
from compliance.destinations.services import deliveries_attempt_due, delivery_attempt
from compliance.takedowns import processing
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.reversal import request_restore, restoration_confirm
from compliance.wordpress.configuration import wordpress_site_create
from compliance.wordpress.models import WordPressPost
from compliance.wordpress.sync import site_sync
from tests.factories import ItemFactory, OriginFactory
from tests.test_takedown_jobs import approved_request, confirmations
from tests.test_wordpress import _imported, _unique
from tests.wordpresstools import free_port

pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system("test")


@pytest.fixture
def site(live_server, settings):
    settings.SELF_CHECK_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def republished(wordpress):
    """An item of ours and the post an importer made of it, linked by a sweep."""
    origin = OriginFactory(domain=f"tides-{_unique()}.example")
    item = ItemFactory(origin=origin, original_url=f"https://{origin.domain}/news/{_unique()}")
    post = _imported(wordpress, item.original_url)
    connected = wordpress_site_create(
        actor=SYSTEM,
        name=f"Reader {_unique()}",
        base_url=wordpress.url,
        username=wordpress.user,
        password=wordpress.password,
    )
    site_sync(site_id=connected.pk)
    assert WordPressPost.objects.get(site=connected, post_id=post["id"]).item == item
    return item, post, connected


def test_a_connected_site_is_a_destination(republished):
    _, _, connected = republished
    assert connected.destination.kind == Destination.Kind.WORDPRESS
    assert connected.destination.url == connected.base_url and connected.destination.enabled


def test_a_takedown_is_confirmed_only_once_the_post_is_gone_and_a_restoration_brings_it_back(
    site, wordpress, republished
):
    item, post, connected = republished
    removal_request = approved_request(item)

    assert processing.request_process(removal_request_id=removal_request.pk) == "completed"

    assert wordpress.post(post["id"])["status"] == "draft"
    assert wordpress.reader_status(post["link"]) == 404
    delivery = Delivery.objects.get(
        case=removal_request.reference, event="takedown", destination=connected.destination
    )
    assert delivery.state == "acknowledged"
    assert f"1 post(s) unpublished on {connected.name}" in delivery.last_response
    assert "answered 404" in delivery.last_response
    mail = confirmations(removal_request).get().text_body
    assert f"WordPress: {connected.name} (WordPress site): 1 post(s) unpublished" in mail

    request_restore(
        removal_request=RemovalRequest.objects.get(pk=removal_request.pk),
        actor=SYSTEM,
        reason="counter-notice upheld",
    )
    deliveries_attempt_due(case=removal_request.reference, event="restoration")
    assert wordpress.post(post["id"])["status"] == "publish"
    assert wordpress.reader_status(post["link"]) == 200
    assert restoration_confirm(removal_request_id=removal_request.pk) == "confirmed"
    assert "1 post(s) published again" in removal_request.messages.get(kind="reversal").text_body


@pytest.mark.parametrize("trouble", ["wrong password", "site down"])
def test_a_site_that_refuses_or_is_down_flags_the_request_and_nothing_is_confirmed(
    site, wordpress, republished, settings, trouble
):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    item, post, connected = republished
    if trouble == "wrong password":
        connected.set_password("wrong wrong wrong wrong")
        connected.save()
    else:
        connected.base_url = f"http://127.0.0.1:{free_port()}/"
        connected.save()
    removal_request = approved_request(item)

    assert processing.request_process(removal_request_id=removal_request.pk) == "waiting"
    delivery = Delivery.objects.get(
        case=removal_request.reference, destination=connected.destination
    )
    expected = "refused the credentials" if trouble == "wrong password" else "cannot reach"
    assert expected in delivery.last_response
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.last_attempt_at)
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"

    assert processing.request_process(removal_request_id=removal_request.pk) == "flagged"
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.PROCESSING
    assert f"WordPress: {connected.name}" in removal_request.attention_needed
    assert not confirmations(removal_request).exists()
    assert wordpress.post(post["id"])["status"] == "publish"  # nothing changed there
