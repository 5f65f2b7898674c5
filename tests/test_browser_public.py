"""The public pages in a real headless Chromium: axe-core (from npm) finds no violation on
any of them in any of the four languages; the guided form, the error summary's focus and
links, the URL check, an upload, and a counter-notice from the 451 page to the staff."""

import re
from pathlib import Path

import pytest

from compliance.messaging.models import Message
from compliance.takedowns.models import (
    CounterNotice,
    CounterNoticeSubmission,
    Evidence,
    RemovalRequest,
)
from tests.factories import ItemFactory, OriginFactory, RemovalRequestFactory, UserFactory
from tests.stafftools import browser_login, enrol

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ("en", "fr", "de", "es")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, settings):
    settings.SITE_URL = live_server.url
    origin = OriginFactory(domain="fennel.example", name="Fennel Review")
    item = ItemFactory(
        origin=origin, title="Orchard second life", original_url="https://fennel.example/orchard"
    )
    done = RemovalRequestFactory(status="completed", origin=origin, reference="TD-2026-00042")
    hidden = ItemFactory(origin=origin, status="hidden", status_request=done)
    return {"url": live_server.url, "item": item, "hidden": hidden, "request": done}


def axe_violations(page) -> list:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install-test` runs `npm ci`")
    # Evaluated over the DevTools protocol, as an extension would: the page's own
    # Content-Security-Policy (no inline script) stays as readers get it.
    page.evaluate(AXE.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["name"] == "axe-core" and result["passes"]  # it did run
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


def public_pages(site) -> list[str]:
    return [
        "/",
        f"/items/{site['item'].slug}/",
        f"/items/{site['hidden'].slug}/",
        "/takedown/",
        "/transparency/",
        "/no/such/page/",
        "/takedown/mine/",
        "/takedown/opt-out/",
        f"/takedown/counter-notice/?item={site['hidden'].slug}",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_violation_on_any_public_page(browser, site, language):
    context = browser.new_context(extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    try:
        for path in public_pages(site):
            page.goto(site["url"] + path)
            assert page.locator("html").get_attribute("lang") == language, path
            assert axe_violations(page) == [], path
        # The form as a requester sees it once a ground is chosen, and with its errors.
        page.goto(site["url"] + "/takedown/")
        page.check("input[name=ground][value=privacy]")
        assert axe_violations(page) == [], "guided form"
        page.locator("form.takedown-form button[type=submit]").click()
        page.wait_for_selector("#form-errors")
        assert axe_violations(page) == [], "error summary"
    finally:
        context.close()


def test_guided_form_shows_what_the_ground_needs(page, site):
    page.goto(site["url"] + "/takedown/")
    assert not page.locator("input[name=requester_name]").is_visible()  # the ground first
    page.check("input[name=ground][value=copyright]")
    dmca = page.locator("#field-accuracy .only-copyright")
    dsa = page.locator("#field-accuracy .only-dsa")
    assert dmca.is_visible() and not dsa.is_visible()
    assert "penalty of perjury" in dmca.inner_text()
    page.check("input[name=ground][value=defamation]")
    assert dsa.is_visible() and not dmca.is_visible()
    assert page.locator(".only-defamation").is_visible()
    assert not page.locator(".only-copyright").first.is_visible()
    # "The whole origin" only for a rights holder or the site's representative.
    origin_choice = page.locator("input[name=scope][value=origin]")
    page.check("input[name=role][value=author]")
    assert not origin_choice.is_visible()
    page.check("input[name=role][value=rights_holder]")
    assert origin_choice.is_visible()
    assert "only a rights holder" in page.locator("#scope-note").inner_text()


def test_url_field_says_which_addresses_are_ours_as_you_type(page, site):
    page.goto(site["url"] + "/takedown/")
    page.check("input[name=ground][value=copyright]")
    page.fill("textarea[name=urls]", "https://fennel.example/orchard\nhttps://nowhere.example/x")
    check = page.locator("#urls-check")
    check.locator("li").nth(1).wait_for()
    lines = check.locator("li").all_inner_texts()
    assert "ours: “Orchard second life”, from Fennel Review" in lines[0]
    assert "not an address we know" in lines[1]


def test_error_summary_takes_focus_and_links_to_each_field(page, site):
    page.goto(site["url"] + "/takedown/")
    page.check("input[name=ground][value=privacy]")
    page.fill("input[name=requester_email]", "robin-at-rights")
    page.fill("textarea[name=explanation]", "My home address is shown.")
    page.locator("form.takedown-form button[type=submit]").click()
    page.wait_for_selector("#form-errors")
    assert page.evaluate("document.activeElement.id") == "form-errors"
    summary = page.locator("#form-errors")
    assert summary.get_attribute("role") == "alert"
    links = summary.locator("a")
    assert links.first.inner_text().startswith("Your full name:")
    assert page.locator("textarea[name=explanation]").input_value() == "My home address is shown."
    summary.get_by_text("Your email address:").click()
    assert page.evaluate("document.activeElement.id") == "id_requester_email"
    assert list(RemovalRequest.objects.values_list("reference", flat=True)) == ["TD-2026-00042"]


def test_a_notice_with_an_uploaded_file(page, site, tmp_path):
    screenshot = tmp_path / "screenshot.png"
    screenshot.write_bytes(PNG)
    page.goto(site["url"] + f"/takedown/?url={site['item'].original_url}")
    page.check("input[name=ground][value=privacy]")
    page.fill("input[name=requester_name]", "Robin Rights")
    page.fill("input[name=requester_email]", "robin@rights.example")
    page.check("input[name=role][value=other]")
    page.fill("textarea[name=explanation]", "The article shows my home address.")
    page.set_input_files("input[name=evidence]", str(screenshot))
    page.check("input[name=good_faith]")
    page.check("input[name=accuracy]")
    page.fill("input[name=signature]", "Robin Rights")
    page.get_by_role("button", name="Send the removal request").click()
    page.wait_for_url(re.compile(r"/takedown/sent/"))
    evidence = Evidence.objects.get()
    assert (evidence.filename, evidence.content_type) == ("screenshot.png", "image/png")
    assert evidence.request.ground == "privacy"


def test_counter_notice_from_the_451_page_to_the_staffs_acceptance(browser, site):
    context = browser.new_context(extra_http_headers={"Accept-Language": "es"})
    page = context.new_page()
    page.goto(site["url"] + f"/items/{site['hidden'].slug}/")
    page.locator("a[href*='/takedown/counter-notice/']").click()
    page.wait_for_url(re.compile(r"/takedown/counter-notice/\?item="))
    page.fill("input[name=name]", "Casey Example")
    page.fill("textarea[name=address]", "1 Invented Lane, Quarrow")
    page.fill("input[name=phone]", "+44 0000 000000")
    page.fill("input[name=email]", "casey@author.example")
    page.fill("textarea[name=explanation]", "I wrote it and licensed it under CC BY.")
    page.check("input[name=mistake_statement]")
    page.check("input[name=jurisdiction_consent]")
    page.fill("input[name=signature]", "Casey Example")
    page.locator("form.takedown-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/takedown/counter-notice/sent/"))
    mail = Message.objects.get(kind="counter_notice_verification")
    assert "Confirme su contranotificación" in mail.subject
    link = re.search(r"(http://\S+/takedown/counter-notice/verify/\S+/)", mail.text_body)[1]
    page.goto(link)
    assert "Su dirección está verificada" in page.locator("main").inner_text()
    context.close()

    officer = UserFactory(username="olive", officer=True)
    enrol(officer)  # officers sign in with a second factor
    staff = browser.new_context().new_page()
    browser_login(
        staff, site["url"], officer, next_path="/admin/takedowns/counternoticesubmission/"
    )
    staff.wait_for_url(re.compile(r"/admin/takedowns/counternoticesubmission/"))
    staff.locator("input[name=_selected_action]").first.check()
    staff.select_option("select[name=action]", "accept")
    staff.locator("button[name=index]").click()
    staff.wait_for_load_state()
    submission = CounterNoticeSubmission.objects.get()
    assert submission.status == "accepted"
    notice = CounterNotice.objects.get()
    assert notice.request == site["request"] and notice.restore_at is not None
    assert Message.objects.filter(
        kind="counter_notice", recipients=[site["request"].requester_email]
    ).exists()
