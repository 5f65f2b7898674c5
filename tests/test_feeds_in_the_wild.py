"""Feeds as they are in the wild: Blogger's authors, weblogs at #anchors, photo captions in
Media RSS, markup nested absurdly deep. Synthetic fixtures of the same shapes."""

import time

import pytest

from compliance.items.models import Feed, Item
from compliance.items.parsing import MAX_NESTING, parse_feed
from tests.feedtools import FEEDS, fixture, ingest, summary

pytestmark = pytest.mark.django_db


def test_atom_authors_keep_their_names_and_lose_their_addresses():
    lichens, walk, address_only = parse_feed(fixture("blogger-authors.xml")).entries
    assert lichens.author == "Odile Quarrie"
    assert walk.author == "Odile Quarrie, Bram Tesselaar"
    assert address_only.author == ""  # an address is not a name, and is never published


def test_atom_authors_are_shown_on_the_page(client):
    assert ingest(str(FEEDS / "blogger-authors.xml"))[0] == 0
    item = Item.objects.get(title="Lichens of the old quarry wall")
    page = client.get(f"/items/{item.slug}/").content.decode()
    assert "Odile Quarrie" in page
    assert "noreply@blogger.com" not in page


def test_entries_at_anchors_of_one_page_are_distinct_items_and_repeats_are_not():
    code, stdout, _ = ingest(str(FEEDS / "fragment-permalinks.xml"))
    assert code == 0 and summary(stdout).startswith("new 3,")
    assert sorted(Item.objects.values_list("original_url", flat=True)) == [
        f"https://tidewrack.example/2026/11/04.html#a{n}" for n in (1, 2, 3)
    ]
    # Run again: the same guids and links are the same items.
    code, stdout, _ = ingest(str(FEEDS / "fragment-permalinks.xml"))
    assert summary(stdout).startswith("new 0, updated 0")
    assert Item.objects.count() == 3


def test_an_anchored_entry_under_a_new_guid_is_still_its_item(tmp_path):
    ingest(str(FEEDS / "fragment-permalinks.xml"))
    moved = (
        fixture("fragment-permalinks.xml")
        .replace(b"tidewrack-2026-11-04-a2</guid>", b"tidewrack-new-scheme-a2</guid>")
        .replace(b"left twenty minutes late", b"left twenty-five minutes late")
    )
    path = tmp_path / "moved.xml"
    path.write_bytes(moved)
    assert ingest(str(path))[0] == 0
    assert Item.objects.count() == 3
    noon = Item.objects.get(original_url__endswith="#a2")
    assert "twenty-five" in noon.body


def test_the_article_body_is_preferred_to_a_photo_caption():
    pond, library = parse_feed(fixture("media-captions.xml")).entries
    assert pond.body == "<p>The mill pond froze overnight.</p>"
    assert library.body == "<p>From December the library opens on Sundays.</p>"
    assert pond.photo_credit == "Photo: Ansel Brooke"
    assert pond.image_url == "https://cdn.fennick.example/pond.jpg"


def deep_feed(depth: int) -> bytes:
    body = "<div>" * depth + "deep" + "</div>" * depth
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Deep</title>'
        "<link>https://deep.example/</link>"
        "<item><title>Too deep</title><link>https://deep.example/too-deep</link>"
        f"<guid>deep-1</guid><description><![CDATA[{body}]]></description></item>"
        "<item><title>Fine</title><link>https://deep.example/fine</link>"
        "<guid>deep-2</guid><description>An ordinary entry.</description></item>"
        "</channel></rss>"
    ).encode()


def test_markup_nested_100000_deep_is_refused_as_a_bad_entry_within_a_second(tmp_path):
    content = deep_feed(100_000)
    assert 1_000_000 < len(content) < 2_000_000
    started = time.perf_counter()
    parsed = parse_feed(content)
    assert time.perf_counter() - started < 1.0
    assert [e.title for e in parsed.entries] == ["Fine"]
    assert any("nested more than" in w and "too-deep" in w for w in parsed.warnings)

    path = tmp_path / "deep.xml"
    path.write_bytes(content)
    code, stdout, _ = ingest(str(path))
    assert code == 0 and summary(stdout).startswith("new 1,")
    assert "nested more than" in Feed.objects.get().last_error  # recorded for staff
    assert list(Item.objects.values_list("title", flat=True)) == ["Fine"]


def test_ordinary_nesting_is_kept():
    entry, _ = parse_feed(deep_feed(MAX_NESTING // 2).replace(b"div>", b"blockquote>")).entries
    assert entry.body.count("<blockquote>") == MAX_NESTING // 2 and "deep" in entry.body
