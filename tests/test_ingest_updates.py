"""Ingest of entries already seen: updates, deduplication across guids, URLs and feeds,
the texts frozen at publication, licences, and entries that cannot be stored."""

from datetime import timedelta

import pytest
import time_machine

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.items import fetching
from compliance.items.models import Feed, Item, LicenceBasis, Origin
from compliance.items.rules import origin_block_create
from tests.factories import FeedFactory, ItemFactory, LicenceBasisFactory, OriginFactory
from tests.feedtools import (
    NOW,
    SUMMARY_NOTHING,
    fixture,
    harbour_feed,
    ingest,
    serve,
    summary,
)

pytestmark = pytest.mark.django_db


# --- Updates, deduplication and frozen texts -----------------------------------------------


def test_the_same_article_under_a_new_guid_and_a_tracking_url_is_not_duplicated(httpserver):
    feed = harbour_feed(httpserver)
    fetching.feed_ingest(feed_id=feed.pk)
    changed = (
        fixture("rss2.xml")
        .replace(b"hg-2026-0003", b"hg-2026-0003-reissued")
        .replace(
            b"https://www.harbour-gazette.example/news/quay-market-indoors",
            b"http://harbour-gazette.example/news/quay-market-indoors/?utm_campaign=autumn#top",
        )
    )
    httpserver.clear()
    serve(httpserver, changed)
    code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, SUMMARY_NOTHING)
    assert Item.objects.count() == 3


def test_another_origin_s_feed_carrying_the_same_article_changes_nothing(httpserver):
    # A second site's feed (an aggregator, a scraper) links to an article we already hold:
    # it is the same article, so nothing new is stored, and its text never replaces the
    # origin's under the origin's frozen attribution.
    feed = harbour_feed(httpserver)
    fetching.feed_ingest(feed_id=feed.pk)
    copycat = (
        fixture("rss2.xml")
        .replace(b"https://www.harbour-gazette.example/</link>", b"https://copycat.example/</link>")
        .replace(b"Ferry timetable redrawn after tide survey", b"Ferry chaos: read it here")
        .replace(b"hg-2026-", b"cc-")
    )
    other = FeedFactory(
        origin=OriginFactory(domain="copycat.example"),
        url=serve(httpserver, copycat, path="/copycat.xml"),
    )

    outcome = fetching.feed_ingest(feed_id=other.pk)

    assert (outcome.new, outcome.updated, outcome.withheld) == (0, 0, 0)
    ferry = Item.objects.get(guid="hg-2026-0001")
    assert (ferry.title, ferry.origin) == ("Ferry timetable redrawn after tide survey", feed.origin)
    assert Item.objects.count() == 3


def test_a_changed_article_is_updated_but_its_frozen_texts_are_not(httpserver):
    basis = LicenceBasisFactory()
    feed = harbour_feed(httpserver, basis=basis)
    fetching.feed_ingest(feed_id=feed.pk)
    ferry = Item.objects.get(guid="hg-2026-0001")
    frozen = (
        ferry.licence_note,
        ferry.licence_note_sha256,
        ferry.disclaimer,
        ferry.disclaimer_sha256,
        ferry.republished_at,
        ferry.slug,
    )

    # Later edits of what the texts are made from...
    Origin.objects.filter(pk=feed.origin_id).update(
        name="Harbour Gazette & Mercury",
        disclaimer_template="Borrowed from {{ origin.name }}; ask {{ contact_email }}.",
    )
    LicenceBasis.objects.filter(pk=basis.pk).update(name="Renamed basis")
    # ...and a new version of the article, plus a brand-new one.
    changed = (
        fixture("rss2.xml")
        .replace(b"Ferry timetable redrawn after tide survey", b"Ferry timetable redrawn again")
        .replace(
            b"<channel>",
            b"""<channel><item><title>Net loft reopens</title>
        <link>https://www.harbour-gazette.example/news/net-loft-reopens</link>
        <guid>hg-2026-0010</guid><description>The old net loft on the quay reopened
        on Saturday as a winter market hall with room for thirty invented stalls.</description>
        </item>""",
            1,
        )
    )
    httpserver.clear()
    serve(httpserver, changed)
    code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, "new 1, updated 1, withheld 0, failed 0")

    ferry.refresh_from_db()
    assert ferry.title == "Ferry timetable redrawn again"
    assert (
        ferry.licence_note,
        ferry.licence_note_sha256,
        ferry.disclaimer,
        ferry.disclaimer_sha256,
        ferry.republished_at,
        ferry.slug,
    ) == frozen
    assert AuditEvent.objects.for_object(ferry).filter(action="item.updated").count() == 1
    # The new item is rendered from the edited template, as plain text (no escaping).
    new = Item.objects.get(guid="hg-2026-0010")
    assert new.disclaimer == "Borrowed from Harbour Gazette & Mercury; ask removals@example.org."
    assert new.licence_note == "Licence: Renamed basis (Public feed, educational use)"


def test_hidden_and_withheld_items_are_never_updated_or_brought_back(httpserver):
    feed = harbour_feed(httpserver)
    fetching.feed_ingest(feed_id=feed.pk)
    Item.objects.filter(guid="hg-2026-0001").update(status=Item.Status.HIDDEN)
    Item.objects.filter(guid="hg-2026-0003").update(status=Item.Status.WITHHELD)
    changed = (
        fixture("rss2.xml")
        .replace(b"Ferry timetable", b"Ferry timetables")
        .replace(b"Quay market moves", b"Quay market finally moves")
    )
    httpserver.clear()
    serve(httpserver, changed)
    code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, SUMMARY_NOTHING)
    hidden, withheld = Item.objects.get(guid="hg-2026-0001"), Item.objects.get(guid="hg-2026-0003")
    assert (hidden.status, hidden.title) == ("hidden", "Ferry timetable redrawn after tide survey")
    assert (withheld.status, withheld.title) == (
        "withheld",
        "Quay market moves indoors for the storm season",
    )


def test_a_licence_basis_gives_the_note_and_the_disclaimer(httpserver):
    basis = LicenceBasisFactory(
        name="CC BY 4.0",
        kind=LicenceBasis.Kind.CREATIVE_COMMONS,
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    )
    feed = harbour_feed(httpserver, basis=basis)
    fetching.feed_ingest(feed_id=feed.pk)
    item = Item.objects.get(guid="hg-2026-0001")
    assert item.licence_basis == basis
    assert item.licence_note == (
        "Licence: CC BY 4.0 (Creative Commons licence), https://creativecommons.org/licenses/by/4.0/"
    )
    assert (
        "republished here from the public RSS feed offered by the host site under the "
        "CC BY 4.0 licence." in item.disclaimer
    )


@pytest.mark.parametrize(
    ("validity", "reason"),
    [
        ({"expires_at": NOW - timedelta(days=1)}, "licence expired"),
        ({"valid_from": NOW + timedelta(days=1)}, "licence not yet valid"),
    ],
)
def test_an_expired_or_future_licence_withholds_new_items(httpserver, validity, reason):
    feed = harbour_feed(httpserver, basis=LicenceBasisFactory(**validity))
    with time_machine.travel(NOW, tick=False):
        code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, "new 0, updated 0, withheld 3, failed 0")
    for item in Item.objects.all():
        assert item.status == Item.Status.WITHHELD
        assert item.status_reason.startswith(reason)
        assert item.republished_at is None
        assert (item.disclaimer, item.licence_note, item.disclaimer_sha256) == ("", "", "")
        event = AuditEvent.objects.for_object(item).get()
        assert (event.action, event.reason) == ("item.withheld", item.status_reason)


def test_a_blocked_origin_gets_nothing_published(httpserver):
    feed = harbour_feed(httpserver)
    origin_block_create(origin=feed.origin, actor=Actor.system("test"), reason="blocked")
    fetching.feed_ingest(feed_id=feed.pk)
    assert set(Item.objects.values_list("status", "status_reason")) == {
        ("withheld", "block rule: Origin harbour-gazette.example")
    }


@pytest.mark.parametrize(
    "template",
    ["{% if %}", '{% include "no-such-template.txt" %}'],  # broken to compile, or to render
)
def test_a_broken_disclaimer_template_withholds_and_flags_the_origin(httpserver, template):
    feed = harbour_feed(httpserver, disclaimer_template=template)
    fetching.feed_ingest(feed_id=feed.pk)
    assert not Item.objects.published().exists()
    assert Item.objects.filter(status_reason__startswith="disclaimer template error").count() == 3
    assert "disclaimer template" in Origin.objects.get().attention_needed


def test_slugs_stay_unique_when_titles_repeat(httpserver):
    ItemFactory(slug="ferry-timetable-redrawn-after-tide-survey")
    feed = harbour_feed(httpserver)
    fetching.feed_ingest(feed_id=feed.pk)
    assert Item.objects.get(guid="hg-2026-0001").slug == (
        "ferry-timetable-redrawn-after-tide-survey-2"
    )


def test_titles_slugify_cannot_spell_get_a_slug_from_their_guid():
    from compliance.items.ingest import _slug_base

    first = _slug_base("Новости гавани", "guid-one")
    second = _slug_base("港口新闻", "guid-two")
    assert first.startswith("item-") and second.startswith("item-") and first != second


def test_entries_without_a_link_or_with_a_repeated_guid_are_skipped_with_a_warning(httpserver):
    url = serve(httpserver, fixture("missing-guids.xml"), path="/notes.xml")
    dup = serve(httpserver, fixture("duplicate-guids.xml"), path="/dup.xml")
    code, out, _ = ingest(url, dup)
    assert (code, summary(out)) == (0, "new 3, updated 0, withheld 0, failed 0")
    assert Item.objects.filter(guid="https://fenwick-almanac.example/notes/curlews-return-early")
    assert Item.objects.get(guid="fa-0042").title == "Reed cutting season opens on the north fen"
    notes = Feed.objects.get(url=url)
    assert notes.last_outcome == "ok"
    assert "no http(s) link" in notes.last_error
    assert "duplicate guid" in Feed.objects.get(url=dup).last_error


def test_non_utf8_and_hostile_feeds_are_stored_decoded_and_clean(httpserver):
    latin = serve(httpserver, fixture("latin1.xml"), path="/latin1.xml")
    hostile = serve(httpserver, fixture("hostile.xml"), path="/hostile.xml")
    ingest(latin, hostile)
    assert Item.objects.get(guid="pc-0007").title == "Le marché aux crêpes rouvre sur la jetée"
    body = Item.objects.get(guid="hg-hostile-1").body
    assert "<script" not in body and "onerror" not in body and "javascript:" not in body
