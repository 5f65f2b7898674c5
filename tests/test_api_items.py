"""items/: what anonymous callers and staff see, filters, the 451 answer, and the
officers' hide and restore actions through the items services."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.api import pagination
from compliance.audit.models import AuditEvent
from compliance.items.models import Item
from tests.apitools import API, client_for
from tests.factories import (
    ItemFactory,
    LicenceBasisFactory,
    OriginFactory,
    RemovalRequestFactory,
)

STAFF_ONLY = {"status", "status_reason", "status_request", "guid", "disclaimer_sha256"}


@pytest.fixture
def items(db):
    harbour = OriginFactory(domain="harbour.example", name="Harbour Gazette")
    fennel = OriginFactory(domain="fennel.example", name="Fennel Review")
    now = timezone.now()
    request = RemovalRequestFactory(
        status="completed", role="rights_holder", ground="copyright", requester_name="Pat Secret"
    )
    return {
        "old": ItemFactory(
            origin=harbour, title="Lanterns over the quay", republished_at=now - timedelta(days=3)
        ),
        "new": ItemFactory(
            origin=fennel,
            title="Thistle season opens",
            author="Quill Ivory",
            republished_at=now - timedelta(hours=1),
        ),
        "hidden": ItemFactory(
            origin=harbour,
            title="Secret hidden headline",
            body="<p>Body words that must never leak.</p>",
            status=Item.Status.HIDDEN,
            status_reason="removal request TD",
            status_request=request,
        ),
        "withheld": ItemFactory(
            origin=fennel,
            title="Withheld headline",
            status=Item.Status.WITHHELD,
            status_reason="origin blocked",
            republished_at=None,
        ),
        "request": request,
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


# --- reading -------------------------------------------------------------------------------


def test_anonymous_callers_see_published_items_only_newest_first(items):
    response = client_for("anonymous").get(f"{API}/items/")
    assert titles(response) == ["Thistle season opens", "Lanterns over the quay"]
    first = response.json()["results"][0]
    assert first["url"] == f"http://testserver/items/{items['new'].slug}/"
    assert first["origin"] == {
        "id": items["new"].origin_id,
        "name": "Fennel Review",
        "domain": "fennel.example",
        "home_page": "https://fennel.example/",
    }
    assert first["disclaimer"] == items["new"].disclaimer
    assert first["licence"]["kind"] == "public_feed"
    assert not STAFF_ONLY & set(first)


def test_staff_see_every_item_with_its_status_and_reason(items):
    response = client_for("staff").get(f"{API}/items/", {"ordering": "title"})
    by_title = {item["title"]: item for item in response.json()["results"]}
    assert len(by_title) == 4
    hidden = by_title["Secret hidden headline"]
    assert hidden["status"] == "hidden"
    assert hidden["status_reason"] == "removal request TD"
    assert hidden["status_request"] == items["request"].reference
    assert by_title["Withheld headline"]["status"] == "withheld"
    assert by_title["Lanterns over the quay"]["status"] == "published"


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"origin_domain": "www.Harbour.example"}, ["Lanterns over the quay"]),
        ({"search": "thistle"}, ["Thistle season opens"]),
        ({"search": "ivory"}, ["Thistle season opens"]),
        ({"ordering": "republished_at"}, ["Lanterns over the quay", "Thistle season opens"]),
        ({"ordering": "-title"}, ["Thistle season opens", "Lanterns over the quay"]),
        ({"status": "hidden"}, []),  # anonymous callers never see one
        ({"republished_before": "2000-01-01"}, []),
    ],
)
def test_filters_search_and_ordering(items, query, expected):
    assert titles(client_for("anonymous").get(f"{API}/items/", query)) == expected


def test_filter_by_origin_id_and_by_date(items):
    client = client_for("anonymous")
    origin = items["old"].origin_id
    assert titles(client.get(f"{API}/items/", {"origin": origin})) == ["Lanterns over the quay"]
    today = timezone.localdate()
    recent = client.get(f"{API}/items/", {"republished_after": str(today - timedelta(days=1))})
    assert titles(recent) == ["Thistle season opens"]
    staff = client_for("staff").get(f"{API}/items/", {"status": "withheld"})
    assert titles(staff) == ["Withheld headline"]


@pytest.mark.parametrize(
    "query,field",
    [
        ({"status": "deleted"}, "status"),
        ({"origin": "harbour"}, "origin"),
        ({"origin": str(2**70)}, "origin"),
        ({"republished_after": "yesterday"}, "republished"),
        ({"ordering": "body"}, "ordering"),
        ({"ordering": "title,-secret"}, "ordering"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": "1000"}, "page_size"),
        ({"search": "a\x00b"}, "search"),
    ],
)
def test_bad_query_values_are_400_with_the_field(items, query, field):
    response = client_for("anonymous").get(f"{API}/items/", query)
    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()), response.json()


@pytest.mark.parametrize("page", ["99", str(2**70)])
def test_a_page_past_the_last_is_404(items, page):
    # Well-formed (the schema's integer from 1), so not a 400; but there is no such page.
    response = client_for("anonymous").get(f"{API}/items/", {"page": page})
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no such page."


def test_pagination_has_a_ceiling(items):
    origin = OriginFactory()
    ItemFactory.create_batch(5, origin=origin)
    client = client_for("anonymous")
    page = client.get(f"{API}/items/", {"page_size": 3, "page": 2}).json()
    assert page["count"] == 7
    assert len(page["results"]) == 3
    assert "page=3" in page["next"] and "page_size=3" in page["next"]
    assert client.get(f"{API}/items/", {"page_size": 200}).status_code == 200


def test_the_count_is_exact_up_to_a_cap_then_an_estimate(items, monkeypatch):
    """No page counts every row: beyond the cap the planner's estimate stands in (on
    PostgreSQL; the embedded SQLite counts), and `count_exact` says which it is."""
    ItemFactory.create_batch(5, origin=OriginFactory())
    client = client_for("anonymous")
    assert client.get(f"{API}/items/").json()["count_exact"] is True
    monkeypatch.setattr(pagination, "COUNT_EXACT_UP_TO", 3)

    page = client.get(f"{API}/items/", {"page_size": 2}).json()

    assert len(page["results"]) == 2 and "page=2" in page["next"]
    if connection.vendor == "postgresql":
        assert page["count_exact"] is False
        assert page["count"] >= 4  # never less than what was counted
    else:
        assert (page["count_exact"], page["count"]) == (True, 7)


@pytest.mark.parametrize("staff", [False, True])
def test_the_fast_output_path_answers_exactly_as_drf_would(items, staff):
    """FastOutput skips DRF's per-field machinery for long lists; the answer must be the
    one DRF's own Serializer.to_representation gives, field for field."""
    from rest_framework import serializers

    from compliance.api.items import ItemOutputSerializer, ItemStaffOutputSerializer
    from compliance.api.serializers import LicenceSerializer, OriginSummarySerializer

    cls = ItemStaffOutputSerializer if staff else ItemOutputSerializer
    basis = LicenceBasisFactory(
        kind="creative_commons", licence_url="https://creativecommons.org/licenses/by/4.0/"
    )
    ItemFactory(licence_basis=basis, published_at=None, author="", photo_credit="Ann Lens")
    with_rule = ItemFactory(status=Item.Status.WITHHELD, republished_at=None)
    Item.objects.filter(pk=with_rule.pk).update(status_case="TD-2026-00042")
    rows = Item.objects.select_related("origin", "licence_basis").order_by("pk")

    for item in rows:
        drf = serializers.Serializer.to_representation(cls(), item)
        assert cls().to_representation(item) == drf
        # The nested ones too, each against DRF's own path.
        for nested, value in (
            (OriginSummarySerializer, item.origin),
            (LicenceSerializer, item.licence_basis),
        ):
            if value is not None:
                drf = serializers.Serializer.to_representation(nested(), value)
                assert nested().to_representation(value) == drf
    assert any(cls().to_representation(item)["licence"] for item in rows)


def test_the_list_runs_a_fixed_number_of_queries(items):
    client = client_for("staff")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}/items/")
    ItemFactory.create_batch(12, origin=OriginFactory())
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{API}/items/")
    assert response.json()["count"] == 16
    assert len(many) == len(few)


def test_retrieve_by_slug(items):
    response = client_for("anonymous").get(f"{API}/items/{items['old'].slug}/")
    assert response.status_code == 200
    assert response.json()["title"] == "Lanterns over the quay"
    assert client_for("anonymous").get(f"{API}/items/no-such-slug/").status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
def test_hidden_item_answers_451_like_its_page_and_shows_nothing_of_it(items, role, client):
    slug = items["hidden"].slug
    response = client_for(role).get(f"{API}/items/{slug}/")
    page = client.get(f"/items/{slug}/")

    assert response.status_code == page.status_code == 451
    assert response["Link"] == page["Link"] == '<http://testserver/transparency/>; rel="blocked-by"'
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "hidden"
    assert body["cause"] == "request"
    assert body["reference"] == items["request"].reference
    assert body["ground"] == "Copyright"
    assert body["requested_by"] == "Rights holder or site representative"
    assert items["request"].reference in body["detail"]
    text = response.content.decode()
    for secret in ("Secret hidden headline", "never leak", "Pat Secret", "requester", slug):
        assert secret not in text


def test_withheld_item_answers_451(items):
    response = client_for("anonymous").get(f"{API}/items/{items['withheld'].slug}/")
    assert response.status_code == 451
    assert response.json()["status"] == "withheld"
    assert "Withheld headline" not in response.content.decode()


def test_staff_retrieve_a_hidden_item_with_status_and_reason(items):
    response = client_for("staff").get(f"{API}/items/{items['hidden'].slug}/")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Secret hidden headline"
    assert (body["status"], body["status_reason"]) == ("hidden", "removal request TD")


# --- hide and restore ----------------------------------------------------------------------


def test_an_officer_hides_an_item_through_the_service(items):
    officer = client_for("officer")
    item = items["new"]
    request = RemovalRequestFactory(status="processing")
    response = officer.post(
        f"{API}/items/{item.slug}/hide/",
        {"reason": "  asked by the author  ", "removal_request": request.reference},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 1
    assert response.json()["item"]["status"] == "hidden"

    item.refresh_from_db()
    assert item.status == Item.Status.HIDDEN
    assert item.status_case == request.reference
    event = AuditEvent.objects.for_object(item).get(action="item.hidden")
    assert (event.actor_name, event.reason, event.case) == (
        "api-officer",
        "asked by the author",
        request.reference,
    )
    # Gone for the public at once, in the list and at its URL.
    anonymous = client_for("anonymous")
    assert titles(anonymous.get(f"{API}/items/")) == ["Lanterns over the quay"]
    assert anonymous.get(f"{API}/items/{item.slug}/").status_code == 451

    # Hiding again changes nothing and records nothing more.
    again = officer.post(f"{API}/items/{item.slug}/hide/", {"reason": "again"}, format="json")
    assert again.status_code == 200
    assert again.json()["changed"] == 0
    assert AuditEvent.objects.for_object(item).filter(action="item.hidden").count() == 1


def test_an_officer_restores_a_hidden_item(items):
    item = items["hidden"]
    response = client_for("officer").post(
        f"{API}/items/{item.slug}/restore/", {"reason": "counter-notice upheld"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 1
    item.refresh_from_db()
    assert item.status == Item.Status.PUBLISHED
    assert AuditEvent.objects.for_object(item).get(action="item.restored").reason == (
        "counter-notice upheld"
    )
    assert client_for("anonymous").get(f"{API}/items/{item.slug}/").status_code == 200


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": 42}, "reason"),
        ({"reason": "x" * 10_001}, "reason"),
        ({"reason": "ok", "removal_request": "TD-1999-00000"}, "removal_request"),
        ({"reason": "ok", "removal_request": "TD-\x00"}, "removal_request"),
    ],
)
def test_hide_needs_a_reason_and_a_real_request(items, body, field):
    item = items["new"]
    response = client_for("officer").post(f"{API}/items/{item.slug}/hide/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    item.refresh_from_db()
    assert item.status == Item.Status.PUBLISHED
