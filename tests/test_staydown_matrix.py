"""One answer to "is this blocked?": every case of the table below gets the same answer from
a direct call of the matcher, from ingest of a new entry, from ingest of an edited entry,
and from the SQL form behind the report's invariant and the periodic re-check.

Each rule kind (a URL rule made from an article, with its guid and text; an author rule;
an origin rule) meets articles that play the feeds' tricks (scheme, `www.`, trailing slash,
tracking parameters, fragments), come back under a new URL with the same text or guid, or
are another site's own, each carried by the origin's own feed or by another origin's.
The expected answer of every row is written out, so the four paths are checked against
the table and not only against each other. The suite runs on SQLite and PostgreSQL.
"""

from dataclasses import dataclass
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from compliance.core.actors import Actor
from compliance.core.normalise import text_fingerprint
from compliance.items.fetching import feed_ingest
from compliance.items.models import BlockRule, Item
from compliance.items.rules import block_rule_create
from compliance.items.status import items_hide_blocked
from compliance.items.staydown import Candidate, best_matches, block_for, published_matches
from compliance.reports.figures import report_figures
from compliance.reports.invariants import published_blocked_items
from compliance.reports.periods import Period
from tests.factories import FeedFactory, OriginFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db

ORIGIN = "origin-a.example"  # the rule's site
CARRIER = "carrier-b.example"  # another site whose feed carries articles
URL = f"https://{ORIGIN}/news/story-one"
GUID = "origin-a-guid-1"
AUTHOR = "Casey Quill"
TEXT = (
    "<p>The invented river authority opened its third weir this morning, after a winter of "
    "floods that left the lower meadows under water for eleven weeks.</p>"
)
OTHER_TEXT = (
    "<p>A different invented article about a bakery that won a prize for its rye loaves, "
    "with enough words in it to make a fingerprint of its own.</p>"
)
EARLIER_TEXT = (
    "<p>An earlier invented version of the entry, before the feed edited it, long enough to "
    "be an article of its own for the fingerprint.</p>"
)


@dataclass(frozen=True)
class Variant:
    name: str
    link: str
    guid: str
    author: str
    body: str
    # The expected match (a staydown Match name, or None) per rule kind, per feed:
    # {"url": (origin's feed, carrier's feed), "author": (...), "origin": (...)}
    expected: dict


def same_article(name, link):
    """The original article under a URL trick: the same text and author, a new guid."""
    everywhere = {"url": ("url", "url"), "author": ("author", "author"), "origin": ("origin",) * 2}
    return Variant(name, link, f"guid-{name}", AUTHOR, TEXT, everywhere)


VARIANTS = [
    same_article("exact", URL),
    same_article("http", f"http://{ORIGIN}/news/story-one"),
    same_article("www", f"https://www.{ORIGIN}/news/story-one"),
    same_article("slash", f"https://{ORIGIN}/news/story-one/"),
    same_article("tracking", f"https://{ORIGIN}/news/story-one?utm_source=feed&fbclid=x1"),
    same_article("fragment", f"https://{ORIGIN}/news/story-one#comments"),
    Variant(
        "new-url-same-text",
        f"https://{ORIGIN}/news/story-one-again",
        "guid-again",
        "Other Person",
        TEXT,
        {"url": ("text", "text"), "author": (None, None), "origin": ("origin", "origin")},
    ),
    Variant(
        "new-url-same-guid",
        f"https://{ORIGIN}/2026/story-1",
        GUID,
        "Other Person",
        OTHER_TEXT,
        {"url": ("guid", "guid"), "author": (None, None), "origin": ("origin", "origin")},
    ),
    Variant(
        "subdomain-same-text",
        f"https://archive.{ORIGIN}/story-one",
        "guid-archive",
        "Other Person",
        TEXT,
        {"url": ("text", "text"), "author": (None, None), "origin": ("origin", "origin")},
    ),
    Variant(
        "same-author-new-url",
        f"https://{ORIGIN}/news/another-story",
        "guid-another",
        AUTHOR,
        OTHER_TEXT,
        {"url": (None, None), "author": ("author", "author"), "origin": ("origin", "origin")},
    ),
    Variant(
        "unrelated",
        f"https://{ORIGIN}/news/unrelated",
        "guid-unrelated",
        "Other Person",
        OTHER_TEXT,
        {"url": (None, None), "author": (None, None), "origin": ("origin", "origin")},
    ),
    # Hosted at the carrier: its own wire copy of the text, its own columnist. Only the
    # origin's own feed publishing them brings them under the origin's rules.
    Variant(
        "carrier-copy-same-text",
        f"https://{CARRIER}/wire/story-one",
        "guid-wire",
        "Other Person",
        TEXT,
        {"url": ("text", None), "author": (None, None), "origin": ("origin", None)},
    ),
    Variant(
        "carrier-page-same-author",
        f"https://{CARRIER}/column",
        "guid-column",
        AUTHOR,
        OTHER_TEXT,
        {"url": (None, None), "author": ("author", None), "origin": ("origin", None)},
    ),
]
CASES = [
    pytest.param(kind, variant, feed, id=f"{kind}-{variant.name}-{feed}-feed")
    for kind in ("url", "author", "origin")
    for variant in VARIANTS
    for feed in ("origin", "carrier")
]


def expected(kind: str, variant: Variant, feed: str) -> str | None:
    return variant.expected[kind][0 if feed == "origin" else 1]


def rss(*, site: str, link: str, guid: str, author: str, body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>A synthetic outlet</title><link>https://{site}/</link>
    <description>Invented for tests.</description>
    <item>
      <title>A synthetic headline</title>
      <link>{escape(link)}</link>
      <guid isPermaLink="false">{escape(guid)}</guid>
      <dc:creator>{escape(author)}</dc:creator>
      <description>{escape(body)}</description>
    </item>
  </channel>
</rss>""".encode()


class World:
    """The two origins, their feeds (served by a local HTTP server) and the rule."""

    def __init__(self, httpserver):
        self.httpserver = httpserver
        self.origin = OriginFactory(domain=ORIGIN)
        self.carrier = OriginFactory(domain=CARRIER)
        self.feeds = {
            "origin": FeedFactory(origin=self.origin, url=httpserver.url_for("/origin.xml")),
            "carrier": FeedFactory(origin=self.carrier, url=httpserver.url_for("/carrier.xml")),
        }
        self.rule = None

    def make_rule(self, kind: str) -> BlockRule:
        request = RemovalRequestFactory(status="processing")
        fields = {
            "url": {"url": URL, "guid": GUID, "text_fingerprint": text_fingerprint(TEXT)},
            "author": {"author": AUTHOR},
            "origin": {},
        }[kind]
        self.rule = block_rule_create(
            kind=kind,
            origin=self.origin,
            actor=Actor.system("process_takedown"),
            case=request.reference,
            **fields,
        )
        return self.rule

    def ingest(self, feed: str, **entry) -> Item:
        site = (self.origin if feed == "origin" else self.carrier).domain
        path = f"/{feed}.xml"
        self.httpserver.clear()
        self.httpserver.expect_request(path).respond_with_data(
            rss(site=site, **entry), content_type="application/rss+xml"
        )
        outcome = feed_ingest(feed_id=self.feeds[feed].pk)
        assert not outcome.failed and not outcome.errors, outcome
        return Item.objects.get(feed=self.feeds[feed], guid=entry["guid"])


def entry(variant: Variant) -> dict:
    return {
        "link": variant.link,
        "guid": variant.guid,
        "author": variant.author,
        "body": variant.body,
    }


@pytest.fixture
def world(httpserver):
    return World(httpserver)


@pytest.mark.parametrize(("kind", "variant", "feed"), CASES)
def test_a_direct_call_and_a_new_entry(world, kind, variant, feed):
    rule = world.make_rule(kind)
    want = expected(kind, variant, feed)
    site = (world.origin if feed == "origin" else world.carrier).domain
    direct = block_for(Candidate.of(origin_domain=site, original_url=variant.link, **{
        "guid": variant.guid, "author": variant.author, "body": variant.body,
    }))  # fmt: skip
    assert (direct.matched_by if direct else None) == want
    assert direct is None or direct.rule == rule

    item = world.ingest(feed, **entry(variant))
    if want is None:
        assert item.status == Item.Status.PUBLISHED
    else:
        assert item.status == Item.Status.WITHHELD
        assert (item.status_rule, item.status_case) == (rule, rule.case)


@pytest.mark.parametrize(("kind", "variant", "feed"), CASES)
def test_an_edited_entry(world, kind, variant, feed):
    # Published before the rule, under an earlier version; then the feed edits it.
    before = world.ingest(
        feed,
        link=variant.link,
        guid=variant.guid,
        author="Someone Earlier",
        body=EARLIER_TEXT,
    )
    assert before.status == Item.Status.PUBLISHED
    rule = world.make_rule(kind)
    item = world.ingest(feed, **entry(variant))
    assert item.pk == before.pk
    if expected(kind, variant, feed) is None:
        assert item.status == Item.Status.PUBLISHED
    else:
        assert item.status == Item.Status.HIDDEN
        assert (item.status_rule, item.status_case) == (rule, rule.case)


@pytest.mark.parametrize(("kind", "variant", "feed"), CASES)
def test_the_report_and_the_recheck(world, kind, variant, feed):
    # Published before the rule existed: only the SQL form can find it now.
    item = world.ingest(feed, **entry(variant))
    rule = world.make_rule(kind)
    want = expected(kind, variant, feed)

    best = best_matches(published_matches())
    assert (best[item.pk].matched_by if item.pk in best else None) == want
    assert {row["item_id"] for row in published_blocked_items()} == ({item.pk} if want else set())

    assert items_hide_blocked() == (1 if want else 0)
    item.refresh_from_db()
    if want is None:
        assert item.status == Item.Status.PUBLISHED
    else:
        assert item.status == Item.Status.HIDDEN
        assert (item.status_rule, item.status_case) == (rule, rule.case)
        assert item.status_reason.startswith("found by the re-check")
    assert published_blocked_items() == []
    utc = ZoneInfo("UTC")
    today = timezone.now().astimezone(utc).date()
    figures = report_figures(period=Period("daily", today, today, utc))
    assert figures["found_by_recheck"] == (1 if want else 0)
    assert figures["invariants"]["published_blocked"] == []
