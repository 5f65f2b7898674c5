"""Takedowns through a real Varnish (deploy/varnish/default.vcl, vmod xkey) in front of
the live server: a page served from the cache answers 451 right after the takedown, the
list, the feed and the sitemap read through the cache no longer show it, and a
restoration brings it back the same way."""

import pytest
import requests

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.destinations.models import Delivery, Destination
from compliance.destinations.services import deliveries_attempt_due
from compliance.takedowns import processing
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.reversal import request_restore, restoration_confirm
from tests.factories import ItemFactory, OriginFactory
from tests.test_takedown_jobs import approved_request, confirmations

pytestmark = pytest.mark.django_db(transaction=True)
# Test items have small ids: all on sitemap page 1.
LISTINGS = ("/", "/feed/", "/sitemap-items-1.xml")


def through(edge, path: str) -> requests.Response:
    return requests.get(f"{edge.url}{path}", timeout=10)


def from_cache(edge, path: str) -> requests.Response:
    """The page read twice through the cache; the second read must be a hit."""
    through(edge, path)
    response = through(edge, path)
    # X-Varnish holds two transaction ids on a hit (this one and the object's).
    assert len(response.headers["X-Varnish"].split()) == 2, f"{path} was not cached"
    return response


@pytest.fixture
def edge(varnish, live_server, settings):
    settings.SELF_CHECK_BASE_URL = live_server.url
    Destination.objects.create(
        name="Edge cache", kind=Destination.Kind.VARNISH_XKEY, url=varnish.url
    )
    return varnish


def test_cached_pages_answer_451_through_varnish_right_after_the_takedown_and_come_back(edge):
    origin = OriginFactory(name="Harbour Gazette")
    target = ItemFactory(origin=origin, title="Invented quay market story")
    other = ItemFactory(origin=origin, title="Invented lighthouse story")
    page = f"/items/{target.slug}/"
    assert from_cache(edge, page).status_code == 200
    from_cache(edge, f"/items/{other.slug}/")
    for path in LISTINGS:
        assert target.slug in from_cache(edge, path).text
    # The keys are for the cache only: readers never see them.
    assert "xkey" not in through(edge, page).headers

    removal_request = approved_request(target)
    assert processing.request_process(removal_request_id=removal_request.pk) == "completed"

    assert through(edge, page).status_code == 451
    for path in LISTINGS:
        listing = through(edge, path)
        assert target.slug not in listing.text and other.slug in listing.text
    delivery = Delivery.objects.get(case=removal_request.reference, event="takedown")
    assert delivery.state == Delivery.State.ACKNOWLEDGED
    assert "objects removed" in delivery.last_response
    assert AuditEvent.objects.filter(
        case=removal_request.reference, action="delivery.acknowledged"
    ).exists()
    # The self-check read through the cache too, and the confirmation says so.
    check = AuditEvent.objects.get(case=removal_request.reference, action="request.self_check")
    assert (check.after["where"], check.after["checked"], check.after["passed"]) == (
        "Edge cache",
        1,
        True,
    )
    mail = confirmations(removal_request).get().text_body
    assert "Edge cache (Edge cache: Varnish xkey purge):" in mail
    assert "Asked through it afterwards, the page answered 451" in mail
    assert "We read those pages through Edge cache, as readers get them." in mail

    # The other item's page, cached before, was not purged: only the keys of the takedown.
    assert len(through(edge, f"/items/{other.slug}/").headers["X-Varnish"].split()) == 2

    request_restore(
        removal_request=RemovalRequest.objects.get(pk=removal_request.pk),
        actor=Actor.system("test"),
        reason="counter-notice upheld",
    )
    # Nothing is confirmed before the cache has been purged and read through.
    assert not removal_request.messages.filter(kind="reversal").exists()
    # What the restoration's queued tasks do (a worker's, in production).
    deliveries_attempt_due(case=removal_request.reference, event="restoration")
    assert through(edge, page).status_code == 200
    for path in LISTINGS:
        assert target.slug in through(edge, path).text
    assert restoration_confirm(removal_request_id=removal_request.pk) == "confirmed"
    assert restoration_confirm(removal_request_id=removal_request.pk) == "already confirmed"
    mail = removal_request.messages.get(kind="reversal").text_body
    assert "Edge cache (Edge cache: Varnish xkey purge): " in mail
    assert "Asked through it afterwards, 1 restored page answered normally." in mail


def test_without_the_purge_the_cache_would_still_serve_the_page(edge):
    """The control: the same takedown with the edge cache switched off after the page was
    cached leaves the cached copy in place, which is what the purge is for."""
    target = ItemFactory()
    page = f"/items/{target.slug}/"
    assert from_cache(edge, page).status_code == 200
    Destination.objects.update(enabled=False)
    assert processing.request_process(removal_request_id=approved_request(target).pk) == (
        "completed"
    )
    assert through(edge, page).status_code == 200


def test_a_cache_without_keys_is_purged_url_by_url(varnish, live_server, settings):
    """EDGE_CACHE_KIND=purge: a PURGE of the item page, the first list page, the feed and
    the item's sitemap page."""
    settings.SELF_CHECK_BASE_URL = live_server.url
    Destination.objects.create(
        name="Plain cache", kind=Destination.Kind.HTTP_PURGE, url=varnish.url
    )
    target = ItemFactory()
    page = f"/items/{target.slug}/"
    for path in (page, *LISTINGS):
        from_cache(varnish, path)

    removal_request = approved_request(target)
    assert processing.request_process(removal_request_id=removal_request.pk) == "completed"

    assert through(varnish, page).status_code == 451
    for path in LISTINGS:
        assert target.slug not in through(varnish, path).text
    delivery = Delivery.objects.get(case=removal_request.reference, event="takedown")
    assert delivery.last_response == "4 URLs purged"
