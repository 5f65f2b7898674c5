"""The removal-request state machine: every transition, legal or not, its audit event and
its mail; deadlines; automatic approval; the verification and status links."""

import itertools
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.messaging.models import Message
from compliance.messaging.services import message_send
from compliance.takedowns import tokens
from compliance.takedowns.casework import request_assign, request_flag
from compliance.takedowns.decisions import request_approve, request_reject, request_withdraw
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.selectors import (
    request_for_reference,
    request_status_history,
    requests_open,
    requests_overdue,
)
from compliance.takedowns.state import (
    TRANSITIONS,
    TransitionError,
    request_complete,
    request_reverse,
    request_start_processing,
)
from compliance.takedowns.submission import request_submit, request_verify
from tests.factories import ItemFactory, OriginFactory, RemovalRequestFactory, UserFactory

Status = RemovalRequest.Status
ALL_STATUSES = list(Status.values)
LEGAL = {
    ("received", "verified"),
    ("verified", "approved"),
    ("approved", "processing"),
    ("processing", "completed"),
    ("received", "rejected"),
    ("verified", "rejected"),
    ("received", "withdrawn"),
    ("verified", "withdrawn"),
    ("approved", "withdrawn"),
    ("processing", "withdrawn"),
    ("completed", "reversed"),
}


@pytest.fixture
def officer(db):
    return UserFactory(username="olive", officer=True)


def submit(**overrides):
    fields = {
        "channel": "web",
        "requester_email": "robin@rights.example",
        "requester_name": "Robin Rights",
        "role": "author",
        "urls": [],
        "ground": "copyright",
        "explanation": "My article, republished without my consent.",
        "good_faith": True,
        "accuracy": True,
        "signature": "Robin Rights",
    }
    return request_submit(**{**fields, **overrides})


def move(removal_request, to, user):
    """Attempt the transition to `to` through its service."""
    if to == "verified":
        # Verification would also auto-approve an eligible request; these have no targets.
        return request_verify(removal_request=removal_request)
    if to == "approved":
        return request_approve(removal_request=removal_request, user=user)
    if to == "processing":
        return request_start_processing(removal_request=removal_request)
    if to == "completed":
        return request_complete(removal_request=removal_request)
    if to == "rejected":
        return request_reject(removal_request=removal_request, user=user, reason="Not yours.")
    if to == "withdrawn":
        return request_withdraw(removal_request=removal_request, actor=Actor.staff(user))
    if to == "reversed":
        return request_reverse(
            removal_request=removal_request, actor=Actor.staff(user), reason="Counter-notice."
        )
    raise AssertionError(to)


def test_the_transition_table_is_exactly_the_design():
    table = {(source, target) for target, sources in TRANSITIONS.items() for source in sources}
    assert table == LEGAL


# --- submission ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_stores_a_received_request_with_reference_deadline_audit_and_acknowledgement(
    settings,
):
    settings.TAKEDOWN_TIME_LIMIT_HOURS = 48
    item = ItemFactory()
    with time_machine.travel("2026-03-02 09:00Z", tick=False):
        removal_request = submit(urls=[item.original_url])
    assert removal_request.status == Status.RECEIVED
    assert re.fullmatch(r"TD-2026-\d{5,}", removal_request.reference)
    assert removal_request.due_at - removal_request.received_at == timedelta(hours=48)
    assert removal_request.origin == item.origin
    assert len(removal_request.status_token) >= 32
    [event] = removal_request.audit_events.all()
    assert (event.action, event.actor_kind, event.actor_name) == (
        "request.received",
        "requester",
        "requester robin@rights.example",
    )
    [ack] = removal_request.messages.all()
    assert ack.kind == "acknowledgement" and ack.state == Message.State.QUEUED
    assert f"[{removal_request.reference}]" in ack.subject
    assert tokens.verification_url(removal_request).split("/verify/")[0] in ack.text_body
    assert tokens.status_url(removal_request) in ack.text_body
    assert item.original_url in ack.text_body
    assert "4 March 2026" in ack.text_body  # the deadline
    assert "within 7 days" in ack.text_body and ack.html_body


@pytest.mark.django_db
def test_references_are_unique_and_readable():
    first, second = submit(), submit()
    assert first.reference != second.reference
    assert request_for_reference(f"Re: [{second.reference}] We received") == second


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [("channel", "fax"), ("role", "owner"), ("scope", "everything"), ("ground", "annoyance")],
)
def test_submit_refuses_impossible_values_and_stores_nothing(field, value):
    with pytest.raises(ValueError, match=value):
        submit(**{field: value})
    assert not RemovalRequest.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_acknowledgement_threads_on_the_incoming_mail_and_keeps_it_on_the_request():
    incoming = Message.objects.create(
        direction=Message.Direction.IN,
        state=Message.State.RECEIVED,
        sender="robin@rights.example",
        recipients=["removals@example.org"],
        subject="Please remove my article",
        message_id="<first@rights.example>",
    )
    removal_request = submit(channel="email", incoming_message=incoming)
    incoming.refresh_from_db()
    assert incoming.case == removal_request.reference
    ack = removal_request.messages.get(direction=Message.Direction.OUT)
    assert ack.in_reply_to == "<first@rights.example>"
    assert "<first@rights.example>" in ack.references
    assert message_send(message_id=ack.pk)
    [sent] = mail.outbox
    assert sent.extra_headers["In-Reply-To"] == "<first@rights.example>"
    assert sent.extra_headers["Message-ID"] == ack.message_id


@pytest.mark.django_db(transaction=True)
def test_mail_is_queued_in_the_same_transaction_as_the_change():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        submit()
        raise Boom
    assert not RemovalRequest.objects.exists()
    assert not Message.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rejection_rolled_back_leaves_no_mail_and_no_trace(officer):
    removal_request = RemovalRequestFactory(status="verified")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        request_reject(removal_request=removal_request, user=officer, reason="Not yours.")
        assert Message.objects.filter(kind="rejection").exists()
        raise Boom
    removal_request.refresh_from_db()
    assert removal_request.status == Status.VERIFIED
    assert not Message.objects.exists()
    assert not AuditEvent.objects.exists()


# --- every pair of statuses ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "source, target",
    [(s, t) for s, t in itertools.product(ALL_STATUSES, ALL_STATUSES) if t != "received"],
)
def test_every_transition_is_allowed_exactly_as_designed(source, target, officer):
    removal_request = RemovalRequestFactory(status=source)
    before_events = AuditEvent.objects.count()
    before_messages = Message.objects.count()
    if (source, target) in LEGAL:
        move(removal_request, target, officer)
        removal_request.refresh_from_db()
        assert removal_request.status == target
        event = removal_request.audit_events.all().latest("id")
        assert event.action == f"request.{target}"
        assert (event.before, event.after["status"]) == ({"status": source}, target)
    else:
        with pytest.raises(TransitionError, match=f"{removal_request.reference}: it is {source}"):
            move(removal_request, target, officer)
        removal_request.refresh_from_db()
        assert removal_request.status == source
        assert AuditEvent.objects.count() == before_events
        assert Message.objects.count() == before_messages


@pytest.mark.django_db
def test_error_message_names_the_verb_reference_and_status(officer):
    removal_request = RemovalRequestFactory(status="rejected", reference="TD-2026-00042")
    with pytest.raises(TransitionError) as error:
        request_approve(removal_request=removal_request, user=officer)
    assert str(error.value) == "cannot approve TD-2026-00042: it is rejected"


@pytest.mark.django_db
def test_verifying_twice_is_refused():
    removal_request = submit()
    request_verify(removal_request=removal_request)
    assert removal_request.verified_at is not None
    with pytest.raises(TransitionError, match="it is verified"):
        request_verify(removal_request=removal_request)


# --- decisions, their actors and mails -----------------------------------------------------


@pytest.mark.django_db
def test_staff_approval_records_the_officer_and_the_decision(officer):
    removal_request = RemovalRequestFactory(status="verified")
    request_approve(removal_request=removal_request, user=officer, reason="Clear case.")
    removal_request.refresh_from_db()
    assert removal_request.status == Status.APPROVED
    assert removal_request.decided_by == officer and removal_request.decided_at
    assert removal_request.decision_reason == "Clear case."
    assert not removal_request.approved_automatically
    event = removal_request.audit_events.get(action="request.approved")
    assert (event.actor_kind, event.actor_user, event.reason) == ("staff", officer, "Clear case.")


@pytest.mark.django_db
def test_plain_staff_may_not_approve_or_reject():
    clerk = UserFactory(username="clerk")
    removal_request = RemovalRequestFactory(status="verified")
    with pytest.raises(PermissionDenied):
        request_approve(removal_request=removal_request, user=clerk)
    with pytest.raises(PermissionDenied):
        request_reject(removal_request=removal_request, user=clerk, reason="No.")
    removal_request.refresh_from_db()
    assert removal_request.status == Status.VERIFIED


@pytest.mark.django_db
def test_rejection_mails_the_reason_threaded_on_the_acknowledgement(officer):
    removal_request = submit()
    ack = removal_request.messages.get(kind="acknowledgement")
    request_reject(
        removal_request=removal_request, user=officer, reason="The article is our own work."
    )
    rejection = removal_request.messages.get(kind="rejection")
    assert rejection.recipients == ["robin@rights.example"]
    assert f"[{removal_request.reference}]" in rejection.subject
    assert "The article is our own work." in rejection.text_body
    assert rejection.in_reply_to == ack.message_id
    removal_request.refresh_from_db()
    assert removal_request.closed_at and removal_request.decision_reason


@pytest.mark.django_db
def test_rejection_needs_a_reason(officer):
    removal_request = RemovalRequestFactory(status="received")
    with pytest.raises(ValueError, match="reason"):
        request_reject(removal_request=removal_request, user=officer, reason="  ")


@pytest.mark.django_db
def test_withdrawal_confirms_to_the_requester():
    removal_request = submit()
    request_withdraw(
        removal_request=removal_request, actor=Actor.requester(removal_request.requester_email)
    )
    confirmation = removal_request.messages.get(kind="withdrawal")
    assert "withdrawn" in confirmation.text_body
    assert removal_request.status == Status.WITHDRAWN and removal_request.closed_at


@pytest.mark.django_db
def test_assign_and_flag_are_audited_and_leave_the_status(officer):
    removal_request = RemovalRequestFactory(status="received")
    request_assign(removal_request=removal_request, user=officer, assignee=officer)
    request_flag(removal_request=removal_request, reason="Self-check failed for 1 item.")
    removal_request.refresh_from_db()
    assert removal_request.assignee == officer
    assert removal_request.attention_needed == "Self-check failed for 1 item."
    assert removal_request.status == Status.RECEIVED
    actions = list(
        removal_request.audit_events.all().order_by("id").values_list("action", flat=True)
    )
    assert actions == ["request.assigned", "request.flagged"]


@pytest.mark.django_db
def test_a_closed_request_cannot_be_assigned(officer):
    removal_request = RemovalRequestFactory(status="completed")
    with pytest.raises(TransitionError, match="cannot assign"):
        request_assign(removal_request=removal_request, user=officer, assignee=officer)


# --- automatic approval --------------------------------------------------------------------


@pytest.fixture
def origin(db):
    return OriginFactory(domain="daily.example", contact_emails="legal@lawyers.example\n")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "email, approved",
    [
        ("editor@daily.example", True),
        ("Editor@News.Daily.Example", True),  # a subdomain, any case
        ("legal@lawyers.example", True),  # a listed contact
        ("someone@notdaily.example", False),  # a look-alike domain
        ("robin@rights.example", False),
    ],
)
def test_automatic_approval_depends_on_the_requester_address(origin, email, approved):
    item = ItemFactory(origin=origin)
    removal_request = submit(requester_email=email, urls=[item.original_url])
    request_verify(removal_request=removal_request)
    removal_request.refresh_from_db()
    if approved:
        assert removal_request.status == Status.APPROVED
        assert removal_request.approved_automatically
        event = removal_request.audit_events.get(action="request.approved")
        assert (event.actor_kind, event.actor_name) == ("system", "auto-approval")
        assert event.reason
    else:
        assert removal_request.status == Status.VERIFIED
        assert not AuditEvent.objects.filter(action="request.approved").exists()


@pytest.mark.django_db
def test_no_automatic_approval_with_a_url_of_another_origin_or_an_unknown_url(origin):
    ours = ItemFactory(origin=origin)
    theirs = ItemFactory(origin=OriginFactory(domain="other.example"))
    mixed = submit(
        requester_email="editor@daily.example", urls=[ours.original_url, theirs.original_url]
    )
    unknown = submit(
        requester_email="editor@daily.example",
        urls=[ours.original_url, "https://daily.example/never-republished"],
    )
    nothing = submit(requester_email="editor@daily.example", urls=[])
    for removal_request in (mixed, unknown, nothing):
        request_verify(removal_request=removal_request)
        removal_request.refresh_from_db()
        assert removal_request.status == Status.VERIFIED, removal_request.urls


@pytest.mark.django_db
def test_verification_costs_the_same_queries_for_one_url_or_a_hundred(origin):
    """Verifying (the requester's click) checks every target for automatic approval with a
    fixed number of queries, not one more per URL."""

    def queries_to_verify(count):
        items = ItemFactory.create_batch(count, origin=origin)
        removal_request = submit(
            requester_email="editor@daily.example", urls=[i.original_url for i in items]
        )
        with CaptureQueriesContext(connection) as queries:
            request_verify(removal_request=removal_request)
        assert removal_request.status == Status.APPROVED
        return len(queries.captured_queries)

    assert queries_to_verify(100) == queries_to_verify(1)


# --- deadlines -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_once_the_deadline_passes_and_only_while_open(settings, officer):
    settings.TAKEDOWN_TIME_LIMIT_HOURS = 48
    with time_machine.travel("2026-05-04 10:00Z", tick=False) as traveller:
        early = submit()
        traveller.shift(timedelta(hours=1))
        late = submit()
        traveller.shift(timedelta(hours=47, minutes=30))  # early is 30 min past its deadline
        assert early.is_overdue and not late.is_overdue
        assert list(requests_overdue(timezone.now())) == [early]
        assert list(requests_open()) == [early, late]
        request_reject(removal_request=early, user=officer, reason="Not a rights holder.")
        assert not early.is_overdue
        assert list(requests_overdue(timezone.now())) == []
        traveller.shift(timedelta(hours=1))
        assert list(requests_overdue(timezone.now())) == [late]


# --- tokens and the status history ---------------------------------------------------------


@pytest.mark.django_db
def test_verification_token_round_trip_expiry_and_forgery():
    removal_request = submit()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = tokens.verification_token(removal_request)
        assert tokens.request_for_verification_token(token) == removal_request
        traveller.shift(timedelta(days=7, minutes=1))
        with pytest.raises(tokens.TokenExpired):
            tokens.request_for_verification_token(token)
    with pytest.raises(tokens.TokenInvalid):
        tokens.request_for_verification_token(token[:-2] + "xx")
    with pytest.raises(tokens.TokenInvalid):
        tokens.request_for_verification_token("not-a-token")


@pytest.mark.django_db
def test_verification_token_is_single_use():
    removal_request = submit()
    token = tokens.verification_token(removal_request)
    request_verify(removal_request=tokens.request_for_verification_token(token))
    with pytest.raises(TransitionError):
        request_verify(removal_request=tokens.request_for_verification_token(token))


@pytest.mark.django_db
def test_links_use_the_site_url():
    removal_request = submit()
    assert tokens.status_url(removal_request) == (
        f"http://testserver/takedown/status/{removal_request.status_token}/"
    )
    assert tokens.verification_url(removal_request).startswith("http://testserver/takedown/verify/")


@pytest.mark.django_db
def test_status_history_shows_statuses_and_dates_only(officer):
    removal_request = submit()
    request_verify(removal_request=removal_request)
    request_assign(removal_request=removal_request, user=officer, assignee=officer)
    removal_request.staff_notes = "Secret: the requester seems to be a competitor."
    removal_request.save()
    request_reject(removal_request=removal_request, user=officer, reason="Internal reasoning.")
    history = request_status_history(removal_request)
    assert [h["status"] for h in history] == ["received", "verified", "rejected"]
    assert all(set(h) == {"status", "label", "at"} for h in history)
    assert "Secret" not in repr(history) and officer.username not in repr(history)


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_exactly_one_wins(officer):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every write transaction anyway")
    removal_request = RemovalRequestFactory(status="verified")
    barrier = threading.Barrier(2)
    outcomes = []

    def approve():
        try:
            # Each thread has its own connection; both read "verified" before either writes.
            with transaction.atomic():
                fresh = RemovalRequest.objects.get(pk=removal_request.pk)
                barrier.wait(timeout=10)
                request_approve(removal_request=fresh, user=officer)
            outcomes.append("won")
        except TransitionError:
            outcomes.append("lost")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["lost", "won"]
    assert removal_request.audit_events.filter(action="request.approved").count() == 1
    removal_request.refresh_from_db()
    assert removal_request.status == Status.APPROVED
