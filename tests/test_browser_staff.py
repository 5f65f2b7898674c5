"""The staff's workspace in a real headless Chromium: a real two-factor login, the
dashboard's counts against the data (each link opens a list of exactly that many), the
queue's columns within 1280 px, Approve's confirmation, and a lockout after repeated
failures; no page breaks its Content-Security-Policy."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from compliance.takedowns.models import RemovalRequest, TrustedFlagger
from compliance.takedowns.processing import SELF_CHECK_FAILED
from tests.factories import (
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)
from tests.stafftools import browser_login, current_code, enrol
from tests.workers import wait_until

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def csp_violations(page):
    seen = []
    page.on(
        "console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None
    )
    return seen


@pytest.fixture
def officer():
    user = UserFactory(username="olga", officer=True)
    enrol(user)
    return user


def test_two_factor_login_dashboard_counts_and_the_queue_at_1280_px(
    page, live_server, officer, csp_violations
):
    page.set_viewport_size({"width": 1280, "height": 900})
    now = timezone.now()
    flagger = TrustedFlagger.objects.create(
        organisation="Rights Alliance", domains="alliance.example"
    )
    # Realistic widths: long origin domains, the longest ground, a long assignee name.
    origin = OriginFactory(domain="harbourlight-gazette-of-the-north.example")
    officer.username = "olga.lindqvist-moreau"
    officer.save()
    RemovalRequestFactory(
        status="received",
        due_at=now - timedelta(hours=3),
        trusted_flagger=flagger,
        origin=origin,
        ground="licence_withdrawn",
        channel="email",
        scope="origin",
    )
    RemovalRequestFactory(
        status="received", due_at=now + timedelta(hours=5), assignee=officer, origin=origin
    )
    RemovalRequestFactory(status="verified", due_at=now + timedelta(hours=30))
    RemovalRequestFactory(
        status="processing",
        due_at=now + timedelta(hours=40),
        attention_needed=f"{SELF_CHECK_FAILED} (1 problem(s)): a page answered 200.",
    )
    RemovalRequestFactory(status="rejected")

    # Without the code the password is not enough.
    browser_login(page, live_server.url, officer, code="")
    assert "current code from your authenticator" in page.locator(".errornote").inner_text()
    browser_login(page, live_server.url, officer, code=current_code(officer))
    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("#site-name").inner_text().startswith("courtesy")

    figures = page.locator("#staff-dashboard a.count")
    found = {
        figures.nth(i).get_attribute("data-figure"): int(figures.nth(i).inner_text())
        for i in range(figures.count())
    }
    assert found == {
        "Queue": 4,
        "Received": 2,
        "Verified": 1,
        "Approved": 0,
        "Processing": 1,
        "Overdue": 1,
        "Due within 24 hours": 1,
        "Flagged for attention": 1,
        "Assigned to me": 1,
        "Unassigned": 3,
        "Failed self-checks": 1,
        "Requests with failed deliveries": 0,
        "Failed deliveries": 0,
        "Sender measures": 0,
    }
    # The advanced tables come after the domain's.
    assert (
        page.locator("#advanced").bounding_box()["y"]
        > page.locator("text=Removal requests").first.bounding_box()["y"]
    )
    for label, count in found.items():
        if label == "Sender measures":
            continue
        page.goto(f"{live_server.url}/admin/")
        page.locator(f'#staff-dashboard a.count[data-figure="{label}"]').click()
        page.wait_for_load_state()
        assert page.locator("#result_list tbody tr").count() == count, label

    # The queue: every column that decides the next action is on screen at 1280 px.
    page.goto(f"{live_server.url}/admin/takedowns/removalrequest/")
    headers = page.locator("#result_list thead th")
    names = [headers.nth(i).inner_text().strip().lower() for i in range(headers.count())]
    for column in (
        "reference",
        "status",
        "time left",
        "⚑",
        "assignee",
        "ground",
        "scope",
        "origin",
        "channel",
    ):
        assert column in names, names
    # Nothing is cut off: the list needs no horizontal scrolling, and its last column ends
    # inside the window.
    results = page.locator("#changelist .results")
    widths = results.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], f"the queue scrolls sideways: {widths}"
    for i in range(headers.count()):
        box = headers.nth(i).bounding_box()
        assert box["x"] + box["width"] <= 1280, names[i]
    first = page.locator("#result_list tbody tr").first
    # The trusted flagger's, at the top, marked.
    assert (
        first.locator(".trusted-flagger").get_attribute("title")
        == "Trusted flagger: Rights Alliance"
    )
    overdue = first.locator(".overdue")
    assert overdue.inner_text().startswith("overdue ")
    assert overdue.evaluate("e => getComputedStyle(e).color") == "rgb(186, 33, 33)"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "staff-queue-1280.png", full_page=True)
    page.goto(f"{live_server.url}/admin/")
    page.screenshot(path=ARTIFACTS / "staff-dashboard.png", full_page=True)
    assert csp_violations == []


@pytest.mark.worker
def test_approve_shows_what_would_come_down_and_asks_first(
    page, live_server, officer, csp_violations, celery_worker
):
    origin = OriginFactory(domain="harbour.example")
    items = [ItemFactory(origin=origin, title=f"Invented harbour story {n}") for n in range(3)]
    removal_request = RemovalRequestFactory(status="verified", scope="items", origin=origin)
    for item in items:
        RemovalTargetFactory(request=removal_request, item=item)
    browser_login(
        page,
        live_server.url,
        officer,
        next_path=f"/admin/takedowns/removalrequest/{removal_request.pk}/change/",
    )
    page.wait_for_url(re.compile(r"/change/$"))

    # The buttons look like buttons and sit below the title, never over it.
    title = page.locator("#content h1").first.bounding_box()
    approve = page.get_by_role("button", name="Approve…")
    button = approve.bounding_box()
    assert button["y"] >= title["y"] + title["height"]
    assert approve.evaluate("e => getComputedStyle(e).borderRadius") != "0px"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "staff-request-page.png")
    approve.click()
    summary = page.locator("#approve-summary")
    summary.wait_for()
    page.screenshot(path=ARTIFACTS / "staff-approve-confirmation.png", full_page=True)
    assert "3 items" in summary.inner_text()
    listed = page.locator(".approve-request li")
    assert listed.count() == 3 and "Invented harbour story 0" in listed.first.inner_text()
    removal_request.refresh_from_db()
    assert removal_request.status == "verified"  # nothing happened yet

    page.fill("textarea[name=reason]", "Checked the three URLs.")
    page.get_by_role("button", name="Approve and take down 3 items").click()
    page.wait_for_url(re.compile(r"/change/$"))
    # The real worker takes it from there: the three items come down, nothing else.
    wait_until(
        lambda: RemovalRequest.objects.get(pk=removal_request.pk).status == "completed",
        timeout=90,
        message=f"not completed:\n{celery_worker.output()[-4000:]}",
    )
    assert all(page.request.get(f"{live_server.url}/items/{i.slug}/").status == 451 for i in items)
    event = removal_request.audit_events.get(action="request.approved")
    assert (event.actor_user, event.reason) == (officer, "Checked the three URLs.")
    assert csp_violations == []


def test_repeated_failures_lock_the_login_out(page, live_server, settings, csp_violations):
    user = UserFactory(username="reader")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser_login(page, live_server.url, user, password="a wrong guess")
    page.wait_for_load_state()
    assert page.locator("#locked-out").inner_text() == "Sign-in locked"
    browser_login(page, live_server.url, user)  # the right password no longer helps
    assert page.locator("#locked-out").is_visible()
    assert RemovalRequest.objects.count() == 0
    assert csp_violations == []
