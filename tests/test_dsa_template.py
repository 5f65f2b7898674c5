"""The DSA transparency report's quantitative tables (Implementing Regulation (EU)
2024/2835): what each table counts for a half-year or a year, the files (one RFC 4180 CSV
per table, the same data as JSON), the command, the admin download, and a fixed number of
queries whatever the data's size."""

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.reports.dsa_template import dsa_template, template_files
from compliance.reports.periods import Period, last_full_period, report_zone
from compliance.takedowns.models import CounterNotice, SenderMeasure, TrustedFlagger
from tests.factories import RemovalRequestFactory, UserFactory

pytestmark = pytest.mark.django_db
H1 = ("2026-01-01", "2026-06-30")


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def notice(received, status="completed", hours=None, **fields):
    completed = received + timedelta(hours=hours) if hours is not None else None
    return RemovalRequestFactory(
        received_at=received, status=status, completed_at=completed, **fields
    )


@pytest.fixture
def half_year():
    notice(at(2, 1), hours=10, approved_automatically=True)  # copyright, author, web
    notice(at(2, 2), hours=30)
    notice(at(2, 3), status="rejected")
    notice(at(3, 1), hours=5, ground="privacy", role="agent")
    notice(at(3, 2), hours=50, ground="other", role="rights_holder")
    notice(at(4, 1), status="verified")
    notice(at(4, 2), status="withdrawn", ground="licence_withdrawn")
    reversed_one = notice(at(5, 1), status="reversed", hours=20, ground="defamation")
    notice(at(7, 1), hours=1)  # the second half-year
    for restored, cancelled in ((at(5, 20), None), (None, at(5, 25)), (None, None)):
        CounterNotice.objects.create(
            request=reversed_one if restored else notice(datetime(2025, 11, 2, tzinfo=UTC)),
            name="Casey Example",
            address="1 Invented Lane",
            phone="+44 0000 000000",
            email="casey@author.example",
            signature="Casey Example",
            received_at=at(5, 10),
            restored_at=restored,
            cancelled_at=cancelled,
        )


def tables(directory):
    found = {}
    for path in directory.iterdir():
        if path.suffix == ".csv":
            raw = path.read_bytes()
            assert b"\r\n" in raw and raw.decode("utf-8")
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
            found[path.name.rsplit("-", 1)[-1].removesuffix(".csv")] = rows
    return found


def row(table, label):
    (found,) = [r for r in table[1:] if r[0] == label]
    return found


def test_the_tables_of_a_half_year(half_year, tmp_path):
    err = io.StringIO()
    call_command(
        "compliance_report", "--period", "half-year", "--since", H1[0], "--until", H1[1],
        "--format", "dsa-template", "--output", str(tmp_path / "h1"), stderr=err,
    )  # fmt: skip
    assert "7 files written" in err.getvalue()
    found = tables(tmp_path / "h1")
    assert set(found) == {
        "1.1_report_identification",
        "1.3_notices_by_category",
        "1.3_notices_by_submitter",
        "1.3_actions_by_restriction",
        "1.5_complaints",
        "1.6_suspensions",
    }
    category = found["1.3_notices_by_category"]
    assert category[0] == [
        "Category",
        "Notices received",
        "Action taken on the basis of the law",
        "Action taken on the basis of the terms and conditions",
        "No action taken",
        "Withdrawn",
        "Pending",
        "Processed by automated means",
        "Median time to take action (hours)",
    ]
    # Copyright and licence withdrawn: intellectual property (the statements' mapping).
    assert row(category, "Intellectual property") == ["Intellectual property", "5", "2", "0",
                                                       "1", "1", "1", "1", "20.0"]  # fmt: skip
    assert row(category, "Data protection and privacy")[1:3] == ["1", "1"]
    assert row(category, "Illegal or harmful speech")[1:3] == ["1", "1"]  # defamation, reversed
    assert row(category, "Other violation of terms and conditions")[1:4] == ["1", "0", "1"]
    assert row(category, "Animal welfare")[1:] == ["0", "0", "0", "0", "0", "0", "0", ""]
    assert row(category, "Total") == ["Total", "8", "4", "1", "1", "1", "1", "1", "20.0"]
    submitter = found["1.3_notices_by_submitter"]
    assert row(submitter, "Author of the content")[1] == "6"
    assert row(submitter, "Authorised agent")[1:3] == ["1", "1"]
    assert row(submitter, "Rights holder or site representative")[1:4] == ["1", "0", "1"]
    restriction = found["1.3_actions_by_restriction"]
    assert row(restriction, "Visibility: access disabled") == [
        "Visibility: access disabled", "4", "1", "5",
    ]  # fmt: skip
    assert row(restriction, "Visibility: content removed")[1:] == ["0", "0", "0"]
    complaints = found["1.5_complaints"]
    assert row(complaints, "Decision reversed (content restored)") == [
        "Decision reversed (content restored)", "1", "240.0",
    ]  # fmt: skip
    assert row(complaints, "Total")[1] == "3" and row(complaints, "Pending")[1] == "1"
    identification = dict(found["1.1_report_identification"][1:])
    assert identification["Reporting period start"] == "2026-01-01"
    assert identification["Reporting period end"] == "2026-06-30"
    (json_file,) = (tmp_path / "h1").glob("*.json")
    data = json.loads(json_file.read_text(encoding="utf-8"))
    total = data["tables"]["1.3_notices_by_category"]["rows"][-1]
    assert total["label"] == "Total" and total["values"]["Notices received"] == 8
    assert total["values"]["Median time to take action (hours)"] == 20.0


def test_trusted_flaggers_notices_count_as_theirs_whatever_the_role(half_year):
    flagger = TrustedFlagger.objects.create(organisation="Hotline", domains="hotline.example")
    notice(at(6, 1), hours=2, trusted_flagger=flagger)  # author, copyright
    notice(at(6, 2), status="received", role="agent", trusted_flagger=flagger)
    period = Period("half-year", date(2026, 1, 1), date(2026, 6, 30), report_zone())
    (submitter,) = [t for t in dsa_template(period) if t.id == "1.3_notices_by_submitter"]
    rows = {r[0]: r[1:] for r in submitter.rows}
    assert submitter.rows[0][0] == "Trusted flagger"
    assert rows["Trusted flagger"] == [2, 1, 0, 0, 0, 1, 0, 2.0]
    assert rows["Author of the content"][0] == 6 and rows["Authorised agent"][0] == 1
    assert rows["Total"][0] == 10


def test_article_23_suspensions_issued_lifted_and_in_force_at_the_end():
    def measure(kind, issued, ends, lifted=None):
        SenderMeasure.objects.create(
            sender="x@spam.example", kind=kind, issued_at=issued, ends_at=ends, lifted_at=lifted
        )

    measure("suspension", at(2, 1), at(3, 1))  # over before the end
    measure("suspension", at(5, 1), at(8, 1))  # in force on 30 June
    measure("suspension", at(5, 2), at(8, 1), lifted=at(5, 9))  # lifted by staff
    measure("suspension", at(6, 2), at(9, 1), lifted=at(7, 9))  # lifted after the period
    measure("warning", at(1, 5), at(12, 1))
    measure("warning", at(4, 5), at(10, 1), lifted=at(4, 6))
    measure("suspension", datetime(2025, 12, 1, tzinfo=UTC), at(9, 1))  # issued before
    measure("warning", at(7, 1), at(12, 1))  # issued after
    period = Period("half-year", date(2026, 1, 1), date(2026, 6, 30), report_zone())
    (table,) = [t for t in dsa_template(period) if t.id == "1.6_suspensions"]
    assert table.columns == ["Issued", "Lifted", "In force at the end of the period"]
    assert table.rows == [
        ["Suspensions (processing of notices suspended)", 4, 1, 2],
        ["Prior warnings", 2, 1, 1],
        ["Total", 6, 2, 3],
    ]


def test_the_last_full_half_year_and_year():
    zone = report_zone("Europe/Berlin")
    with time_machine.travel(datetime(2026, 8, 3, tzinfo=UTC)):
        h = last_full_period("half-year", zone=zone)
        y = last_full_period("year", zone=zone)
    assert (h.first_day, h.last_day) == (date(2026, 1, 1), date(2026, 6, 30))
    assert (y.first_day, y.last_day) == (date(2025, 1, 1), date(2025, 12, 31))
    with time_machine.travel(datetime(2026, 3, 3, tzinfo=UTC)):
        h = last_full_period("half-year", zone=zone)
    assert (h.first_day, h.last_day) == (date(2025, 7, 1), date(2025, 12, 31))
    assert h.start == datetime(2025, 6, 30, 22, tzinfo=UTC)  # Berlin's midnight


def test_without_output_the_json_goes_to_standard_output(half_year):
    out = io.StringIO()
    call_command(
        "compliance_report", "--period", "year", "--since", "2026-01-01", "--until",
        "2026-12-31", "--format", "dsa-template", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    rows = data["tables"]["1.3_notices_by_category"]["rows"]
    assert rows[-1]["values"]["Notices received"] == 9
    with pytest.raises(CommandError, match="for --format dsa-template"):
        call_command("compliance_report", "--period", "year", stdout=io.StringIO())


def test_a_fixed_number_of_queries_whatever_the_size(half_year):
    period = Period("half-year", date(2026, 1, 1), date(2026, 6, 30), report_zone())
    with CaptureQueriesContext(connection) as few:
        template_files(period)
    for n in range(30):
        notice(at(6, 1 + n % 28), hours=n, ground=["copyright", "privacy", "other"][n % 3])
        SenderMeasure.objects.create(
            sender=f"s{n}@spam.example", kind=["warning", "suspension"][n % 2],
            issued_at=at(6, 1 + n % 28), ends_at=at(9, 1),
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        template_files(period)
    assert len(many) == len(few)


def test_staff_download_the_tables_as_a_zip_from_the_admin(half_year, client):
    url = reverse("reports:dsa-template")
    assert client.get(url).status_code == 302  # staff only
    client.force_login(UserFactory())
    listing = client.get(reverse("admin:reports_compliancereport_changelist"))
    assert url in listing.content.decode()
    assert "Download (ZIP)" in client.get(url).content.decode()
    response = client.get(url, {"period": "half-year", "since": H1[0], "until": H1[1]})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "dsa-transparency-20260101-20260630.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 7 and sum(name.endswith(".csv") for name in names) == 6
    (category,) = [n for n in names if n.endswith("notices_by_category.csv")]
    assert "Intellectual property,5,2,0" in archive.read(category).decode("utf-8")
    bad = client.get(url, {"period": "year", "since": H1[0]})
    assert bad.status_code == 200 and "Give both" in bad.content.decode()
