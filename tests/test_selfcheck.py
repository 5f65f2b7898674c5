"""The self-check in proportion to the takedown: only the sitemap pages the removed items
are on, and progress stored so that a killed job resumes (against a local stand-in site)."""

import pytest

from compliance.audit.models import AuditEvent
from compliance.items import sitemap_pages
from compliance.takedowns import processing, selfcheck
from tests.factories import ItemFactory
from tests.test_takedown_jobs import approved_request, run


@pytest.mark.django_db(transaction=True)
def test_only_the_sitemap_pages_the_items_are_on_are_read(settings, httpserver, monkeypatch):
    """Items 3 and 4 are on page 2 (two a page here), item 9 on page 5: those two pages
    are asked for, never the others; an item still listed on its page fails the check."""
    monkeypatch.setattr(sitemap_pages, "SITEMAP_PAGE_SIZE", 2)
    settings.SELF_CHECK_BASE_URL = httpserver.url_for("").rstrip("/")
    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"

    def sitemap(*slugs):
        urls = "".join(f"<url><loc>http://x/items/{s}/</loc></url>" for s in slugs)
        return f'<urlset xmlns="{ns}">{urls}</urlset>'

    for slug in ("three", "four", "nine"):
        httpserver.expect_request(f"/items/{slug}/").respond_with_data("", status=451)
    httpserver.expect_request("/feed/").respond_with_data("<rss><channel/></rss>")
    httpserver.expect_request("/sitemap-items-2.xml").respond_with_data(sitemap("c", "four"))
    httpserver.expect_request("/sitemap-items-5.xml").respond_with_data(sitemap())
    check = selfcheck.run_self_check(
        [(3, "/items/three/"), (4, "/items/four/"), (9, "/items/nine/")]
    )
    assert check.failures == ["/items/four/ is listed in /sitemap-items-2.xml"]
    assert check.sitemap_pages == [2, 5]
    assert {request.path for request, _ in httpserver.log} >= {
        "/sitemap-items-2.xml",
        "/sitemap-items-5.xml",
    }
    assert len(httpserver.log) == 3 + 1 + 2  # pages, the feed, two sitemap pages
    httpserver.check_assertions()


@pytest.mark.django_db(transaction=True)
def test_a_self_check_killed_half_way_resumes_where_it_was(settings, httpserver, monkeypatch):
    settings.SELF_CHECK_BASE_URL = httpserver.url_for("").rstrip("/")
    monkeypatch.setattr(selfcheck, "PROGRESS_EVERY", 3)
    items = ItemFactory.create_batch(7)
    for item in items:
        httpserver.expect_request(f"/items/{item.slug}/").respond_with_data("", status=451)
    httpserver.expect_request("/feed/").respond_with_data("<rss><channel/></rss>")
    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    httpserver.expect_request("/sitemap-items-1.xml").respond_with_data(f'<urlset xmlns="{ns}"/>')
    removal_request = approved_request(*items)
    renew = processing._renew_lease
    calls = []

    def dies_at_the_first_progress(r):
        calls.append(1)
        renew(r)
        if len(calls) == 2:  # the lease taken, then the first progress report
            raise SystemExit("worker killed")

    monkeypatch.setattr(processing, "_renew_lease", dies_at_the_first_progress)
    with pytest.raises(SystemExit):
        run(removal_request)
    stored = removal_request.self_check_progress.get()
    assert stored.done == 3

    assert run(removal_request) == "completed"
    pages = [r.path for r, _ in httpserver.log if r.path.startswith("/items/")]
    assert len(pages) == 7  # three before the kill, the other four after: none twice
    assert sorted(pages) == sorted(f"/items/{item.slug}/" for item in items)
    assert not removal_request.self_check_progress.exists()
    check = AuditEvent.objects.get(action="request.self_check").after
    assert (check["checked"], check["items"], check["passed"]) == (7, 7, True)
