"""Bad input and bad credentials: a clear JSON answer (400, 401, 403, 404, 413, 415),
never a server error, nothing stored."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compliance.takedowns.models import RemovalRequest
from tests.apitools import API, client_for, make_world, submission
from tests.factories import UserFactory

SUBMIT = f"{API}/removal-requests/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,content_type",
    [
        (b'{"requester_name": "Robin",', "application/json"),
        (b"not json at all", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b'{"requester_name": "\\ud800"}', "application/json"),  # a lone surrogate
        (b"", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
        (b"1e999999", "application/json"),
    ],
)
def test_malformed_json_is_a_400(body, content_type):
    response = APIClient().post(SUBMIT, body, content_type=content_type)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()  # a message: "detail" or field errors
    assert not RemovalRequest.objects.exists()


@pytest.mark.django_db
def test_only_json_is_accepted():
    response = APIClient().post(
        SUBMIT, "requester_name=Robin", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/origins/99999999999999999999999999/",
        f"/origins/{2**63}/",
        "/origins/-1/",
        "/origins/abc/",
        "/feeds/0/",
        "/removal-requests/TD-2026-99999999999999/",
        "/removal-requests/not-a-reference/",
        "/reports/18446744073709551616/csv/",
        "/audit-events/1.5/",
        "/items/%00/",
        "/items/" + "a" * 5000 + "/",
        "/no-such-resource/",
    ],
)
def test_impossible_ids_are_404(path):
    response = client_for("staff").get(API + path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"origin": "1e400"},
        {"search": "x" * 201},
        {"republished_after": "99999-01-01"},
        {"page_size": "-1"},
    ],
)
def test_huge_and_odd_query_values_are_400(query):
    make_world()
    response = client_for("staff").get(f"{API}/items/", query)
    assert response.status_code == 400, response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone,path,query,field",
    [
        ("America/New_York", "/items/", {"republished_before": "9999-12-31"}, "republished"),
        ("America/New_York", "/removal-requests/", {"received_before": "9999-12-31"}, "received"),
        ("Asia/Tokyo", "/items/", {"republished_after": "0001-01-01"}, "republished"),
    ],
)
def test_days_at_the_ends_of_the_calendar_are_400_in_any_time_zone(
    settings, zone, path, query, field
):
    # The end of 9999-12-31 in New York, or midnight of 0001-01-01 in Tokyo, is no instant
    # the database can hold once in UTC.
    settings.TIME_ZONE = zone
    response = client_for("staff").get(API + path, query)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_huge_numbers_in_bodies_are_field_errors():
    world = make_world()
    officer = client_for("officer")
    response = officer.patch(
        f"{API}/feeds/{world.feed.pk}/", {"poll_interval_minutes": 10**400}, format="json"
    )
    assert response.status_code == 400
    assert "poll_interval_minutes" in response.json()


# --- credentials ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invalid_token_is_401_even_where_anonymous_callers_are_welcome():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    for response in (client.get(f"{API}/items/"), client.get(f"{API}/origins/")):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


@pytest.mark.django_db
def test_the_token_of_a_deactivated_user_stops_working():
    user = UserFactory(username="gone", password=None)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(f"{API}/origins/").status_code == 200
    user.is_active = False
    user.save()
    response = client.get(f"{API}/origins/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.django_db
def test_staff_signed_in_to_the_admin_use_the_browsable_api_with_their_session(client):
    user = UserFactory(username="browser", officer=True)
    client.force_login(user)
    page = client.get(f"{API}/origins/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert client.get(f"{API}/origins/").status_code == 200  # JSON, by the session

    # Writes by session need the CSRF token, as in the admin.
    world = make_world()
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post(
        f"{API}/origins/{world.origin.pk}/block/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_the_api_index_lists_the_resources():
    response = APIClient().get(f"{API}/")
    assert response.status_code == 200
    assert set(response.json()) == {
        "items",
        "origins",
        "feeds",
        "removal-requests",
        "block-rules",
        "reports",
        "audit-events",
    }


@pytest.mark.django_db
def test_submitting_twice_the_same_body_is_two_requests():
    # Not idempotent by design: each submission is a notice of its own (as with the form).
    client = APIClient()
    assert client.post(SUBMIT, submission(), format="json").status_code == 201
    assert client.post(SUBMIT, submission(), format="json").status_code == 201
    assert RemovalRequest.objects.count() == 2


@pytest.mark.django_db
def test_staff_get_a_token_with_the_documented_command():
    UserFactory(username="editor", password=None)
    out = StringIO()
    call_command("drf_create_token", "editor", stdout=out)
    key = out.getvalue().split()[2]  # "Generated token <key> for user editor"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"{API}/removal-requests/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "officer"])
def test_the_browsable_pages_render_for_every_resource(client, role):
    world = make_world()
    if role == "officer":
        client.force_login(UserFactory(username="reader", officer=True, password=None))
    paths = [
        "/",
        "/items/",
        f"/items/{world.item.slug}/",
        f"/items/{world.hidden.slug}/",
        "/origins/",
        f"/origins/{world.origin.pk}/",
        "/feeds/",
        f"/feeds/{world.feed.pk}/",
        "/removal-requests/",
        f"/removal-requests/{world.request.reference}/",
        "/block-rules/",
        f"/block-rules/{world.rule.pk}/",
        "/reports/",
        f"/reports/{world.report.pk}/",
        "/audit-events/",
        f"/audit-events/{world.event.pk}/",
    ]
    for path in paths:
        response = client.get(API + path, HTTP_ACCEPT="text/html")
        assert response.status_code in (200, 401, 451), (path, response.status_code)
        assert response["Content-Type"].startswith("text/html"), path
        if role == "officer":
            assert response.status_code == 200, path
