"""manage.py compliance_report, as the contract in DESIGN.md describes it."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from compliance.messaging.models import Message
from compliance.reports.models import ComplianceReport, ReportRecipient
from tests.factories import RemovalRequestFactory

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("compliance_report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def berlin_requests(db, settings):
    settings.REPORT_TIME_ZONE = "Europe/Berlin"
    for day, hour in [(2, 9), (3, 9), (3, 23), (9, 10)]:  # March 2026, Berlin time
        received = datetime(2026, 3, day, hour, tzinfo=BERLIN)
        RemovalRequestFactory(
            received_at=received, status="completed", completed_at=received + timedelta(hours=5)
        )
    RemovalRequestFactory(received_at=datetime(2026, 3, 4, 9, tzinfo=BERLIN))


def test_the_last_full_week_as_html_on_stdout(berlin_requests):
    # Wednesday 11 March: the last full week is Monday 2 to Sunday 8 March.
    with time_machine.travel(datetime(2026, 3, 11, 12, tzinfo=UTC), tick=False):
        out, _ = run("--period", "weekly")
    assert out.startswith("<!doctype html>")
    assert "Weekly compliance report, 2026-03-02 to 2026-03-08 (Europe/Berlin)" in out
    assert out.count("<svg") == 2
    assert not ComplianceReport.objects.exists()  # without --send nothing is stored


def test_the_days_given_inclusive_as_json(berlin_requests):
    out, _ = run(
        "--period", "daily", "--since", "2026-03-03", "--until", "2026-03-04", "--format", "json"
    )
    figures = json.loads(out)
    assert (figures["period"]["first_day"], figures["period"]["last_day"]) == (
        "2026-03-03",
        "2026-03-04",
    )
    # 3 March 23:00 in Berlin is 22:00 UTC: the local day decides.
    assert figures["requests"]["received"] == 3
    assert figures["requests"]["completed"] == 2
    assert figures["completion"]["median_hours"] == 5.0
    assert [day["received"] for day in figures["per_day"]] == [2, 1]


def test_csv_to_a_file(berlin_requests, tmp_path):
    target = tmp_path / "week.csv"
    out, err = run(
        "--period",
        "weekly",
        "--since",
        "2026-03-02",
        "--until",
        "2026-03-08",
        "--format",
        "csv",
        "--output",
        str(target),
    )
    assert out == ""
    assert "written to" in err
    rows = list(csv.DictReader(target.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 4
    assert {row["status"] for row in rows} == {"completed", "received"}
    assert rows[0]["received_at"] == "2026-03-02T09:00:00+01:00"


def test_send_stores_and_mails_once(berlin_requests):
    ReportRecipient.objects.create(name="Editor", email="editor@paper.example")
    args = ("--period", "weekly", "--since", "2026-03-02", "--until", "2026-03-08", "--send")
    out, err = run(*args)
    assert "Sent to editor@paper.example" in err
    assert "<svg" in out
    _, err = run(*args)
    assert "Already sent" in err and "nothing sent again" in err
    assert ComplianceReport.objects.count() == 1
    assert Message.objects.filter(kind="compliance_report").count() == 1


def test_a_period_not_over_yet_is_printed_but_never_sent(berlin_requests):
    # Sent now, the unfinished week would be stored as delivered, and the full report for
    # that week, due next Monday, would then never be sent.
    ReportRecipient.objects.create(name="Editor", email="editor@paper.example")
    this_week = ("--period", "weekly", "--since", "2026-03-09", "--until", "2026-03-15")
    with time_machine.travel(datetime(2026, 3, 11, 12, tzinfo=UTC), tick=False):
        with pytest.raises(CommandError, match="has not ended"):
            run(*this_week, "--send")
        out, _ = run(*this_week)
    assert "2026-03-09 to 2026-03-15" in out
    assert not ComplianceReport.objects.exists()
    assert not Message.objects.filter(kind="compliance_report").exists()
    with time_machine.travel(datetime(2026, 3, 16, 7, tzinfo=UTC), tick=False):
        _, err = run(*this_week, "--send")
    assert "Sent to editor@paper.example" in err


def test_send_without_recipients_stores_and_says_so(berlin_requests):
    _, err = run("--period", "weekly", "--send")
    assert "no active recipient" in err
    assert ComplianceReport.objects.get().delivered_at is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "weekly", "--since", "2026-03-02"], "both --since and --until"),
        (["--period", "weekly", "--until", "2026-03-02"], "both --since and --until"),
        (["--period", "daily", "--since", "2026-02-30", "--until", "2026-03-01"], "not a date"),
        (
            ["--period", "daily", "--since", "2026-03-05", "--until", "2026-03-01"],
            "before it starts",
        ),
        (["--period", "yearly"], "invalid choice"),
        (["--period", "daily", "--since", "9999-12-31", "--until", "9999-12-31"], "outside"),
        (["--period", "daily", "--format", "pdf"], "invalid choice"),
        ([], "--period"),
    ],
)
def test_bad_arguments_are_a_clear_error(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_day_that_is_no_instant_in_utc_is_a_clear_error(db, settings):
    settings.REPORT_TIME_ZONE = "Asia/Tokyo"  # its 0001-01-01 starts in the year 0 in UTC
    with pytest.raises(CommandError, match="outside"):
        run("--period", "daily", "--since", "0001-01-01", "--until", "0001-01-01")


def test_an_unwritable_output_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        run("--period", "daily", "--output", str(tmp_path / "missing" / "report.html"))


def test_bad_arguments_exit_non_zero_from_the_shell(tmp_path):
    env = {**os.environ, "COURTESY_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "compliance_report",
            "--period",
            "weekly",
            "--since",
            "yesterday",
            "--until",
            "2026-03-01",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--since 'yesterday' is not a date" in result.stderr
    assert "Traceback" not in result.stderr
