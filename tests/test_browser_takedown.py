"""A requester's whole path in a real headless Chromium: from an item page's disclaimer to
the form, the acknowledgement mail's verification link, and the status page."""

import re
from pathlib import Path

import pytest

from compliance.items.attribution import item_freeze_attribution
from compliance.takedowns.models import RemovalRequest
from tests.factories import ItemFactory, OriginFactory
from tests.workers import wait_until

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_requester_follows_the_disclaimer_submits_verifies_and_sees_it_on_the_status_page(
    page, live_server, settings, celery_worker, worker_mail
):
    # Links in pages and mails must lead back to this very server.
    settings.SITE_URL = live_server.url
    item = ItemFactory(
        origin=OriginFactory(domain="origin.example", name="Origin Example Daily"),
        title="Invented lanterns light up a harbour that never was",
        disclaimer="",
    )
    item_freeze_attribution(item=item)  # the real disclaimer, with its removal-form link
    item.save()

    # The item page: its disclaimer links to the form, which names the item.
    page.goto(f"{live_server.url}/items/{item.slug}/")
    page.locator(".disclaimer a[href*='/takedown/']").click()
    page.wait_for_url(re.compile(r"/takedown/\?url="))
    assert page.locator("textarea[name=urls]").input_value().strip() == item.original_url

    # An ordinary form, filled in and sent; what is wrong comes first.
    page.check("input[name=ground][value=copyright]")
    page.fill("input[name=requester_name]", "Robin Rights")
    page.fill("input[name=requester_email]", "robin@rights.example")
    page.check("input[name=role][value=author]")
    page.check("input[name=future]")
    page.fill("textarea[name=explanation]", "I wrote this article and never licensed it.")
    page.check("input[name=good_faith]")
    page.check("input[name=accuracy]")
    page.fill("input[name=signature]", "Robin Rights")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "takedown-form-filled.png", full_page=True)
    page.get_by_role("button", name="Send the removal request").click()

    page.wait_for_url(re.compile(r"/takedown/sent/"))
    removal_request = RemovalRequest.objects.get()
    assert removal_request.reference in page.locator("main").inner_text()
    assert removal_request.urls == [item.original_url]
    assert removal_request.future and removal_request.channel == "web"

    # The acknowledgement, sent by the real worker, carries the verification link.
    (sent,) = wait_until(worker_mail, timeout=60, message="no acknowledgement was sent")
    assert sent["To"] == "robin@rights.example"
    body = sent.get_body(preferencelist=("plain",)).get_content()
    verify_link = re.search(r"https?://\S+/takedown/verify/\S+/", body).group(0)
    assert verify_link.startswith(live_server.url)

    page.goto(verify_link)
    assert "Your address is verified" in page.locator("h1").inner_text()
    page.get_by_role("link", name="Follow the request on its status page").click()

    page.wait_for_url(re.compile(r"/takedown/status/"))
    assert page.locator("#current-status").inner_text().startswith("Verified")
    history = page.locator(".history").inner_text()
    assert "Received" in history and "Verified" in history
    assert item.title in page.locator(".targets").inner_text()
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.VERIFIED

    # For reviewers: what the requester saw at the end.
    page.screenshot(path=ARTIFACTS / "takedown-status-verified.png", full_page=True)
