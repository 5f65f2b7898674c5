"""Reading an origin's (or an item's) licensing signals and keeping them as evidence: the
writer of LicenceCheck and LicenceSnapshot (with compliance.licensing.presence, which
records an original's answers to the removed-at-origin re-check).

A check fetches every location (compliance.licensing.collect), then, in one transaction,
stores one snapshot per document fetched and per signal found, the verdict, what narrowed
since the previous check, and any contradiction with the basis in force; a narrowing is
acted on (compliance.licensing.actions). A check in which any location could not be read
(the site down, a timeout, a 5xx) stores nothing: a site that is down has not changed its
terms. It is retried after the feeds' back-off.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.core.normalise import sha256_text
from compliance.items.fetching import feed_backoff
from compliance.items.models import Item, Origin

from . import actions, collect
from .collect import Document
from .models import LicenceCheck, LicenceSnapshot, LicenceWatch
from .selectors import readings
from .verdict import contradiction, narrowing, verdict_of

Kind = LicenceSnapshot.Kind
# RSL documents named by robots.txt or a page, read in the same check (at most this many).
MAX_RSL_DOCUMENTS = 5
DOCUMENT_KIND = {collect.ROBOTS: Kind.ROBOTS_TXT}
RIGHTS_KINDS = (Kind.FEED_RIGHTS,)
RETRY_MINUTES = 60


def latest_check(*, origin: Origin, item: Item | None) -> LicenceCheck | None:
    return readings().filter(origin=origin, item=item).order_by("-checked_at", "-id").first()


def _fetch_all(locations, previous: dict[str, list[LicenceSnapshot]]) -> list[Document]:
    """Fetch each location, conditionally on the last reading's validators, then the RSL
    documents the first ones name."""
    documents, queue, seen = [], list(locations), set()
    while queue:
        url, role = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        before = next(
            (s for s in previous.get(url, []) if s.kind in (Kind.DOCUMENT, Kind.ROBOTS_TXT)), None
        )
        headers = before.headers if before else {}
        document = collect.document_fetch(
            url, role, etag=headers.get("etag", ""), last_modified=headers.get("last-modified", "")
        )
        documents.append(document)
        signals = (
            previous_signals(previous.get(url, [])) if document.not_modified else document.signals
        )
        rsl_count = sum(1 for d in documents if d.role == collect.RSL)
        for signal in signals:
            if signal[0] == Kind.RSL_LICENSE_LINK and rsl_count < MAX_RSL_DOCUMENTS:
                queue.append((signal[1], collect.RSL))
                rsl_count += 1
    return documents


def previous_signals(snapshots: list[LicenceSnapshot]) -> list[tuple[str, str]]:
    return [(s.kind, s.value) for s in snapshots if s.kind not in (Kind.DOCUMENT, Kind.ROBOTS_TXT)]


def _snapshot_rows(
    documents: list[Document], previous: dict[str, list[LicenceSnapshot]], now: datetime
) -> list[LicenceSnapshot]:
    rows = []
    for document in documents:
        common = {"location": document.url, "http_status": document.status, "fetched_at": now}
        kind = DOCUMENT_KIND.get(document.role, Kind.DOCUMENT)
        if document.not_modified:
            # Unchanged since the last reading: the same values, seen again now.
            for old in previous.get(document.url, []):
                headers = document.headers if old.kind == kind else old.headers
                rows.append(
                    LicenceSnapshot(
                        kind=old.kind, value=old.value, sha256=old.sha256, headers=headers, **common
                    )
                )
            continue
        rows.append(
            LicenceSnapshot(
                kind=kind,
                value=document.body_text,
                sha256=document.sha256,
                headers=document.headers,
                **common,
            )
        )
        for signal in dict.fromkeys(document.signals):
            rows.append(
                LicenceSnapshot(
                    kind=signal.kind, value=signal.value, sha256=sha256_text(signal.value), **common
                )
            )
    return rows


def _by_location(check: LicenceCheck | None) -> dict[str, list[LicenceSnapshot]]:
    found: dict[str, list[LicenceSnapshot]] = {}
    if check is not None:
        for snapshot in check.snapshots.all():
            found.setdefault(snapshot.location, []).append(snapshot)
    return found


def _pairs(rows) -> list[tuple[str, str]]:
    return [
        (row.kind, row.value) for row in rows if row.kind not in (Kind.DOCUMENT, Kind.ROBOTS_TXT)
    ]


def _rights(pairs) -> set[str]:
    return {value for kind, value in pairs if kind in RIGHTS_KINDS and value}


def _store(
    *,
    origin: Origin,
    item: Item | None,
    rows: list[LicenceSnapshot],
    previous: LicenceCheck | None,
    now: datetime,
) -> LicenceCheck:
    """The check, its snapshots, and what follows from them, in one transaction."""
    pairs = _pairs(rows)
    verdict = verdict_of(pairs)
    basis = (item.licence_basis if item else None) or origin.licence_basis
    changes: list[str] = []
    if previous is not None:
        old_pairs = _pairs(previous.snapshots.all())
        changes = narrowing(verdict_of(old_pairs), verdict, _rights(old_pairs), _rights(pairs))
    with transaction.atomic():
        check = LicenceCheck.objects.create(
            origin=origin,
            item=item,
            checked_at=now,
            permission=verdict.permission,
            verdict=verdict.words,
            narrowed="; ".join(changes),
            contradiction=contradiction(verdict, basis),
            basis_name=basis.name if basis else "",
        )
        for row in rows:
            row.licence_check, row.origin, row.item = check, origin, item
        LicenceSnapshot.objects.bulk_create(rows)
        if changes:
            actions.licence_narrowed(check=check, changes=changes, previous=previous)
        elif check.contradiction and (
            previous is None or previous.contradiction != check.contradiction
        ):
            actions.licence_contradicted(check=check)
    return check


def _watch(origin: Origin) -> LicenceWatch:
    watch, _ = LicenceWatch.objects.get_or_create(origin=origin)
    return watch


def _record_failure(watch: LicenceWatch, error: str, now: datetime) -> None:
    failures = watch.consecutive_failures + 1
    # The feeds' back-off from a one-hour base: a site down for a moment is read again
    # soon, one down for days once a day (FEED_MAX_BACKOFF_MINUTES).
    wait = feed_backoff(poll_interval_minutes=RETRY_MINUTES, failures=failures - 1)
    LicenceWatch.objects.filter(pk=watch.pk).update(
        last_checked_at=now,
        last_error=error,
        consecutive_failures=failures,
        next_check_at=now + wait,
    )


def origin_licence_check(*, origin_id: int) -> LicenceCheck | None:
    """Read an origin's site-level signals: robots.txt, tdmrep.json, its home page, its
    feeds' channels and the RSL documents they name. Returns the check, or None when the
    origin could not be read (recorded on its watch, retried after back-off)."""
    origin = Origin.objects.select_related("licence_basis").filter(pk=origin_id).first()
    if origin is None:
        return None
    watch = _watch(origin)
    previous = latest_check(origin=origin, item=None)
    old = _by_location(previous)
    feeds = list(origin.feeds.filter(is_active=True).values_list("url", flat=True))
    documents = _fetch_all(collect.origin_locations(origin.home_page, feeds), old)
    now = timezone.now()
    failed = [f"{d.url}: {d.error}" for d in documents if d.error]
    if failed:
        _record_failure(watch, "; ".join(failed), now)
        return None
    check = _store(
        origin=origin,
        item=None,
        rows=_snapshot_rows(documents, old, now),
        previous=previous,
        now=now,
    )
    LicenceWatch.objects.filter(pk=watch.pk).update(
        last_checked_at=now,
        last_error="",
        consecutive_failures=0,
        next_check_at=now + timedelta(hours=watch.interval_hours),
    )
    return check


def item_licence_check(*, item_id: int) -> LicenceCheck | None:
    """Read one item's page-level signals (its original page, and the rights its feed
    entry stated). None when the page could not be read."""
    item = (
        Item.objects.select_related("origin__licence_basis", "licence_basis", "feed")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        return None
    previous = latest_check(origin=item.origin, item=item)
    old = _by_location(previous)
    documents = _fetch_all([(item.original_url, collect.PAGE)], old)
    if any(d.error for d in documents) or documents[0].status in (404, 410):
        return None  # the removed-at-origin re-check deals with a page that is gone
    now = timezone.now()
    rows = _snapshot_rows(documents, old, now)
    entry_location = item.feed.url if item.feed else item.original_url
    for kind, value in (
        (Kind.FEED_RIGHTS, item.rights_statement),
        (Kind.FEED_LICENCE_LINK, item.rights_licence_url),
    ):
        if value:
            rows.append(
                LicenceSnapshot(
                    kind=kind,
                    value=value,
                    sha256=sha256_text(value),
                    location=entry_location,
                    fetched_at=now,
                )
            )
    return _store(origin=item.origin, item=item, rows=rows, previous=previous, now=now)


def origins_claim_due(*, now: datetime | None = None) -> list[int]:
    """Claim the origins whose signals are due for reading (never read: at once) and
    return their ids; a conditional update, so overlapping sweeps claim each once."""
    now = now or timezone.now()
    missing = Origin.objects.filter(licence_watch__isnull=True).values_list("pk", flat=True)
    LicenceWatch.objects.bulk_create(
        [LicenceWatch(origin_id=pk) for pk in missing], ignore_conflicts=True
    )
    due = LicenceWatch.objects.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
    claimed = []
    for watch_id, origin_id, hours in due.values_list("pk", "origin_id", "interval_hours"):
        lease = now + timedelta(hours=hours)
        if due.filter(pk=watch_id).update(next_check_at=lease):
            claimed.append(origin_id)
    return claimed


def items_never_checked(*, limit: int) -> list[int]:
    """Published items whose page was never read: new ones, first seen."""
    return list(
        Item.objects.published()
        .filter(licence_checks__isnull=True)
        .order_by("-republished_at")
        .values_list("pk", flat=True)[:limit]
    )
