"""Proof for any date: the basis that applied and the snapshots that supported it, in the
API and on the item's admin page; the origin's verdict, history and diff in the admin."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.audit.models import AuditEvent
from compliance.licensing.checks import item_licence_check, origin_licence_check
from compliance.licensing.models import LicenceWatch
from tests.apitools import client_for
from tests.factories import ItemFactory, LicenceBasisFactory, OriginFactory, UserFactory
from tests.licensingtools import Site

pytestmark = pytest.mark.django_db
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_PAGE = f'<html><head><link rel="license" href="{CC_BY}"></head></html>'.encode()
DAY1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY3 = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def history(httpserver):
    """An origin read on 2 November (CC BY offered) and 4 November (link gone)."""
    site = Site(httpserver)
    site.set("/", CC_PAGE)
    site.set("/news/a", CC_PAGE)
    basis = LicenceBasisFactory(
        name="CC BY 4.0", kind="creative_commons", licence_url=CC_BY, valid_from=DAY1.replace(day=1)
    )
    origin = OriginFactory(home_page=site.url("/"), licence_basis=basis)
    item = ItemFactory(origin=origin, original_url=site.url("/news/a"), slug="harbour-lights")
    with time_machine.travel(DAY1, tick=False):
        first = origin_licence_check(origin_id=origin.pk)
        item_licence_check(item_id=item.pk)
    site.set("/", b"<html></html>")
    with time_machine.travel(DAY3, tick=False):
        second = origin_licence_check(origin_id=origin.pk)
    return {"origin": origin, "item": item, "first": first, "second": second, "site": site}


def evidence(at: str, role="staff"):
    return client_for(role).get(f"/api/v1/items/harbour-lights/licence-evidence/?at={at}")


def test_the_api_gives_the_basis_and_the_snapshots_in_force_that_day(history):
    response = evidence("2026-11-03")
    assert response.status_code == 200
    body = response.json()
    assert body["item"] == "harbour-lights" and body["at"] == "2026-11-03"
    assert body["basis"]["name"] == "CC BY 4.0" and body["basis_in_force"] is True
    scopes = {r["scope"]: r for r in body["readings"]}
    assert scopes["origin"]["checked_at"].startswith("2026-11-02")
    assert scopes["origin"]["verdict"] == "CC BY 4.0 offered for articles"
    licence = [s for s in scopes["origin"]["snapshots"] if s["kind"] == "rel_license"]
    first = history["first"].snapshots.get(kind="rel_license")
    assert licence == [
        {
            "kind": "rel_license",
            "source_url": history["site"].url("/"),
            "value": CC_BY,
            "sha256": first.sha256,
            "http_status": 200,
            "fetched_at": "2026-11-02T09:00:00Z",
            "verdict": "CC BY 4.0 offered for articles",
        }
    ]
    assert scopes["item"]["verdict"] == "CC BY 4.0 offered for articles"

    later = evidence("2026-11-04").json()
    origin_reading = next(r for r in later["readings"] if r["scope"] == "origin")
    assert origin_reading["verdict"] == "no signal"
    assert "no CC licence" in origin_reading["contradiction"]

    before = evidence("2026-10-15").json()
    assert before["basis_in_force"] is False and before["readings"] == []


def test_the_api_refuses_a_bad_date_outsiders_and_unknown_items(history):
    bad = evidence("yesterday")
    assert bad.status_code == 400 and "at" in bad.json()
    assert evidence("2026-11-03", role="anonymous").status_code in (401, 403)
    assert evidence("2026-11-03", role="outsider").status_code == 403
    assert client_for("staff").get("/api/v1/items/nope/licence-evidence/").status_code == 404


def test_the_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/items/{slug}/licence-evidence/"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["at"]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="reader"))
    return client


def test_the_items_admin_page_shows_the_evidence_for_a_date(history, staff_client):
    item = history["item"]
    page = staff_client.get(f"/admin/items/item/{item.pk}/change/").content.decode()
    assert f"/admin/items/item/{item.pk}/licence-evidence/" in page

    page = staff_client.get(f"/admin/items/item/{item.pk}/licence-evidence/?at=2026-11-03")
    text = page.content.decode()
    assert page.status_code == 200
    assert "CC BY 4.0" in text and "in force that day" in text
    assert history["first"].snapshots.get(kind="rel_license").sha256 in text
    assert history["second"].snapshots.first().sha256 not in text


def test_the_origins_admin_page_shows_verdict_contradiction_history_and_diff(history, staff_client):
    origin, second = history["origin"], history["second"]
    text = staff_client.get(f"/admin/items/origin/{origin.pk}/change/").content.decode()
    assert "no signal" in text and "Contradicts the basis" in text
    assert "Flag the origin for staff only" in text
    assert f"/admin/licensing/licencecheck/?origin__id__exact={origin.pk}" in text

    text = staff_client.get(f"/admin/licensing/licencecheck/{second.pk}/change/").content.decode()
    assert "licence-change-removed" in text and CC_BY in text
    history_page = staff_client.get(f"/admin/licensing/licencecheck/?origin__id__exact={origin.pk}")
    assert history_page.content.decode().count("/change/") >= 2


def test_only_officers_change_an_origins_policy_and_it_is_audited(history, client):
    watch = LicenceWatch.objects.get(origin=history["origin"])
    url = f"/admin/licensing/licencewatch/{watch.pk}/change/"
    client.force_login(UserFactory(username="reader"))
    client.post(url, {"policy": "hide_all", "interval_hours": 12})
    watch.refresh_from_db()
    assert watch.policy == "flag"
    client.force_login(UserFactory(username="root", is_superuser=True))
    response = client.post(url, {"policy": "hide_all", "interval_hours": 12})
    assert response.status_code == 302
    watch.refresh_from_db()
    assert (watch.policy, watch.interval_hours) == ("hide_all", 12)
    event = AuditEvent.objects.get(action="licence_watch.changed")
    assert event.before == {"policy": "flag", "interval_hours": 24}


def test_the_evidence_costs_the_same_queries_however_many_snapshots(history):
    client = client_for("staff")
    site, origin = history["site"], history["origin"]
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/items/harbour-lights/licence-evidence/?at=2026-11-05")
    site.set(
        "/robots.txt",
        "".join(f"User-agent: bot{n}\nContent-Signal: ai-train=no\n" for n in range(40)).encode(),
        content_type="text/plain",
    )
    with time_machine.travel(DAY3.replace(hour=10), tick=False):
        origin_licence_check(origin_id=origin.pk)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/items/harbour-lights/licence-evidence/?at=2026-11-05").json()
    assert sum(len(r["snapshots"]) for r in body["readings"]) > 40
    assert len(many) == len(few)
