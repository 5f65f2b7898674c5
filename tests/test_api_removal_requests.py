"""removal-requests/: submitting (anyone; the form's validation, rate limit and mail),
reading (staff) and deciding (officers) through the state machine."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.forms.models import model_to_dict
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.messaging.models import Message
from compliance.takedowns.models import RemovalRequest
from tests.apitools import API, client_for, submission
from tests.factories import ItemFactory, OriginFactory, RemovalRequestFactory

Status = RemovalRequest.Status
SUBMIT = f"{API}/removal-requests/"


def form_data(api_data: dict) -> dict:
    """The same request as the public form posts it: URLs one per line, checkboxes "on"."""
    data = {k: v for k, v in api_data.items() if not isinstance(v, bool | list)}
    data["urls"] = "\n".join(api_data["urls"])
    data.update({k: "on" for k, v in api_data.items() if v is True})
    return data


def neutral(text: str, removal_request: RemovalRequest) -> str:
    """A mail's text with what differs between two requests (reference, secret links)
    replaced by placeholders."""
    text = text.replace(removal_request.reference, "<reference>")
    text = text.replace(removal_request.status_token, "<status-token>")
    return re.sub(r"/takedown/verify/[^/\s\"<]+/", "/takedown/verify/<token>/", text)


# --- submitting ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anyone_may_submit_and_gets_the_reference_but_no_secret():
    ItemFactory(
        origin=OriginFactory(domain="origin.example"),
        original_url="https://origin.example/news/one",
    )
    response = client_for("anonymous").post(SUBMIT, submission(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    stored = RemovalRequest.objects.get()
    assert body["reference"] == stored.reference
    assert body["status"] == "received"
    assert set(body) == {"reference", "status", "received_at", "due_at", "detail"}
    assert stored.status_token not in response.content.decode()
    assert stored.channel == RemovalRequest.Channel.API
    assert stored.client_key  # counted for the rate limit
    assert stored.urls == ["https://origin.example/news/one", "http://origin.example/news/two"]
    assert stored.future and stored.good_faith and stored.accuracy
    assert [t.item is not None for t in stored.targets.order_by("id")] == [True, False]
    assert AuditEvent.objects.for_object(stored).get().action == "request.received"
    mail = Message.objects.get(case=stored.reference)
    assert mail.recipients == ["robin@rights.example"]
    assert mail.subject == f"[{stored.reference}] We received your removal request"
    assert stored.status_token in mail.text_body  # the status link goes by mail only


@pytest.mark.django_db
def test_the_api_and_the_form_make_the_same_request_and_the_same_mail(client):
    ItemFactory(
        origin=OriginFactory(domain="origin.example"),
        original_url="https://origin.example/news/one",
    )
    data = submission(organisation="Origin Media", scope="author", ground="licence_withdrawn")
    with time_machine.travel(datetime(2026, 5, 4, 9, 30, tzinfo=UTC), tick=False):
        assert client.post("/takedown/", form_data(data)).status_code == 302
        assert client_for("anonymous").post(SUBMIT, data, format="json").status_code == 201
    by_form, by_api = RemovalRequest.objects.order_by("id")
    assert (by_form.channel, by_api.channel) == ("web", "api")

    different = {"id", "reference", "channel", "status_token"}
    fields_form = {k: v for k, v in model_to_dict(by_form).items() if k not in different}
    fields_api = {k: v for k, v in model_to_dict(by_api).items() if k not in different}
    assert fields_form == fields_api
    assert fields_api["status"] == "received"

    def targets(r):
        return [(t.url, t.url_key, t.item_id) for t in r.targets.order_by("id")]

    assert targets(by_form) == targets(by_api)

    def mails(r):
        return [
            (
                m.kind,
                m.recipients,
                neutral(m.subject, r),
                neutral(m.text_body, r),
                neutral(m.html_body, r),
            )
            for m in r.messages.all().order_by("id")
        ]

    assert mails(by_form) == mails(by_api)
    assert len(mails(by_api)) == 1

    def audit(r):
        return [
            (e.action, e.actor_name, e.after | {"channel": "-"})
            for e in AuditEvent.objects.for_object(r)
        ]

    assert audit(by_form) == audit(by_api)


# The same mistakes, made through the form and through the API, are refused in the same
# fields. (The API's types are JSON's: lists and booleans.)
MISTAKES = [
    {"urls": ["ftp://origin.example/file"]},
    {"urls": ["javascript:alert(1)"]},
    {"urls": ["https://origin.example/a b"]},
    {"urls": ["https://origin.example/" + "a" * 2001]},
    {"urls": [f"https://origin.example/{n}" for n in range(101)]},
    {"urls": []},
    {"requester_email": "not-an-address"},
    {"requester_name": ""},
    {"role": "bystander"},
    {"scope": "everything"},
    {"ground": "dislike"},
    {"explanation": ""},
    {"explanation": "x" * 10_001},
    {"good_faith": False},
    {"accuracy": False},
    {"signature": ""},
    {"requester_name": "Robin\x00Rights"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: next(iter(m)))
def test_validation_is_the_forms(client, mistake):
    data = submission(**mistake)
    form_response = client.post("/takedown/", form_data(data))
    api_response = client_for("anonymous").post(SUBMIT, data, format="json")

    assert form_response.status_code == 200  # the form again, with its errors
    assert api_response.status_code == 400
    form_errors = set(form_response.context["form"].errors)
    assert set(api_response.json()) == form_errors == {next(iter(mistake))}
    assert not RemovalRequest.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_api_and_form_share_the_url_rules():
    data = submission(urls=["https://origin.example/one", "HTTPS://www.origin.example/one/"])
    response = client_for("anonymous").post(SUBMIT, data, format="json")
    assert response.status_code == 201
    # Duplicates (after normalisation) are dropped, as the form drops them.
    assert RemovalRequest.objects.get().urls == ["https://origin.example/one"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["", " ", "ftp://origin.example/one", "https://origin.example/a b"])
def test_an_entry_of_urls_that_is_not_a_web_address_is_a_400_as_the_schema_says(url):
    data = submission(urls=["https://origin.example/one", url])
    response = client_for("anonymous").post(SUBMIT, data, format="json")
    assert response.status_code == 400
    assert "urls" in response.json()
    assert not RemovalRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field,value",
    [
        ("urls", "https://origin.example/one"),  # a string, not a list
        ("urls", ["https://origin.example/one\nhttps://origin.example/two"]),
        ("urls", [42]),
        ("future", "yes"),
        ("good_faith", "true"),
        ("accuracy", 1),
        ("requester_name", 12345),
        ("role", ["author"]),
        ("requester_email", {"address": "robin@rights.example"}),
    ],
)
def test_wrong_json_types_are_field_errors(field, value):
    response = client_for("anonymous").post(SUBMIT, submission(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not RemovalRequest.objects.exists()


@pytest.mark.django_db
def test_the_rate_limit_is_the_forms_and_shared_with_it(settings, client):
    settings.TAKEDOWN_RATE_LIMIT_PER_HOUR = 2
    api = client_for("anonymous")
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert client.post("/takedown/", form_data(submission())).status_code == 302
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert api.post(SUBMIT, submission(), format="json").status_code == 201
        refused = api.post(SUBMIT, submission(), format="json")
        assert client.post("/takedown/", form_data(submission())).status_code == 429

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(50 * 60)  # when the first leaves the hour
    assert refused.json()["code"] == "throttled"
    assert "try again in 50 minute" in refused.json()["detail"]
    assert RemovalRequest.objects.count() == 2
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert api.post(SUBMIT, submission(), format="json").status_code == 201


@pytest.mark.django_db
def test_a_body_larger_than_the_forms_limit_is_refused_unread():
    data = submission(explanation="x" * (1024 * 1024))
    response = client_for("anonymous").post(SUBMIT, data, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


# --- reading -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_read_requests_without_their_secrets():
    removal_request = RemovalRequestFactory(status=Status.VERIFIED, staff_notes="call back")
    response = client_for("staff").get(f"{SUBMIT}{removal_request.reference}/")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == removal_request.reference
    assert body["requester_email"] == removal_request.requester_email
    assert body["staff_notes"] == "call back"
    assert "status_token" not in body and "client_key" not in body
    assert removal_request.status_token not in response.content.decode()
    assert client_for("staff").get(f"{SUBMIT}TD-2026-99999/").status_code == 404


@pytest.mark.django_db
def test_list_filters_and_ordering():
    now = timezone.now()
    late = RemovalRequestFactory(status=Status.VERIFIED, due_at=now - timedelta(hours=1))
    soon = RemovalRequestFactory(status=Status.RECEIVED, due_at=now + timedelta(hours=5))
    done = RemovalRequestFactory(status=Status.COMPLETED, due_at=now - timedelta(days=3))
    staff = client_for("staff")

    def references(**query):
        response = staff.get(SUBMIT, query)
        assert response.status_code == 200, response.content
        return [r["reference"] for r in response.json()["results"]]

    assert references() == [done.reference, late.reference, soon.reference]
    assert references(open="true") == [late.reference, soon.reference]
    assert references(open="false") == [done.reference]
    assert references(overdue="true") == [late.reference]
    assert references(status=["received", "completed"]) == [done.reference, soon.reference]
    assert references(search=soon.reference) == [soon.reference]
    assert references(ordering="-due_at") == [soon.reference, late.reference, done.reference]
    assert staff.get(SUBMIT, {"status": "lost"}).status_code == 400


# --- deciding ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_officer_approves_a_verified_request():
    removal_request = RemovalRequestFactory(status=Status.VERIFIED)
    response = client_for("officer").post(
        f"{SUBMIT}{removal_request.reference}/approve/",
        {"reason": "their own article"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["decided_by"] == "api-officer"
    assert body["decision_reason"] == "their own article"
    event = AuditEvent.objects.for_object(removal_request).get(action="request.approved")
    assert event.actor_name == "api-officer"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status,action",
    [
        (Status.RECEIVED, "approve"),  # the address is not verified yet
        (Status.COMPLETED, "approve"),
        (Status.APPROVED, "reject"),
        (Status.REJECTED, "withdraw"),
        (Status.WITHDRAWN, "withdraw"),
    ],
)
def test_a_transition_the_state_machine_refuses_is_409(status, action):
    removal_request = RemovalRequestFactory(status=status)
    response = client_for("officer").post(
        f"{SUBMIT}{removal_request.reference}/{action}/", {"reason": "because"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"cannot {action} {removal_request.reference}: it is {status}",
        "code": "conflict",
    }
    removal_request.refresh_from_db()
    assert removal_request.status == status
    assert not AuditEvent.objects.for_object(removal_request).exists()
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_rejection_needs_a_reason_and_mails_it():
    removal_request = RemovalRequestFactory(status=Status.RECEIVED)
    officer = client_for("officer")
    url = f"{SUBMIT}{removal_request.reference}/reject/"
    for body in ({}, {"reason": ""}, {"reason": "  "}):
        response = officer.post(url, body, format="json")
        assert response.status_code == 400
        assert "reason" in response.json()
    response = officer.post(url, {"reason": "The article is not yours."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    mail = Message.objects.get(case=removal_request.reference)
    assert mail.kind == "rejection"
    assert "The article is not yours." in mail.text_body


@pytest.mark.django_db
def test_staff_withdraw_as_the_admin_does():
    removal_request = RemovalRequestFactory(status=Status.APPROVED)
    response = client_for("officer").post(
        f"{SUBMIT}{removal_request.reference}/withdraw/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    event = AuditEvent.objects.for_object(removal_request).get(action="request.withdrawn")
    assert event.reason == "Marked withdrawn by our staff."
    assert Message.objects.get(case=removal_request.reference).kind == "withdrawal"
