"""Staff in a real headless Chromium: the request's admin page shows its public records
and where each stands; the DSA transparency tables download as a ZIP from the admin."""

import zipfile

import pytest

from compliance.reports import tdb
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.state import request_complete
from tests.factories import ItemFactory, RemovalRequestFactory, RemovalTargetFactory, UserFactory
from tests.stafftools import browser_login, enrol
from tests.test_report_browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, next_path):
    editor = UserFactory(username="editor", is_superuser=True)
    enrol(editor)  # superusers sign in with a second factor
    browser_login(page, live_server.url, editor, next_path=next_path)
    page.wait_for_url(f"**{next_path}")


def test_the_request_page_shows_its_public_records(page, live_server, public_records, settings):
    removal_request = RemovalRequestFactory(status=RemovalRequest.Status.PROCESSING)
    RemovalTargetFactory(request=removal_request, item=ItemFactory(status="hidden"))
    settings.PUBLIC_RECORDS_SUBMIT = False  # queue nothing for a session worker: we submit
    request_complete(removal_request=removal_request)
    settings.PUBLIC_RECORDS_SUBMIT = True
    statement = removal_request.dsa_statements.get()
    statement.payload = {**statement.payload, "content_date": "1999-12-31"}
    statement.save()
    tdb.dsa_statements_submit()
    sign_in(page, live_server, f"/admin/takedowns/removalrequest/{removal_request.pk}/change/")
    section = page.locator("#public-records")
    assert section.is_visible()
    refused = section.locator('tr[data-state="refused"]')
    assert refused.count() == 1
    assert f"DSA statement {removal_request.reference}" in refused.inner_text()
    assert "content_date" in refused.inner_text()
    assert section.locator('tr[data-state="due"]').inner_text().startswith("Lumen notice")
    shot(page, "public-records-section.png")


def test_staff_download_the_dsa_tables_from_the_admin(page, live_server):
    sign_in(page, live_server, "/admin/reports/compliancereport/")
    page.click("text=DSA transparency report tables…")
    page.select_option("#id_period", "half-year")
    with page.expect_download() as download:
        page.click("input[type=submit]")
    path = download.value.path()
    assert download.value.suggested_filename.startswith("dsa-transparency-")
    names = zipfile.ZipFile(path).namelist()
    assert len(names) == 7 and any(n.endswith("notices_by_category.csv") for n in names)
