"""The public pages: the list of published items and each item with its attribution block,
or a 451 that shows none of its content."""

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from compliance.items.models import BlockRule, Item, LicenceBasis
from compliance.takedowns.models import RemovalRequest
from tests.factories import (
    ItemFactory,
    LicenceBasisFactory,
    OriginFactory,
    RemovalRequestFactory,
)

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', re.DOTALL)


def main_html(response) -> str:
    """What the page shows in its <main> (the <head> repeats some of it for machines)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def json_ld(response) -> dict:
    blocks = JSON_LD.findall(response.content.decode())
    assert len(blocks) == 1
    return json.loads(blocks[0])


def make_rule(origin, *, request=None, kind=BlockRule.Kind.AUTHOR) -> BlockRule:
    return BlockRule.objects.create(
        kind=kind,
        origin=origin,
        domain=origin.domain,
        author="Casey Example",
        author_key="casey example",
        case=request.reference if request else "",
    )


# --- GET / --------------------------------------------------------------------------------


def test_home_lists_published_items_newest_first(client):
    now = timezone.now()
    older = ItemFactory(title="The older harbour story", republished_at=now - timedelta(days=2))
    newer = ItemFactory(title="The newer lighthouse story", republished_at=now)
    hidden = ItemFactory(title="A hidden orchard story", status=Item.Status.HIDDEN)
    withheld = ItemFactory(title="A withheld meadow story", status=Item.Status.WITHHELD)

    response = client.get("/")

    assert response.status_code == 200
    html = main_html(response)
    assert html.index(newer.title) < html.index(older.title)
    assert f'href="/items/{newer.slug}/"' in html
    assert older.origin.name in html
    for item in (hidden, withheld):
        assert item.title not in html
        assert item.slug not in html


def test_home_is_paginated(client):
    now = timezone.now()
    items = [ItemFactory(republished_at=now - timedelta(minutes=n)) for n in range(23)]

    first = main_html(client.get("/"))
    second = main_html(client.get("/?page=2"))

    assert items[0].title in first and items[19].title in first
    assert items[20].title not in first
    assert 'rel="next" href="?page=2"' in first
    assert [item.title in second for item in items[20:]] == [True, True, True]
    assert items[19].title not in second
    assert 'rel="prev" href="?page=1"' in second and 'rel="next"' not in second
    assert client.get("/?page=3").status_code == 404
    assert client.get("/?page=0").status_code == 404
    assert client.get("/?page=nonsense").status_code == 404


def test_home_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    # Each factory item has its own origin: a query per item would show here.
    ItemFactory.create_batch(3)
    with django_assert_num_queries(1):  # the page and one more item; no COUNT
        assert client.get("/").status_code == 200
    ItemFactory.create_batch(27)
    with django_assert_num_queries(1):
        response = client.get("/")
    assert main_html(response).count("<article>") == 20


# --- GET /items/<slug>/ -------------------------------------------------------------------


def test_item_page_shows_the_attribution_block_in_order(client, settings):
    item = ItemFactory(
        title="Tidal mill reopens on the estuary",
        author="Morwenna Quill",
        photo_credit="Photo: Estuary Pictures/Ansel Brook",
        image_url="https://cdn.harbour.example/mill.jpg",
        body="<p>The tidal mill turned again this morning.</p><p>Second paragraph here.</p>",
        disclaimer=(
            "This content is courtesy of Harbour Post (https://harbour.example/). Write to "
            "removals@example.org or use http://testserver/takedown/ to have it removed."
        ),
    )

    response = client.get(f"/items/{item.slug}/")

    assert response.status_code == 200
    html = main_html(response)
    order = [
        'src="https://cdn.harbour.example/mill.jpg"',
        "Photo: Estuary Pictures/Ansel Brook",
        "<h1",
        "Tidal mill reopens on the estuary",
        "<p>The tidal mill turned again this morning.</p><p>Second paragraph here.</p>",
        f'href="{item.original_url}"',
        "Author: Morwenna Quill",
        item.licence_note,
        "This content is courtesy of Harbour Post",
        'href="/takedown/?url=',
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    # The frozen disclaimer is shown exactly, its links and address made clickable.
    assert '<a href="https://harbour.example/" rel="nofollow">' in html
    assert '<a href="mailto:removals@example.org">removals@example.org</a>' in html
    assert '<a href="http://testserver/takedown/" rel="nofollow">' in html


def test_removal_link_carries_the_original_url(client):
    item = ItemFactory(original_url="https://harbour.example/news/mill?id=7&lang=en")

    html = main_html(client.get(f"/items/{item.slug}/"))

    href = re.search(r'<a href="(/takedown/\?url=[^"]*)">', html).group(1)
    parts = urlsplit(href)
    assert parts.path == "/takedown/"
    # Fully encoded: the original's own query string stays inside the url parameter.
    assert "&" not in parts.query.replace("&amp;", "")
    assert parse_qs(parts.query) == {"url": ["https://harbour.example/news/mill?id=7&lang=en"]}


def test_item_page_json_ld_describes_copy_and_original(client):
    basis = LicenceBasisFactory(
        name="CC BY 4.0",
        kind=LicenceBasis.Kind.CREATIVE_COMMONS,
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    )
    origin = OriginFactory(
        name="Fennel Review", home_page="https://fennel.example/", licence_basis=basis
    )
    published = timezone.now() - timedelta(days=1)
    item = ItemFactory(
        origin=origin,
        author="Ilse Marrow",
        published_at=published,
        photo_credit="Photo: Kestrel Lens",
    )

    data = json_ld(client.get(f"/items/{item.slug}/"))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == item.title
    assert data["url"] == f"http://testserver/items/{item.slug}/"
    assert data["isBasedOn"] == item.original_url
    assert data["author"] == {"@type": "Person", "name": "Ilse Marrow"}
    assert data["copyrightHolder"] == {
        "@type": "Organization",
        "name": "Fennel Review",
        "url": "https://fennel.example/",
    }
    assert data["creditText"] == "Photo: Kestrel Lens"
    assert data["image"] == {
        "@type": "ImageObject",
        "url": item.image_url,
        "creditText": "Photo: Kestrel Lens",
    }
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["datePublished"].startswith(published.strftime("%Y-%m-%dT%H:%M:%S"))


def test_json_ld_licence_is_the_note_when_the_basis_has_no_url(client):
    item = ItemFactory()  # public-feed basis, no licence URL

    data = json_ld(client.get(f"/items/{item.slug}/"))

    assert item.licence_note.startswith("Licence: ")
    assert data["license"] == item.licence_note


def test_json_ld_cannot_be_closed_by_the_text_it_carries(client):
    hostile = 'Breaking </script><script>alert("x")</script> & more'
    item = ItemFactory(title=hostile, author="</SCRIPT> Mallory")

    response = client.get(f"/items/{item.slug}/")

    html = response.content.decode()
    assert "<script>alert" not in html
    assert "</SCRIPT> Mallory" not in html
    data = json_ld(response)
    assert data["headline"] == hostile
    assert data["author"]["name"] == "</SCRIPT> Mallory"


@pytest.mark.parametrize(
    ("canonical_to_original", "noindex"), [(True, False), (False, True), (False, False)]
)
def test_canonical_and_noindex_follow_origin_policy(client, canonical_to_original, noindex):
    origin = OriginFactory(canonical_to_original=canonical_to_original, noindex=noindex)
    item = ItemFactory(origin=origin)

    html = client.get(f"/items/{item.slug}/").content.decode()

    assert (f'<link rel="canonical" href="{item.original_url}">' in html) is (canonical_to_original)
    assert ('<meta name="robots" content="noindex">' in html) is noindex


def test_a_non_http_original_url_is_never_made_a_link(client):
    item = ItemFactory(original_url="javascript:alert(1)", image_url="data:image/png;base64,AA")

    response = client.get(f"/items/{item.slug}/")

    html = response.content.decode()
    assert 'href="javascript:' not in html
    assert 'src="data:' not in html
    assert '<link rel="canonical"' not in html


def test_item_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    published = ItemFactory()
    request = RemovalRequestFactory(status=RemovalRequest.Status.COMPLETED)
    hidden = ItemFactory(status=Item.Status.HIDDEN, status_request=request)
    withheld = ItemFactory(
        status=Item.Status.WITHHELD, status_rule=make_rule(OriginFactory(), request=request)
    )

    # A 451 also reads the request behind it (by its reference) for who asked and why.
    for item, status, queries in ((published, 200, 1), (hidden, 451, 2), (withheld, 451, 2)):
        with django_assert_num_queries(queries):
            assert client.get(f"/items/{item.slug}/").status_code == status


def test_published_pages_are_cacheable_at_the_edge_by_key_and_carry_an_etag(client):
    item = ItemFactory()
    other = ItemFactory()

    expected_keys = {
        "/": {"lists", f"item-{item.pk}", f"item-{other.pk}"}
        | {f"origin-{item.origin_id}", f"origin-{other.origin_id}"},
        f"/items/{item.slug}/": {f"item-{item.pk}", f"origin-{item.origin_id}"},
    }
    for url, keys in expected_keys.items():
        response = client.get(url)
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert cache_control == {
            "public",
            "s-maxage=86400",
            "max-age=60",
            "stale-while-revalidate=30",
        }
        assert set(response["xkey"].split()) == keys
        assert response["Surrogate-Key"] == response["xkey"]
        again = client.get(url, headers={"if-none-match": response["ETag"]})
        assert again.status_code == 304
        assert again.content == b""


def test_a_takedown_changes_the_etag_so_caches_cannot_keep_the_page(client):
    item = ItemFactory()
    etag = client.get(f"/items/{item.slug}/")["ETag"]
    Item.objects.filter(pk=item.pk).update(status=Item.Status.HIDDEN)

    response = client.get(f"/items/{item.slug}/", headers={"if-none-match": etag})

    assert response.status_code == 451


def test_unknown_item_is_404(client):
    response = client.get("/items/no-such-article/")

    assert response.status_code == 404


# --- 451 ----------------------------------------------------------------------------------


def assert_no_trace_of(item, response, *also):
    html = response.content.decode()
    traces = [
        item.title,
        item.author,
        item.original_url,
        item.image_url,
        item.photo_credit,
        item.disclaimer,
        item.licence_note,
        "Paragraph one of synthetic article",
        item.slug.replace("-", " "),
        *also,
    ]
    for trace in filter(None, traces):
        assert trace not in html, trace
    assert "application/ld+json" not in html
    assert 'rel="canonical"' not in html


def assert_451_headers(response):
    assert response.status_code == 451
    assert response["Link"] == '<http://testserver/transparency/>; rel="blocked-by"'
    assert response["Cache-Control"] == "no-store"
    assert "ETag" not in response


def test_hidden_item_answers_451_naming_request_and_ground_but_no_one(client):
    request = RemovalRequestFactory(
        status=RemovalRequest.Status.COMPLETED,
        ground=RemovalRequest.Ground.PRIVACY,
        role=RemovalRequest.Role.RIGHTS_HOLDER,
        requester_name="Orla Vantablack",
        requester_email="orla@estuary-rights.example",
        organisation="Estuary Rights Ltd",
        explanation="The article names my client's home street.",
        signature="Orla Vantablack",
    )
    item = ItemFactory(status=Item.Status.HIDDEN, status_request=request)

    response = client.get(f"/items/{item.slug}/")

    assert_451_headers(response)
    html = main_html(response)
    assert "removed following a removal request on the ground of privacy" in html
    assert f"(reference {request.reference})" in html
    assert "Rights holder or site representative" in html
    assert 'href="/transparency/"' in html
    assert_no_trace_of(
        item,
        response,
        "Orla Vantablack",
        "orla@estuary-rights.example",
        "Estuary Rights Ltd",
        "home street",
    )


def test_withheld_item_under_a_requested_rule_names_the_request(client):
    request = RemovalRequestFactory(
        status=RemovalRequest.Status.COMPLETED, ground=RemovalRequest.Ground.COPYRIGHT
    )
    item = ItemFactory(status=Item.Status.WITHHELD)
    item.status_rule = make_rule(item.origin, request=request)
    item.save()

    response = client.get(f"/items/{item.slug}/")

    assert_451_headers(response)
    html = main_html(response)
    assert "withheld following a removal request on the ground of copyright" in html
    assert request.reference in html
    assert "author at origin" in html
    assert_no_trace_of(item, response, request.requester_name, request.requester_email)


def test_withheld_item_under_a_staff_rule_says_so(client):
    item = ItemFactory(status=Item.Status.WITHHELD)
    item.status_rule = make_rule(item.origin)
    item.save()

    response = client.get(f"/items/{item.slug}/")

    assert_451_headers(response)
    assert "withheld under a block rule set by our staff" in main_html(response)
    assert_no_trace_of(item, response)


def test_withheld_item_with_an_expired_licence_says_so(client):
    basis = LicenceBasisFactory(expires_at=timezone.now() - timedelta(days=3))
    item = ItemFactory(
        status=Item.Status.WITHHELD, licence_basis=basis, licence_note="", disclaimer=""
    )

    response = client.get(f"/items/{item.slug}/")

    assert_451_headers(response)
    assert "the licence had expired" in main_html(response)
    assert_no_trace_of(item, response)


def test_withheld_item_without_a_licence_basis_is_not_said_to_lack_a_licence(client):
    # Ingest publishes items without a basis (with a note saying so): when one is withheld,
    # here because staff blocked its origin, the licence is not why, and a legal notice
    # must not say it is.
    origin = OriginFactory(licence_basis=None)
    item = ItemFactory(
        origin=origin,
        status=Item.Status.WITHHELD,
        status_reason="origin blocked",
        licence_note="",
        disclaimer="",
    )

    response = client.get(f"/items/{item.slug}/")

    assert_451_headers(response)
    assert "licence" not in main_html(response)
    assert_no_trace_of(item, response)
