"""The API's permission matrix: every endpoint and method, called by an anonymous caller,
an outsider (a valid token, not staff), plain staff and a compliance officer.

Anonymous callers read published items and submit removal requests; staff read
everything; officers decide. Missing credentials answer 401 with WWW-Authenticate: Token,
insufficient rights 403, each with a JSON message."""

import pytest

from tests.apitools import API, ROLES, client_for, make_world, submission

OK, CREATED, ACCEPTED, GONE = 200, 201, 202, 204
FORBIDDEN = {"anonymous": 401, "outsider": 403, "staff": 403}
STAFF_READ = {"anonymous": 401, "outsider": 403, "staff": 200, "officer": 200}


def officers(status: int) -> dict:
    return {**FORBIDDEN, "officer": status}


def everyone(status: int) -> dict:
    return dict.fromkeys(ROLES, status)


# (method, path template, body, {role: status})
MATRIX = [
    # items: public reads; hidden and withheld answer 451 to all but staff
    ("get", "/items/", None, everyone(OK)),
    ("get", "/items/{item.slug}/", None, everyone(OK)),
    ("get", "/items/{hidden.slug}/", None, {**everyone(451), "staff": OK, "officer": OK}),
    ("get", "/items/{withheld.slug}/", None, {**everyone(451), "staff": OK, "officer": OK}),
    ("get", "/items/no-such-item/", None, everyone(404)),
    ("post", "/items/{item.slug}/hide/", {"reason": "asked"}, officers(OK)),
    ("post", "/items/{hidden.slug}/restore/", {"reason": "counter-notice"}, officers(OK)),
    ("post", "/items/", {}, {**FORBIDDEN, "officer": 405}),
    ("delete", "/items/{item.slug}/", None, {**FORBIDDEN, "officer": 405}),
    ("put", "/items/{item.slug}/", {"title": "x"}, {**FORBIDDEN, "officer": 405}),
    ("patch", "/items/{item.slug}/", {"title": "x"}, {**FORBIDDEN, "officer": 405}),
    ("get", "/items/{item.slug}/hide/", None, {**FORBIDDEN, "officer": 405}),
    # origins
    ("get", "/origins/", None, STAFF_READ),
    ("get", "/origins/{origin.pk}/", None, STAFF_READ),
    ("post", "/origins/{origin.pk}/block/", {"reason": "whole site"}, officers(OK)),
    ("post", "/origins/{origin.pk}/unblock/", {"reason": "agreement"}, officers(OK)),
    ("patch", "/origins/{origin.pk}/", {"name": "x"}, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("put", "/origins/{origin.pk}/", {"name": "x"}, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("delete", "/origins/{origin.pk}/", None, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("post", "/origins/", {"domain": "x.example"}, {**FORBIDDEN, "staff": 405, "officer": 405}),
    # feeds
    ("get", "/feeds/", None, STAFF_READ),
    ("get", "/feeds/{feed.pk}/", None, STAFF_READ),
    (
        "post",
        "/feeds/",
        {"origin": "{origin.pk}", "url": "https://harbour.example/other.xml"},
        officers(CREATED),
    ),
    (
        "put",
        "/feeds/{feed.pk}/",
        {"origin": "{origin.pk}", "url": "https://harbour.example/new.xml", "title": "New"},
        officers(OK),
    ),
    ("patch", "/feeds/{feed.pk}/", {"is_active": False}, officers(OK)),
    ("delete", "/feeds/{feed.pk}/", None, officers(GONE)),
    ("post", "/feeds/{feed.pk}/fetch/", None, officers(ACCEPTED)),
    # removal requests: anyone submits; staff read; officers decide
    ("post", "/removal-requests/", submission(), everyone(CREATED)),
    ("get", "/removal-requests/", None, STAFF_READ),
    ("get", "/removal-requests/{request.reference}/", None, STAFF_READ),
    ("post", "/removal-requests/{request.reference}/approve/", {}, officers(OK)),
    ("post", "/removal-requests/{request.reference}/reject/", {"reason": "no"}, officers(OK)),
    ("post", "/removal-requests/{request.reference}/withdraw/", {}, officers(OK)),
    (
        "delete",
        "/removal-requests/{request.reference}/",
        None,
        {**FORBIDDEN, "officer": 405, "staff": 405},
    ),
    (
        "patch",
        "/removal-requests/{request.reference}/",
        {"status": "approved"},
        {**FORBIDDEN, "officer": 405, "staff": 405},
    ),
    (
        "put",
        "/removal-requests/{request.reference}/",
        submission(),
        {**FORBIDDEN, "officer": 405, "staff": 405},
    ),
    # read-only resources
    ("get", "/block-rules/", None, STAFF_READ),
    ("get", "/block-rules/{rule.pk}/", None, STAFF_READ),
    ("post", "/block-rules/", {}, {**FORBIDDEN, "staff": 405, "officer": 405}),
    (
        "patch",
        "/block-rules/{rule.pk}/",
        {"is_active": False},
        {**FORBIDDEN, "staff": 405, "officer": 405},
    ),
    ("delete", "/block-rules/{rule.pk}/", None, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("get", "/reports/", None, STAFF_READ),
    ("get", "/reports/{report.pk}/", None, STAFF_READ),
    ("get", "/reports/{report.pk}/csv/", None, STAFF_READ),
    ("post", "/reports/", {}, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("delete", "/reports/{report.pk}/", None, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("get", "/audit-events/", None, STAFF_READ),
    ("get", "/audit-events/{event.pk}/", None, STAFF_READ),
    # append-only: nobody edits or deletes an audit event
    ("delete", "/audit-events/{event.pk}/", None, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("put", "/audit-events/{event.pk}/", {}, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("patch", "/audit-events/{event.pk}/", {}, {**FORBIDDEN, "staff": 405, "officer": 405}),
    ("post", "/audit-events/", {}, {**FORBIDDEN, "staff": 405, "officer": 405}),
]


def _fill(template, world):
    if isinstance(template, str):
        return template.format(**vars(world))
    if isinstance(template, dict):
        return {key: _fill(value, world) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, world) for value in template]
    return template


def _cast_ids(body: dict) -> dict:
    # Ids arrive as text from the template; the API wants JSON numbers.
    return {k: int(v) if k == "origin" and isinstance(v, str) else v for k, v in body.items()}


def _check_message(role: str, response) -> None:
    """The JSON answer that goes with a refusal."""
    status = response.status_code
    if status == 401:
        assert response["WWW-Authenticate"] == "Token", role
        assert response.json() == {
            "detail": "Authentication credentials were not provided.",
            "code": "not_authenticated",
        }
    elif status == 403:
        body = response.json()
        assert body["code"] == "permission_denied", role
        assert "staff" in body["detail"] or "officers" in body["detail"], role
    elif status == 451:
        assert response["Link"] == '<http://testserver/transparency/>; rel="blocked-by"'
        assert response.json()["code"] == "unavailable_for_legal_reasons"
    elif status == 405:
        assert response.json()["code"] == "method_not_allowed", role


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path,body,expected",
    [pytest.param(*row, id=f"{row[0]} {row[1]}") for row in MATRIX],
)
def test_permission_matrix(method, path, body, expected):
    """One row of the matrix: the same call by each role, in the order anonymous,
    outsider, staff, officer (only the officer's may change anything)."""
    world = make_world()
    url = API + _fill(path, world)
    data = _cast_ids(_fill(body, world)) if body is not None else None
    answers = {}
    for role in ROLES:
        client = client_for(role)
        response = getattr(client, method)(url, data, format="json")
        answers[role] = response.status_code
        _check_message(role, response)
    assert answers == expected
