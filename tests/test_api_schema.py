"""The OpenAPI document at /api/schema/, its documentation page at /api/docs/ (offline:
Swagger UI from drf-spectacular-sidecar), and schemathesis driving the API from the
document: no server error, every answer as documented."""

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks

from tests.apitools import client_for, make_world, submission

SCHEMA = "/api/schema/"
CONTRACT = [
    "/api/v1/items/",
    "/api/v1/origins/",
    "/api/v1/feeds/",
    "/api/v1/removal-requests/",
    "/api/v1/block-rules/",
    "/api/v1/reports/",
    "/api/v1/audit-events/",
]


@pytest.fixture
def document(db):
    response = APIClient().get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_a_valid_openapi_3_document(document):
    assert document["openapi"].startswith("3.")
    validate_schema(document)  # raises on anything that is not OpenAPI 3
    assert document["info"]["title"] == "courtesy API"
    assert set(CONTRACT) <= set(document["paths"])


def test_the_yaml_schema_is_served_by_default(db):
    response = APIClient().get(SCHEMA)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


def test_the_schema_documents_the_answers_that_matter(document):
    paths = document["paths"]
    item = paths["/api/v1/items/{slug}/"]["get"]["responses"]
    assert item["451"]["headers"]["Link"]["required"] is True
    submit = paths["/api/v1/removal-requests/"]["post"]
    assert {"201", "400", "413", "429"} <= set(submit["responses"])
    assert "Retry-After" in submit["responses"]["429"]["headers"]
    assert {} in submit["security"]  # anyone may submit
    approve = paths["/api/v1/removal-requests/{reference}/approve/"]["post"]
    assert {"200", "401", "403", "404", "409"} <= set(approve["responses"])
    assert {} not in approve["security"]
    csv = paths["/api/v1/reports/{id}/csv/"]["get"]["responses"]["200"]["content"]
    assert set(csv) == {"text/csv"}
    schemes = document["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    request_fields = document["components"]["schemas"]["RemovalRequestInputRequest"]
    assert request_fields["properties"]["urls"]["type"] == "array"
    assert request_fields["properties"]["future"]["type"] == "boolean"


def test_the_docs_page_needs_nothing_from_the_internet(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    # Its script is a file of its own (no inline script: the Content-Security-Policy).
    assert '<script src="/api/docs/?script="></script>' in page
    script = APIClient().get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in script.content.decode()
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"), asset


@pytest.mark.browser
def test_the_docs_render_offline_in_a_browser(page, live_server):
    """Swagger UI draws the document with every request outside this site refused."""
    outside = []

    def only_here(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    console = []
    page.on("console", lambda message: console.append(message.text))
    page.route("**/*", only_here)
    page.goto(f"{live_server.url}/api/docs/")
    title = page.locator(".swagger-ui .info .title")
    title.wait_for(timeout=15_000)
    assert "courtesy API" in title.inner_text()
    paths = page.locator(".opblock-summary-path")
    paths.first.wait_for(timeout=15_000)
    drawn = set(paths.all_inner_texts())
    assert {"/api/v1/removal-requests/", "/api/v1/items/{slug}/"} <= {p.strip() for p in drawn}
    assert outside == []
    assert not [m for m in console if "Content Security Policy" in m], console


# --- schemathesis --------------------------------------------------------------------------


# What no schema can say: which ids exist (a feed's `origin`), and the one rule between
# two fields of a removal request, documented on the operation (only a rights holder or a
# site's representative may ask for the whole origin).
NOT_SCHEMA_RULES = (
    "does not exist",  # "Invalid pk … - object does not exist.", "Object with … does not exist."
    "only a rights holder or a representative of the site may ask for it",
)


def positive_data_acceptance(ctx, response, case):
    """A request valid by the schema is accepted, except when it breaks a rule no schema
    can state (NOT_SCHEMA_RULES). Such a 400 must say just that, and nothing else."""
    if response.status_code == 400:
        errors = response.json()
        messages = [
            m for value in errors.values() for m in (value if isinstance(value, list) else [value])
        ]
        if messages and all(any(r in str(m).lower() for r in NOT_SCHEMA_RULES) for m in messages):
            return None
    return checks.positive_data_acceptance(ctx, response, case)


# Every answer must be documented and conform to the document; no server errors.
CHECKS = [
    core_checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,  # no invalid request accepted
    positive_data_acceptance,  # no valid request refused
]


# Loaded once, when the tests are collected: the document needs no database.
schema = schemathesis.openapi.from_wsgi(f"{SCHEMA}?format=json", get_wsgi_application())
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI does not flicker
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(db):
    """Something behind every endpoint, so that generated calls reach real objects too.

    The calls go through Django's WSGI handler, which closes the database connection after
    each request; here that would end the test's transaction, so (as Django's own test
    client does) connections stay open while the test runs."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield make_world()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@FUZZ
def test_the_api_does_what_its_schema_says_to_anonymous_callers(case, world):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_the_api_does_what_its_schema_says_to_staff(case, world):
    """Plain staff read every staff endpoint; every change is refused (403, as documented)."""
    token = client_for("staff")._credentials["HTTP_AUTHORIZATION"]
    case.call_and_validate(headers={"Authorization": token}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_the_api_does_what_its_schema_says_to_officers(case, world):
    """Officers may read every staff endpoint and make every change."""
    token = client_for("officer")._credentials["HTTP_AUTHORIZATION"]
    case.call_and_validate(headers={"Authorization": token}, checks=CHECKS)


# Every operation once more on objects that exist, by each kind of caller, so that the
# documented success answers (and the 451) are checked against the document too.
REAL_CALLS = {
    ("GET", "/api/v1/items/{slug}/"): ({"slug": "hidden.slug"}, None),
    ("POST", "/api/v1/items/{slug}/hide/"): ({"slug": "item.slug"}, {"reason": "asked"}),
    ("POST", "/api/v1/items/{slug}/restore/"): ({"slug": "hidden.slug"}, {"reason": "back"}),
    ("POST", "/api/v1/origins/{id}/block/"): ({"id": "origin.pk"}, {"reason": "asked"}),
    ("POST", "/api/v1/origins/{id}/unblock/"): ({"id": "origin.pk"}, {"reason": "agreed"}),
    ("POST", "/api/v1/feeds/"): ({}, {"origin": "origin.pk", "url": "https://h.example/a.xml"}),
    ("PUT", "/api/v1/feeds/{id}/"): (
        {"id": "feed.pk"},
        {"origin": "origin.pk", "url": "https://h.example/b.xml", "title": "B"},
    ),
    ("PATCH", "/api/v1/feeds/{id}/"): ({"id": "feed.pk"}, {"poll_interval_minutes": 60}),
    ("POST", "/api/v1/removal-requests/"): ({}, submission()),
    ("POST", "/api/v1/removal-requests/{reference}/reject/"): (
        {"reference": "request.reference"},
        {"reason": "not yours"},
    ),
}
OBJECTS = {
    "slug": "item.slug",
    "reference": "request.reference",
}
BY_PREFIX = {
    "/api/v1/origins/": "origin.pk",
    "/api/v1/feeds/": "feed.pk",
    "/api/v1/block-rules/": "rule.pk",
    "/api/v1/reports/": "report.pk",
    "/api/v1/audit-events/": "event.pk",
}


def _resolve(value, world):
    """ "item.slug" -> world.item.slug; anything else as it is."""
    if isinstance(value, str) and value.count(".") == 1 and value.split(".")[0] in vars(world):
        name, attribute = value.split(".")
        return getattr(getattr(world, name), attribute)
    if isinstance(value, dict):
        return {key: _resolve(item, world) for key, item in value.items()}
    return value


def _real_call(method: str, path: str, world):
    parameters, body = REAL_CALLS.get((method, path), ({}, None))
    if not parameters:
        for name in ("slug", "reference", "id"):
            if f"{{{name}}}" in path:
                prefix = path.split("{")[0]
                parameters = {name: OBJECTS.get(name) or BY_PREFIX[prefix]}
    return _resolve(parameters, world), _resolve(body, world)


OPERATIONS = sorted(
    (operation.method.upper(), operation.path)
    for result in schema.get_all_operations()
    for operation in [result.ok()]
)


@pytest.mark.parametrize("role", ["anonymous", "staff", "officer"])
@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_each_operation_on_real_objects_answers_as_documented(world, method, path, role):
    parameters, body = _real_call(method, path, world)
    kwargs = {"path_parameters": parameters}
    if body is not None:
        kwargs["body"] = body
        kwargs["media_type"] = "application/json"
    case = schema[path][method].Case(**kwargs)
    headers = {}
    if role != "anonymous":
        headers["Authorization"] = client_for(role)._credentials["HTTP_AUTHORIZATION"]
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    assert response.status_code != 404, (method, path, response.text[:300])
