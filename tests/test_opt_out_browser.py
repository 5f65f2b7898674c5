"""A site's representative opts the whole site out in a real headless Chromium: from the
removal form to the token, publishing it as a file, and the verification."""

import re

import pytest

from compliance.takedowns.models import OriginOptOut, RemovalRequest
from tests.factories import ItemFactory, OriginFactory
from tests.licensingtools import Site


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_representative_opts_out_by_publishing_a_file(page, live_server, settings, httpserver):
    settings.SITE_URL = live_server.url
    site = Site(httpserver)
    origin = OriginFactory(
        domain="tide-tables.example", name="Tide Tables", home_page=site.url("/")
    )
    ItemFactory(origin=origin)

    page.goto(f"{live_server.url}/takedown/")
    page.locator("#opt-out-link").click()
    page.wait_for_url(re.compile(r"/takedown/opt-out/$"))
    page.fill("input[name=domain]", "www.tide-tables.example")
    page.fill("input[name=requester_name]", "Tess Tide")
    page.fill("input[name=requester_email]", "tess@tide-tables.example")
    page.get_by_role("button", name="Get my token").click()

    page.wait_for_url(re.compile(r"/takedown/opt-out/[A-Za-z0-9_-]{20,}/$"))
    value = page.locator("#opt-out-value").inner_text()
    assert value == OriginOptOut.objects.get().published_value
    assert page.locator("#opt-out-file").inner_text() == site.url(
        "/.well-known/courtesy-optout.txt"
    )

    page.get_by_role("button", name="Check now").click()
    assert "Not verified yet" in page.locator("#opt-out-problem").inner_text()

    site.set("/.well-known/courtesy-optout.txt", value.encode(), content_type="text/plain")
    page.get_by_role("button", name="Check now").click()

    removal_request = RemovalRequest.objects.get()
    assert removal_request.reference in page.locator("#opt-out-verified").inner_text()
    assert (
        page.locator(".status-link")
        .get_attribute("href")
        .startswith(f"{live_server.url}/takedown/status/")
    )
