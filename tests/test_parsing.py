"""Parsing feeds into normalised entries: formats, guids, links, encodings, hostile HTML."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compliance.items.parsing import FeedParseError, parse_feed, sanitise_html

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
BASE = "https://feeds.example.net/harbour/rss.xml"


def parse(name, base_url=BASE, **kwargs):
    return parse_feed((FEEDS / name).read_bytes(), base_url=base_url, **kwargs)


def test_rss2_entries_with_credit_image_and_rights():
    feed = parse("rss2.xml")
    assert feed.title == "Harbour Gazette"
    assert feed.site_url == "https://www.harbour-gazette.example/"
    assert feed.rights_statement == "Copyright 2026 Harbour Gazette Ltd. All rights reserved."
    assert [e.guid for e in feed.entries] == [
        "hg-2026-0001",
        "https://www.harbour-gazette.example/news/lighthouse-cottages-museum",
        "hg-2026-0003",
    ]
    ferry, cottages, _ = feed.entries
    assert ferry.title == "Ferry timetable redrawn after tide survey"
    assert ferry.author == "Mirela Quance"
    assert ferry.published_at == datetime(2026, 11, 3, 8, 15, tzinfo=UTC)
    # content:encoded (CDATA) is preferred to the short description.
    assert "<em>old</em> crossings ran aground" in ferry.body
    assert "<strong>suit the fishing fleet</strong>" in ferry.body
    assert ferry.image_url == "https://cdn.harbour-gazette.example/img/ferry.jpg"
    assert ferry.photo_credit == "Photo: Tobin Arkwright/Harbour Gazette"
    assert ferry.rights_statement == feed.rights_statement
    # "email (Name)" gives the name, never the address.
    assert cottages.author == "Pellam Voss"
    assert cottages.image_url == "https://cdn.harbour-gazette.example/img/cottages-large.jpg"
    assert cottages.photo_credit == "The Gullrock cottages at dusk. Photo: Wenna Tregarthen"
    assert "<figure>" in cottages.body and "<figcaption>" in cottages.body


def test_atom_with_xml_base_rights_and_licence_link():
    feed = parse("atom.xml")
    assert feed.title == "Northfield Ledger"
    assert feed.site_url == "https://ledger.northfield.example/"
    assert feed.rights_licence_url == "https://creativecommons.org/licenses/by/4.0/"
    orchard, bus = feed.entries
    assert orchard.link == "https://ledger.northfield.example/stories/orchard-record-harvest"
    assert orchard.author == "Ysolde Fairbairn"
    assert orchard.published_at == datetime(2026, 11, 4, 9, 30, tzinfo=UTC)
    assert 'href="https://ledger.northfield.example/reports/cider-2026"' in orchard.body
    assert orchard.rights_statement == "© 2026 Northfield Ledger. Published under CC BY 4.0."
    # The entry's own rights statement wins over the feed's.
    assert bus.rights_statement == "Text © Amos Kettleby, licensed to the Northfield Ledger."
    assert bus.rights_licence_url == "https://creativecommons.org/licenses/by/4.0/"
    # A text summary is escaped and wrapped, not taken as markup.
    assert bus.body.startswith("<p>The council will run the experimental night bus")


def test_rss1_with_dc_rights_and_cc_licence():
    feed = parse("rss1.xml")
    assert feed.title == "Valley Courier"
    (entry,) = feed.entries
    assert entry.link == "https://valley-courier.example/2026/11/weir-repairs"
    assert entry.author == "Bettany Crewe"
    assert entry.published_at == datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert entry.rights_statement == "Copyright Valley Courier Cooperative"
    assert entry.rights_licence_url == "https://creativecommons.org/licenses/by-sa/4.0/"


def test_creative_commons_rss_module_licence():
    (entry,) = parse("creative-commons.xml").entries
    assert entry.rights_licence_url == "https://creativecommons.org/licenses/by/4.0/"
    assert entry.author == "Corra Lindqvist"


def test_missing_guid_falls_back_to_the_link_then_to_a_stable_hash():
    with_link, without = parse("missing-guids.xml").entries
    assert with_link.guid == "https://fenwick-almanac.example/notes/curlews-return-early"
    assert without.link == ""
    assert without.guid.startswith("sha256:")
    assert parse("missing-guids.xml").entries[1].guid == without.guid


def test_a_duplicate_guid_keeps_the_first_entry_only():
    feed = parse("duplicate-guids.xml")
    assert [e.guid for e in feed.entries] == ["fa-0042", "fa-0043"]
    assert feed.entries[0].title == "Reed cutting season opens on the north fen"
    assert any("duplicate guid 'fa-0042'" in warning for warning in feed.warnings)


def test_relative_links_are_resolved():
    (entry,) = parse("relative-links.xml").entries
    assert entry.link == "https://www.tidewater-post.example/local/estuary-survey-sandbanks"
    assert 'href="https://www.tidewater-post.example/maps/estuary-2026"' in entry.body
    assert 'href="https://www.tidewater-post.example/notes/method"' in entry.body
    assert 'src="https://www.tidewater-post.example/media/sandbanks.jpg"' in entry.body
    assert entry.image_url == "https://www.tidewater-post.example/media/sandbanks-thumb.jpg"


def test_a_local_file_resolves_relative_links_against_the_site_link():
    content = (FEEDS / "relative-links.xml").read_bytes()
    content = content.replace(b' xml:base="https://www.tidewater-post.example/"', b"")
    (entry,) = parse_feed(content, base_url="file:///srv/feeds/tidewater.xml").entries
    assert entry.link == "https://www.tidewater-post.example/local/estuary-survey-sandbanks"
    assert 'href="https://www.tidewater-post.example/maps/estuary-2026"' in entry.body


def test_an_iso_8859_1_feed_declared_as_such_is_decoded():
    feed = parse("latin1.xml")
    assert feed.title == "Gazette du Port-Clément"
    (entry,) = feed.entries
    assert entry.title == "Le marché aux crêpes rouvre sur la jetée"
    assert entry.author == "Aurélie Ménétrier"
    assert "un café « très serré »" in entry.body


def test_undeclared_non_utf8_bytes_can_use_the_http_charset():
    body = (FEEDS / "latin1.xml").read_bytes().replace(b' encoding="ISO-8859-1"', b"")
    with pytest.raises(FeedParseError, match="not valid utf-8"):
        parse_feed(body, base_url=BASE)
    feed = parse_feed(body, base_url=BASE, http_charset="iso-8859-1")
    assert feed.entries[0].title == "Le marché aux crêpes rouvre sur la jetée"


def test_a_wrongly_declared_encoding_is_refused_not_guessed():
    with pytest.raises(FeedParseError, match="declared as UTF-8 by its XML declaration"):
        parse("wrong-encoding.xml")


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        # Python codecs that are no character encoding, or that fail without a byte offset.
        ("rot13", "unknown character encoding 'rot13'"),
        ("base64", "unknown character encoding 'base64'"),
        ("punycode", "wrong character encoding: the feed is declared as punycode"),
        ("undefined", "wrong character encoding: the feed is declared as undefined"),
    ],
)
def test_a_declared_encoding_python_cannot_decode_text_with_is_refused(encoding, message):
    content = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        "<title>Fen Notes</title><link>https://fen.example/</link></channel></rss>"
    ).encode()
    with pytest.raises(FeedParseError, match=message):
        parse_feed(content, base_url=BASE)


@pytest.mark.parametrize(
    ("name", "message"),
    [("not-xml.html", "not well-formed XML"), ("truncated.xml", "not well-formed XML")],
)
def test_unusable_documents_are_refused(name, message):
    with pytest.raises(FeedParseError, match=message):
        parse(name)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'<?xml version="1.0"?><html><body><p>hello</p></body></html>', "not an RSS or Atom"),
        (b'{"items": []}', "not well-formed XML"),
    ],
)
def test_other_documents_that_are_no_feed(content, message):
    with pytest.raises(FeedParseError, match=message):
        parse_feed(content, base_url=BASE)


def test_an_html_entity_undefined_in_xml_is_tolerated():
    content = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Fen&nbsp;Notes</title>'
        b"<link>https://fen.example/</link><item><title>Snipe&nbsp;seen</title>"
        b"<link>https://fen.example/snipe</link></item></channel></rss>"
    )
    feed = parse_feed(content, base_url=BASE)
    assert [e.link for e in feed.entries] == ["https://fen.example/snipe"]
    assert feed.warnings


def test_bytes_that_look_like_a_path_are_never_opened_as_a_file(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_bytes((FEEDS / "rss2.xml").read_bytes())
    with pytest.raises(FeedParseError):
        parse_feed(str(secret).encode(), base_url=BASE)


def test_hostile_html_is_neutralised():
    (entry,) = parse("hostile.xml").entries
    body = entry.body.lower()
    assert entry.title == "Regatta results"
    for forbidden in (
        "<script",
        "<style",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<svg",
        "onclick",
        "onerror",
        "onload",
        "javascript:",
        "style=",
        "display: none",
        "document.cookie",
        "evil.example",
        'rel="opener"',
        "target=",
    ):
        assert forbidden not in body, forbidden
    assert "<em>kittiwake</em>" in body
    assert "<blockquote>fair winds all day" in body
    assert re.search(
        r'<img (alt="the fleet" )?src="https://cdn.harbour-gazette.example/img/regatta.jpg"'
        r'( alt="the fleet")?>',
        body,
    )
    assert "insecure.jpg" not in body  # images over plain http are dropped
    assert '<a href="https://www.harbour-gazette.example/results" rel="nofollow noopener">' in body


@pytest.mark.parametrize(
    "markup",
    [
        "<p>One <em>two</em> <strong>three</strong></p>",
        "<ul><li>a</li></ul><ol><li>b</li></ol>",
        "<blockquote>quoted</blockquote>",
        "<h2>Two</h2><h3>Three</h3><h4>Four</h4>",
        '<figure><img src="https://cdn.example/a.jpg" alt="A"><figcaption>A</figcaption></figure>',
    ],
)
def test_ordinary_article_markup_is_kept(markup):
    assert sanitise_html(markup) == markup


def test_links_get_nofollow_noopener_and_keep_mailto():
    assert sanitise_html('<a href="https://x.example/" rel="me">x</a>') == (
        '<a href="https://x.example/" rel="nofollow noopener">x</a>'
    )
    assert 'href="mailto:desk@x.example"' in sanitise_html('<a href="mailto:desk@x.example">m</a>')
    assert "href" not in sanitise_html('<a href="data:text/html,boo">d</a>')
    assert "href" not in sanitise_html('<a href="JaVaScRiPt:alert(1)">j</a>')


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="x">',
        '<img src="javascript:alert(1)" alt="x">',
        '<img src="https://cdn.example/a.jpg" srcset="javascript:alert(1) 1x" onerror="x()">',
        '<a href="java&#09;script:alert(1)">tab</a>',
        '<a href=" vbscript:msgbox(1)">vb</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">d</a>',
        # An attribute holding markup, in an image whose source is then refused.
        '<img alt="&gt;&lt;script&gt;alert(1)&lt;/script&gt;" src="data:,x">',
        '<img alt="><script>alert(1)</script>">',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        '<a href="https://x.example/" onmouseover="x()" style="position:fixed">x</a>',
    ],
)
def test_no_script_url_handler_or_markup_in_attributes_survives(markup):
    cleaned = sanitise_html(markup, base_url=BASE).lower()
    for forbidden in ("<script", "javascript", "vbscript", "data:", "onerror", "onmouseover"):
        assert forbidden not in cleaned, (forbidden, cleaned)
    assert "style" not in cleaned and "srcset" not in cleaned
