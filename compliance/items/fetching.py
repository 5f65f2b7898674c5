"""Fetching a stored feed and its bookkeeping: conditional GET, back-off after failures,
`Retry-After` on 429, a feed answering 410 paused; then its entries stored
(compliance.items.ingest). Network work happens outside any transaction.
"""

import logging
from datetime import datetime, timedelta
from http import HTTPStatus

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.audit.services import audit_record

from . import fetch
from .ingest import INGEST_ACTOR, IngestOutcome, entries_store, fit
from .models import Feed
from .parsing import FeedParseError, ParsedFeed, parse_feed

logger = logging.getLogger("compliance.items")

# A Retry-After longer than this is a misconfiguration, not a request; staff see it anyway.
MAX_RETRY_AFTER = timedelta(days=7)


def fetch_feed(url: str, *, etag: str = "", last_modified: str = "") -> fetch.FetchResult:
    if url.startswith("file:"):
        return fetch.read_file(url, max_bytes=settings.FETCH_MAX_BYTES)
    return fetch.fetch_url(
        url,
        etag=etag,
        last_modified=last_modified,
        timeout=settings.FETCH_TIMEOUT_SECONDS,
        max_bytes=settings.FETCH_MAX_BYTES,
        allow_loopback=settings.FETCH_ALLOW_LOOPBACK,
        user_agent=settings.FETCH_USER_AGENT,
    )


def feed_backoff(*, poll_interval_minutes: int, failures: int) -> timedelta:
    """Exponential back-off after `failures` consecutive failures: twice the poll interval
    after the first, doubling each time, capped by FEED_MAX_BACKOFF_MINUTES."""
    cap = max(settings.FEED_MAX_BACKOFF_MINUTES, poll_interval_minutes)
    minutes = poll_interval_minutes * 2 ** min(max(failures, 0), 30)
    return timedelta(minutes=min(minutes, cap))


def http_problem(result: fetch.FetchResult) -> str:
    if result.error:
        return result.error
    if result.status is None or not 200 <= result.status < 300:
        try:
            phrase = HTTPStatus(result.status).phrase
        except ValueError:
            phrase = ""
        return f"HTTP {result.status} {phrase}".strip()
    return ""


def _record_failure(
    feed: Feed,
    result,
    error: str,
    now: datetime,
    outcome: IngestOutcome,
    kind: str = Feed.Outcome.ERROR,
) -> None:
    failures = feed.consecutive_failures + 1
    wait = feed_backoff(poll_interval_minutes=feed.poll_interval_minutes, failures=failures)
    if kind == Feed.Outcome.RATE_LIMITED:
        retry_after = fetch.retry_after_seconds(result.headers.get("retry-after", ""), now=now)
        if retry_after is not None:
            # Capped before it becomes a timedelta: a huge value would overflow one.
            wait = timedelta(seconds=min(retry_after, MAX_RETRY_AFTER.total_seconds()))
    Feed.objects.filter(pk=feed.pk).update(
        last_fetched_at=now,
        last_outcome=kind,
        last_status_code=result.status if result is not None else None,
        last_error=error,
        consecutive_failures=failures,
        next_fetch_at=now + wait,
    )
    outcome.failed, outcome.outcome, outcome.error = True, kind, error


def _record_gone(feed: Feed, result, now: datetime, outcome: IngestOutcome) -> None:
    error = "HTTP 410 Gone: the feed says it is gone for good, so it is paused."
    with transaction.atomic():
        Feed.objects.filter(pk=feed.pk).update(
            is_active=False,
            last_fetched_at=now,
            last_outcome=Feed.Outcome.GONE,
            last_status_code=410,
            last_error=error,
            consecutive_failures=feed.consecutive_failures + 1,
            next_fetch_at=None,
        )
        audit_record(
            actor=INGEST_ACTOR,
            action="feed.paused",
            obj=feed,
            reason=error,
            before={"is_active": True},
            after={"is_active": False},
        )
    outcome.failed, outcome.outcome, outcome.error = True, Feed.Outcome.GONE, error


def feed_response_ingest(
    feed: Feed, result: fetch.FetchResult, parsed: ParsedFeed | None, outcome: IngestOutcome
) -> IngestOutcome:
    """Act on a fetch result for a stored feed: record the outcome, store the entries."""
    now = timezone.now()
    if result.error:
        _record_failure(feed, result, result.error, now, outcome)
        return outcome
    if result.status == 304:
        Feed.objects.filter(pk=feed.pk).update(
            last_fetched_at=now,
            last_outcome=Feed.Outcome.NOT_MODIFIED,
            last_status_code=304,
            last_error="",
            consecutive_failures=0,
            next_fetch_at=now + timedelta(minutes=feed.poll_interval_minutes),
        )
        outcome.outcome = Feed.Outcome.NOT_MODIFIED
        return outcome
    if result.status == 429:
        _record_failure(
            feed, result, "HTTP 429 Too Many Requests", now, outcome, kind=Feed.Outcome.RATE_LIMITED
        )
        return outcome
    if result.status == 410:
        _record_gone(feed, result, now, outcome)
        return outcome
    problem = http_problem(result)
    if problem:
        _record_failure(feed, result, problem, now, outcome)
        return outcome
    if parsed is None:
        try:
            parsed = parse_feed(result.body, base_url=result.final_url, http_charset=result.charset)
        except FeedParseError as exc:
            _record_failure(feed, result, str(exc), now, outcome)
            return outcome
    entries_store(feed, parsed, outcome)
    notes = list(outcome.errors)
    if outcome.warnings:
        notes.append("Warnings: " + "; ".join(outcome.warnings))
    done = timezone.now()
    is_file = feed.url.startswith("file:")
    Feed.objects.filter(pk=feed.pk).update(
        title=fit(Feed, "title", parsed.title) or feed.title,
        last_fetched_at=done,
        last_outcome=Feed.Outcome.OK,
        last_status_code=None if is_file else result.status,
        last_error="; ".join(notes),
        consecutive_failures=0,
        etag=fit(Feed, "etag", result.headers.get("etag", "")),
        last_modified=fit(Feed, "last_modified", result.headers.get("last-modified", "")),
        next_fetch_at=done + timedelta(minutes=feed.poll_interval_minutes),
    )
    outcome.outcome = Feed.Outcome.OK
    return outcome


def feed_ingest(*, feed_id: int) -> IngestOutcome:
    """Fetch one stored feed and ingest it. Safe to run twice: known entries are matched
    by (origin, guid) or by normalised URL and never stored again. A paused feed is not
    fetched."""
    feed = Feed.objects.select_related("origin").filter(pk=feed_id).first()
    if feed is None:
        return IngestOutcome(
            source=f"feed {feed_id}",
            feed_id=feed_id,
            failed=True,
            error=f"there is no feed {feed_id}",
        )
    outcome = IngestOutcome(source=feed.url, feed_id=feed.pk)
    if not feed.is_active:
        outcome.failed = True
        outcome.error = "the feed is paused; reactivate it in the admin first"
        return outcome
    try:
        result = fetch_feed(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        return feed_response_ingest(feed, result, None, outcome)
    except Exception as exc:  # a feed nobody foresaw: recorded and skipped, the run goes on
        logger.exception("ingesting feed %s failed", feed.pk)
        _record_failure(feed, None, unexpected(exc), timezone.now(), outcome)
        return outcome


def unexpected(exc: Exception) -> str:
    return f"unexpected error: {type(exc).__name__}: {exc}"


def feeds_claim_due(*, now: datetime | None = None) -> list[int]:
    """Claim the active feeds due for a fetch and return their ids.

    The claim is a conditional update of next_fetch_at (still due → due again after one
    poll interval), so an overlapping beat, a duplicate sweep or the command running at the
    same time claims each feed once; a claimed feed whose task is lost comes due again."""
    now = now or timezone.now()
    claimed = []
    for feed_id, interval in Feed.objects.due(now).values_list("pk", "poll_interval_minutes"):
        lease = now + timedelta(minutes=interval)
        if Feed.objects.due(now).filter(pk=feed_id).update(next_fetch_at=lease):
            claimed.append(feed_id)
    return claimed
