"""Reads that serve the public pages, the RSS feed and the sitemap.

Each returns a queryset that runs a fixed number of queries however many items there are
(the relations a page shows are joined, never fetched per item). Only published items are
ever listed: hidden and withheld ones appear nowhere but as a 451 on their own URL.
"""

from django.db.models import F, QuerySet

from .models import Item

# Newest first; an item without a republication time (never expected for a published one)
# sorts last on every database rather than first on PostgreSQL.
NEWEST_FIRST = (F("republished_at").desc(nulls_last=True), "-id")


def items_published() -> QuerySet[Item]:
    """The home page's list."""
    return Item.objects.published().select_related("origin").order_by(*NEWEST_FIRST)


def items_for_feed(*, limit: int = 50) -> QuerySet[Item]:
    """The RSS feed's items, with what <source> and the attribution need."""
    return Item.objects.published().select_related("origin", "feed").order_by(*NEWEST_FIRST)[:limit]


def items_for_sitemap() -> QuerySet[Item]:
    """Published items whose origin lets search engines index our copy: listing a page
    that says `noindex` in a sitemap would contradict itself."""
    return (
        Item.objects.published()
        .filter(origin__noindex=False)
        .order_by(*NEWEST_FIRST)
        .only("slug", "republished_at")
    )


def item_for_page(*, slug: str) -> Item | None:
    """One item, whatever its status, with everything its page or its 451 shows: one query."""
    return (
        Item.objects.select_related("origin", "licence_basis", "status_rule")
        .filter(slug=slug)
        .first()
    )
