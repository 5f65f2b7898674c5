"""Taking down and restoring an item's posts on WordPress, and seeing from outside that a
post is gone: what the WordPress destination does for a removal request."""

from dataclasses import dataclass

from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor

from .client import PUBLIC_STATUSES, WordPressError
from .models import WordPressPost, WordPressSite
from .sync import post_unpublish, site_client

# A reader asking for an unpublished post: WordPress's own 404 (or 410), or courtesy's 451.
GONE_STATUSES = frozenset({404, 410, 451})


@dataclass
class PostResult:
    post: WordPressPost
    ok: bool
    detail: str  # WordPress's answer, or what failed


def _posts_of(item_ids, site: WordPressSite | None):
    posts = WordPressPost.objects.filter(item_id__in=item_ids, site__is_active=True)
    if site is not None:
        posts = posts.filter(site=site)
    return posts.select_related("site").order_by("site_id", "post_id")


def posts_take_down(
    *, item_ids, actor: Actor, reason: str, case: str = "", site: WordPressSite | None = None
) -> list[PostResult]:
    """Unpublish every public post of these items (on one site, or all). A post already
    unpublished counts as done; a failure is returned, never raised."""
    results, now, clients = [], timezone.now(), {}
    for wp_post in _posts_of(item_ids, site):
        if wp_post.status not in PUBLIC_STATUSES:
            results.append(PostResult(wp_post, True, f"already {wp_post.status}"))
            continue
        client = clients.setdefault(wp_post.site_id, site_client(wp_post.site))
        try:
            answer = post_unpublish(
                client,
                wp_post,
                status=wp_post.site.takedown_status,
                actor=actor,
                reason=reason,
                case=case,
                now=now,
            )
        except WordPressError as exc:
            results.append(PostResult(wp_post, False, str(exc)))
        else:
            results.append(PostResult(wp_post, True, f"WordPress set it {answer.status}"))
    return results


def posts_restore(
    *, item_ids, actor: Actor, reason: str, case: str = "", site: WordPressSite | None = None
) -> list[PostResult]:
    """Publish again the posts of these items that courtesy unpublished (never a post an
    editor unpublished themselves)."""
    results, clients = [], {}
    for wp_post in _posts_of(item_ids, site).filter(unpublished_at__isnull=False):
        client = clients.setdefault(wp_post.site_id, site_client(wp_post.site))
        try:
            answer = client.post_set_status(wp_post.post_id, "publish")
        except WordPressError as exc:
            results.append(PostResult(wp_post, False, str(exc)))
            continue
        before = wp_post.status
        wp_post.status, wp_post.unpublished_at = answer.status, None
        wp_post.public_url = answer.link[:2000] or wp_post.public_url
        wp_post.save(update_fields=["status", "unpublished_at", "public_url", "updated_at"])
        audit_record(
            actor=actor,
            action="wordpress.post_republished",
            obj=wp_post,
            reason=reason,
            before={"status": before},
            after={"status": answer.status, "link": answer.link},
            case=case,
        )
        results.append(PostResult(wp_post, True, f"WordPress set it {answer.status}"))
    return results


def post_public_status(wp_post: WordPressPost) -> PostResult:
    """What a reader gets at the post's public address: ok when it is gone."""
    if not wp_post.public_url:
        return PostResult(wp_post, True, "never public")
    try:
        status = site_client(wp_post.site).public_status(wp_post.public_url)
    except WordPressError as exc:
        return PostResult(wp_post, False, str(exc))
    return PostResult(wp_post, status in GONE_STATUSES, f"{wp_post.public_url} answered {status}")
