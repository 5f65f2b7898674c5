"""Fetching the documents that carry an origin's (or an item's) licensing signals, with
the feeds' own fetch rules (compliance.items.fetching: SSRF guard, size and time limits,
conditional GET). Network work only: no transaction is open while it runs."""

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from compliance.items.fetch import FetchResult
from compliance.items.fetching import fetch_feed, http_problem

from . import readers
from .readers import Signal

# Headers worth keeping as evidence (lower case).
KEPT_HEADERS = (
    "content-type",
    "etag",
    "last-modified",
    "date",
    "location",
    "link",
    "x-robots-tag",
    "tdm-reservation",
    "tdm-policy",
)
# Bodies kept verbatim as the raw value (robots.txt, tdmrep.json, RSL) are cut here; the
# SHA-256 is always of the whole body.
MAX_KEPT_CHARS = 100_000
# What each kind of document is read for.
ROBOTS, TDMREP, PAGE, FEED, RSL = "robots", "tdmrep", "page", "feed", "rsl"


@dataclass
class Document:
    """One fetched location and the signals read from it. `previous` is True when it
    answered 304 Not Modified: its signals are the last reading's."""

    url: str
    role: str
    status: int | None = None
    headers: dict = field(default_factory=dict)
    sha256: str = ""
    body_text: str = ""  # kept for robots.txt, tdmrep.json and RSL documents
    signals: list[Signal] = field(default_factory=list)
    error: str = ""
    not_modified: bool = False


def site_root(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme or "https", parts.netloc, "", "", ""))


def _decode(result: FetchResult) -> str:
    return result.body.decode(result.charset or "utf-8", errors="replace")


def _read(document: Document, result: FetchResult) -> None:
    text = _decode(result)
    if document.role == ROBOTS:
        document.body_text = text[:MAX_KEPT_CHARS]
        document.signals = readers.read_robots(text, base_url=result.final_url)
    elif document.role == TDMREP:
        document.body_text = text[:MAX_KEPT_CHARS]
        document.signals = readers.read_tdmrep(result.body)
    elif document.role == RSL:
        document.body_text = text[:MAX_KEPT_CHARS]
        document.signals = readers.read_rsl(result.body)
    elif document.role == FEED:
        document.signals = readers.read_feed_channel(result.body)
    else:
        document.signals = readers.read_page(text, base_url=result.final_url)
    document.signals += readers.read_tdm_headers(result.headers)


def document_fetch(url: str, role: str, *, etag: str = "", last_modified: str = "") -> Document:
    """Fetch one location (conditionally) and read its signals. A 404 or 410 is an answer
    (nothing published there); a network error, a timeout or a 5xx is `error`."""
    result = fetch_feed(url, etag=etag, last_modified=last_modified)
    document = Document(url=url, role=role, status=result.status)
    document.headers = {
        name: result.headers[name] for name in KEPT_HEADERS if name in result.headers
    }
    if result.final_url != url:
        document.headers["final-url"] = result.final_url
    if result.error:
        document.error = result.error
        return document
    if result.status == 304:
        document.not_modified = True
        return document
    if result.status in (404, 410):
        document.sha256 = hashlib.sha256(b"").hexdigest()
        return document
    problem = http_problem(result)
    if problem:
        document.error = problem
        return document
    document.sha256 = hashlib.sha256(result.body).hexdigest()
    _read(document, result)
    return document


def origin_locations(home_page: str, feed_urls: list[str]) -> list[tuple[str, str]]:
    """(url, role) of what is read for an origin, in order."""
    root = site_root(home_page)
    return [
        (f"{root}/robots.txt", ROBOTS),
        (f"{root}/.well-known/tdmrep.json", TDMREP),
        (home_page, PAGE),
        *((url, FEED) for url in feed_urls if not url.startswith("file:")),
    ]
