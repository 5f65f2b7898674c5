"""A change at the origin that withdraws or narrows permission flags the origin and, by its
policy, withholds its new items or hides everything, through the takedown services."""

import pytest

from compliance.audit.models import AuditEvent
from compliance.items.models import Item
from compliance.items.staydown import origin_block
from compliance.licensing.checks import item_licence_check, origin_licence_check
from compliance.licensing.models import LicenceWatch
from tests.factories import FeedFactory, ItemFactory, LicenceBasisFactory, OriginFactory
from tests.licensingtools import Site

pytestmark = pytest.mark.django_db
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_PAGE = f'<html><head><link rel="license" href="{CC_BY}"></head></html>'.encode()
FEED = b"<rss version='2.0'><channel><title>S</title><copyright>%s</copyright></channel></rss>"
PLAIN_PAGE = b"<html><head><title>Synthetic</title></head></html>"


@pytest.fixture
def site(httpserver):
    site = Site(httpserver)
    site.set("/", CC_PAGE)
    site.set("/robots.txt", "robots-plain.txt")
    return site


def cc_origin(site, policy=LicenceWatch.Policy.FLAG):
    basis = LicenceBasisFactory(name="CC BY 4.0", kind="creative_commons", licence_url=CC_BY)
    origin = OriginFactory(
        domain="synthetic-site.example", home_page=site.url("/"), licence_basis=basis
    )
    LicenceWatch.objects.create(origin=origin, policy=policy)
    ItemFactory.create_batch(2, origin=origin)
    return origin


def test_a_licence_link_that_disappears_flags_the_origin_with_an_audited_reason(site):
    origin = cc_origin(site)
    first = origin_licence_check(origin_id=origin.pk)
    assert first.verdict == "CC BY 4.0 offered for articles" and first.contradiction == ""

    site.set("/", PLAIN_PAGE)
    second = origin_licence_check(origin_id=origin.pk)

    assert "CC BY 4.0 licence link gone" in second.narrowed
    assert "permission narrowed" in second.narrowed
    assert second.contradiction.startswith("the basis is CC BY 4.0, but the origin offers no CC")
    origin.refresh_from_db()
    assert "CC BY 4.0 licence link gone" in origin.attention_needed
    event = AuditEvent.objects.get(action="origin.licence_narrowed")
    assert event.before["verdict"] == "CC BY 4.0 offered for articles"
    assert event.after == {"verdict": "no signal", "check": second.pk}
    # Flag only (the default): nothing is blocked or hidden.
    assert origin_block(origin.domain) is None
    assert Item.objects.filter(origin=origin, status="published").count() == 2


def test_policy_withhold_new_blocks_the_origin(site):
    origin = cc_origin(site, LicenceWatch.Policy.WITHHOLD_NEW)
    origin_licence_check(origin_id=origin.pk)
    site.set("/robots.txt", b"User-agent: *\nLicense: /l.rsl\n", content_type="text/plain")
    site.set("/l.rsl", "licence-purchase.rsl")
    site.set("/", PLAIN_PAGE)

    origin_licence_check(origin_id=origin.pk)

    rule = origin_block(origin.domain)
    assert rule is not None
    blocked = AuditEvent.objects.get(action="origin.blocked")
    assert blocked.reason.startswith("licence withdrawn or narrowed at origin:")
    assert "Payment or a licence required" in blocked.reason
    assert Item.objects.filter(origin=origin, status="published").count() == 2


def test_policy_hide_all_hides_everything_from_the_origin(site):
    origin = cc_origin(site, LicenceWatch.Policy.HIDE_ALL)
    origin_licence_check(origin_id=origin.pk)
    site.set("/", "home-none.html")  # all rights reserved, TDM reservation

    check = origin_licence_check(origin_id=origin.pk)

    assert "a TDM reservation appeared" in check.narrowed
    assert origin_block(origin.domain) is not None
    hidden = Item.objects.filter(origin=origin, status="hidden")
    assert hidden.count() == 2
    assert all(i.status_reason.startswith("licence withdrawn or narrowed") for i in hidden)
    assert AuditEvent.objects.filter(action="item.hidden").count() == 2


def test_a_changed_rights_statement_is_a_narrowing(site):
    site.set(
        "/feed.xml",
        FEED % b"CC BY 4.0, Synthetic",
        content_type="application/rss+xml",
    )
    origin = cc_origin(site)
    FeedFactory(origin=origin, url=site.url("/feed.xml"))
    origin_licence_check(origin_id=origin.pk)
    site.set(
        "/feed.xml",
        FEED % b"Synthetic, no reuse",
        content_type="application/rss+xml",
    )

    assert origin_licence_check(origin_id=origin.pk).narrowed == "rights statement changed"


def test_an_unchanged_or_wider_reading_acts_on_nothing(site):
    origin = cc_origin(site, LicenceWatch.Policy.HIDE_ALL)
    site.set("/", PLAIN_PAGE)
    origin_licence_check(origin_id=origin.pk)
    site.set("/", CC_PAGE)
    assert origin_licence_check(origin_id=origin.pk).narrowed == ""
    assert origin_licence_check(origin_id=origin.pk).narrowed == ""
    assert origin_block(origin.domain) is None
    assert not AuditEvent.objects.filter(action="origin.licence_narrowed").exists()


def test_a_basis_the_signals_contradict_is_flagged_at_the_first_reading(site):
    basis = LicenceBasisFactory(
        name="CC BY-NC 4.0",
        kind="creative_commons",
        licence_url="https://creativecommons.org/licenses/by-nc/4.0/",
    )
    origin = OriginFactory(home_page=site.url("/"), licence_basis=basis)

    check = origin_licence_check(origin_id=origin.pk)

    assert check.contradiction == (
        "the basis is CC BY-NC 4.0, but the origin offers CC BY 4.0 "
        "(CC BY 4.0 offered for articles)"
    )
    origin.refresh_from_db()
    assert "contradict the basis" in origin.attention_needed


def test_an_items_page_that_narrows_hides_that_item_under_a_stricter_policy(site):
    origin = cc_origin(site, LicenceWatch.Policy.WITHHOLD_NEW)
    site.set("/news/a", CC_PAGE)
    item = ItemFactory(origin=origin, original_url=site.url("/news/a"))
    item_licence_check(item_id=item.pk)
    site.set("/news/a", PLAIN_PAGE)

    item_licence_check(item_id=item.pk)

    item.refresh_from_db()
    assert item.status == "hidden" and "licence link gone" in item.status_reason
    assert Item.objects.filter(origin=origin, status="published").count() == 2
