"""Submitting the public records: statements of reasons to the Transparency Database in
batches (all or nothing, field errors kept per statement, no duplicate after a timeout,
back-off on 429 and 5xx), notices to Lumen (Location kept, retries), each against a local
stand-in that enforces the documented rules (tests/recordservers.py). The same from a
real worker is in test_public_records_worker.py."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.reports import lumen, record_clients, tdb
from compliance.reports.models import DsaStatement, LumenNotice
from compliance.reports.public_records import public_records_submit
from compliance.takedowns.models import RemovalRequest, TrustedFlagger
from compliance.takedowns.state import request_complete
from tests.factories import (
    ItemFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)

Status = RemovalRequest.Status
pytestmark = pytest.mark.django_db


def completed(n: int = 1) -> list[RemovalRequest]:
    done = []
    for _ in range(n):
        removal_request = RemovalRequestFactory(status=Status.PROCESSING)
        RemovalTargetFactory(request=removal_request, item=ItemFactory(status="hidden"))
        done.append(request_complete(removal_request=removal_request))
    return done


def posts(server, path):
    return [body for method, p, body in server.calls if method == "POST" and p == path]


def state(record):
    return type(record).objects.get(pk=record.pk)


def test_due_statements_go_in_batches_of_at_most_100(public_records):
    server, _ = public_records
    completed(150)
    assert tdb.dsa_statements_submit() == 150
    assert [len(b["statements"]) for b in posts(server, "/api/v1/statements")] == [100, 50]
    statement = DsaStatement.objects.order_by("id").first()
    assert statement.state == "submitted" and statement.submitted_at
    assert statement.tdb_uuid == server.statements[statement.puid]["uuid"]
    assert statement.tdb_id == str(server.statements[statement.puid]["id"])
    assert tdb.dsa_statements_submit() == 0  # nothing twice
    assert len(posts(server, "/api/v1/statements")) == 2


def test_a_trusted_flagger_s_statement_names_it_as_the_source(public_records):
    server, _ = public_records
    flagger = TrustedFlagger.objects.create(organisation="Hotline", domains="hotline.example")
    (ordinary,) = completed(1)
    flagged = RemovalRequestFactory(status=Status.PROCESSING, trusted_flagger=flagger)
    RemovalTargetFactory(request=flagged, item=ItemFactory(status="hidden"))
    request_complete(removal_request=flagged)  # the statement is made here
    assert tdb.dsa_statements_submit() == 2  # the stand-in accepted both
    assert server.statements[flagged.reference]["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert server.statements[ordinary.reference]["source_type"] == "SOURCE_ARTICLE_16"


def test_a_refused_statement_keeps_its_errors_and_the_others_go_through(public_records):
    server, _ = public_records
    good, bad, other = completed(3)
    broken = bad.dsa_statements.get()
    broken.payload = {**broken.payload, "category": "STATEMENT_CATEGORY_UNKNOWN"}
    broken.payload.pop("decision_facts")
    broken.save()
    assert tdb.dsa_statements_submit() == 2
    first, second = posts(server, "/api/v1/statements")
    assert len(first["statements"]) == 3  # refused whole: all or nothing
    assert [s["puid"] for s in second["statements"]] == [good.reference, other.reference]
    broken = state(broken)
    assert broken.state == "refused"
    assert set(broken.errors) == {"category", "decision_facts"}
    assert "invalid" in broken.errors["category"][0]
    assert set(server.statements) == {good.reference, other.reference}


def test_after_a_timeout_the_database_is_asked_before_sending_again(public_records, settings):
    server, _ = public_records
    settings.PUBLIC_RECORDS_TIMEOUT_SECONDS = 0.5
    (removal_request,) = completed(1)
    server.stall_next(1.5)  # stored, but the answer comes too late
    assert tdb.dsa_statements_submit() == 0
    statement = removal_request.dsa_statements.get()
    assert (statement.state, statement.uncertain, statement.attempts) == ("due", True, 1)
    assert "no answer" in statement.last_error
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert tdb.dsa_statements_submit() == 1
    statement = state(statement)
    assert statement.state == "submitted" and not statement.uncertain
    assert statement.tdb_uuid == server.statements[statement.puid]["uuid"]
    assert len(posts(server, "/api/v1/statements")) == 1  # never sent twice
    assert ("GET", f"/api/v1/statement/existing-puid/{statement.puid}", None) in server.calls


def test_a_timeout_the_database_did_not_store_is_sent_again(public_records, settings):
    server, _ = public_records
    completed(1)
    DsaStatement.objects.update(uncertain=True, attempts=1)
    assert tdb.dsa_statements_submit() == 1  # 404 from existing-puid: sent
    assert len(posts(server, "/api/v1/statements")) == 1


def test_429_and_5xx_back_off_and_try_again(public_records):
    server, _ = public_records
    (removal_request,) = completed(1)
    now = timezone.now()
    server.fail_next(429, retry_after="600")
    assert tdb.dsa_statements_submit(now=now) == 0
    statement = removal_request.dsa_statements.get()
    assert statement.state == "due" and statement.attempts == 1
    assert statement.next_attempt_at >= now + timedelta(seconds=590)  # Retry-After honoured
    assert tdb.dsa_statements_submit() == 0 and len(server.calls) == 1  # not before its time
    with time_machine.travel(now + timedelta(minutes=11)):
        server.fail_next(503)
        assert tdb.dsa_statements_submit() == 0
        assert state(statement).attempts == 2 and "503" in state(statement).last_error
    with time_machine.travel(now + timedelta(hours=1)):
        assert tdb.dsa_statements_submit() == 1
    assert state(statement).state == "submitted" and state(statement).last_error == ""


def test_a_puid_the_database_already_has_is_marked_submitted(public_records):
    server, _ = public_records
    (removal_request,) = completed(1)
    statement = removal_request.dsa_statements.get()
    server.statements[statement.puid] = {**statement.payload, "id": 7, "uuid": "u-7"}
    assert tdb.dsa_statements_submit() == 1
    assert (state(statement).state, state(statement).tdb_uuid) == ("submitted", "u-7")


def test_a_wrong_token_is_retried_not_refused(public_records, settings):
    settings.DSA_TDB_API_TOKEN = "wrong"
    (removal_request,) = completed(1)
    assert tdb.dsa_statements_submit() == 0
    statement = removal_request.dsa_statements.get()
    assert statement.state == "due" and "401" in statement.last_error


def test_submission_can_be_switched_off(public_records, settings):
    server, lumen_server = public_records
    settings.PUBLIC_RECORDS_SUBMIT = False
    completed(2)
    assert public_records_submit() == {"backfilled": 0, "dsa_submitted": 0, "lumen_submitted": 0}
    assert server.calls == [] and lumen_server.calls == []
    assert set(DsaStatement.objects.values_list("state", flat=True)) == {"due"}


def test_lumen_notices_are_posted_and_their_location_kept(public_records):
    _, server = public_records
    first, second = completed(2)
    server.fail_next(502)
    assert lumen.lumen_notices_submit() == 1
    retried = LumenNotice.objects.get(request=first)
    assert retried.state == "due" and "502" in retried.last_error
    sent = LumenNotice.objects.get(request=second)
    assert sent.state == "submitted" and sent.location == f"{server.url}/notices/1"
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert lumen.lumen_notices_submit() == 1
    assert state(retried).location == f"{server.url}/notices/2"
    assert len(server.notices) == 2


def test_lumen_refuses_a_notice_with_a_field_it_does_not_permit(public_records):
    _, server = public_records
    (removal_request,) = completed(1)
    notice = LumenNotice.objects.get(request=removal_request)
    notice.payload["notice"]["requester_email"] = "someone@example.org"
    notice.save()
    assert lumen.lumen_notices_submit() == 0
    notice = state(notice)
    assert notice.state == "refused" and "requester_email" in notice.errors
    assert server.notices == []


def test_two_runs_at_once_claim_each_record_once(public_records):
    completed(3)
    now = datetime.now(UTC)
    claimed = record_clients.claim_due(DsaStatement, now=now, limit=100)
    assert len(claimed) == 3
    assert record_clients.claim_due(DsaStatement, now=now, limit=100) == []


def test_staff_see_each_record_s_state_on_the_request_in_admin_and_api(public_records, client):
    good, bad = completed(2)
    broken = bad.dsa_statements.get()
    broken.payload = {**broken.payload, "territorial_scope": ["US"]}
    broken.save()
    public_records_submit()
    client.force_login(UserFactory())
    page = client.get(reverse("admin:takedowns_removalrequest_change", args=[bad.pk]))
    html = page.content.decode()
    assert "Public records" in html and "Refused" in html
    assert "territorial_scope: The selected territorial scope is invalid." in html
    page = client.get(reverse("admin:takedowns_removalrequest_change", args=[good.pk]))
    uuid = good.dsa_statements.get().tdb_uuid
    assert uuid and f"UUID {uuid}" in page.content.decode()
    assert f"{public_records[1].url}/notices/" in page.content.decode()
    records = client.get(f"/api/v1/removal-requests/{bad.reference}/").json()["public_records"]
    (statement,) = records["dsa_statements"]
    assert (statement["puid"], statement["state"]) == (bad.reference, "refused")
    assert "territorial_scope" in statement["errors"]
    assert records["lumen_notice"]["state"] == "submitted"
    assert records["lumen_notice"]["location"].startswith(public_records[1].url)


def test_an_officer_makes_a_refused_statement_again_and_it_goes_through(public_records, client):
    server, _ = public_records
    (removal_request,) = completed(1)
    statement = removal_request.dsa_statements.get()
    statement.payload = {**statement.payload, "automated_detection": "Maybe"}
    statement.save()
    tdb.dsa_statements_submit()
    assert state(statement).state == "refused"
    changelist = reverse("admin:reports_dsastatement_changelist")
    action = {"action": "rebuild", "_selected_action": [statement.pk], "index": 0}
    client.force_login(UserFactory())  # staff, not an officer: may not
    client.post(changelist, action)
    assert state(statement).state == "refused"
    client.force_login(UserFactory(officer=True))
    response = client.post(changelist, action, follow=True)
    assert "1 record(s) made again" in response.content.decode()
    rebuilt = state(statement)
    assert rebuilt.state == "due" and rebuilt.errors == {}
    assert rebuilt.payload["automated_detection"] == "No"
    event = AuditEvent.objects.get(action="public_record.rebuilt")
    assert event.before["payload"]["automated_detection"] == "Maybe"
    assert event.case == removal_request.reference
    assert tdb.dsa_statements_submit() == 1
    assert removal_request.reference in server.statements


def test_beat_submits_what_is_due_on_its_own_schedule(settings):
    from compliance.reports.tasks import submit_public_records

    job = settings.CELERY_BEAT_SCHEDULE["submit-public-records"]
    assert job == {"task": submit_public_records.name, "schedule": 300}
    assert submit_public_records.acks_late
