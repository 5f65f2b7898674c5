"""The takedown job's self-check: does the site, asked over HTTP as a reader would ask it,
show that the content is gone?

Each hidden item's page must answer 451, and no hidden item may be listed in /feed/ or on
the sitemap pages the items were on (their primary keys say which, never the whole sitemap).
Requests go to settings.SELF_CHECK_BASE_URL (SITE_URL unless the workers reach the site by
an internal address), with a timeout, no cookies kept between checks, and headers asking
every cache on the way for a fresh answer. Pages are compared by path, so the check holds
whichever host name the site puts in its links.
"""

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree

import requests
from django.conf import settings

from compliance.items.selectors import SITEMAP_PAGE_PATH

logger = logging.getLogger("compliance.takedowns")

FRESH = {"Cache-Control": "no-cache", "Pragma": "no-cache"}
FAILURES_KEPT = 20
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass
class SelfCheck:
    passed: bool = True
    checked: int = 0  # item pages requested
    items: int = 0  # items looked for in the feed and the sitemap
    failures: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.passed = False
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(problem)

    def as_audit(self) -> dict:
        return {
            "passed": self.passed,
            "checked": self.checked,
            "items": self.items,
            "failures": self.failures,
        }


def _sample(paths: list[str], limit: int) -> list[str]:
    """All paths, or `limit` of them spread evenly (first and last included)."""
    if len(paths) <= limit:
        return paths
    if limit < 2:
        return paths[: max(limit, 0)]
    step = (len(paths) - 1) / (limit - 1)
    return [paths[round(n * step)] for n in range(limit)]


def _get(session: requests.Session, url: str) -> requests.Response:
    return session.get(
        url, headers=FRESH, timeout=settings.SELF_CHECK_TIMEOUT_SECONDS, allow_redirects=False
    )


def _listed_paths(
    session: requests.Session, url: str, check: SelfCheck, what: str, *, gone_ok: bool = False
) -> set[str]:
    """The paths of every <link> (RSS) or <loc> (sitemap) in the document at `url`;
    `gone_ok`: a 404 lists nothing (a sitemap page past the last one)."""
    try:
        response = _get(session, url)
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


# A long check calls back this often (pages), e.g. to renew the job's lease.
PROGRESS_EVERY = 200


def run_self_check(paths: list[str], *, sitemap_pages: list[int] = (), progress=None) -> SelfCheck:
    """Check that every item page in `paths` (e.g. "/items/<slug>/") is gone from the site:
    each page is requested, unless SELF_CHECK_MAX_PAGES sets a sample size, and none is
    listed in the feed or on `sitemap_pages` (the pages the items were on). `progress()`,
    if given, is called every PROGRESS_EVERY pages."""
    base = settings.SELF_CHECK_BASE_URL.rstrip("/")
    check = SelfCheck(items=len(paths))
    wanted = set(paths)
    limit = settings.SELF_CHECK_MAX_PAGES or len(paths)
    with requests.Session() as session:
        session.headers["User-Agent"] = f"{settings.SITE_NAME}-self-check"
        for path in _sample(sorted(paths), limit):
            check.checked += 1
            if progress is not None and check.checked % PROGRESS_EVERY == 0:
                progress()
            try:
                status = _get(session, f"{base}{path}").status_code
            except requests.RequestException as exc:
                check.fail(f"{path}: {type(exc).__name__}: {exc}")
                continue
            if status != 451:
                check.fail(f"{path} answered {status}, not 451")
        for path in sorted(wanted & _listed_paths(session, f"{base}/feed/", check, "/feed/")):
            check.fail(f"{path} is listed in /feed/")
        for page in sorted(set(sitemap_pages)):
            page_path = SITEMAP_PAGE_PATH.format(page=page)
            listed = _listed_paths(session, f"{base}{page_path}", check, page_path, gone_ok=True)
            for path in sorted(wanted & listed):
                check.fail(f"{path} is listed in {page_path}")
    logger.info("self-check of %s item(s): %s", len(paths), check.as_audit())
    return check
