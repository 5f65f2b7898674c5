"""Compliance reports: periods in the report time zone (daylight saving included), every
figure on a data set built so that each number is known in advance, invariant breaches,
and a fixed number of queries."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.items.models import Item
from compliance.reports import invariants
from compliance.reports.figures import CSV_COLUMNS, REPORT_QUERIES, report_figures, report_rows
from compliance.reports.periods import Period, last_full_period
from compliance.reports.rendering import report_render
from tests.factories import (
    BlockRuleFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
)
from tests.reporttools import BERLIN, WEEK, audit, berlin, item

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


# The invariant's statement runs with PostgreSQL's JIT switched off: one query more there.
QUERIES = REPORT_QUERIES + (connection.vendor == "postgresql")


def test_the_number_of_queries_does_not_grow_with_the_data(week_data):
    with CaptureQueriesContext(connection) as small:
        report_figures(period=WEEK)
    assert len(small) == QUERIES
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
    with django_assert_num_queries(QUERIES):
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
