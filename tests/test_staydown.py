"""Stay-down at ingest: active block rules keep content from coming back, whatever tricks
the feed plays with guids, URLs and markup; anything they do not cover is published."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.core.normalise import author_key, normalise_url, text_fingerprint, url_key
from compliance.items.fetching import feed_ingest
from compliance.items.models import BlockRule, Item
from compliance.items.sources import feed_ingest_source
from compliance.items.staydown import Candidate, block_for
from tests.factories import (
    BlockRuleFactory,
    FeedFactory,
    LicenceBasisFactory,
    OriginFactory,
    RemovalRequestFactory,
)

pytestmark = pytest.mark.django_db

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
RSS2 = (FEEDS / "rss2.xml").read_bytes()
QUAY_URL = "https://www.harbour-gazette.example/news/quay-market-indoors"
QUAY_BODY = (
    "<p>Stallholders at the Saturday quay market will trade from the old net loft\n"
    "until March, after gales tore two awnings from their moorings last weekend.</p>"
)


@pytest.fixture
def origin():
    return OriginFactory(domain="harbour-gazette.example", name="Harbour Gazette")


@pytest.fixture
def ingest_feed(httpserver, origin):
    """Serve `content` as the Harbour Gazette's feed and ingest it; returns the outcome."""
    feed = FeedFactory(origin=origin, url=httpserver.url_for("/feed.xml"))

    def run(content: bytes = RSS2):
        httpserver.clear()
        httpserver.expect_request("/feed.xml").respond_with_data(
            content, content_type="application/rss+xml"
        )
        return feed_ingest(feed_id=feed.pk)

    return run


def url_rule(origin, url=QUAY_URL, body=QUAY_BODY, **fields):
    return BlockRuleFactory(
        kind=BlockRule.Kind.URL,
        origin=origin,
        url=normalise_url(url),
        url_key=url_key(url),
        text_fingerprint=text_fingerprint(body),
        **fields,
    )


def statuses():
    return dict(Item.objects.values_list("guid", "status"))


def test_a_url_rule_withholds_the_article_under_its_old_guid(ingest_feed, origin):
    request = RemovalRequestFactory()
    rule = url_rule(origin, request=request)
    outcome = ingest_feed()
    assert (outcome.new, outcome.withheld) == (2, 1)
    quay = Item.objects.get(guid="hg-2026-0003")
    assert quay.status == Item.Status.WITHHELD
    assert (quay.status_rule, quay.status_case) == (rule, request.reference)
    assert quay.status_reason == f"block rule: {rule}"
    assert quay.disclaimer == "" and quay.republished_at is None
    event = AuditEvent.objects.for_object(quay).get()
    assert (event.action, event.after["rule"], event.case) == (
        "item.withheld",
        rule.pk,
        request.reference,
    )


def test_a_rule_is_recorded_even_when_the_licence_has_also_lapsed(ingest_feed, origin, client):
    # Both keep the article down, but only the rule is a takedown: it is what the item must
    # record (and its 451 name), not the licence, which staff may renew and restore.
    origin.licence_basis = LicenceBasisFactory(expires_at=timezone.now() - timedelta(days=1))
    origin.save()
    request = RemovalRequestFactory()
    rule = url_rule(origin, request=request)
    outcome = ingest_feed()
    assert (outcome.new, outcome.withheld) == (0, 3)
    quay = Item.objects.get(guid="hg-2026-0003")
    assert (quay.status, quay.status_rule, quay.status_case) == (
        "withheld",
        rule,
        request.reference,
    )
    assert quay.status_reason == f"block rule: {rule}"
    assert request.reference in client.get(f"/items/{quay.slug}/").content.decode()

    # Likewise an origin blocked by a request.
    rule.is_active = False
    rule.save()
    Item.objects.all().delete()
    block = BlockRuleFactory(
        kind=BlockRule.Kind.ORIGIN, origin=origin, domain=origin.domain, request=request
    )
    ingest_feed()
    assert set(Item.objects.values_list("status_reason", "status_case", "status_rule")) == {
        (f"block rule: {block}", request.reference, block.pk)
    }


@pytest.mark.parametrize(
    "variant",
    [
        "http://harbour-gazette.example/news/quay-market-indoors/",
        "https://harbour-gazette.example/news/quay-market-indoors?utm_source=rss&fbclid=x1",
        "https://WWW.Harbour-Gazette.example/news/quay-market-indoors/#comments",
        "http://www.harbour-gazette.example/news//quay-market-indoors?mc_cid=7&utm_medium=a",
    ],
)
def test_a_url_rule_survives_a_new_guid_and_url_tricks(ingest_feed, origin, variant):
    rule = url_rule(origin, body="")  # by URL only
    content = RSS2.replace(b"hg-2026-0003", b"hg-2026-0003-second-life").replace(
        QUAY_URL.encode(), variant.replace("&", "&amp;").encode()
    )
    ingest_feed(content)
    quay = Item.objects.get(guid="hg-2026-0003-second-life")
    assert (quay.status, quay.status_rule) == (Item.Status.WITHHELD, rule)


def test_the_same_text_under_a_totally_new_url_is_caught_by_its_fingerprint(ingest_feed, origin):
    rule = url_rule(origin)
    rewrapped = (
        b"<![CDATA[<div><p>Stallholders at the Saturday quay market   will trade from the old "
        b"net loft until March,</p> <p>after gales tore two awnings from their moorings last "
        b"weekend.</p></div>]]>"
    )
    start = RSS2.index(b"<![CDATA[<p>Stallholders")
    end = RSS2.index(b"]]>", start) + 3
    content = (
        (RSS2[:start] + rewrapped + RSS2[end:])
        .replace(b"hg-2026-0003", b"reissue-9")
        .replace(QUAY_URL.encode(), b"https://archive.harbour-gazette.example/2026/item-77")
    )
    ingest_feed(content)
    reissue = Item.objects.get(guid="reissue-9")
    assert (reissue.status, reissue.status_rule) == (Item.Status.WITHHELD, rule)


def test_an_author_rule_ignores_case_and_white_space_and_spares_other_authors(ingest_feed, origin):
    BlockRuleFactory(
        kind=BlockRule.Kind.AUTHOR,
        origin=origin,
        domain=origin.domain,
        author="  MIRELA   quance ",
        author_key=author_key("  MIRELA   quance "),
    )
    outcome = ingest_feed()
    assert (outcome.new, outcome.withheld) == (1, 2)
    assert statuses() == {
        "hg-2026-0001": "withheld",  # Mirela Quance
        "https://www.harbour-gazette.example/news/lighthouse-cottages-museum": "published",
        "hg-2026-0003": "withheld",  # Mirela Quance
    }


def test_an_author_rule_at_another_origin_does_not_apply(ingest_feed, origin):
    other = OriginFactory(domain="valley-courier.example")
    BlockRuleFactory(
        kind=BlockRule.Kind.AUTHOR,
        origin=other,
        domain=other.domain,
        author="Mirela Quance",
        author_key=author_key("Mirela Quance"),
    )
    assert ingest_feed().withheld == 0


def test_an_origin_rule_covers_its_subdomains(httpserver):
    parent = OriginFactory(domain="harbour-gazette.example")
    rule = BlockRuleFactory(kind=BlockRule.Kind.ORIGIN, origin=parent, domain=parent.domain)
    content = RSS2.replace(
        b"<link>https://www.harbour-gazette.example/</link>",
        b"<link>https://sport.harbour-gazette.example/</link>",
    )
    httpserver.expect_request("/sport.xml").respond_with_data(content)
    outcome = feed_ingest_source(source=httpserver.url_for("/sport.xml"))
    assert outcome.withheld == 3 and outcome.new == 0
    assert Item.objects.first().origin.domain == "sport.harbour-gazette.example"
    assert set(Item.objects.values_list("status_rule", flat=True)) == {rule.pk}


def test_inactive_rules_do_not_match(ingest_feed, origin):
    url_rule(origin, is_active=False)
    BlockRuleFactory(
        kind=BlockRule.Kind.ORIGIN, origin=origin, domain=origin.domain, is_active=False
    )
    outcome = ingest_feed()
    assert (outcome.new, outcome.withheld) == (3, 0)


def test_after_a_takedown_the_feed_brings_nothing_back_but_new_work_is_published(
    ingest_feed, origin
):
    """The issue's scenario, with a URL-scope request "now and in the future"."""
    ingest_feed()
    quay = Item.objects.get(guid="hg-2026-0003")
    Item.objects.filter(pk=quay.pk).update(status=Item.Status.HIDDEN)  # done by the takedown
    BlockRuleFactory(item=quay)
    new_article = b"""<channel><item><title>Harbour seals counted from the breakwater</title>
      <link>https://www.harbour-gazette.example/news/seal-count</link>
      <guid isPermaLink="false">hg-2026-0004</guid><dc:creator>Mirela Quance</dc:creator>
      <description>Volunteers counted forty-one invented harbour seals hauled out on the
      breakwater rocks at low tide, the highest count in the survey's short history.
      </description></item>"""
    content = (
        RSS2.replace(b"<channel>", new_article, 1)
        .replace(b"hg-2026-0003", b"hg-2026-0003-b")
        .replace(QUAY_URL.encode(), QUAY_URL.encode() + b"?utm_source=newsletter")
    )
    outcome = ingest_feed(content)
    assert (outcome.new, outcome.updated, outcome.withheld) == (1, 0, 0)
    assert Item.objects.filter(url_key=quay.url_key).count() == 1
    quay.refresh_from_db()
    assert quay.status == Item.Status.HIDDEN
    assert Item.objects.get(guid="hg-2026-0004").status == Item.Status.PUBLISHED


# --- The matching function itself ----------------------------------------------------------


def block_rule_matching(*, domain, url_key="", author_key="", text_fingerprint=""):
    block = block_for(
        Candidate(
            origin_domain=domain,
            url_key=url_key,
            author_key=author_key,
            text_fingerprint=text_fingerprint,
        )
    )
    return block.rule if block else None


def test_block_rule_matching_by_kind(origin):
    url = url_rule(origin)
    author = BlockRuleFactory(
        kind=BlockRule.Kind.AUTHOR,
        origin=origin,
        domain=origin.domain,
        author="Pellam Voss",
        author_key="pellam voss",
    )
    whole = BlockRuleFactory(
        kind=BlockRule.Kind.ORIGIN, origin=OriginFactory(domain="fen.example"), domain="fen.example"
    )
    nothing = {"url_key": "", "author_key": "", "text_fingerprint": ""}
    assert (
        block_rule_matching(
            domain="elsewhere.example", **{**nothing, "url_key": url_key(QUAY_URL + "?utm_term=x")}
        )
        == url
    )
    # The same text comes back at its origin (or a subdomain of it) under any URL...
    for domain in ("harbour-gazette.example", "archive.harbour-gazette.example"):
        assert (
            block_rule_matching(
                domain=domain, **{**nothing, "text_fingerprint": text_fingerprint(QUAY_BODY)}
            )
            == url
        )
    # ...but another site carrying the same text (a wire story it licensed) is not this
    # request's: the rule does not reach it.
    assert (
        block_rule_matching(
            domain="elsewhere.example",
            **{**nothing, "text_fingerprint": text_fingerprint(QUAY_BODY)},
        )
        is None
    )
    assert (
        block_rule_matching(
            domain="WWW.Harbour-Gazette.example", **{**nothing, "author_key": "pellam voss"}
        )
        == author
    )
    assert block_rule_matching(domain="fen.example", **nothing) == whole
    assert block_rule_matching(domain="a.b.fen.example", **nothing) == whole
    assert block_rule_matching(domain="notfen.example", **nothing) is None
    assert block_rule_matching(domain="fen.example.org", **nothing) is None
    assert block_rule_matching(domain="harbour-gazette.example", **nothing) is None


def test_block_rule_matching_costs_a_fixed_number_of_queries(origin, django_assert_num_queries):
    for n in range(30):
        url_rule(origin, url=f"{QUAY_URL}-{n}", body=f"<p>{'invented words ' * 8} {n}</p>")
    candidate = {
        "domain": "harbour-gazette.example",
        "url_key": url_key("https://harbour-gazette.example/news/unrelated"),
        "author_key": "someone else",
        "text_fingerprint": text_fingerprint("<p>" + "other words " * 10 + "</p>"),
    }
    with django_assert_num_queries(1):  # one OR of indexed lookups, whatever the rules
        assert block_rule_matching(**candidate) is None


def test_an_edit_that_makes_a_published_article_match_a_rule_takes_it_down(ingest_feed, origin):
    ingest_feed()
    first = Item.objects.get(guid="hg-2026-0001")
    assert first.status == Item.Status.PUBLISHED
    request = RemovalRequestFactory()
    BlockRuleFactory(
        kind=BlockRule.Kind.AUTHOR,
        origin=origin,
        domain=origin.domain,
        author="Pellam Voss",
        author_key="pellam voss",
        case=request.reference,
    )
    edited = RSS2.replace(
        b"<dc:creator>Mirela Quance</dc:creator>", b"<dc:creator>Pellam Voss</dc:creator>", 1
    )
    outcome = ingest_feed(edited)
    assert (outcome.updated, outcome.withheld) == (0, 1)
    first.refresh_from_db()
    assert first.status == Item.Status.HIDDEN and first.status_case == request.reference
    assert AuditEvent.objects.for_object(first).filter(action="item.hidden").exists()
