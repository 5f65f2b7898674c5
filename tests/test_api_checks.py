"""POST /api/v1/checks/: would these articles be withheld, by which rule and request?
Answered by the one matcher ingest uses, for one candidate or a batch, in input order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.core.normalise import author_key, normalise_url, text_fingerprint, url_key
from compliance.items.models import BlockRule, Item
from tests.apitools import API, client_for
from tests.factories import BlockRuleFactory, ItemFactory, OriginFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db

URL = f"{API}/checks/"
BODY = (
    "<p>The lantern makers of the old quay met on Saturday to share tallow, wicks and\n"
    "the long patience their work needs through the dark months of the year.</p>"
)


@pytest.fixture
def rules():
    """A URL rule (with the article's text) from a request, an author rule, an origin block."""
    harbour = OriginFactory(domain="harbour-news.example")
    taken = ItemFactory(
        origin=harbour,
        original_url="https://harbour-news.example/2026/lanterns",
        url_key=url_key("https://harbour-news.example/2026/lanterns"),
        body=BODY,
        text_fingerprint=text_fingerprint(BODY),
        status=Item.Status.HIDDEN,
    )
    request = RemovalRequestFactory(status="completed")
    by_url = BlockRuleFactory(item=taken, request=request)
    by_author = BlockRuleFactory(
        kind=BlockRule.Kind.AUTHOR,
        origin=harbour,
        author="Tamsin Wick",
        author_key=author_key("Tamsin Wick"),
    )
    blocked = OriginFactory(domain="fennel.example")
    by_origin = BlockRuleFactory(kind=BlockRule.Kind.ORIGIN, origin=blocked)
    return {"url": by_url, "author": by_author, "origin": by_origin, "request": request}


def test_one_candidate_is_answered_with_the_rule_and_its_request(rules):
    response = client_for("staff").post(
        URL,
        # The same article behind the tricks feeds play: www., tracking parameters, a slash.
        {"original_url": "http://www.harbour-news.example/2026/lanterns/?utm_source=rss"},
        format="json",
    )

    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert result["withheld"] is True
    assert result["rule"] == rules["url"].pk
    assert result["removal_request"] == rules["request"].reference
    assert result["matched_by"] == "url"
    assert normalise_url("https://harbour-news.example/2026/lanterns") in result["reason"]


def test_a_batch_is_answered_in_input_order_with_one_query(rules):
    candidates = [
        # The same text under a new address: still the article that was taken down.
        {"original_url": "https://harbour-news.example/reprint/9", "text": BODY},
        {"original_url": "https://harbour-news.example/tides", "author": "  TAMSIN   wick "},
        {"original_url": "https://shop.fennel.example/seeds", "origin": "fennel.example"},
        {"original_url": "https://harbour-news.example/tides", "author": "Someone Else"},
        {"original_url": "https://elsewhere.example/lanterns", "title": "Lanterns", "guid": "x"},
    ]
    client = client_for("staff")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, {"candidates": candidates * 200}, format="json")

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == 1000
    assert [(r["withheld"], r["rule"]) for r in results[:5]] == [
        (True, rules["url"].pk),
        (True, rules["author"].pk),
        (True, rules["origin"].pk),
        (False, None),
        (False, None),
    ]
    assert results[5:10] == results[:5]
    assert results[3]["reason"] == "No active block rule covers it."
    assert results[1]["removal_request"] is None  # a staff rule
    # Authentication and the rules: the batch's size does not add queries.
    assert len([q for q in queries if "blockrule" in q["sql"]]) == 1


def test_an_inactive_rule_withholds_nothing(rules):
    BlockRule.objects.filter(pk=rules["url"].pk).update(is_active=False)
    response = client_for("staff").post(
        URL, {"original_url": "https://harbour-news.example/2026/lanterns"}, format="json"
    )
    assert response.json()["results"][0]["withheld"] is False


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "original_url"),
        ({"original_url": "ftp://harbour-news.example/x"}, "original_url"),
        ({"original_url": 42}, "original_url"),
        ({"original_url": "https://a.example/", "author": ["x"]}, "author"),
        ({"candidates": []}, "candidates"),
        ({"candidates": "https://a.example/"}, "candidates"),
        ({"candidates": [{"original_url": "https://a.example/"}] * 1001}, "candidates"),
        ({"candidates": [{"original_url": "https://a.example/"}, {"guid": "g"}]}, "candidates"),
        ([{"original_url": "https://a.example/"}], "non_field_errors"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(body, field):
    response = client_for("staff").post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


def test_a_batch_error_says_which_candidate_is_wrong():
    body = {"candidates": [{"original_url": "https://a.example/"}, {"guid": "g"}]}
    errors = client_for("staff").post(URL, body, format="json").json()["candidates"]
    # Keyed by the candidate's position: only the wrong one is named.
    assert list(errors) == ["1"] and "original_url" in errors["1"]


@pytest.mark.parametrize("role,status", [("anonymous", 401), ("outsider", 403)])
def test_checks_need_a_staff_token(role, status):
    response = client_for(role).post(URL, {"original_url": "https://a.example/"}, format="json")
    assert response.status_code == status


def test_the_schema_documents_checks_with_a_copyable_example(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/checks/"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    batch = next(e["value"] for e in examples.values() if "candidates" in e["value"])
    # The documented example is a request the endpoint takes as it stands.
    response = client_for("staff").post(URL, batch, format="json")
    assert response.status_code == 200
    assert len(response.json()["results"]) == len(batch["candidates"])
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}
