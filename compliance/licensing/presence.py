"""Removed at origin, removed here: recently republished originals are asked for again; an
original that answers 404 or 410 twice, at least REMOVED_AT_ORIGIN_HOURS apart, is hidden
("removed at origin", audited), and published again if it later answers 200 with the same
article. A redirect to another article is recorded as a change, not a removal; an origin
that is down (a network error, a timeout, a 5xx, a 429) tells us nothing and changes nothing.
"""

import html
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import normalise_url, sha256_text
from compliance.items.fetching import fetch_feed
from compliance.items.models import Item
from compliance.items.status import items_hide, items_restore

from .models import ArticlePresence, LicenceCheck, LicenceSnapshot, Permission

REMOVED = "removed at origin"
RETURNED = "the original answers again at origin"
RECHECK_ACTOR = Actor.system("original_recheck")
GONE = (404, 410)
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def originals_due(*, now: datetime | None = None) -> list[int]:
    """Items republished within ORIGINAL_RECHECK_DAYS that are published, or hidden by
    this job (so that they can come back)."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.ORIGINAL_RECHECK_DAYS)
    return list(
        Item.objects.filter(republished_at__gte=since)
        .filter(Q(status=Item.Status.PUBLISHED) | Q(presence__hidden_as_removed=True))
        .values_list("pk", flat=True)
    )


def _plain(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", text))).strip().lower()


def same_article(item: Item, body: bytes) -> bool:
    """Whether a page is still the article we republished: its title is on it."""
    title = _plain(item.title)
    return bool(title) and title in _plain(body.decode("utf-8", errors="replace"))


def _record(item: Item, *, status, url: str, final_url: str, words: str, now) -> None:
    """The original's answer, kept as evidence (a check of its own)."""
    value = f"HTTP {status}" + (f" → {final_url}" if final_url != url else "")
    check = LicenceCheck.objects.create(
        origin=item.origin,
        item=item,
        reading=LicenceCheck.Reading.ORIGINAL,
        checked_at=now,
        permission=Permission.NONE,
        verdict=words,
    )
    LicenceSnapshot.objects.create(
        licence_check=check,
        origin=item.origin,
        item=item,
        kind=LicenceSnapshot.Kind.ARTICLE_STATUS,
        location=url,
        value=value,
        sha256=sha256_text(value),
        http_status=status,
        headers={"final-url": final_url} if final_url != url else {},
        fetched_at=now,
    )


def original_recheck(*, item_id: int) -> str:
    """Ask the origin for one item's original; returns what was concluded ("down",
    "present", "moved", "missing", "removed", "returned")."""
    item = Item.objects.select_related("origin").filter(pk=item_id).first()
    if item is None:
        return "unknown"
    presence, _ = ArticlePresence.objects.get_or_create(item=item)
    result = fetch_feed(item.original_url)
    now = timezone.now()
    if (
        result.error
        or result.status is None
        or (result.status not in GONE and result.status >= 400)
    ):
        ArticlePresence.objects.filter(pk=presence.pk).update(last_checked_at=now)
        return "down"
    common = {
        "status": result.status,
        "url": item.original_url,
        "final_url": result.final_url,
        "now": now,
    }
    with transaction.atomic():
        presence = ArticlePresence.objects.select_for_update().get(pk=presence.pk)
        presence.last_checked_at, presence.last_status = now, result.status
        outcome = _conclude(item, presence, result, common)
        presence.save()
    return outcome


def _conclude(item: Item, presence: ArticlePresence, result, common) -> str:
    now = common["now"]
    if result.status in GONE:
        if presence.missing_since is None:
            presence.missing_since = now
            _record(item, words=f"the original answered {result.status}", **common)
            return "missing"
        if presence.hidden_as_removed or now - presence.missing_since < timedelta(
            hours=settings.REMOVED_AT_ORIGIN_HOURS
        ):
            return "missing"
        _record(item, words=f"{REMOVED}: the original answered {result.status} twice", **common)
        presence.hidden_as_removed = bool(
            items_hide(items=Item.objects.filter(pk=item.pk), actor=RECHECK_ACTOR, reason=REMOVED)
        )
        return "removed" if presence.hidden_as_removed else "missing"
    presence.missing_since = None
    moved = normalise_url(result.final_url) != normalise_url(item.original_url)
    if moved and not same_article(item, result.body):
        _record(item, words=f"the original now redirects to {result.final_url}", **common)
        audit_record(
            actor=RECHECK_ACTOR,
            action="item.original_moved",
            obj=item,
            reason="the original redirects to another page",
            before={"url": item.original_url},
            after={"url": result.final_url},
        )
        return "moved"
    if presence.hidden_as_removed and same_article(item, result.body):
        item.refresh_from_db(fields=["status", "status_reason"])
        if item.status == Item.Status.HIDDEN and item.status_reason == REMOVED:
            _record(item, words=RETURNED, **common)
            items_restore(
                items=Item.objects.filter(pk=item.pk), actor=RECHECK_ACTOR, reason=RETURNED
            )
        presence.hidden_as_removed = False
        return "returned"
    return "present"
