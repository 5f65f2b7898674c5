"""Exports of a decision: the DSA statement of reasons (Transparency Database fields and
values), the Lumen notice, their staff-only downloads, and manage.py export_decisions."""

import io
import json
import re
from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.reports import exports, selectors
from compliance.reports.public_records import public_records_backfill
from tests.factories import (
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)
from tests.recordservers import AUTOMATED, CATEGORIES, CONTENT_TYPES, SOURCES, VISIBILITIES

PERSONAL = {
    "requester_name": "Dana Notifier",
    "requester_email": "dana.notifier@private.example",
    "organisation": "Notifier Rights Agency",
    "signature": "Dana Notifier",
    "explanation": "As Dana Notifier (phone 030 1234567) I object to this copy.",
}
REQUIRED = {
    "decision_visibility",
    "decision_ground",
    "category",
    "content_type",
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "territorial_scope",
    "puid",
}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def decision(reference="TD-2026-00001", *, status="completed", items=1, **fields):
    origin = OriginFactory(domain="alpha.example", name="Alpha Daily")
    request = RemovalRequestFactory(
        reference=reference,
        status=status,
        origin=origin,
        received_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        completed_at=datetime(2026, 3, 3, 10, tzinfo=UTC) if status != "rejected" else None,
        decided_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
        **{**PERSONAL, **fields},
    )
    for n in range(items):
        RemovalTargetFactory(
            request=request,
            item=ItemFactory(
                origin=origin,
                status="hidden",
                title=f"Invented headline {reference} {n}",
                original_url=f"https://alpha.example/news/{reference.lower()}-{n}",
                published_at=datetime(2026, 2, 20 + n, 8, tzinfo=UTC),
                republished_at=datetime(2026, 2, 21 + n, 8, tzinfo=UTC),
            ),
        )
    return selectors.decision_for_export(request_id=request.pk)


def assert_well_formed(statement: dict):
    assert statement.keys() >= REQUIRED
    assert (
        statement["decision_visibility"] and set(statement["decision_visibility"]) <= VISIBILITIES
    )
    assert statement["category"] in CATEGORIES
    assert statement["content_type"] and set(statement["content_type"]) <= CONTENT_TYPES
    assert statement["source_type"] in SOURCES
    assert statement["automated_detection"] in {"Yes", "No"}
    assert statement["automated_decision"] in AUTOMATED
    assert DAY.match(statement["content_date"]) and statement["content_date"] >= "2000-01-01"
    assert DAY.match(statement["application_date"])
    assert statement["application_date"] >= "2020-01-01"
    assert 0 < len(statement["decision_facts"]) <= 5000
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,500}", statement["puid"])
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in statement["territorial_scope"])
    if statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT":
        assert 0 < len(statement["illegal_content_legal_ground"]) <= 500
        assert 0 < len(statement["illegal_content_explanation"]) <= 2000
    else:
        assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        assert 0 < len(statement["incompatible_content_ground"]) <= 500
        assert 0 < len(statement["incompatible_content_explanation"]) <= 2000
    text = json.dumps(statement)
    for value in PERSONAL.values():
        assert value not in text
    assert "Dana" not in text and "private.example" not in text


@pytest.mark.django_db
def test_a_copyright_notice_from_the_form_approved_automatically():
    statement = exports.dsa_statement(decision(approved_automatically=True, items=2))
    assert_well_formed(statement)
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert "Copyright" in statement["illegal_content_legal_ground"]
    assert statement["category"] == "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    assert statement["category_specification"] == ["KEYWORD_COPYRIGHT_INFRINGEMENT"]
    assert statement["content_type"] == ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"]
    assert statement["source_type"] == "SOURCE_ARTICLE_16"
    assert statement["automated_detection"] == "No"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    # content_date: when the content was posted here (the earliest republication).
    assert (statement["content_date"], statement["application_date"]) == (
        "2026-02-21",
        "2026-03-03",
    )
    assert statement["puid"] == "TD-2026-00001"
    assert "2 republished article(s)" in statement["decision_facts"]
    assert "end_date_visibility_restriction" not in statement


@pytest.mark.django_db
def test_a_feed_s_epoch_date_does_not_make_the_statement_invalid():
    # Feeds carry dates like 1970-01-01; the Transparency Database refuses a content_date
    # before 2000-01-01 (and with it the whole batch the statement is sent in).
    removal = decision()
    item = removal.targets.all()[0].item
    item.published_at = datetime(1970, 1, 1, tzinfo=UTC)
    item.republished_at = None
    item.save()
    statement = exports.dsa_statement(selectors.decision_for_export(request_id=removal.pk))
    assert_well_formed(statement)
    assert statement["content_date"] == "2026-03-02"  # the notice's date: nothing better


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ground", "category", "decision_ground"),
    [
        (
            "licence_withdrawn",
            "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
            "DECISION_GROUND_ILLEGAL_CONTENT",
        ),
        (
            "privacy",
            "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
            "DECISION_GROUND_ILLEGAL_CONTENT",
        ),
        (
            "defamation",
            "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
            "DECISION_GROUND_ILLEGAL_CONTENT",
        ),
        (
            "other",
            "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        ),
        (
            "",
            "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        ),
    ],
)
def test_each_ground_maps_to_a_category(ground, category, decision_ground):
    statement = exports.dsa_statement(decision(ground=ground, channel="email"))
    assert_well_formed(statement)
    assert (statement["category"], statement["decision_ground"]) == (category, decision_ground)
    assert statement["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"


@pytest.mark.django_db
def test_a_reversal_ends_the_restriction_and_puids_are_unique():
    reversed_request = decision(
        "TD-2026-00007", status="reversed", closed_at=datetime(2026, 3, 20, 9, tzinfo=UTC)
    )
    AuditEvent.objects.create(
        at=datetime(2026, 3, 19, 9, tzinfo=UTC),
        actor_kind="system",
        actor_name="restore",
        action="request.reversed",
        object_id=reversed_request.pk,
        content_type=ContentType.objects.get_for_model(reversed_request),
        object_repr="x",
        case=reversed_request.reference,
    )
    # Reversed before public records were stored: they are made from the request and its
    # audit trail, the reversal as a statement of its own.
    public_records_backfill()
    decision_statement, statement = (
        s.payload for s in reversed_request.dsa_statements.order_by("created_at")
    )
    assert_well_formed(statement)
    assert statement["puid"] == "TD-2026-00007-r1" and decision_statement["puid"] == "TD-2026-00007"
    assert statement["end_date_visibility_restriction"] == "2026-03-19"
    assert "on 2026-03-19 the content was restored" in statement["decision_facts"]
    other = exports.dsa_statement(decision("TD-2026-00008"))
    assert other["puid"] not in (statement["puid"], decision_statement["puid"])
    # Stable: the same decision always gets the same identifier.
    assert exports.dsa_statement(reversed_request)["puid"] == decision_statement["puid"]


@pytest.mark.django_db
def test_a_published_redacted_explanation_is_used_as_the_explanation():
    statement = exports.dsa_statement(decision(public_explanation="I am [private], the author."))
    assert statement["illegal_content_explanation"] == "I am [private], the author."


@pytest.mark.django_db
def test_the_lumen_notice():
    removal = decision(items=1)
    RemovalTargetFactory(request=removal, item=None, url="https://unknown.example/copy")
    removal = selectors.decision_for_export(request_id=removal.pk)
    notice = exports.lumen_notice(removal)["notice"]
    assert notice["type"] == "DMCA"
    assert "TD-2026-00001" in notice["title"]
    assert notice["date_sent"].startswith("2026-03-02T09:00")
    assert notice["date_received"].startswith("2026-03-02T09:00")
    assert notice["action_taken"] == "Yes"
    first, unknown = notice["works_attributes"]
    assert first["copyrighted_urls_attributes"] == [
        {"url": "https://alpha.example/news/td-2026-00001-0"}
    ]
    item = removal.targets.all()[0].item
    assert first["infringing_urls_attributes"] == [{"url": f"http://testserver/items/{item.slug}/"}]
    assert unknown["infringing_urls_attributes"] == [{"url": "https://unknown.example/copy"}]
    roles = {
        role["name"]: role["entity_attributes"] for role in notice["entity_notice_roles_attributes"]
    }
    assert set(roles) == {"sender", "principal", "recipient"}
    assert roles["sender"]["name"] == "Dana Notifier"
    assert roles["principal"]["name"] == "Notifier Rights Agency"
    assert roles["recipient"] == {
        "name": "courtesy",
        "kind": "organization",
        "url": "http://testserver",
    }
    text = json.dumps(notice)
    assert "dana.notifier@private.example" not in text and "1234567" not in text
    assert notice["body"] == ""  # nothing staff have not reviewed and published
    assert item.title in first["description"]
    removal.ground = "privacy"
    private = exports.lumen_notice(removal)["notice"]["works_attributes"][0]
    assert item.title not in private["description"] and item.author not in json.dumps(private)
    removal.public_explanation = "As [private] I object to this copy."
    assert exports.lumen_notice(removal)["notice"]["body"] == ""  # about a person: nothing
    removal.ground = "copyright"
    assert exports.lumen_notice(removal)["notice"]["body"] == "As [private] I object to this copy."


@pytest.mark.django_db
def test_downloads_are_for_staff_only(client):
    removal = decision()
    pending = RemovalRequestFactory(reference="TD-2026-00099", status="approved")
    dsa = reverse("reports:export-dsa", args=[removal.pk])
    lumen = reverse("reports:export-lumen", args=[removal.pk])
    assert client.get(dsa).status_code == 302 and client.get(lumen).status_code == 302
    client.force_login(UserFactory())
    response = client.get(dsa)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="TD-2026-00001-dsa-statement.json"'
    )
    assert_well_formed(json.loads(response.content))
    response = client.get(lumen)
    assert json.loads(response.content)["notice"]["type"] == "DMCA"
    assert client.get(reverse("reports:export-dsa", args=[pending.pk])).status_code == 409
    assert client.get(reverse("reports:export-dsa", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_export_decisions_writes_json_lines_with_a_fixed_number_of_queries():
    decision("TD-2026-00001")
    decision("TD-2026-00002", status="reversed", closed_at=datetime(2026, 3, 9, tzinfo=UTC))
    decision("TD-2026-00003", status="rejected")
    RemovalRequestFactory(reference="TD-2026-00004", status="verified")

    def export(*args):
        out, err = io.StringIO(), io.StringIO()
        with CaptureQueriesContext(connection) as queries:
            call_command("export_decisions", *args, stdout=out, stderr=err)
        return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue(), queries

    public_records_backfill()  # decisions stored without records, as before they existed
    statements, err, few = export("--format", "dsa")
    # The reversed one: its decision, and its reversal as a statement of its own.
    assert [s["puid"] for s in statements] == ["TD-2026-00001", "TD-2026-00002", "TD-2026-00002-r1"]
    for statement in statements:
        assert_well_formed(statement)
    assert "3 decision(s) exported as dsa" in err
    notices, _, _ = export("--format", "lumen")
    assert [n["notice"]["action_taken"] for n in notices] == ["No", "Yes", "Yes"]
    for n in range(5, 25):
        decision(f"TD-2026-{n:05d}", items=3)
    public_records_backfill()
    statements, _, many = export("--format", "dsa")
    assert len(statements) == 23
    assert len(many) == len(few)
    # Decided on 2026-03-03; the reversal of 2026-03-09 is a record of the later window.
    since = export("--format", "dsa", "--since", "2026-03-04")[0]
    assert [s["puid"] for s in since] == ["TD-2026-00002-r1"]
    assert export("--format", "dsa", "--since", "2026-03-10")[0] == []


@pytest.mark.django_db
def test_export_decisions_to_a_file_and_bad_arguments(tmp_path, settings):
    decision()
    target = tmp_path / "dsa.jsonl"
    call_command(
        "export_decisions", "--format", "dsa", "--output", str(target), stderr=io.StringIO()
    )
    assert json.loads(target.read_text().splitlines()[0])["puid"] == "TD-2026-00001"
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_decisions", "--format", "dsa", "--since", "March")
    settings.REPORT_TIME_ZONE = "Asia/Tokyo"  # its 0001-01-01 starts in the year 0 in UTC
    with pytest.raises(CommandError, match="outside"):
        call_command("export_decisions", "--format", "dsa", "--since", "0001-01-01")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("export_decisions", "--format", "csv")
