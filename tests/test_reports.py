"""Compliance reports: periods in the report time zone (daylight saving included), every
figure on a data set built so that each number is known in advance, invariant breaches,
a fixed number of queries, storage, mail with the CSV attached, and sending once."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from compliance.audit.models import AuditEvent
from compliance.items.models import Item
from compliance.messaging.models import Message
from compliance.messaging.services import message_send
from compliance.reports import invariants, selectors, services
from compliance.reports.figures import CSV_COLUMNS, REPORT_QUERIES, report_figures, report_rows
from compliance.reports.models import ComplianceReport, ReportRecipient
from compliance.reports.periods import Period, last_full_period
from compliance.reports.rendering import report_render
from compliance.takedowns.models import RemovalRequest
from tests.factories import (
    BlockRuleFactory,
    ItemFactory,
    LicenceBasisFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)
from tests.workers import wait_until

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 23 to Sunday 29 March 2026 in Berlin: clocks go forward on the Sunday.
WEEK = Period("weekly", date(2026, 3, 23), date(2026, 3, 29), BERLIN)


def berlin(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


# --- periods ----------------------------------------------------------------------------------


def test_a_week_across_the_spring_change_has_167_hours():
    assert WEEK.start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)  # Monday 00:00 CET
    assert WEEK.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # Monday 00:00 CEST
    assert WEEK.hours == 167
    assert len(WEEK.days) == 7


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),
        ("Europe/Berlin", date(2026, 10, 25), 25),
        ("Europe/Berlin", date(2026, 6, 1), 24),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("UTC", date(2026, 3, 29), 24),
    ],
)
def test_a_day_is_midnight_to_midnight_on_the_local_clock(zone, day, hours):
    period = Period("daily", day, day, ZoneInfo(zone))
    assert period.hours == hours
    assert period.start.astimezone(ZoneInfo(zone)).hour == 0
    assert period.end.astimezone(ZoneInfo(zone)).hour == 0


def test_last_full_period_at_the_boundaries_in_berlin():
    # Sunday 29 March 23:59:59 in Berlin: the week of the 23rd has not ended yet.
    just_before = datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)
    # Monday 30 March 00:00 in Berlin (22:00 UTC on the Sunday): now it has.
    at_midnight = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    week_before = last_full_period("weekly", now=just_before, zone=BERLIN)
    week = last_full_period("weekly", now=at_midnight, zone=BERLIN)
    assert (week_before.first_day, week_before.last_day) == (date(2026, 3, 16), date(2026, 3, 22))
    assert (week.first_day, week.last_day) == (date(2026, 3, 23), date(2026, 3, 29))
    day = last_full_period("daily", now=at_midnight, zone=BERLIN)
    assert (day.first_day, day.hours) == (date(2026, 3, 29), 23)
    assert last_full_period("daily", now=just_before, zone=BERLIN).first_day == date(2026, 3, 28)


def test_last_full_month_and_a_time_frozen_scheduler_clock(settings):
    settings.REPORT_TIME_ZONE = "Europe/Berlin"
    # 00:30 on 1 April in Berlin is still 31 March in UTC.
    with time_machine.travel(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), tick=False):
        month = last_full_period("monthly")
    assert (month.first_day, month.last_day) == (date(2026, 3, 1), date(2026, 3, 31))
    assert month.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert month.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert month.hours == 31 * 24 - 1
    with time_machine.travel(datetime(2026, 3, 31, 21, 59, tzinfo=UTC), tick=False):
        assert last_full_period("monthly").first_day == date(2026, 2, 1)


def test_an_impossible_period_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        Period("daily", date(2026, 3, 2), date(2026, 3, 1), BERLIN)
    with pytest.raises(ValueError, match="unknown period"):
        last_full_period("yearly", zone=BERLIN)


# --- a data set where every number is known ---------------------------------------------------


def audit(action: str, at: datetime, request=None, obj=None, **after) -> AuditEvent:
    obj = obj or request or ItemFactory()
    return AuditEvent.objects.create(
        at=at,
        actor_kind="system",
        actor_name="self_check",
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_repr=str(obj),
        case=request.reference if request else "",
        after=after,
    )


def item(
    origin,
    *,
    status=Item.Status.PUBLISHED,
    republished=None,
    changed=None,
    ingested=None,
    rule=None,
    **extra,
) -> Item:
    """An item as the item services leave it: a hidden or withheld one has the audit
    event of its last status change."""
    first = republished or ingested or changed or berlin(1, 0)
    made = ItemFactory(
        origin=origin,
        status=status,
        republished_at=republished,
        status_changed_at=changed or first,
        ingested_at=ingested or first,
        status_rule=rule,
        **extra,
    )
    if status != Item.Status.PUBLISHED:
        audit(f"item.{status}", made.status_changed_at, obj=made)
    return made


@pytest.fixture
def week_data(db):
    """The week of 23 March 2026 in Berlin. Requests R1-R7 are received in it; R8 was
    received before and completed in it; R9 and R11 are open at its end (both overdue);
    R10 is reversed in it; R12 comes after it."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    expiring = LicenceBasisFactory(
        name="Syndication deal", expires_at=WEEK.end + timedelta(days=10)
    )
    LicenceBasisFactory(name="Later deal", expires_at=WEEK.end + timedelta(days=40))
    LicenceBasisFactory(name="Old deal", expires_at=WEEK.end - timedelta(days=1))
    alpha = OriginFactory(domain="alpha.example", name="Alpha Daily", licence_basis=expiring)
    beta = OriginFactory(domain="beta.example", name="Beta Weekly")
    before = berlin(10, 9)

    rule_source = item(alpha, status=Item.Status.HIDDEN, republished=before)
    rule = BlockRuleFactory(item=rule_source)
    items = {
        "I1": item(alpha, republished=berlin(24, 10)),
        "I2": item(
            alpha, status=Item.Status.HIDDEN, republished=berlin(24, 11), changed=berlin(25, 9)
        ),
        "I3": item(alpha, status=Item.Status.HIDDEN, republished=before, changed=berlin(27, 10)),
        "I4": item(alpha, status=Item.Status.WITHHELD, ingested=berlin(26, 8), rule=rule),
        "I5": item(
            alpha,
            status=Item.Status.WITHHELD,
            republished=before,
            changed=berlin(28, 6),
            status_reason="licence expired",
        ),
        "I6": item(beta, republished=berlin(29, 1, 30)),
        "I7": item(beta, status=Item.Status.WITHHELD, ingested=berlin(29, 23, 30), rule=rule),
        "I8": item(beta, status=Item.Status.WITHHELD, ingested=before, rule=rule),
        "I9": item(beta, republished=berlin(30, 8)),
        # Withheld at ingest because staff blocked the origin (no rule, licence in force).
        "I10": item(
            beta,
            status=Item.Status.WITHHELD,
            ingested=berlin(27, 8),
            status_reason="origin blocked",
        ),
    }

    def request(name, received, **fields):
        return RemovalRequestFactory(
            reference=f"TD-2026-{name}",
            received_at=received,
            due_at=received + timedelta(hours=48),
            **fields,
        )

    completed = RemovalRequest.Status.COMPLETED
    requests = {
        # Received 00:30 on Monday in Berlin, still Sunday in UTC: inside the week.
        "R1": request(
            "00001",
            berlin(23, 0, 30),
            status=completed,
            approved_automatically=True,
            completed_at=berlin(23, 2, 30),
        ),
        "R2": request(
            "00002",
            berlin(24, 9),
            channel="email",
            role="rights_holder",
            status=completed,
            completed_at=berlin(25, 9),
            assignee=alice,
        ),
        "R3": request(
            "00003",
            berlin(24, 10),
            role="agent",
            ground="privacy",
            status=completed,
            completed_at=berlin(27, 10),
        ),
        "R4": request(
            "00004",
            berlin(25, 8),
            channel="api",
            role="other",
            ground="defamation",
            status="rejected",
            decided_at=berlin(25, 15),
            closed_at=berlin(25, 15),
        ),
        "R5": request(
            "00005", berlin(26, 11), ground="other", status="withdrawn", closed_at=berlin(26, 12)
        ),
        "R6": request("00006", berlin(29, 1, 30), channel="staff", role="", ground=""),
        # 23:30 on the Sunday, after the clocks went forward: still inside the week.
        "R7": request("00007", berlin(29, 23, 30), status="verified"),
        "R8": request("00008", berlin(16, 9), status=completed, completed_at=berlin(23, 9)),
        "R9": request("00009", before, assignee=bob),
        "R10": request(
            "00010",
            berlin(1, 9),
            status="reversed",
            completed_at=berlin(2, 9),
            closed_at=berlin(25, 10),
        ),
        # Completed only after the week: it was open, and overdue, when the week ended.
        "R11": request("00011", berlin(20, 10), status=completed, completed_at=berlin(31, 9)),
        "R12": request("00012", berlin(30, 10)),
    }
    RemovalTargetFactory(request=requests["R1"], item=items["I3"])
    RemovalTargetFactory(request=requests["R2"], item=items["I2"])
    RemovalTargetFactory(request=requests["R2"], item=None, url="https://elsewhere.example/x")
    audit("request.self_check", berlin(26, 12), requests["R2"], passed=False, status=200)
    audit("request.self_check", berlin(24, 12), requests["R1"], passed=True)
    audit("request.self_check", berlin(20, 12), requests["R8"], passed=False)
    return {"items": items, "requests": requests, "rule": rule}


def test_every_figure_of_the_week(week_data):
    figures = report_figures(period=WEEK)
    requests = figures["requests"]
    assert requests["received"] == 7
    assert requests["by_channel"] == {"web": 4, "email": 1, "api": 1, "staff": 1}
    assert requests["by_ground"] == {
        "copyright": 3,
        "licence_withdrawn": 0,
        "privacy": 1,
        "defamation": 1,
        "other": 1,
        "unspecified": 1,
    }
    assert requests["by_role"] == {
        "author": 3,
        "rights_holder": 1,
        "agent": 1,
        "other": 1,
        "unspecified": 1,
    }
    assert (
        requests["completed"],
        requests["rejected"],
        requests["withdrawn"],
        requests["reversed"],
    ) == (4, 1, 1, 1)

    # Durations of R1, R2, R3, R8: 2, 24, 72 and 168 hours.
    completion = figures["completion"]
    assert completion["count"] == 4
    assert completion["median_hours"] == 48.0  # halfway between 24 and 72
    assert completion["p90_hours"] == 139.2  # 72 + 0.7 * (168 - 72)
    assert completion["max_hours"] == 168.0
    assert (completion["within_time_limit"], completion["share_within_time_limit"]) == (2, 0.5)
    assert (completion["approved_automatically"], completion["share_approved_automatically"]) == (
        1,
        0.25,
    )
    assert [b["count"] for b in completion["histogram"]] == [1, 0, 0, 1, 0, 2]

    assert [row["reference"] for row in figures["open_at_end"]] == [
        "TD-2026-00009",
        "TD-2026-00011",
        "TD-2026-00006",
        "TD-2026-00007",
    ]
    assert (figures["open_count"], figures["overdue_count"]) == (4, 2)
    r9 = figures["open_at_end"][0]
    assert (r9["assignee"], r9["overdue"]) == ("bob", True)
    assert r9["age_hours"] == (WEEK.end - berlin(10, 9)).total_seconds() / 3600
    assert figures["open_at_end"][3]["assignee"] == ""

    assert figures["per_day"] == [
        {"day": "2026-03-23", "received": 1, "completed": 2},
        {"day": "2026-03-24", "received": 2, "completed": 0},
        {"day": "2026-03-25", "received": 1, "completed": 1},
        {"day": "2026-03-26", "received": 1, "completed": 0},
        {"day": "2026-03-27", "received": 0, "completed": 1},
        {"day": "2026-03-28", "received": 0, "completed": 0},
        {"day": "2026-03-29", "received": 2, "completed": 0},
    ]

    assert figures["items_by_origin"] == [
        {
            "origin": "Alpha Daily",
            "domain": "alpha.example",
            "published": 2,
            "hidden": 2,
            "withheld_by_rule": 1,
            "withheld_licence_expired": 1,
            "withheld_other": 0,
            "stay_down_hits": 1,
        },
        {
            "origin": "Beta Weekly",
            "domain": "beta.example",
            "published": 1,
            "hidden": 0,
            "withheld_by_rule": 1,
            "withheld_licence_expired": 0,
            "withheld_other": 1,
            "stay_down_hits": 1,
        },
    ]
    assert figures["items_totals"] == {
        "published": 3,
        "hidden": 2,
        "withheld_by_rule": 2,
        "withheld_licence_expired": 1,
        "withheld_other": 1,
        "stay_down_hits": 2,
    }
    assert [(lic["name"], lic["origins"]) for lic in figures["licences_expiring"]] == [
        ("Syndication deal", 1)
    ]
    assert [check["reference"] for check in figures["failed_self_checks"]] == ["TD-2026-00002"]
    assert figures["invariants"] == {"published_blocked": [], "completed_still_published": []}
    assert figures["period"]["hours"] == 167


def test_the_csv_has_one_row_per_request_of_the_period_with_its_timestamps(week_data):
    rendered = report_render(period=WEEK)
    lines = rendered.csv.strip().splitlines()
    assert lines[0].split(",") == CSV_COLUMNS
    references = [line.split(",")[0] for line in lines[1:]]
    # Ordered by receipt: R10 and R8 came before the week and ended in it.
    assert references == [f"TD-2026-{n:05d}" for n in (10, 8, 1, 2, 3, 4, 5, 6, 7)]
    row = dict(
        zip(
            CSV_COLUMNS,
            lines[references.index("TD-2026-00001") + 1].split(","),
            strict=True,
        )
    )
    assert row["received_at"] == "2026-03-23T00:30:00+01:00"
    assert row["completed_at"] == "2026-03-23T02:30:00+01:00"
    assert row["hours_to_completion"] == "2.0"
    assert row["completed_in_time"] == "True"
    assert row["targets"] == "1"
    assert "Robin Rights" not in rendered.csv and "@rights.example" not in rendered.csv


def test_the_json_holds_every_figure(week_data):
    rendered = report_render(period=WEEK)
    parsed = json.loads(rendered.json)
    assert parsed == json.loads(json.dumps(rendered.figures, default=str))
    assert parsed["requests"]["received"] == 7
    assert parsed["completion"]["p90_hours"] == 139.2


def test_the_html_shows_the_figures_and_both_charts(week_data):
    html = report_render(period=WEEK).html
    assert html.count("<svg") == 2
    assert "Removal requests per day" in html and "Time from receipt to completion" in html
    assert 'id="invariants-hold"' in html and "ALERT" not in html
    assert "TD-2026-00009" in html and "overdue" in html
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "Robin Rights" not in html
    assert "Items withheld for another reason (origin blocked, licence not yet valid" in html


def test_the_number_of_queries_does_not_grow_with_the_data(week_data):
    with CaptureQueriesContext(connection) as small:
        report_figures(period=WEEK)
    assert len(small) == REPORT_QUERIES
    # Many more origins, items, requests, targets, rules and audit events.
    for n in range(6):
        origin = OriginFactory(domain=f"more{n}.example")
        for day in range(23, 30):
            published = item(origin, republished=berlin(day, 12))
            hidden = item(
                origin,
                status=Item.Status.HIDDEN,
                republished=berlin(day, 10),
                changed=berlin(day, 14),
            )
            done = RemovalRequestFactory(
                received_at=berlin(day, 8), status="completed", completed_at=berlin(day, 9 + n)
            )
            RemovalTargetFactory(request=done, item=hidden)
            RemovalRequestFactory(received_at=berlin(day, 9), role="agent")
            BlockRuleFactory(item=published, kind="author", is_active=False)
            audit("request.self_check", berlin(day, 15), done, passed=n % 2 == 0)
    with CaptureQueriesContext(connection) as large:
        figures = report_figures(period=WEEK)
    assert figures["requests"]["received"] == 7 + 6 * 7 * 2
    assert len(large) == len(small)
    with CaptureQueriesContext(connection) as rows:
        report_rows(period=WEEK)
    assert len(rows) == 1


def test_report_figures_run_a_fixed_number_of_queries(week_data, django_assert_num_queries):
    with django_assert_num_queries(REPORT_QUERIES):
        report_figures(period=WEEK)


def test_the_boundaries_are_exact_instants(db):
    RemovalRequestFactory(reference="TD-2026-00100", received_at=WEEK.start)
    RemovalRequestFactory(reference="TD-2026-00101", received_at=WEEK.end)
    RemovalRequestFactory(reference="TD-2026-00102", received_at=WEEK.start - timedelta(seconds=1))
    figures = report_figures(period=WEEK)
    assert figures["requests"]["received"] == 1
    assert [row["reference"] for row in figures["open_at_end"]] == [
        "TD-2026-00102",
        "TD-2026-00100",
    ]


# --- invariants -------------------------------------------------------------------------------


def test_every_kind_of_broken_promise_is_found(db):
    origin = OriginFactory(domain="gamma.example")
    sub_origin = OriginFactory(domain="news.delta.example")
    delta = OriginFactory(domain="delta.example")
    # By URL: the rule's item is still published.
    by_url = item(origin, republished=berlin(20, 9))
    BlockRuleFactory(item=by_url)
    # By text: the same article came back under another URL.
    original = item(origin, status=Item.Status.HIDDEN, republished=berlin(20, 9))
    BlockRuleFactory(item=original)
    copy = item(
        origin,
        republished=berlin(21, 9),
        body=original.body,
        text_fingerprint=original.text_fingerprint,
    )
    # By author at the origin.
    by_author = item(
        origin, republished=berlin(21, 9), author="Casey Quill", author_key="casey quill"
    )
    BlockRuleFactory(item=by_author, kind="author")
    # By origin, its subdomains included.
    on_subdomain = item(sub_origin, republished=berlin(21, 9))
    BlockRuleFactory(item=item(delta, status=Item.Status.HIDDEN), kind="origin")
    # Not breaches: an inactive rule, and the same author at another origin.
    inactive = item(origin, republished=berlin(21, 9), author="Pat Other", author_key="pat other")
    BlockRuleFactory(item=inactive, kind="author", is_active=False)
    item(OriginFactory(domain="epsilon.example"), author="Casey Quill", author_key="casey quill")
    # Nor the same text at another site, which the rule does not reach (as at ingest).
    item(
        OriginFactory(domain="wire-copy.example"),
        body=original.body,
        text_fingerprint=original.text_fingerprint,
    )
    # A completed request with one target still published; a reversed one is fine.
    done = RemovalRequestFactory(
        reference="TD-2026-00200", status="completed", completed_at=berlin(22, 9)
    )
    still_up = item(OriginFactory(domain="zeta.example"), republished=berlin(20, 9))
    RemovalTargetFactory(request=done, item=still_up)
    RemovalTargetFactory(request=done, item=item(origin, status=Item.Status.HIDDEN))
    restored = RemovalRequestFactory(
        status="reversed", completed_at=berlin(21, 9), closed_at=berlin(22, 9)
    )
    RemovalTargetFactory(request=restored, item=item(origin, republished=berlin(19, 9)))

    blocked = {row["item_id"]: row["matched_by"] for row in invariants.published_blocked_items()}
    assert blocked == {
        by_url.pk: ["url", "guid", "text"],  # a URL rule carries its guid and text too
        copy.pk: ["text"],
        by_author.pk: ["author"],
        on_subdomain.pk: ["origin"],
    }
    assert [
        (row["reference"], row["item_id"])
        for row in invariants.completed_requests_still_published()
    ] == [("TD-2026-00200", still_up.pk)]

    html = report_render(period=WEEK).html
    assert 'id="invariant-breaches"' in html
    assert "ALERT: 5 broken promises" in html
    # Loudly, at the top: before the summary.
    assert html.index("invariant-breaches") < html.index("Summary")
    assert still_up.title in html and copy.title in html


# --- storing, mailing, sending once -----------------------------------------------------------


@pytest.fixture
def recipients(db):
    ReportRecipient.objects.create(name="Editor", email="editor@paper.example")
    ReportRecipient.objects.create(name="Counsel", email="counsel@paper.example", monthly=False)
    ReportRecipient.objects.create(name="Former", email="former@paper.example", active=False)
    ReportRecipient.objects.create(
        name="Night desk", email="night@paper.example", daily=True, weekly=False
    )


def test_the_report_is_stored_and_mailed_with_the_csv_attached(week_data, recipients):
    report, sent = services.report_run(period=WEEK)
    assert sent == ["counsel@paper.example", "editor@paper.example"]
    report.refresh_from_db()
    assert (report.kind, report.start, report.end) == ("weekly", WEEK.start, WEEK.end)
    assert report.time_zone == "Europe/Berlin"
    assert report.figures["requests"]["received"] == 7
    assert report.recipients == ["counsel@paper.example", "editor@paper.example"]
    assert report.delivered_at is not None and report.message is not None

    assert message_send(message_id=report.message_id) is True
    (sent_mail,) = mail.outbox
    assert sorted(sent_mail.to) == ["counsel@paper.example", "editor@paper.example"]
    assert sent_mail.subject == (
        "[courtesy] Weekly compliance report, 2026-03-23 to 2026-03-29 (Europe/Berlin)"
    )
    html, mimetype = sent_mail.alternatives[0]
    assert mimetype == "text/html" and html.strip() == report.html.strip()
    assert html.count("<svg") == 2
    assert "Requests received: 7" in sent_mail.body
    ((filename, content, content_type),) = sent_mail.attachments
    assert filename == "compliance-report-weekly-20260323-20260329.csv"
    assert content_type == "text/csv"
    assert content == report.csv and content.startswith("reference,status,")


def test_the_same_period_run_twice_sends_once(week_data, recipients):
    first, sent_first = services.report_run(period=WEEK)
    second, sent_second = services.report_run(period=WEEK)
    assert (sent_first, sent_second) == (["counsel@paper.example", "editor@paper.example"], [])
    assert first.pk == second.pk
    assert ComplianceReport.objects.count() == 1
    assert Message.objects.filter(kind="compliance_report").count() == 1
    # The delivered report stays exactly what was sent, even if the data changes.
    RemovalRequestFactory(received_at=berlin(24, 12))
    third, _ = services.report_run(period=WEEK)
    assert third.figures["requests"]["received"] == 7
    assert Message.objects.filter(kind="compliance_report").count() == 1


def test_a_report_nobody_receives_is_kept_and_sent_once_someone_does(week_data):
    report, sent = services.report_run(period=WEEK)
    assert sent == [] and report.delivered_at is None
    ReportRecipient.objects.create(name="Editor", email="editor@paper.example")
    RemovalRequestFactory(received_at=berlin(24, 12))  # undelivered: computed afresh
    again, sent = services.report_run(period=WEEK)
    assert sent == ["editor@paper.example"] and again.pk == report.pk
    assert again.figures["requests"]["received"] == 8


def test_recipients_given_to_the_schedule_replace_the_list(week_data, recipients):
    report, sent = services.report_run(period=WEEK, recipients=["auditor@firm.example"])
    assert sent and report.recipients == ["auditor@firm.example"]


def test_a_second_schedule_s_own_recipients_get_the_report_as_first_sent(week_data, recipients):
    """A second weekly schedule for the board: the period already went to the list, yet
    the board gets it too, unchanged, and nobody receives it twice."""
    first, _ = services.report_run(period=WEEK)
    RemovalRequestFactory(received_at=berlin(24, 12))  # after delivery: not in the report
    board = ["board@paper.example", "EDITOR@paper.example"]
    again, sent = services.report_run(period=WEEK, recipients=board)
    assert sent == ["board@paper.example"]  # the editor had it already
    assert again.html == first.html and again.figures["requests"]["received"] == 7
    assert again.recipients == [
        "counsel@paper.example",
        "editor@paper.example",
        "board@paper.example",
    ]
    assert again.message_id == first.message_id  # the first delivery's mail
    mails = Message.objects.filter(kind="compliance_report").order_by("pk")
    assert [m.recipients for m in mails] == [
        ["counsel@paper.example", "editor@paper.example"],
        ["board@paper.example"],
    ]
    assert services.report_run(period=WEEK, recipients=board)[1] == []
    assert services.report_run(period=WEEK)[1] == []
    assert mails.count() == 2


def test_a_recipient_added_later_gets_the_period_on_the_next_run(week_data, recipients):
    services.report_run(period=WEEK)
    ReportRecipient.objects.create(name="Auditor", email="auditor@firm.example")
    _, sent = services.report_run(period=WEEK)
    assert sent == ["auditor@firm.example"]
    assert Message.objects.filter(kind="compliance_report").count() == 2


def test_a_report_is_never_marked_sent_to_something_that_is_not_an_address(week_data):
    report = services.report_generate(period=WEEK)
    with pytest.raises(ValueError, match="not an e-mail address"):
        services.report_send(report_id=report.pk, recipients=["editor@paper.example", "e"])
    report.refresh_from_db()
    assert report.delivered_at is None and report.recipients == []
    assert not Message.objects.exists()


def test_the_schedule_s_recipients_may_be_one_address_written_as_text(db):
    # Typed into the periodic task's kwargs as {"recipients": "auditor@firm.example"}: one
    # address, not the list of its characters.
    from compliance.reports.tasks import send_compliance_report

    with time_machine.travel(datetime(2026, 3, 30, 7, tzinfo=UTC), tick=False):
        send_compliance_report("weekly", "auditor@firm.example")
    report = ComplianceReport.objects.get()
    assert report.recipients == ["auditor@firm.example"]
    assert Message.objects.get(kind="compliance_report").recipients == ["auditor@firm.example"]


def test_an_alert_in_the_subject_when_an_invariant_is_broken(db, recipients):
    done = RemovalRequestFactory(status="completed", completed_at=berlin(24, 9))
    RemovalTargetFactory(request=done, item=item(OriginFactory(), republished=berlin(20, 9)))
    report, _ = services.report_run(period=WEEK)
    message = Message.objects.get(pk=report.message_id)
    assert message.subject.startswith("[ALERT: 1 invariant breach] Weekly compliance report")
    assert "ALERT: 1 broken promise" in message.text_body


# --- the schedule -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_weekly_schedule_exists_by_default_and_names_a_real_task():
    task = PeriodicTask.objects.get(name="Weekly compliance report")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "7", "1")
    assert json.loads(task.kwargs) == {"period": "weekly"}
    from compliance.celery import app

    app.loader.import_default_modules()
    assert task.task in app.tasks


@pytest.mark.django_db
def test_a_report_missed_while_beat_was_down_goes_out_when_it_returns(settings):
    """Beat was down on Monday at 07:00 and is back at 11:00: the schedule is due at once
    (django-celery-beat compares with the last run it recorded), and the run sends the
    week that has just ended."""
    from django_celery_beat.schedulers import ModelEntry

    from compliance.celery import app
    from compliance.reports.tasks import send_compliance_report

    settings.REPORT_TIME_ZONE = "Europe/Berlin"
    ReportRecipient.objects.create(name="Editor", email="editor@paper.example")
    task = PeriodicTask.objects.get(name="Weekly compliance report")
    task.crontab.timezone = "Europe/Berlin"  # as the migration makes it in such a deployment
    task.crontab.save()
    task.last_run_at = datetime(2026, 3, 23, 7, tzinfo=BERLIN)  # the previous Monday
    task.save()
    with time_machine.travel(datetime(2026, 3, 30, 10, 59, tzinfo=BERLIN), tick=False):
        assert ModelEntry(task, app=app).is_due().is_due
        send_compliance_report(**json.loads(task.kwargs))
    report = ComplianceReport.objects.get()
    assert (report.first_day, report.last_day) == (date(2026, 3, 23), date(2026, 3, 29))
    assert report.delivered_at is not None
    # Had it run on time, it would not be due again until next Monday.
    task.last_run_at = datetime(2026, 3, 30, 7, tzinfo=BERLIN)
    with time_machine.travel(datetime(2026, 3, 30, 11, tzinfo=BERLIN), tick=False):
        assert not ModelEntry(task, app=app).is_due().is_due


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_scheduled_task_mails_yesterday_s_report_through_a_real_worker(
    celery_worker, worker_mail, settings
):
    from compliance.reports.tasks import send_compliance_report

    ReportRecipient.objects.create(name="Editor", email="editor@paper.example", daily=True)
    RemovalRequestFactory(received_at=datetime.now(UTC) - timedelta(days=1))
    send_compliance_report.delay("daily")
    sent = wait_until(worker_mail, timeout=60, message="the worker mailed no report")
    assert sent[0]["To"] == "editor@paper.example"
    assert "Daily compliance report" in sent[0]["Subject"]
    attachments = [part.get_filename() for part in sent[0].iter_attachments()]
    assert any(name and name.endswith(".csv") for name in attachments)
    assert ComplianceReport.objects.get().delivered_at is not None


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_lists_reports_with_view_and_download_and_sends_on_request(
    week_data, recipients, client
):
    report = services.report_generate(period=WEEK)
    client.force_login(UserFactory(username="chief", is_superuser=True))
    page = client.get("/admin/reports/compliancereport/").content.decode()
    assert "Weekly report 2026-03-23 to 2026-03-29" in page
    for link in (
        f"/reports/{report.pk}/",
        f"/reports/{report.pk}/csv/",
        f"/reports/{report.pk}/json/",
    ):
        assert f'href="{link}"' in page
    view = client.get(f"/reports/{report.pk}/")
    assert view.status_code == 200 and view.content.decode() == report.html
    assert "default-src 'none'" in view["Content-Security-Policy"]
    download = client.get(f"/reports/{report.pk}/csv/")
    assert download["Content-Type"].startswith("text/csv")
    assert download.content.decode() == report.csv
    assert (
        json.loads(client.get(f"/reports/{report.pk}/json/").content)["requests"]["received"] == 7
    )
    assert client.get(f"/admin/reports/compliancereport/{report.pk}/change/").status_code == 200
    for _ in range(2):
        client.post(
            "/admin/reports/compliancereport/", {"action": "send", "_selected_action": [report.pk]}
        )
    assert Message.objects.filter(kind="compliance_report").count() == 1


def test_recipients_are_managed_in_the_admin_and_reports_are_for_staff_only(db, client):
    assert client.get("/reports/1/").status_code == 302  # to the login page
    client.force_login(UserFactory(username="chief", is_superuser=True))
    response = client.post(
        "/admin/reports/reportrecipient/add/",
        {
            "name": "Legal counsel",
            "email": "counsel@paper.example",
            "active": "on",
            "weekly": "on",
            "monthly": "on",
        },
    )
    assert response.status_code == 302
    assert selectors.report_recipient_emails(kind="weekly") == ["counsel@paper.example"]
    assert selectors.report_recipient_emails(kind="daily") == []
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200


def test_plain_staff_read_stored_reports_but_nobody_changes_or_deletes_them(
    week_data, recipients, client
):
    report = services.report_generate(period=WEEK)
    client.force_login(UserFactory(username="clerk"))  # staff, no model permissions
    assert (
        "Weekly report 2026-03-23"
        in client.get("/admin/reports/compliancereport/").content.decode()
    )
    change = f"/admin/reports/compliancereport/{report.pk}/change/"
    assert client.get(change).status_code == 200
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert client.get(f"/admin/reports/compliancereport/{report.pk}/delete/").status_code == 403
    assert client.post(change, {"kind": "daily"}).status_code == 403
    report.refresh_from_db()
    assert report.kind == "weekly"


def test_compliance_officers_manage_recipients_and_schedules_plain_staff_only_read(db, client):
    client.force_login(UserFactory(username="olive", officer=True))
    added = client.post(
        "/admin/reports/reportrecipient/add/",
        {"name": "Editor", "email": "editor@paper.example", "active": "on", "weekly": "on"},
    )
    assert added.status_code == 302
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
    client.force_login(UserFactory(username="clerk"))
    refused = client.post(
        "/admin/reports/reportrecipient/add/",
        {"name": "Intruder", "email": "x@paper.example", "active": "on", "weekly": "on"},
    )
    assert refused.status_code == 403
    assert selectors.report_recipient_emails(kind="weekly") == ["editor@paper.example"]
