"""/feed/ (RSS 2.0 with attribution) and /sitemap.xml list published items only."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from compliance.items import sitemap_pages as sitemap_pages_module
from compliance.items.models import Item
from compliance.web import sitemaps
from tests.factories import FeedFactory, ItemFactory, OriginFactory

pytestmark = pytest.mark.django_db

DC = "{http://purl.org/dc/elements/1.1/}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def mixed_items():
    """Two published items (one from a feed on the web), one hidden, one withheld."""
    now = timezone.now()
    feed = FeedFactory(url="https://lantern.example/rss.xml")
    newer = ItemFactory(
        origin=feed.origin,
        feed=feed,
        title="Lantern makers gather at the quay",
        author="Tamsin Wick",
        republished_at=now,
    )
    older = ItemFactory(title="Salt marsh survey ends", republished_at=now - timedelta(hours=3))
    hidden = ItemFactory(title="Hidden item headline", status=Item.Status.HIDDEN)
    withheld = ItemFactory(title="Withheld item headline", status=Item.Status.WITHHELD)
    return {"newer": newer, "older": older, "hidden": hidden, "withheld": withheld}


def rss_items(response) -> list[ET.Element]:
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)  # raises on anything that is not well-formed
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.findall("./channel/item")


def test_feed_lists_published_items_with_their_attribution(client, mixed_items):
    newer, older = mixed_items["newer"], mixed_items["older"]

    items = rss_items(client.get("/feed/"))

    assert [item.findtext("title") for item in items] == [newer.title, older.title]
    first = items[0]
    assert first.findtext("link") == f"http://testserver/items/{newer.slug}/"
    assert first.findtext(f"{DC}source") == newer.original_url
    assert first.findtext(f"{DC}creator") == "Tamsin Wick"
    assert first.findtext(f"{DC}rights") == newer.licence_note
    source = first.find("source")
    assert (source.text, source.get("url")) == (
        newer.origin.name,
        "https://lantern.example/rss.xml",
    )
    # An item whose feed is not on the web names its origin's home page instead.
    assert items[1].find("source").get("url") == older.origin.home_page
    description = first.findtext("description")
    assert f'<img src="{newer.image_url}" alt=""><figcaption>{newer.photo_credit}<' in description
    assert "<p>Paragraph one of synthetic article" in description
    assert newer.disclaimer in description
    assert "Author: Tamsin Wick" in description


def test_feed_leaves_out_hidden_and_withheld_items(client, mixed_items):
    response = client.get("/feed/")

    items = rss_items(response)
    text = response.content.decode()
    for key in ("hidden", "withheld"):
        assert mixed_items[key].title not in text
        assert mixed_items[key].slug not in text
    assert len(items) == 2


def test_feed_channel_and_cache_headers(client, mixed_items):
    response = client.get("/feed/")

    channel = ET.fromstring(response.content).find("channel")
    assert channel.findtext("link") == "http://testserver/"
    # Cached at the edge (purged by key on a takedown), briefly by browsers.
    assert {"public", "s-maxage=86400", "max-age=60", "stale-while-revalidate=30"} == {
        part.strip() for part in response["Cache-Control"].split(",")
    }
    # Its keys name every item it shows and their origins, and the lists.
    shown = [mixed_items["newer"], mixed_items["older"]]
    keys = set(response["xkey"].split())
    assert keys == {"lists"} | {f"item-{i.pk}" for i in shown} | {
        f"origin-{i.origin_id}" for i in shown
    }
    assert response["Surrogate-Key"] == response["xkey"]


def test_feed_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    ItemFactory.create_batch(3, feed=FeedFactory())
    with django_assert_num_queries(1):
        client.get("/feed/")
    ItemFactory.create_batch(30)
    with django_assert_num_queries(1):
        assert len(rss_items(client.get("/feed/"))) == 33


def sitemap_locations(response) -> list[str]:
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    return [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]


def sitemap_pages(client) -> list[str]:
    """The page URLs the sitemap index at /sitemap.xml lists."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}sitemapindex"
    return [entry.findtext(f"{SITEMAP}loc") for entry in root.findall(f"{SITEMAP}sitemap")]


def all_sitemap_locations(client) -> list[str]:
    return [
        location
        for page in sitemap_pages(client)
        for location in sitemap_locations(client.get(urlsplit(page).path))
    ]


def test_sitemap_lists_published_item_pages_only(client, mixed_items, settings):
    settings.SITE_URL = "https://copies.example"

    assert sitemap_pages(client) == ["https://copies.example/sitemap-items-1.xml"]
    response = client.get("/sitemap-items-1.xml")

    assert response.status_code == 200
    assert sitemap_locations(response) == [
        f"https://copies.example/items/{mixed_items['newer'].slug}/",
        f"https://copies.example/items/{mixed_items['older'].slug}/",
    ]
    assert "s-maxage=86400" in response["Cache-Control"]
    assert response["xkey"] == response["Surrogate-Key"] == "sitemap sitemap-1"
    assert client.get("/sitemap.xml")["xkey"] == "sitemap"


def test_sitemap_pages_hold_items_by_primary_key_range(client, monkeypatch):
    """Page N holds pks (N-1)*size+1 .. N*size: an item never moves to another page, and
    the index lists every page up to the highest published item's."""
    monkeypatch.setattr(sitemap_pages_module, "SITEMAP_PAGE_SIZE", 2)
    items = ItemFactory.create_batch(5)
    Item.objects.filter(pk=items[2].pk).update(status=Item.Status.HIDDEN)
    page_of = sitemaps.sitemap_page_of

    pages = [urlsplit(page).path for page in sitemap_pages(client)]

    assert pages == [f"/sitemap-items-{n}.xml" for n in range(1, page_of(items[4].pk) + 1)]
    for n in sorted({page_of(item.pk) for item in items}):
        assert sitemap_locations(client.get(f"/sitemap-items-{n}.xml")) == [
            f"http://testserver/items/{item.slug}/"
            for item in items
            if page_of(item.pk) == n and item is not items[2]
        ]
    assert client.get(f"/sitemap-items-{len(pages) + 1}.xml").status_code == 404
    assert client.get("/sitemap-items-0.xml").status_code == 404


def test_an_empty_site_has_an_empty_sitemap_index(client):
    assert sitemap_pages(client) == []


def test_sitemap_leaves_out_items_their_origin_keeps_out_of_search(client):
    indexed = ItemFactory()
    ItemFactory(origin=OriginFactory(noindex=True))

    assert all_sitemap_locations(client) == [f"http://testserver/items/{indexed.slug}/"]


def test_sitemap_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    ItemFactory.create_batch(3)
    with django_assert_num_queries(1):  # the highest published pk
        client.get("/sitemap.xml")
    with django_assert_num_queries(2):  # the highest published pk, then the page's rows
        client.get("/sitemap-items-1.xml")
    ItemFactory.create_batch(30)
    with django_assert_num_queries(2):
        assert len(sitemap_locations(client.get("/sitemap-items-1.xml"))) == 33


def test_characters_xml_forbids_never_reach_the_feed(client, tmp_path):
    # HTML character references in a feed's CDATA can carry control characters that XML 1.0
    # forbids; stored as they came, one such item made /feed/ fail for everyone.
    feed = tmp_path / "controls.xml"
    feed.write_bytes(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Fen &amp; Marsh</title>'
        b"<link>https://fen-marsh.example/</link><item>"
        b"<title><![CDATA[Snipe &#1;return to the &#xFFFE;fen]]></title>"
        b"<author><![CDATA[notes@fen-marsh.example (Wren &#2;Halloway)]]></author>"
        b"<link>https://fen-marsh.example/snipe</link>"
        b"<description><![CDATA[<p>Seen at dawn&#3; by the sluice.</p>]]></description>"
        b"</item></channel></rss>"
    )
    call_command("ingest", str(feed), stdout=StringIO(), stderr=StringIO())

    response = client.get("/feed/")

    assert response.status_code == 200
    (item,) = rss_items(response)
    assert item.findtext("title") == "Snipe return to the fen"
    assert item.findtext(f"{DC}creator") == "Wren Halloway"
    assert "<p>Seen at dawn by the sluice.</p>" in item.findtext("description")


def test_every_feed_item_names_a_creator_the_origin_when_no_author_is_known(client):
    ItemFactory(author="", origin=OriginFactory(name="Heron Bay Chronicle"))

    (item,) = rss_items(client.get("/feed/"))

    assert item.findtext(f"{DC}creator") == "Heron Bay Chronicle"
    assert item.findtext(f"{DC}rights") and item.find("source") is not None
