"""Ingest: fetch a feed, store its entries, publish or withhold each new item; and the
status changes that come later: hide, restore, withhold when a licence expires.

This module is the only place where an Item's status is set. Each new item is stored in a
transaction of its own together with its audit event, so one bad entry loses nothing else,
and the feed's row is locked for it, so two runs over the same feed (a duplicate task, an
overlapping beat and command) store each entry once. Network work happens outside any
transaction. Later status changes are set-based: a fixed number of statements whatever the
number of items (bench/hide.py measures it).
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, F, IntegerField, JSONField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Substr
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone
from django.utils.text import slugify

from compliance.audit.models import AuditEvent
from compliance.audit.services import Actor, audit_record
from compliance.core.normalise import (
    author_key,
    normalise_domain,
    sha256_text,
    text_fingerprint,
    url_key,
)
from compliance.takedowns.rules import block_rule_matching

from . import fetch
from .models import DEFAULT_DISCLAIMER_TEMPLATE, Feed, Item, LicenceBasis, Origin
from .parsing import FeedParseError, ParsedEntry, ParsedFeed, parse_feed

logger = logging.getLogger("compliance.items")

INGEST_ACTOR = Actor.system("ingest")
NO_LICENCE_NOTE = (
    "Licence: none recorded. This item is republished from the origin's public feed; no "
    "licence basis has been recorded for it."
)
NO_LICENCE_ORIGIN_ATTENTION = (
    "No licence basis is recorded for this origin: choose one, or its items are published "
    "with a note saying that none is recorded."
)
# A Retry-After longer than this is a misconfiguration, not a request; staff see it anyway.
MAX_RETRY_AFTER = timedelta(days=7)
SLUG_CHARS = 200
# Fields that a feed may change on an item already published ("updated"); the frozen
# licence note, disclaimer and their hashes are never among them.
UPDATABLE_FIELDS = (
    "title",
    "author",
    "body",
    "image_url",
    "photo_credit",
    "published_at",
    "rights_statement",
    "rights_licence_url",
)


@dataclass
class IngestOutcome:
    """What ingesting one feed (or one command-line source) did."""

    source: str
    feed_id: int | None = None
    new: int = 0  # new items published
    updated: int = 0  # published items whose content the feed changed
    withheld: int = 0  # new items stored withheld (licence, blocked origin, block rule)
    failed: bool = False
    outcome: str = ""  # Feed.Outcome value, or "" when no fetch happened
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # entries that could not be stored


class _NoLicence:
    """Stands in for a missing licence basis in the disclaimer template."""

    name = ""
    kind = ""
    licence_url = ""
    usage_statement = "without a recorded licence basis"

    def __str__(self):
        return "no recorded licence basis"


# --- Publishing ----------------------------------------------------------------------------


def _render_disclaimer(item: Item) -> str:
    """Plain text: the template's output is shown as text, never parsed as HTML."""
    origin = item.origin
    source = origin.disclaimer_template.strip() or DEFAULT_DISCLAIMER_TEMPLATE
    context = Context(
        {
            "origin": origin,
            "item": item,
            "licence": item.licence_basis or _NoLicence(),
            "contact_email": settings.CONTACT_EMAIL,
            "removal_form_url": f"{settings.SITE_URL}/takedown/?url="
            + quote(item.original_url, safe=""),
        },
        autoescape=False,
    )
    try:
        return Template(source).render(context).strip()
    except TemplateSyntaxError:
        raise
    except Exception as exc:
        # A template that compiles can still fail as it renders ({% include %} of a file
        # that is not there): treated like a broken template, never a crashed entry.
        raise TemplateSyntaxError(f"{type(exc).__name__}: {exc}") from exc


def item_freeze_attribution(*, item: Item) -> None:
    """Render the licence note and the disclaimer for an item about to be shown and freeze
    them on it, each with the SHA-256 of its exact text. Does not save.

    Texts are frozen once: an item that already carries them (hidden, then restored) keeps
    what readers saw before. Anything that publishes an item calls this first; raises
    TemplateSyntaxError when the origin's disclaimer template is broken."""
    if item.disclaimer:
        return
    basis = item.licence_basis
    item.licence_note = basis.licence_note() if basis else NO_LICENCE_NOTE
    item.disclaimer = _render_disclaimer(item)
    item.licence_note_sha256 = sha256_text(item.licence_note)
    item.disclaimer_sha256 = sha256_text(item.disclaimer)


def _licence_problem(basis: LicenceBasis | None, now: datetime) -> str:
    if basis is None or basis.is_valid_at(now):
        return ""
    if basis.valid_from and now < basis.valid_from:
        return f"licence not yet valid: {basis.name} is valid from {basis.valid_from:%Y-%m-%d}"
    return "licence expired"


def _fit(model, name: str, value: str) -> str:
    return value[: model._meta.get_field(name).max_length]


def _unique_slug(title: str, guid: str) -> str:
    # A title in a script slugify drops (Cyrillic, Chinese…) would give every such item
    # "item", "item-2", … and one more query per item each time: name it by its guid.
    base = slugify(title)[:SLUG_CHARS].strip("-") or f"item-{sha256_text(guid)[:10]}"
    slug, number = base, 2
    while Item.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def _entry_fields(entry: ParsedEntry) -> dict:
    return {
        "title": _fit(Item, "title", entry.title) or "Untitled",
        "author": _fit(Item, "author", entry.author),
        "body": entry.body,
        "image_url": _fit(Item, "image_url", entry.image_url),
        "photo_credit": _fit(Item, "photo_credit", entry.photo_credit),
        "published_at": entry.published_at,
        "rights_statement": entry.rights_statement,
        "rights_licence_url": _fit(Item, "rights_licence_url", entry.rights_licence_url),
    }


def _guid_of(entry: ParsedEntry) -> str:
    limit = Item._meta.get_field("guid").max_length
    return entry.guid if len(entry.guid) <= limit else "sha256:" + sha256_text(entry.guid)


def _decide(item: Item, now: datetime) -> tuple[str, str]:
    """(status, reason) for a new item; sets status_rule/status_request for a rule. Takedowns
    (a rule, a blocked origin) come first: when the licence has lapsed too, the takedown is
    what the item records."""
    origin = item.origin
    rule = block_rule_matching(
        domain=origin.domain,
        url_key=item.url_key,
        author_key=item.author_key,
        text_fingerprint=item.text_fingerprint,
    )
    link_host = normalise_domain(urlsplit(item.original_url).hostname or "")
    if rule is None and link_host and link_host != origin.domain:
        # The article lives on another site than its feed's origin: that site's origin and
        # author rules apply too.
        rule = block_rule_matching(
            domain=link_host, url_key="", author_key=item.author_key, text_fingerprint=""
        )
    if rule is not None:
        item.status_rule = rule
        item.status_request = rule.request
        return Item.Status.WITHHELD, f"block rule: {rule}"
    if origin.is_blocked:
        item.status_request = origin.blocked_by_request
        return Item.Status.WITHHELD, "origin blocked"
    problem = _licence_problem(item.licence_basis, now)
    if problem:
        return Item.Status.WITHHELD, problem
    return Item.Status.PUBLISHED, ""


def _create_item(feed: Feed, entry: ParsedEntry, now: datetime) -> str:
    """Store a new entry as an item, published or withheld. Returns "new" or "withheld"."""
    origin = feed.origin
    fields = _entry_fields(entry)
    item = Item(
        origin=origin,
        feed=feed,
        guid=_guid_of(entry),
        original_url=entry.link,
        url_key=url_key(entry.link),
        author_key=author_key(fields["author"]),
        text_fingerprint=text_fingerprint(entry.body),
        ingested_at=now,
        licence_basis=origin.licence_basis,
        status_changed_at=now,
        **fields,
    )
    status, reason = _decide(item, now)
    if status == Item.Status.PUBLISHED:
        try:
            item_freeze_attribution(item=item)
        except TemplateSyntaxError as exc:
            status, reason = Item.Status.WITHHELD, f"disclaimer template error: {exc}"
            item.licence_note = item.disclaimer = ""
            item.licence_note_sha256 = item.disclaimer_sha256 = ""
            Origin.objects.filter(pk=origin.pk).update(
                attention_needed=f"The disclaimer template does not render: {exc}"
            )
    item.status, item.status_reason = status, reason
    if status == Item.Status.PUBLISHED:
        item.republished_at = now
    item.slug = _unique_slug(item.title, item.guid)
    try:
        with transaction.atomic():
            item.save(force_insert=True)
    except IntegrityError:
        # Another run stored this guid meanwhile, or took the slug: look again.
        if Item.objects.filter(origin=origin, guid=item.guid).exists():
            return "unchanged"
        item.pk = None
        item.slug = f"{item.slug[:SLUG_CHARS]}-{uuid.uuid4().hex[:6]}"
        with transaction.atomic():
            item.save(force_insert=True)
    published = status == Item.Status.PUBLISHED
    after = {"status": status, "feed": feed.pk, "guid": item.guid, "url": item.original_url}
    if published:
        after |= {
            "licence_note_sha256": item.licence_note_sha256,
            "disclaimer_sha256": item.disclaimer_sha256,
        }
    elif item.status_rule_id:
        after["rule"] = item.status_rule_id
    audit_record(
        actor=INGEST_ACTOR,
        action="item.published" if published else "item.withheld",
        obj=item,
        reason=reason or f"new item in feed {feed.url}",
        after=after,
        request=item.status_request,
    )
    return "new" if published else "withheld"


def _update_item(item: Item, entry: ParsedEntry) -> str:
    """Bring a published item up to date with its entry. Hidden and withheld items are left
    alone: an update must never bring them back. An edit that makes the article match a
    block rule (a new author line, a removed text) takes it down as a new item would be.
    Returns "updated", "withheld" or "unchanged"."""
    if item.status != Item.Status.PUBLISHED:
        return "unchanged"
    fields = _entry_fields(entry)
    changed = [name for name in UPDATABLE_FIELDS if getattr(item, name) != fields[name]]
    if not changed:
        return "unchanged"
    before = {name: str(getattr(item, name))[:300] for name in changed}
    for name in changed:
        setattr(item, name, fields[name])
    item.author_key = author_key(item.author)
    item.text_fingerprint = text_fingerprint(item.body)
    item.save(update_fields=[*changed, "author_key", "text_fingerprint"])
    audit_record(
        actor=INGEST_ACTOR,
        action="item.updated",
        obj=item,
        reason="the feed changed the article",
        before=before,
        after={name: str(getattr(item, name))[:300] for name in changed},
    )
    rule = block_rule_matching(
        domain=item.origin.domain,
        url_key=item.url_key,
        author_key=item.author_key,
        text_fingerprint=item.text_fingerprint,
    )
    if rule is not None:
        items_hide(
            items=Item.objects.filter(pk=item.pk),
            actor=INGEST_ACTOR,
            reason=f"block rule: {rule} (the feed changed the article)",
            removal_request=rule.request,
        )
        return "withheld"
    return "updated"


def _store_entry(feed: Feed, entry: ParsedEntry, now: datetime) -> str:
    """One entry, one transaction. Returns "new", "withheld", "updated" or "unchanged"."""
    with transaction.atomic():
        # Serialises runs over the same feed (PostgreSQL; SQLite's writes are serial anyway).
        feed = (
            Feed.objects.select_for_update(of=("self",))
            .select_related("origin__licence_basis")
            .get(pk=feed.pk)
        )
        key = url_key(entry.link)
        existing = (
            Item.objects.select_for_update()
            .filter(origin=feed.origin, guid=_guid_of(entry))
            .first()
            or Item.objects.select_for_update().filter(url_key=key).order_by("pk").first()
        )
        if existing is not None:
            if existing.origin_id != feed.origin_id:
                # The same article seen in another site's feed: not stored twice, and that
                # site's text never replaces the origin's under the origin's attribution.
                return "unchanged"
            return _update_item(existing, entry)
        return _create_item(feed, entry, now)


def _store_entries(feed: Feed, parsed: ParsedFeed, outcome: IngestOutcome) -> None:
    outcome.warnings.extend(parsed.warnings)
    seen_keys = set()
    for entry in parsed.entries:
        if not entry.link:
            outcome.warnings.append(
                f"entry {entry.title[:60]!r} has no http(s) link to its original: skipped"
            )
            continue
        if len(entry.link) > Item._meta.get_field("original_url").max_length:
            outcome.warnings.append(f"entry {entry.title[:60]!r}: link too long, skipped")
            continue
        key = url_key(entry.link)
        if key in seen_keys:
            outcome.warnings.append(f"entry {entry.title[:60]!r} repeats a link: skipped")
            continue
        seen_keys.add(key)
        try:
            result = _store_entry(feed, entry, timezone.now())
        except Exception as exc:  # one bad entry must not stop the feed
            logger.exception("storing entry %r of feed %s failed", entry.guid, feed.pk)
            outcome.errors.append(f"entry {entry.title[:60]!r} not stored: {exc}")
            continue
        if result == "new":
            outcome.new += 1
        elif result == "withheld":
            outcome.withheld += 1
        elif result == "updated":
            outcome.updated += 1


# --- Fetching and feed bookkeeping ---------------------------------------------------------


def _fetch(url: str, *, etag: str = "", last_modified: str = "") -> fetch.FetchResult:
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


def _http_problem(result: fetch.FetchResult) -> str:
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


def _ingest_response(
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
    problem = _http_problem(result)
    if problem:
        _record_failure(feed, result, problem, now, outcome)
        return outcome
    if parsed is None:
        try:
            parsed = parse_feed(result.body, base_url=result.final_url, http_charset=result.charset)
        except FeedParseError as exc:
            _record_failure(feed, result, str(exc), now, outcome)
            return outcome
    _store_entries(feed, parsed, outcome)
    notes = list(outcome.errors)
    if outcome.warnings:
        notes.append("Warnings: " + "; ".join(outcome.warnings))
    done = timezone.now()
    is_file = feed.url.startswith("file:")
    Feed.objects.filter(pk=feed.pk).update(
        title=_fit(Feed, "title", parsed.title) or feed.title,
        last_fetched_at=done,
        last_outcome=Feed.Outcome.OK,
        last_status_code=None if is_file else result.status,
        last_error="; ".join(notes),
        consecutive_failures=0,
        etag=_fit(Feed, "etag", result.headers.get("etag", "")),
        last_modified=_fit(Feed, "last_modified", result.headers.get("last-modified", "")),
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
        result = _fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        return _ingest_response(feed, result, None, outcome)
    except Exception as exc:  # a feed nobody foresaw: recorded and skipped, the run goes on
        logger.exception("ingesting feed %s failed", feed.pk)
        _record_failure(feed, None, _unexpected(exc), timezone.now(), outcome)
        return outcome


def _unexpected(exc: Exception) -> str:
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


# --- Feeds named on the command line -------------------------------------------------------


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
    origin = Origin.objects.create(
        domain=domain,
        name=_fit(Origin, "name", parsed.title) or domain,
        home_page=_fit(Origin, "home_page", parsed.site_url or f"{parts.scheme}://{host}/"),
        attention_needed=NO_LICENCE_ORIGIN_ATTENTION,
    )
    audit_record(
        actor=INGEST_ACTOR,
        action="origin.created",
        obj=origin,
        reason=f"named as its site by the feed {url}",
        after={"domain": origin.domain, "name": origin.name, "home_page": origin.home_page},
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
    result = _fetch(url)
    problem = _http_problem(result)
    if problem:
        outcome.failed, outcome.error = True, problem
        return outcome
    try:
        parsed = parse_feed(result.body, base_url=result.final_url, http_charset=result.charset)
        with transaction.atomic():
            origin, _ = _origin_for(parsed, url)
            feed = Feed.objects.create(
                origin=origin, url=url, title=_fit(Feed, "title", parsed.title)
            )
            audit_record(
                actor=INGEST_ACTOR,
                action="feed.created",
                obj=feed,
                reason="named on the command line",
                after={"url": url, "origin": origin.domain},
            )
    except (FeedParseError, IntegrityError) as exc:
        outcome.failed, outcome.error = True, str(exc)
        return outcome
    except Exception as exc:  # as in feed_ingest: reported and skipped, the run goes on
        logger.exception("reading the new feed %s failed", url)
        outcome.failed, outcome.error = True, _unexpected(exc)
        return outcome
    feed.origin = origin
    outcome.feed_id = feed.pk
    outcome.source = url
    return _ingest_response(feed, result, parsed, outcome)


# --- Hiding, restoring, withholding: set-based status changes ------------------------------

LICENCE_EXPIRED = "licence expired"
LICENCE_JOB = Actor.system("licence_expiry")
# The audit columns filled by _audit_each, in the order of the SELECT that fills them.
_AUDIT_COLUMNS = (
    "at",
    "actor_kind",
    "actor_user_id",
    "actor_name",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "request_id",
    "reason",
    "before",
    "after",
)


def _audit_each(
    rows: QuerySet[Item],
    *,
    actor: Actor,
    action: str,
    reason: str,
    before: dict,
    after: dict,
    request,
    now: datetime,
) -> int:
    """One audit event per item of `rows`, written by a single INSERT … SELECT: the events
    never pass through Python, so a hundred thousand cost one statement. On PostgreSQL the
    rows are locked (FOR UPDATE) as they are read, so a concurrent change waits for us and
    the UPDATE that follows changes exactly the rows audited here."""
    json = JSONField()
    select = (
        rows.select_for_update(of=("self",))
        .order_by()
        .annotate(
            a_at=Value(now, output_field=DateTimeField()),
            a_actor_kind=Value(actor.kind),
            a_actor_user_id=Value(actor.user.pk if actor.user else None, IntegerField()),
            a_actor_name=Value(actor.name[:200]),
            a_action=Value(action),
            a_content_type_id=Value(ContentType.objects.get_for_model(Item).pk, IntegerField()),
            a_object_id=F("pk"),
            a_object_repr=Substr("title", 1, 300),
            a_request_id=Value(request.pk if request else None, IntegerField()),
            a_reason=Value(reason),
            a_before=Value(before, output_field=json),
            a_after=Value(after, output_field=json),
        )
        # values() keeps this order in the SELECT list (Django >= 5.2).
        .values(*(f"a_{column}" for column in _AUDIT_COLUMNS))
    )
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in _AUDIT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) {sql}", params)
        return cursor.rowcount


def _change_status(
    rows: QuerySet[Item],
    *,
    from_status: str,
    to_status: str,
    action: str,
    actor: Actor,
    reason: str,
    removal_request=None,
    now: datetime,
    **updates,
) -> int:
    """Move `rows` that are `from_status` to `to_status` with their audit events: two
    statements. Call inside a transaction."""
    rows = Item.objects.filter(pk__in=rows.values("pk"), status=from_status)
    _audit_each(
        rows,
        actor=actor,
        action=action,
        reason=reason,
        before={"status": from_status},
        after={"status": to_status},
        request=removal_request,
        now=now,
    )
    return rows.update(
        status=to_status,
        status_changed_at=now,
        status_reason=reason,
        status_request=removal_request,
        status_rule=None,
        **updates,
    )


def items_hide(*, items: QuerySet[Item], actor: Actor, reason: str, removal_request=None) -> int:
    """Take the published ones among `items` down (hidden), each with an `item.hidden`
    audit event and the request, if any, recorded as the cause. Items already hidden or
    withheld are left as they are, so running it again changes nothing. Two statements
    whatever the number of items; returns how many were hidden."""
    reason = (reason or "").strip() or "hidden"
    with transaction.atomic():
        return _change_status(
            items,
            from_status=Item.Status.PUBLISHED,
            to_status=Item.Status.HIDDEN,
            action="item.hidden",
            actor=actor,
            reason=reason,
            removal_request=removal_request,
            now=timezone.now(),
        )


def items_reattribute(
    *, items: QuerySet[Item], from_request, to_request, actor: Actor, reason: str
) -> int:
    """Items `from_request` took down that `to_request` also covers stay down, now under
    `to_request` (so that reversing the first does not bring back what the second still
    asks to keep down). Their status does not change; each gets an `item.reattributed`
    audit event. Two statements; returns how many moved."""
    now = timezone.now()
    with transaction.atomic():
        rows = Item.objects.filter(
            pk__in=items.values("pk"),
            status_request=from_request,
            status__in=[Item.Status.HIDDEN, Item.Status.WITHHELD],
        )
        _audit_each(
            rows,
            actor=actor,
            action="item.reattributed",
            reason=reason,
            before={"request": from_request.reference},
            after={"request": to_request.reference},
            request=to_request,
            now=now,
        )
        return rows.update(status_request=to_request, status_reason=reason, status_rule=None)


def _licence_invalid(now: datetime) -> Q:
    """Items whose licence basis is not in force at `now` (an item without a basis is
    published with a note saying so, as at ingest)."""
    return Q(licence_basis__expires_at__lte=now) | Q(licence_basis__valid_from__gt=now)


def items_restore(*, items: QuerySet[Item], actor: Actor, reason: str, removal_request=None) -> int:
    """Publish `items` again: the hidden and withheld ones among them (the caller chooses
    which: a reversed request's items, or those staff picked). An item whose licence is not
    in force is not published: it stays, or becomes, withheld ("licence expired"). An item
    that was never published gets its licence note and disclaimer frozen now; the others
    keep exactly what readers saw before. A fixed number of statements, plus one save per
    never-published item. Returns how many were published."""
    reason = (reason or "").strip() or "restored"
    now = timezone.now()
    mine = Item.objects.filter(pk__in=items.values("pk"))
    common = {"actor": actor, "removal_request": removal_request, "now": now}
    with transaction.atomic():
        # Hidden, but the licence has lapsed meanwhile: withheld rather than shown.
        _change_status(
            mine.filter(_licence_invalid(now)),
            from_status=Item.Status.HIDDEN,
            to_status=Item.Status.WITHHELD,
            action="item.withheld",
            reason=LICENCE_EXPIRED,
            **common,
        )
        valid = mine.exclude(_licence_invalid(now))
        # Never published: the texts readers will see are frozen now, one item at a time
        # (each renders its origin's template); there are few of these.
        first_time = list(
            valid.filter(
                status__in=[Item.Status.HIDDEN, Item.Status.WITHHELD], disclaimer=""
            ).select_related("origin", "licence_basis")
        )
        for item in first_time:
            _restore_first_time(item, reason=reason, **common)
        restored = len(first_time)
        for from_status in (Item.Status.HIDDEN, Item.Status.WITHHELD):
            restored += _change_status(
                valid.exclude(disclaimer=""),
                from_status=from_status,
                to_status=Item.Status.PUBLISHED,
                action="item.restored",
                reason=reason,
                republished_at=Coalesce("republished_at", Value(now)),
                **common,
            )
    return restored


def _restore_first_time(item: Item, *, actor: Actor, reason: str, removal_request, now) -> None:
    before = item.status
    try:
        item_freeze_attribution(item=item)
    except TemplateSyntaxError as exc:
        # Nothing may be shown without its disclaimer: the item stays as it is.
        Origin.objects.filter(pk=item.origin_id).update(
            attention_needed=f"The disclaimer template does not render: {exc}"
        )
        return
    item.status = Item.Status.PUBLISHED
    item.status_changed_at = item.republished_at = now
    item.status_reason = reason
    item.status_request = removal_request
    item.status_rule = None
    item.save(
        update_fields=[
            "status",
            "status_changed_at",
            "republished_at",
            "status_reason",
            "status_request",
            "status_rule",
            "licence_note",
            "licence_note_sha256",
            "disclaimer",
            "disclaimer_sha256",
        ]
    )
    audit_record(
        actor=actor,
        action="item.restored",
        obj=item,
        reason=reason,
        before={"status": before},
        after={
            "status": Item.Status.PUBLISHED,
            "licence_note_sha256": item.licence_note_sha256,
            "disclaimer_sha256": item.disclaimer_sha256,
        },
        request=removal_request,
    )


def items_withhold_expired_licences(*, now: datetime) -> int:
    """Withhold every published item whose licence basis has expired by `now` (audit
    reason "licence expired") and flag each origin concerned for staff. Set-based: a fixed
    number of statements plus one small update per origin flagged. Returns how many items
    were withheld; running it again withholds nothing more."""
    expired = Item.objects.published().filter(licence_basis__expires_at__lte=now)
    with transaction.atomic():
        origin_ids = list(expired.values_list("origin_id", flat=True).distinct().order_by())
        withheld = _change_status(
            expired,
            from_status=Item.Status.PUBLISHED,
            to_status=Item.Status.WITHHELD,
            action="item.withheld",
            actor=LICENCE_JOB,
            reason=LICENCE_EXPIRED,
            now=now,
        )
        for origin in Origin.objects.filter(pk__in=origin_ids):
            note = (
                f"A licence basis expired: its items were withheld on {now:%Y-%m-%d}. "
                "Record a new basis (or its renewal), then restore the items."
            )
            Origin.objects.filter(pk=origin.pk).update(attention_needed=note)
            audit_record(
                actor=LICENCE_JOB,
                action="origin.flagged",
                obj=origin,
                reason=LICENCE_EXPIRED,
                before={"attention_needed": origin.attention_needed},
                after={"attention_needed": note},
            )
    return withheld


# --- Feeds as staff configure them (the API; audited like the admin's saves) ---------------

FEED_SETTINGS = ("origin", "url", "title", "is_active", "poll_interval_minutes")


def _feed_settings(feed: Feed) -> dict:
    return {
        "origin": feed.origin.domain,
        "url": feed.url,
        "title": feed.title,
        "is_active": feed.is_active,
        "poll_interval_minutes": feed.poll_interval_minutes,
    }


def feed_create(
    *,
    actor: Actor,
    origin: Origin,
    url: str,
    title: str = "",
    is_active: bool = True,
    poll_interval_minutes: int | None = None,
) -> Feed:
    """Add a feed for an origin (audit: feed.created). The caller validates the URL
    (http(s) only); a URL already taken raises ValueError."""
    try:
        with transaction.atomic():
            feed = Feed.objects.create(
                origin=origin,
                url=url,
                title=title,
                is_active=is_active,
                poll_interval_minutes=poll_interval_minutes or settings.FEED_DEFAULT_POLL_MINUTES,
            )
            audit_record(actor=actor, action="feed.created", obj=feed, after=_feed_settings(feed))
    except IntegrityError:
        raise ValueError(f"a feed with the URL {url} exists already") from None
    return feed


def feed_update(*, feed: Feed, actor: Actor, **fields) -> Feed:
    """Change a feed's settings (audit: feed.changed, with what changed). A new URL starts
    afresh: the old address's ETag and Last-Modified do not apply to it."""
    unknown = set(fields) - set(FEED_SETTINGS)
    if unknown:
        raise ValueError(f"these feed fields cannot be set: {', '.join(sorted(unknown))}")
    try:
        with transaction.atomic():
            current = (
                Feed.objects.select_for_update(of=("self",))
                .select_related("origin")
                .get(pk=feed.pk)
            )
            changed = {
                name: value for name, value in fields.items() if getattr(current, name) != value
            }
            if not changed:
                return current
            before = {name: _feed_settings(current)[name] for name in changed}
            if "url" in changed:
                changed |= {"etag": "", "last_modified": ""}
            Feed.objects.filter(pk=current.pk).update(**changed)
            current.refresh_from_db()
            audit_record(
                actor=actor,
                action="feed.changed",
                obj=current,
                before=before,
                after={name: _feed_settings(current)[name] for name in before},
            )
    except IntegrityError:
        raise ValueError(f"a feed with the URL {fields.get('url')} exists already") from None
    return current


def feed_delete(*, feed: Feed, actor: Actor) -> None:
    """Delete a feed (audit: feed.deleted). Its items stay, without a feed."""
    with transaction.atomic():
        feed = Feed.objects.select_related("origin").get(pk=feed.pk)
        audit_record(actor=actor, action="feed.deleted", obj=feed, before=_feed_settings(feed))
        feed.delete()
