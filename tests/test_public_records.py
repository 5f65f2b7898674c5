"""The public records of each decision, stored when it is taken: the DSA statement of the
decision and one more for each reversal, the Lumen notice, what their facts count, what
they never say about the person a privacy or defamation request is about, and the
export command built from them."""

import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from compliance.core.actors import Actor
from compliance.items.models import Item
from compliance.items.status import items_hide
from compliance.reports.models import DsaStatement, LumenNotice
from compliance.reports.public_records import NO_WORKS, public_records_backfill
from compliance.takedowns import reversal
from compliance.takedowns.decisions import request_reject
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.state import request_complete
from tests.factories import (
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)
from tests.recordservers import notice_errors, statement_errors

Status = RemovalRequest.Status
JOB = Actor.system("process_takedown")
PERSON = {
    "requester_name": "Morwenna Tregarthen",
    "requester_email": "morwenna.t@private.example",
    "signature": "Morwenna Tregarthen",
    "organisation": "Tregarthen Family Office",
    "explanation": "The article about Morwenna Tregarthen of Penzance is false.",
}
TITLE = "Penzance councillor Morwenna Tregarthen accused of fraud"
SLUG = "penzance-councillor-morwenna-tregarthen-accused-of-fraud"


@pytest.fixture
def officer(db):
    return UserFactory(username="olive", officer=True)


def carried_out(*items, ground="copyright", scope="items", **fields):
    """A request the takedown job carried out: its items hidden under its case, then
    completed through the state machine (as the job does)."""
    origin = items[0].origin if items else OriginFactory()
    removal_request = RemovalRequestFactory(
        status=Status.PROCESSING, origin=origin, ground=ground, scope=scope, **fields
    )
    for item in items:
        RemovalTargetFactory(request=removal_request, item=item)
    covered = Item.objects.filter(pk__in=[i.pk for i in items])
    if scope == "author" and items:
        covered = Item.objects.filter(origin=origin, author_key=items[0].author_key)
    items_hide(items=covered, actor=JOB, reason="test", case=removal_request.reference)
    return request_complete(removal_request=removal_request)


@pytest.mark.django_db
def test_a_decision_stores_its_statement_and_notice_valid_for_both_databases():
    removal_request = carried_out(ItemFactory(), ItemFactory())
    (statement,) = removal_request.dsa_statements.all()
    assert (statement.kind, statement.puid, statement.state) == (
        "decision",
        removal_request.reference,
        "due",
    )
    assert statement_errors(statement.payload) == {}
    assert "end_date_visibility_restriction" not in statement.payload
    notice = LumenNotice.objects.get(request=removal_request)
    assert notice.state == "due" and notice_errors(notice.payload["notice"]) == {}
    assert notice.payload["notice"]["action_taken"] == "Yes"


@pytest.mark.django_db
def test_a_reversal_is_a_statement_of_its_own(officer):
    with time_machine.travel(datetime(2026, 3, 3, 10, tzinfo=UTC), tick=False):
        removal_request = carried_out(ItemFactory())
    with time_machine.travel(datetime(2026, 3, 20, 9, tzinfo=UTC), tick=False):
        reversal.request_restore(
            removal_request=removal_request,
            actor=Actor.staff(officer),
            reason="The author's counter-notice showed a CC BY licence.",
        )
    decision, restored = removal_request.dsa_statements.order_by("created_at")
    assert (decision.puid, restored.puid) == (
        removal_request.reference,
        f"{removal_request.reference}-r1",
    )
    assert restored.kind == "reversal" and statement_errors(restored.payload) == {}
    # The original decision's dates, and the end of the restriction.
    assert restored.payload["application_date"] == decision.payload["application_date"]
    assert restored.payload["application_date"] == "2026-03-03"
    assert restored.payload["end_date_visibility_restriction"] == "2026-03-20"
    facts = restored.payload["decision_facts"]
    assert "restored" in facts and "counter-notice showed a CC BY licence" in facts
    # The decision's own statement is what was stored then: unchanged.
    assert "end_date_visibility_restriction" not in decision.payload
    assert LumenNotice.objects.filter(request=removal_request).count() == 1


@pytest.mark.django_db
def test_a_long_reason_stays_within_the_database_s_limit(officer):
    removal_request = carried_out(ItemFactory())
    reversal.request_restore(
        removal_request=removal_request, actor=Actor.staff(officer), reason="word " * 2000
    )
    restored = removal_request.dsa_statements.get(kind="reversal")
    assert len(restored.payload["decision_facts"]) == 5000
    assert statement_errors(restored.payload) == {}


@pytest.mark.django_db
def test_export_since_includes_a_reversal_of_an_older_decision(officer):
    with time_machine.travel(datetime(2026, 3, 3, 10, tzinfo=UTC), tick=False):
        removal_request = carried_out(ItemFactory())
    with time_machine.travel(datetime(2026, 4, 2, 9, tzinfo=UTC), tick=False):
        reversal.request_restore(
            removal_request=removal_request, actor=Actor.staff(officer), reason="Licence shown."
        )
    out = io.StringIO()
    call_command(
        "export_decisions", "--format", "dsa", "--since", "2026-04-01", stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [s["puid"] for s in lines] == [f"{removal_request.reference}-r1"]
    out = io.StringIO()
    call_command("export_decisions", "--format", "dsa", stdout=out, stderr=io.StringIO())
    assert len(out.getvalue().splitlines()) == 2


@pytest.mark.django_db
def test_the_facts_count_every_item_an_author_scope_took_down():
    origin = OriginFactory()
    named = ItemFactory(origin=origin, author="Ada Quill")
    for _ in range(4):
        ItemFactory(origin=origin, author="Ada Quill")
    ItemFactory(origin=origin, author="Ben Marsh")
    removal_request = carried_out(named, scope="author")
    facts = removal_request.dsa_statements.get().payload["decision_facts"]
    assert "5 republished article(s) were made inaccessible" in facts
    assert len(facts) <= 5000


@pytest.mark.django_db
def test_a_notice_naming_no_url_is_not_sent_and_says_why(officer):
    removal_request = RemovalRequestFactory(status=Status.RECEIVED, channel="email")
    request_reject(removal_request=removal_request, user=officer, reason="Not ours.")
    notice = LumenNotice.objects.get(request=removal_request)
    assert notice.state == "skipped" and notice.reason == NO_WORKS
    assert not removal_request.dsa_statements.exists()  # nothing was restricted
    err = io.StringIO()
    out = io.StringIO()
    call_command("export_decisions", "--format", "lumen", stdout=out, stderr=err)
    assert out.getvalue() == "" and "1 left out" in err.getvalue()


@pytest.mark.django_db
def test_decisions_taken_before_records_existed_get_them_once():
    old = RemovalRequestFactory(
        status=Status.COMPLETED, completed_at=datetime(2025, 5, 1, tzinfo=UTC)
    )
    RemovalTargetFactory(request=old, item=ItemFactory(status="hidden"))
    assert public_records_backfill() == 1
    assert public_records_backfill() == 0
    statement = DsaStatement.objects.get(request=old)
    assert statement.created_at == datetime(2025, 5, 1, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize("ground", ["privacy", "defamation"])
def test_nothing_sent_about_a_person_names_them_or_the_article(ground, officer, client, settings):
    settings.SITE_URL = "https://news.example.org"
    origin = OriginFactory(domain="penwith-herald.example", name="Penwith Herald")
    item = ItemFactory(
        origin=origin,
        title=TITLE,
        slug=SLUG,
        author="Morwenna Tregarthen",
        original_url=f"https://penwith-herald.example/2026/{SLUG}",
    )
    removal_request = carried_out(
        item, ground=ground, public_explanation=f"Removed: “{TITLE}” named a private person.",
        **PERSON,
    )  # fmt: skip
    RemovalTargetFactory(
        request=removal_request, item=None, url=f"https://elsewhere.example/{SLUG}"
    )
    reversal.request_restore(
        removal_request=removal_request,
        actor=Actor.staff(officer),
        reason=f"Morwenna Tregarthen withdrew: “{TITLE}” was accurate.",
    )
    exported = []
    for format in ("dsa", "lumen"):
        out = io.StringIO()
        call_command("export_decisions", "--format", format, stdout=out, stderr=io.StringIO())
        exported.append(out.getvalue())
    client.force_login(officer)
    for name in ("reports:export-dsa", "reports:export-lumen"):
        exported.append(client.get(reverse(name, args=[removal_request.pk])).content.decode())
    for record in removal_request.dsa_statements.all():
        exported.append(json.dumps(record.payload, ensure_ascii=False))
    text = "\n".join(exported)
    assert len(exported) == 6 and f"{removal_request.reference}-r1" in text
    forbidden = [
        *PERSON.values(), "Morwenna", "Tregarthen", "private.example", TITLE, SLUG, "fraud",
    ]  # fmt: skip
    for value in forbidden:
        assert value not in text, value
    notice = LumenNotice.objects.get(request=removal_request).payload["notice"]
    roles = {r["name"]: r["entity_attributes"] for r in notice["entity_notice_roles_attributes"]}
    assert roles["sender"] == {"name": "individual", "kind": "individual"}
    (work,) = notice["works_attributes"]
    assert work["infringing_urls_attributes"] == [
        {"url": f"https://news.example.org/items/ref/{item.pk}/"}
    ]
    assert notice_errors(notice) == {}


@pytest.mark.django_db
def test_the_item_reference_url_shows_staff_the_item_and_others_a_451(client):
    item = ItemFactory(slug=SLUG)
    url = f"/items/ref/{item.pk}/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/items/{SLUG}/"
    Item.objects.filter(pk=item.pk).update(status="hidden")
    response = client.get(url)
    assert response.status_code == 451 and SLUG not in response.content.decode()
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:items_item_change", args=[item.pk])
    assert client.get("/items/ref/999999/").status_code == 404


@pytest.mark.django_db
def test_a_record_that_cannot_be_made_does_not_undo_the_decision(monkeypatch):
    from compliance.reports import exports

    def broken(removal_request):
        raise RuntimeError("a bug in an export")

    real = exports.dsa_statement
    monkeypatch.setattr(exports, "dsa_statement", broken)
    removal_request = carried_out(ItemFactory())
    assert RemovalRequest.objects.get(pk=removal_request.pk).status == Status.COMPLETED
    assert not DsaStatement.objects.exists() and not LumenNotice.objects.exists()
    monkeypatch.setattr(exports, "dsa_statement", real)
    assert public_records_backfill() == 1  # the sweep makes them
    assert removal_request.dsa_statements.get().puid == removal_request.reference
