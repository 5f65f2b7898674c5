"""The takedown job's self-check: does the site, asked over HTTP as a reader would ask it,
show that the content is gone, on our own server and through every edge cache?

In proportion to the takedown, not to the site: each hidden item's page must answer 451;
the feed (one page, the newest items) must not list any of them; and of the sitemap, only
the pages those items are on (by primary-key range, see compliance.items.sitemap_pages)
are read, never the whole of it. Requests to our own site go to
settings.SELF_CHECK_BASE_URL with headers asking every cache on the way for a fresh answer;
through an edge cache they are plain reads, as a reader's would be, so that a copy the
purge missed is seen. Pages are compared by path, whatever host name the links carry.

A long check reports its progress (`progress(check)`) every PROGRESS_EVERY pages; the job
stores it, and a run killed half-way starts again where it was (`start`).
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree

import requests
from django.conf import settings

from compliance.items.sitemap_pages import sitemap_page_of, sitemap_page_path

logger = logging.getLogger("compliance.takedowns")

FRESH = {"Cache-Control": "no-cache", "Pragma": "no-cache"}
FAILURES_KEPT = 20
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# A long check calls back this often (pages), to store its progress and renew the lease.
PROGRESS_EVERY = 200
OUR_SITE = "our site"


@dataclass
class SelfCheck:
    where: str = OUR_SITE  # "our site", or the edge cache's name
    passed: bool = True
    checked: int = 0  # item pages requested
    items: int = 0  # items looked for in the feed and the sitemap
    sitemap_pages: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.passed = False
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(problem)

    def as_audit(self) -> dict:
        return {
            "where": self.where,
            "passed": self.passed,
            "checked": self.checked,
            "items": self.items,
            "sitemap_pages": self.sitemap_pages,
            "failures": self.failures,
        }


def _sample(items: list, limit: int) -> list:
    """All items, or `limit` of them spread evenly (first and last included)."""
    if len(items) <= limit:
        return items
    if limit < 2:
        return items[: max(limit, 0)]
    step = (len(items) - 1) / (limit - 1)
    return [items[round(n * step)] for n in range(limit)]


def _listed_paths(
    session, url: str, headers: dict, check: SelfCheck, what: str, *, gone_ok: bool = False
) -> set[str]:
    """The paths of every <link> (RSS) or <loc> (sitemap) in the document at `url`;
    `gone_ok`: a 404 lists nothing (a sitemap page past the last one, once its items left)."""
    try:
        response = session.get(
            url,
            headers=headers,
            timeout=settings.SELF_CHECK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        check.fail(f"{what}: {type(exc).__name__}: {exc}")
        return set()
    if gone_ok and response.status_code == 404:
        return set()
    if response.status_code != 200:
        check.fail(f"{what} answered {response.status_code}")
        return set()
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError as exc:
        check.fail(f"{what} is not XML: {exc}")
        return set()
    links = [e.text or "" for e in root.iter() if e.tag in {"link", f"{SITEMAP_NS}loc"}]
    return {urlsplit(link.strip()).path for link in links}


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = f"{settings.SITE_NAME}-self-check"
    return session


def run_self_check(
    items: list[tuple[int, str]],
    *,
    base: str = "",
    where: str = OUR_SITE,
    fresh: bool = True,
    start: int = 0,
    failures: list[str] | None = None,
    progress=None,
    expect: int = 451,
) -> SelfCheck:
    """Check that the items (pk, page path such as "/items/<slug>/") are gone from the site
    at `base` (SELF_CHECK_BASE_URL by default). Every page is requested unless
    SELF_CHECK_MAX_PAGES sets a sample size; `start` pages of that list were checked by an
    earlier run (with `failures`). With expect=200 it checks a restoration instead: each
    page answers 200 (the lists are not read: a restored item need not be among the
    newest)."""
    base = (base or settings.SELF_CHECK_BASE_URL).rstrip("/")
    headers = FRESH if fresh else {}
    pages = sorted({sitemap_page_of(pk) for pk, _ in items})
    check = SelfCheck(where=where, items=len(items), sitemap_pages=pages, checked=start)
    for problem in failures or []:
        check.fail(problem)
    wanted = {path for _, path in items}
    limit = settings.SELF_CHECK_MAX_PAGES or len(items)
    todo = _sample(sorted(wanted), limit)[start:]
    local = threading.local()

    def status_of(path: str) -> str:
        """ "" when the page answers 451, else what is wrong (one session per thread)."""
        if not hasattr(local, "session"):
            local.session = _session()
        try:
            status = local.session.get(
                f"{base}{path}",
                headers=headers,
                timeout=settings.SELF_CHECK_TIMEOUT_SECONDS,
                allow_redirects=False,
            ).status_code
        except requests.RequestException as exc:
            return f"{path}: {type(exc).__name__}: {exc}"
        return "" if status == expect else f"{path} answered {status}, not {expect}"

    # A few pages at a time, in order, so that the progress stored is always a prefix.
    with ThreadPoolExecutor(max_workers=settings.SELF_CHECK_CONCURRENCY) as pool:
        for chunk_start in range(0, len(todo), PROGRESS_EVERY):
            chunk = todo[chunk_start : chunk_start + PROGRESS_EVERY]
            for problem in pool.map(status_of, chunk):
                check.checked += 1
                if problem:
                    check.fail(problem)
            if progress is not None and len(chunk) == PROGRESS_EVERY:
                progress(check)
    if expect != 451:
        return check
    with _session() as session:
        listed = _listed_paths(session, f"{base}/feed/", headers, check, "/feed/")
        for path in sorted(wanted & listed):
            check.fail(f"{path} is listed in /feed/")
        for page in pages:
            on_page = {path for pk, path in items if sitemap_page_of(pk) == page}
            where_listed = sitemap_page_path(page)
            listed = _listed_paths(
                session, f"{base}{where_listed}", headers, check, where_listed, gone_ok=True
            )
            for path in sorted(on_page & listed):
                check.fail(f"{path} is listed in {where_listed}")
    logger.info("self-check of %s item(s) at %s: %s", len(items), where, check.as_audit())
    return check
