"""Reads that serve the public pages, the RSS feed and the sitemap.

Each returns a queryset that runs a fixed number of queries however many items there are
(the relations a page shows are joined, never fetched per item). Only published items are
ever listed: hidden and withheld ones appear nowhere but as a 451 on their own URL.
"""

from django.db.models import F, Max, QuerySet

from . import sitemap_pages
from .models import Item

# Newest first, exactly as the partial index `item_published_newest` is ordered, so that a
# page of any list is an index scan that stops after the page, however many items there are.
# A published item always has a republication time (a constraint says so): no NULLS LAST,
# which no plain index would serve.
NEWEST_FIRST = ("-republished_at", "-id")
# Staff lists hold withheld items too, which were never republished: last on every database.
NEWEST_FIRST_ANY_STATUS = (F("republished_at").desc(nulls_last=True), "-id")


def items_published() -> QuerySet[Item]:
    """The home page's list: the columns it shows (a row's other dates and texts would
    cost more to decode than the index scan that finds it)."""
    return (
        Item.objects.published()
        .select_related("origin")
        .only("slug", "title", "author", "republished_at", "origin__name")
        .order_by(*NEWEST_FIRST)
    )


def items_for_feed(*, limit: int = 50) -> QuerySet[Item]:
    """The RSS feed's items, with what <source> and the attribution need."""
    return (
        Item.objects.published()
        .select_related("origin", "feed")
        .only(
            *("slug", "title", "author", "body", "image_url", "photo_credit", "original_url"),
            *("republished_at", "licence_note", "disclaimer"),
            *("origin__name", "origin__home_page", "feed__url"),
        )
        .order_by(*NEWEST_FIRST)[:limit]
    )


def sitemap_page_count() -> int:
    """How many sitemap pages the index lists: up to the page of the highest published pk
    (a backward scan of the primary key; a page in between may be empty)."""
    highest = Item.objects.published().aggregate(highest=Max("pk"))["highest"]
    return sitemap_pages.sitemap_page_of(highest) if highest else 0


def items_for_sitemap_page(page: int) -> QuerySet[Item]:
    """(slug,) of the published items on sitemap page `page`, in pk order, whose origin
    lets search engines index our copy: listing a page that says `noindex` in a sitemap
    would contradict itself. A range scan of the primary key."""
    size = sitemap_pages.SITEMAP_PAGE_SIZE
    first = (page - 1) * size + 1
    return (
        Item.objects.published()
        .filter(pk__gte=first, pk__lt=first + size, origin__noindex=False)
        .order_by("pk")
        .values_list("slug", flat=True)
    )


def item_for_page(*, slug: str) -> Item | None:
    """One item, whatever its status, with everything its page or its 451 shows: one query."""
    return (
        Item.objects.select_related("origin", "licence_basis", "status_rule")
        .filter(slug=slug)
        .first()
    )
