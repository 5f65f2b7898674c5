"""Feeds named on the command line (`manage.py ingest PATH_OR_URL`): a source not yet
known is fetched and parsed first, and only a readable feed creates its Feed and, from the
feed's own site link, its Origin."""

import logging
from pathlib import Path
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from compliance.core.normalise import normalise_domain

from .configuration import feed_create, origin_create
from .fetching import feed_ingest, feed_response_ingest, fetch_feed, http_problem, unexpected
from .ingest import INGEST_ACTOR, IngestOutcome, fit
from .models import Feed, Origin
from .parsing import FeedParseError, ParsedFeed, parse_feed

logger = logging.getLogger("compliance.items")

NO_LICENCE_ORIGIN_ATTENTION = (
    "No licence basis is recorded for this origin: choose one, or its items are published "
    "with a note saying that none is recorded."
)


def source_url(source: str) -> str:
    """A command-line source as a feed URL: http(s) URLs as given, local paths as absolute
    file:// URLs. Raises ValueError for anything else."""
    source = source.strip()
    scheme = urlsplit(source).scheme.lower() if "://" in source else ""
    if scheme in {"http", "https"}:
        return source
    if scheme == "file":
        return source
    if scheme:
        raise ValueError(f"{source}: only http(s) URLs and local paths can be ingested")
    path = Path(source).expanduser().resolve()
    if not path.is_file():
        raise ValueError(f"{source}: no such file")
    return path.as_uri()


def _origin_for(parsed: ParsedFeed, url: str) -> tuple[Origin, bool]:
    """The origin named by the feed's own site link (else by an http(s) feed URL's host),
    found by its normalised domain or created."""
    site = parsed.site_url or (url if urlsplit(url).scheme in {"http", "https"} else "")
    host = urlsplit(site).hostname if site else ""
    if not host:
        raise FeedParseError("the feed names no link to its site, so its origin is unknown")
    domain = normalise_domain(host)
    origin = Origin.objects.filter(domain=domain).first()
    if origin is not None:
        return origin, False
    parts = urlsplit(site)
    origin = origin_create(
        actor=INGEST_ACTOR,
        reason=f"named as its site by the feed {url}",
        domain=domain,
        name=fit(Origin, "name", parsed.title) or domain,
        home_page=fit(Origin, "home_page", parsed.site_url or f"{parts.scheme}://{host}/"),
        attention_needed=NO_LICENCE_ORIGIN_ATTENTION,
    )
    return origin, True


def feed_ingest_source(*, source: str) -> IngestOutcome:
    """Ingest a feed named on the command line (a URL or a local path). A feed not yet
    known is fetched and parsed first; only a readable feed creates its Feed and, from the
    feed's own site link, its Origin (audit: feed.created, origin.created)."""
    outcome = IngestOutcome(source=source)
    try:
        url = source_url(source)
    except ValueError as exc:
        outcome.failed, outcome.error = True, str(exc)
        return outcome
    known = Feed.objects.filter(url=url).values_list("pk", flat=True).first()
    if known is not None:
        return feed_ingest(feed_id=known)
    result = fetch_feed(url)
    problem = http_problem(result)
    if problem:
        outcome.failed, outcome.error = True, problem
        return outcome
    try:
        parsed = parse_feed(result.body, base_url=result.final_url, http_charset=result.charset)
        with transaction.atomic():
            origin, _ = _origin_for(parsed, url)
            feed = feed_create(
                actor=INGEST_ACTOR,
                reason="named on the command line",
                origin=origin,
                url=url,
                title=fit(Feed, "title", parsed.title),
            )
    except (FeedParseError, IntegrityError, ValueError) as exc:
        outcome.failed, outcome.error = True, str(exc)
        return outcome
    except Exception as exc:  # as in feed_ingest: reported and skipped, the run goes on
        logger.exception("reading the new feed %s failed", url)
        outcome.failed, outcome.error = True, unexpected(exc)
        return outcome
    feed.origin = origin
    outcome.feed_id = feed.pk
    outcome.source = url
    return feed_response_ingest(feed, result, parsed, outcome)
