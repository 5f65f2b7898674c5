"""Reading a WordPress site: which posts republish which items, and stay-down there.

Each sweep reads the posts modified since the last one (WordPress's `modified_after`), links
each to its item by the original URL, puts on record the copies ingest never saw, and
unpublishes every public post whose item courtesy does not show — hidden by a takedown,
withheld by a rule (a re-imported article under a new URL included: the one matcher decides
its new item), or by a lapsed licence. A failing site is retried with the feeds' back-off."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import domain_candidates, normalise_domain, url_key
from compliance.items.copies import item_record_copy
from compliance.items.fetching import feed_backoff
from compliance.items.models import Item, Origin
from compliance.items.parsing import sanitise_html

from .client import PUBLIC_STATUSES, Post, WordPressClient, WordPressError
from .mapping import post_article
from .models import WordPressPost, WordPressSite

logger = logging.getLogger("compliance.wordpress")

SWEEP_ACTOR = Actor.system("wordpress_sweep")


@dataclass
class SyncOutcome:
    read: int = 0
    created: int = 0
    unpublished: int = 0
    unmapped: int = 0
    error: str = ""
    problems: list[str] = field(default_factory=list)


def site_client(site: WordPressSite) -> WordPressClient:
    return WordPressClient(site.base_url, site.username, site.password())


def _origin_for(url: str, origins: dict[str, Origin]) -> Origin | None:
    try:
        host = normalise_domain(url.split("/")[2]) if "://" in url else ""
    except (ValueError, IndexError):
        return None
    return (
        next((origins[d] for d in domain_candidates(host) if d in origins), None) if host else None
    )


def post_unpublish(
    client: WordPressClient,
    wp_post: WordPressPost,
    *,
    status: str,
    actor: Actor,
    reason: str,
    case: str = "",
    now: datetime,
) -> Post:
    """Set a public post to `status` (draft or private) and record WordPress's answer."""
    answer = client.post_set_status(wp_post.post_id, status)
    wp_post.status, wp_post.unpublished_at = answer.status, now
    wp_post.save(update_fields=["status", "unpublished_at", "updated_at"])
    audit_record(
        actor=actor,
        action="wordpress.post_unpublished",
        obj=wp_post,
        reason=reason,
        before={"status": "publish"},
        after={
            "status": answer.status,
            "link": answer.link,
            "modified_gmt": str(answer.modified_gmt),
        },
        case=case,
    )
    return answer


def _record_post(
    site: WordPressSite, post: Post, origins: dict, now: datetime
) -> tuple[WordPressPost, bool]:
    """The post's row, linked to its item (created when courtesy has none): (row, created)."""
    article = post_article(
        content=post.content,
        meta=post.meta,
        meta_keys=site.meta_keys(),
        by_source_link=site.map_by_source_link,
        origin_domains=set(origins),
    )
    wp_post, _ = WordPressPost.objects.get_or_create(
        site=site, post_id=post.id, defaults={"status": post.status}
    )
    wp_post.title = post.title[:500]
    wp_post.status = post.status
    wp_post.modified_gmt = post.modified_gmt
    wp_post.original_url = article.original_url[:2000]
    if post.status in PUBLIC_STATUSES:
        wp_post.public_url = post.link[:2000]
    wp_post.problem = ""
    created = False
    if wp_post.item_id is None and article.original_url:
        key = url_key(article.original_url)
        wp_post.item = Item.objects.filter(url_key=key).order_by("pk").first() if key else None
        if wp_post.item is None:
            origin = _origin_for(article.original_url, origins)
            if origin is None:
                wp_post.problem = f"no origin of ours publishes {article.original_url}"
            else:
                wp_post.item = item_record_copy(
                    origin=origin,
                    original_url=article.original_url,
                    title=post.title,
                    body=sanitise_html(article.body, base_url=article.original_url),
                    disclaimer=article.disclaimer,
                    published_at=post.modified_gmt,
                    where=f"{site.name}, post {post.id} ({post.link})",
                    actor=SWEEP_ACTOR,
                    now=now,
                )
                created = True
    elif not article.original_url:
        wp_post.problem = "no original URL found (post meta or a source link to one of our origins)"
    wp_post.save()
    return wp_post, created


def _store_page(site, client, posts: list[Post], origins: dict, outcome: SyncOutcome) -> None:
    now = timezone.now()
    for post in posts:
        with transaction.atomic():
            wp_post, created = _record_post(site, post, origins, now)
        outcome.read += 1
        outcome.created += int(created)
        if wp_post.problem:
            outcome.unmapped += 1
        item = wp_post.item
        if (
            post.status in PUBLIC_STATUSES
            and item is not None
            and item.status != Item.Status.PUBLISHED
        ):
            post_unpublish(
                client,
                wp_post,
                status=site.takedown_status,
                actor=SWEEP_ACTOR,
                reason=f"stay-down: {item.get_status_display().lower()} ({item.status_reason})",
                case=item.status_case,
                now=now,
            )
            outcome.unpublished += 1
        if post.modified_gmt and (
            site.synced_until is None or post.modified_gmt > site.synced_until
        ):
            site.synced_until = post.modified_gmt
    site.save(update_fields=["synced_until"])


def site_sync(*, site_id: int) -> SyncOutcome:
    """One sweep of one site. Never raises for the site's own failures: they are recorded on
    it (and retried later with back-off)."""
    site = WordPressSite.objects.get(pk=site_id)
    outcome = SyncOutcome()
    origins = {o.domain: o for o in Origin.objects.select_related("licence_basis")}
    client = site_client(site)
    now = timezone.now()
    interval = timedelta(seconds=settings.WORDPRESS_SWEEP_SECONDS)
    try:
        client.check_credentials()
        for posts in client.posts_modified_after(site.synced_until):
            _store_page(site, client, posts, origins, outcome)
    except WordPressError as exc:
        outcome.error = str(exc)
        site.consecutive_failures += 1
        wait = feed_backoff(
            poll_interval_minutes=max(1, int(interval.total_seconds() // 60)),
            failures=site.consecutive_failures,
        )
        if exc.retry_after:
            wait = max(wait, timedelta(seconds=exc.retry_after))
        site.last_error, site.next_sync_at = outcome.error, now + wait
        logger.warning("WordPress site %s: %s", site, outcome.error)
    else:
        site.consecutive_failures, site.last_error = 0, ""
        site.next_sync_at = now + interval
    site.last_sync_at = now
    site.save(update_fields=["consecutive_failures", "last_error", "next_sync_at", "last_sync_at"])
    return outcome


def sites_claim_due(*, now: datetime | None = None) -> list[int]:
    """Active sites due for a sweep, claimed (next_sync_at moved on) so that overlapping
    beats sweep each once."""
    now = now or timezone.now()
    due = Q(is_active=True) & (Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
    later = now + timedelta(seconds=settings.WORDPRESS_SWEEP_SECONDS)
    return [
        site_id
        for site_id in WordPressSite.objects.filter(due).values_list("pk", flat=True)
        if WordPressSite.objects.filter(due, pk=site_id).update(next_sync_at=later)
    ]
