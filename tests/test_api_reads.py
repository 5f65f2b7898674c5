"""block-rules/, reports/ and audit-events/: read-only views for staff, with their
filters, the report's CSV, and a fixed number of queries per page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.items.models import BlockRule
from tests.apitools import API, client_for, make_world
from tests.factories import (
    BlockRuleFactory,
    FeedFactory,
    ItemFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
)


@pytest.fixture
def world(db):
    return make_world()


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- block rules ---------------------------------------------------------------------------


def test_block_rules_with_their_request_and_filters(world):
    author_rule = BlockRuleFactory(item=world.item, kind=BlockRule.Kind.AUTHOR, is_active=False)
    staff = client_for("staff")

    rules = results(staff.get(f"{API}/block-rules/"))
    assert [r["id"] for r in rules] == [author_rule.pk, world.rule.pk]  # newest first
    url_rule = rules[1]
    assert url_rule["kind"] == "url"
    assert url_rule["url"] == world.hidden.original_url
    assert url_rule["request"] == world.hidden.status_case
    assert url_rule["description"] == str(world.rule)

    def ids(**query):
        return [r["id"] for r in results(staff.get(f"{API}/block-rules/", query))]

    assert ids(kind="author") == [author_rule.pk]
    assert ids(is_active="true") == [world.rule.pk]
    assert ids(request=world.hidden.status_case) == [world.rule.pk]
    assert ids(request="TD-1999-00001") == []
    assert staff.get(f"{API}/block-rules/", {"kind": "everything"}).status_code == 400


# --- reports -------------------------------------------------------------------------------


def test_reports_list_retrieve_and_csv(world):
    staff = client_for("staff")
    report = world.report
    listed = results(staff.get(f"{API}/reports/"))
    assert [r["id"] for r in listed] == [report.pk]
    assert listed[0]["kind"] == "daily"
    assert listed[0]["period"] == report.period_label
    assert "figures" not in listed[0]

    one = staff.get(f"{API}/reports/{report.pk}/").json()
    assert one["figures"] == report.figures
    assert one["breaches"] == report.breaches

    csv = staff.get(f"{API}/reports/{report.pk}/csv/")
    assert csv.status_code == 200
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv["Content-Disposition"] == (
        f'attachment; filename="compliance-report-daily-{report.first_day:%Y%m%d}.csv"'
    )
    assert csv.content.decode() == report.csv
    assert staff.get(f"{API}/reports/{report.pk + 1}/csv/").status_code == 404
    assert staff.get(f"{API}/reports/", {"kind": "weekly"}).json()["count"] == 0


# --- audit events --------------------------------------------------------------------------


def test_audit_events_filtered_by_object(world):
    staff = client_for("staff")
    audit_record(actor=Actor.system("test"), action="item.hidden", obj=world.hidden)
    response = staff.get(
        f"{API}/audit-events/", {"object_type": "items.item", "object_id": world.item.pk}
    )
    events = results(response)
    assert [e["id"] for e in events] == [world.event.pk]
    event = events[0]
    assert event["object_type"] == "items.item"
    assert event["object_id"] == world.item.pk
    assert event["action"] == "item.published"
    assert event["actor_kind"] == "system"
    assert event["reason"] == "synthetic"

    by_type = results(staff.get(f"{API}/audit-events/", {"object_type": "items.item"}))
    assert {e["object_id"] for e in by_type} == {world.item.pk, world.hidden.pk}


def test_audit_events_filtered_by_request_reference(world):
    staff = client_for("staff")
    officer = client_for("officer")
    reference = world.request.reference
    officer.post(f"{API}/removal-requests/{reference}/approve/", {}, format="json")
    officer.post(f"{API}/removal-requests/{reference}/withdraw/", {}, format="json")
    events = results(staff.get(f"{API}/audit-events/", {"request": reference}))
    assert [e["action"] for e in events] == ["request.withdrawn", "request.approved"]
    assert {e["request"] for e in events} == {reference}
    assert [
        e["action"]
        for e in results(
            staff.get(f"{API}/audit-events/", {"request": reference, "ordering": "at"})
        )
    ] == ["request.approved", "request.withdrawn"]


def test_audit_events_filtered_by_time_with_an_offset(world):
    staff = client_for("staff")
    at = world.event.at
    # The same instant, written on a +02:00 clock, still finds the event.
    local = at.astimezone(timezone.get_fixed_timezone(120)).isoformat()
    assert world.event.pk in [
        e["id"] for e in results(staff.get(f"{API}/audit-events/", {"at_after": local}))
    ]
    later = (at + timedelta(seconds=1)).isoformat()
    assert world.event.pk not in [
        e["id"] for e in results(staff.get(f"{API}/audit-events/", {"at_after": later}))
    ]


@pytest.mark.parametrize("offset", ["+19:00", "-23:59", "+15:59"])
def test_audit_events_filtered_by_time_with_any_offset_rfc_3339_allows(world, offset):
    # PostgreSQL refuses offsets beyond ±15:59: the filter compares in UTC, never a 500.
    at = world.event.at
    hours, minutes = int(offset[1:3]), int(offset[4:])
    sign = 1 if offset[0] == "+" else -1
    clock = timezone.get_fixed_timezone(sign * (hours * 60 + minutes))
    local = at.astimezone(clock).isoformat()
    assert local.endswith(offset)
    response = client_for("staff").get(f"{API}/audit-events/", {"at_after": local})
    assert response.status_code == 200
    assert world.event.pk in [e["id"] for e in results(response)]


@pytest.mark.parametrize(
    "query,field",
    [
        ({"object_type": "items.nothing"}, "object_type"),
        ({"object_type": "items"}, "object_type"),
        ({"object_id": "one"}, "object_id"),
        ({"object_id": str(2**64)}, "object_id"),
        ({"object_id": "-3"}, "object_id"),
        ({"actor_kind": "robot"}, "actor_kind"),
        ({"at_after": "last tuesday"}, "at"),
        # Valid ISO 8601, but outside the years 1 to 9999 once in UTC.
        ({"at_after": "9999-12-31T23:59:59-23:59"}, "at"),
        ({"at_before": "0001-01-01T00:00:00+14:00"}, "at"),
        ({"ordering": "reason"}, "ordering"),
    ],
)
def test_bad_audit_filters_are_400(world, query, field):
    response = client_for("staff").get(f"{API}/audit-events/", query)
    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()), response.json()


def test_an_audit_event_cannot_be_changed_or_deleted(world):
    officer = client_for("officer")
    url = f"{API}/audit-events/{world.event.pk}/"
    for method in ("put", "patch", "delete"):
        assert (
            getattr(officer, method)(url, {"reason": "rewritten"}, format="json").status_code == 405
        )
    assert officer.post(f"{API}/audit-events/", {}, format="json").status_code == 405
    world.event.refresh_from_db()
    assert world.event.reason == "synthetic"


# --- fixed queries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/audit-events/", "/block-rules/", "/removal-requests/", "/origins/", "/feeds/"]
)
def test_staff_lists_run_a_fixed_number_of_queries(world, path):
    staff = client_for("staff")
    with CaptureQueriesContext(connection) as few:
        assert staff.get(API + path).status_code == 200
    for _ in range(6):
        item = ItemFactory()
        request = RemovalRequestFactory(origin=item.origin)
        RemovalTargetFactory(request=request, item=item)
        FeedFactory(origin=item.origin)
        BlockRuleFactory(item=item, request=request)
        audit_record(
            actor=Actor.system("test"), action="item.published", obj=item, case=request.reference
        )
    with CaptureQueriesContext(connection) as many:
        assert staff.get(API + path).json()["count"] >= 6
    assert len(many) == len(few)
    assert AuditEvent.objects.count() > 6
