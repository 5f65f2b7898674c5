"""/transparency/: what was removed and why, newest first, without anyone's personal data;
and the staff form that publishes a redacted explanation."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.reports.redaction import redact
from compliance.takedowns.casework import request_explanation_publish
from tests.factories import (
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)

PRIVATE = {
    "requester_name": "Quentin Privatperson",
    "requester_email": "quentin.secret@hidden-mail.example",
    "organisation": "Privatperson Holdings",
    "signature": "Q. Privatperson",
    "explanation": "Call me on +44 20 7946 0958, I am Quentin Privatperson and I wrote this.",
    "staff_notes": "Internal: the requester seems upset.",
}


def when(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def carried_out(reference: str, day: int, *, status="completed", titles=("A headline",), **fields):
    origin = fields.pop("origin", None) or OriginFactory(domain="alpha.example", name="Alpha Daily")
    request = RemovalRequestFactory(
        reference=reference,
        status=status,
        received_at=when(day - 1),
        completed_at=when(day),
        closed_at=when(day + 1) if status == "reversed" else when(day),
        origin=origin,
        **{**PRIVATE, **fields},
    )
    for title in titles:
        RemovalTargetFactory(
            request=request, item=ItemFactory(origin=origin, title=title, status="hidden")
        )
    return request


@pytest.mark.django_db
def test_completed_and_reversed_requests_newest_first_without_personal_data(client):
    carried_out(
        "TD-2026-00001",
        3,
        titles=["Invented story about lakes"],
        ground="privacy",
        scope="author",
        future=True,
    )
    carried_out("TD-2026-00002", 9, status="reversed", titles=["Restored piece on bridges"])
    carried_out("TD-2026-00003", 6, titles=["First title", "Second title"])
    for status in ("received", "verified", "approved", "processing", "rejected", "withdrawn"):
        RemovalRequestFactory(reference=f"TD-2026-1{status[:4]}", status=status, **PRIVATE)

    response = client.get("/transparency/")
    assert response.status_code == 200
    page = response.content.decode()
    positions = [page.index(ref) for ref in ("TD-2026-00002", "TD-2026-00003", "TD-2026-00001")]
    assert positions == sorted(positions)  # newest completion first
    assert "TD-2026-1" not in page  # nothing still open, rejected or withdrawn
    for shown in (
        "Restored piece on bridges",
        "Second title",
        "Alpha Daily",
        "alpha.example",
        "Privacy",
        "Everything by this author",
        "now and in the future",
        "(reversed)",
        "2 March 2026",
        "3 March 2026",
    ):
        assert shown in page, shown
    for secret in PRIVATE.values():
        assert secret not in page
    # A privacy request's titles may name the person: none is shown.
    assert "Invented story about lakes" not in page
    assert "Titles are not shown" in page
    for fragment in ("Quentin", "Privatperson", "hidden-mail", "7946", "upset"):
        assert fragment not in page


@pytest.mark.django_db
def test_a_redacted_explanation_is_shown_once_staff_publish_it(client):
    request = carried_out("TD-2026-00010", 5)
    officer = UserFactory(officer=True)
    request_explanation_publish(
        removal_request=request, user=officer, text="I am [private] and I wrote this article."
    )
    page = client.get("/transparency/").content.decode()
    assert "I am [private] and I wrote this article." in page
    assert "Quentin" not in page
    request.refresh_from_db()
    assert request.explanation == PRIVATE["explanation"]  # the original is kept
    event = AuditEvent.objects.get(action="request.explanation_published")
    assert (event.case, event.actor_name) == (request.reference, officer.username)


@pytest.mark.django_db
def test_paginated_with_a_fixed_number_of_queries(client, django_assert_num_queries):
    origin = OriginFactory()
    for n in range(3):
        carried_out(f"TD-2026-{n:05d}", 5, origin=origin, titles=[f"Title {n}"])
    with django_assert_num_queries(3):  # count, page, titles
        assert client.get("/transparency/").status_code == 200
    for n in range(3, 30):
        carried_out(
            f"TD-2026-{n:05d}",
            5 + n % 20,
            origin=origin,
            titles=[f"Title {n}.{k}" for k in range(12)],
        )
    with django_assert_num_queries(3):
        first = client.get("/transparency/").content.decode()
    assert first.count("<article>") == 25
    assert "Page 1 of 2" in first
    assert "The first 10 of 12 shown." in first
    assert "Title 24.9" in first and "Title 24.10" not in first
    second = client.get("/transparency/?page=2").content.decode()
    assert second.count("<article>") == 5
    assert client.get("/transparency/?page=99").status_code == 200


def test_the_redaction_draft_removes_addresses_numbers_and_names():
    text = (
        "I am Robin Rights (robin@rights.example, +44 20 7946 0958) for Rights Media Ltd. "
        "See https://alpha.example/news/article-123456789 from 2026-03-01. Robin wrote it."
    )
    draft = redact(text, names=["Robin Rights", "Rights Media Ltd"])
    assert draft == (
        "I am [private] ([private], [private]) for [private]. "
        "See https://alpha.example/news/article-123456789 from 2026-03-01. "
        "[private] wrote it."
    )


@pytest.mark.django_db
def test_staff_publish_through_the_form_only_if_they_may_decide(client):
    request = carried_out("TD-2026-00020", 5)
    url = reverse("reports:publish-explanation", args=[request.pk])
    assert client.get(url).status_code == 302  # anonymous: to the admin login

    client.force_login(UserFactory(username="reader"))
    page = client.get(url).content.decode()
    assert "Call me on [private], I am [private] and I wrote this." in page  # the draft
    assert client.post(url, {"public_explanation": "Anything"}).status_code == 403

    client.force_login(UserFactory(username="officer", officer=True))
    response = client.post(url, {"public_explanation": "  I am [private].  "})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.public_explanation == "I am [private]."
    assert "I am [private]." in client.get("/transparency/").content.decode()
    client.post(url, {"public_explanation": ""})
    request.refresh_from_db()
    assert request.public_explanation == ""
    assert AuditEvent.objects.filter(action="request.explanation_withdrawn").count() == 1


@pytest.mark.django_db
def test_reversal_dates_are_shown(client):
    carried_out("TD-2026-00030", 10, status="reversed")
    page = client.get("/transparency/").content.decode()
    assert "Reversed" in page and (when(11) - timedelta(0)).strftime("%-d March 2026") in page
