"""Reads that serve the public pages, the RSS feed and the sitemap.

Each returns a queryset that runs a fixed number of queries however many items there are
(the relations a page shows are joined, never fetched per item). Only published items are
ever listed: hidden and withheld ones appear nowhere but as a 451 on their own URL.
"""

from dataclasses import dataclass
from datetime import datetime

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
        Item.objects.select_related(
            "origin", "licence_basis", "status_request", "status_rule__request"
        )
        .filter(slug=slug)
        .first()
    )


@dataclass(frozen=True)
class Unavailability:
    """Why an item is not shown, in words that name no person and nothing of the content."""

    status: str  # "hidden" or "withheld"
    since: datetime
    cause: str  # "request", "rule", "licence", "staff" or "unknown"
    reference: str = ""
    ground: str = ""
    requested_by: str = ""  # the requester's role, never their name or address
    rule_kind: str = ""


def item_unavailability(item: Item) -> Unavailability:
    """The public explanation for a hidden or withheld item (see the 451 page)."""
    request = item.status_request or (item.status_rule.request if item.status_rule else None)
    common = {"status": item.status, "since": item.status_changed_at}
    if request is not None:
        return Unavailability(
            **common,
            cause="request",
            reference=request.reference,
            ground=request.get_ground_display() if request.ground else "",
            requested_by=request.get_role_display() if request.role else "",
            rule_kind=item.status_rule.get_kind_display() if item.status_rule else "",
        )
    if item.status_rule is not None:
        return Unavailability(**common, cause="rule", rule_kind=item.status_rule.get_kind_display())
    if item.status == Item.Status.WITHHELD:
        basis = item.licence_basis
        # Without a basis an item is published with a note saying so: the licence can only
        # be the cause when there is a basis that was not in force.
        if basis is not None and not basis.is_valid_at(item.status_changed_at):
            return Unavailability(**common, cause="licence")
        return Unavailability(**common, cause="unknown")
    return Unavailability(**common, cause="staff")
