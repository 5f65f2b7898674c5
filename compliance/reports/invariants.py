"""The report's invariants: promises that must hold at every moment, each listed item a
promise broken. "Published but blocked" is the stay-down matcher's own SQL form
(compliance.items.staydown), so the report and ingest can never disagree about what a rule
covers."""

from django.db import connection

from compliance.items.models import Item
from compliance.items.staydown import MATCH_ORDER, published_matches
from compliance.takedowns.models import RemovalRequest, RemovalTarget

Status = RemovalRequest.Status
ITEM, TARGET = Item._meta.db_table, RemovalTarget._meta.db_table
REQUEST = RemovalRequest._meta.db_table


def published_blocked_items() -> list[dict]:
    """Published items that an active block rule covers, with every way it covers them
    (url, guid, text, author, origin). Two queries: the matches, then the items."""
    matched: dict[int, list[str]] = {}
    for match in published_matches():
        names = matched.setdefault(match.item_id, [])
        if match.matched_by not in names:
            names.append(match.matched_by)
    items = (
        Item.objects.filter(pk__in=matched)
        .order_by("pk")
        .values("pk", "slug", "title", "original_url", "origin__domain")
    )
    return [
        {
            "item_id": item["pk"],
            "slug": item["slug"],
            "title": item["title"],
            "original_url": item["original_url"],
            "domain": item["origin__domain"],
            "matched_by": sorted(matched[item["pk"]], key=MATCH_ORDER.index),
        }
        for item in items
    ]


def completed_requests_still_published() -> list[dict]:
    """Targets of completed requests whose item is still published. One query.

    The target items are fetched by primary key (on PostgreSQL from an array of their
    ids: an index scan, not the hash join over every published item it would otherwise
    choose), then checked for status."""
    targeted = (
        f"SELECT t2.item_id FROM {TARGET} t2 JOIN {REQUEST} r2 "
        "ON r2.id = t2.request_id WHERE r2.status = %s AND t2.item_id IS NOT NULL"
    )
    among = f"= ANY(ARRAY({targeted}))" if connection.vendor == "postgresql" else f"IN ({targeted})"
    sql = f"""
        SELECT r.reference, i.id, i.title, i.slug, t.url
        FROM {ITEM} i
        JOIN {TARGET} t ON t.item_id = i.id
        JOIN {REQUEST} r ON r.id = t.request_id
        WHERE i.id {among} AND i.status = %s AND r.status = %s
        ORDER BY t.request_id, t.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [Status.COMPLETED, Item.Status.PUBLISHED, Status.COMPLETED])
        rows = cursor.fetchall()
    return [
        {"reference": reference, "item_id": pk, "title": title, "slug": slug, "url": url}
        for reference, pk, title, slug, url in rows
    ]
