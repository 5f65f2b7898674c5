"""The HTML report in a real headless Chromium: it loads, both charts are drawn, and a
screenshot is kept in test-artifacts/. Then the staff path: the admin lists the stored
report and its "view" link opens it."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from compliance.reports import services
from compliance.reports.periods import Period
from compliance.reports.rendering import report_render
from tests.factories import (
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)
from tests.stafftools import browser_login, enrol

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
BERLIN = ZoneInfo("Europe/Berlin")
WEEK = Period("weekly", datetime(2026, 3, 23).date(), datetime(2026, 3, 29).date(), BERLIN)


def a_busy_week(breach: bool = False):
    origin = OriginFactory(domain="alpha.example", name="Alpha Daily")
    for day in range(23, 30):
        for hour in range(8, 8 + day % 4 + 1):
            received = datetime(2026, 3, day, hour, tzinfo=BERLIN)
            RemovalRequestFactory(
                received_at=received,
                status="completed",
                completed_at=received + timedelta(hours=hour * 3 - 20),
            )
        ItemFactory(origin=origin, republished_at=datetime(2026, 3, day, 12, tzinfo=BERLIN))
    RemovalRequestFactory(received_at=datetime(2026, 3, 20, 9, tzinfo=UTC))  # overdue
    if breach:
        done = RemovalRequestFactory(
            reference="TD-2026-04444",
            status="completed",
            completed_at=datetime(2026, 3, 25, 9, tzinfo=UTC),
        )
        RemovalTargetFactory(request=done, item=ItemFactory(origin=origin))


def shot(page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)
    assert (ARTIFACTS / name).stat().st_size > 0


@pytest.mark.browser
@pytest.mark.django_db
def test_the_report_renders_with_both_charts_in_chromium(page):
    a_busy_week(breach=True)
    html = report_render(period=WEEK).html
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.set_content(html)
    assert page.title().startswith("Weekly compliance report, 2026-03-23 to 2026-03-29")
    charts = page.locator("svg")
    assert charts.count() == 2
    for n in range(2):
        box = charts.nth(n).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
    # Bars were drawn: one per day and series, one per band of hours.
    assert page.locator("svg").nth(0).locator("rect[height]").count() >= 14
    assert page.locator("svg").nth(1).locator("rect").count() == 6
    alert = page.locator("#invariant-breaches")
    assert alert.is_visible() and "ALERT: 1 broken promise" in alert.inner_text()
    assert errors == []
    shot(page, "compliance-report.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_open_a_stored_report_from_the_admin(page, live_server):
    a_busy_week()
    report = services.report_generate(period=WEEK)
    editor = UserFactory(username="editor", is_superuser=True)
    enrol(editor)
    browser_login(page, live_server.url, editor, next_path="/admin/reports/compliancereport/")
    page.wait_for_url("**/admin/reports/compliancereport/")
    assert "Weekly report 2026-03-23 to 2026-03-29" in page.content()
    with page.context.expect_page() as opened:
        page.click(f'a[href="/reports/{report.pk}/"]')
    report_page = opened.value
    report_page.wait_for_load_state()
    assert report_page.url.endswith(f"/reports/{report.pk}/")
    assert report_page.locator("svg").count() == 2
    shot(report_page, "compliance-report-from-admin.png")
    csv_link = page.locator(f'a[href="/reports/{report.pk}/csv/"]')
    with page.expect_download() as download:
        csv_link.click()
    assert download.value.suggested_filename == "compliance-report-weekly-20260323.csv"
