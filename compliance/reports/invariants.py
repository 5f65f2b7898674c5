"""The report's invariants: promises that must hold at every moment, each listed item a
promise broken. "Published but blocked" is the stay-down matcher's own SQL form
(compliance.items.staydown), so the report and ingest can never disagree about what a rule
covers. Each invariant is one query."""

from django.db import connection

from compliance.items.models import Item, Origin
from compliance.items.staydown import MATCH_ORDER, published_matches_fetch
from compliance.takedowns.models import RemovalRequest, RemovalTarget

Status = RemovalRequest.Status
ITEM, ORIGIN = Item._meta.db_table, Origin._meta.db_table
TARGET = RemovalTarget._meta.db_table
REQUEST = RemovalRequest._meta.db_table


def published_blocked_items() -> list[dict]:
    """Published items that an active block rule covers, with every way it covers them
    (url, guid, text, author, origin). One query: the matcher's SQL form, joined to what
    the report shows of each item."""
    rows = published_matches_fetch(
        select="SELECT m.matched_by, i.id, i.slug, i.title, i.original_url, o.domain "
        f"FROM matches m JOIN {ITEM} i ON i.id = m.item_id JOIN {ORIGIN} o ON o.id = i.origin_id"
    )
    found: dict[int, dict] = {}
    for matched_by, pk, slug, title, url, domain in rows:
        entry = found.setdefault(
            pk,
            {
                "item_id": pk,
                "slug": slug,
                "title": title,
                "original_url": url,
                "domain": domain,
                "matched_by": [],
            },
        )
        if matched_by not in entry["matched_by"]:
            entry["matched_by"].append(matched_by)
    for entry in found.values():
        entry["matched_by"].sort(key=MATCH_ORDER.index)
    return sorted(found.values(), key=lambda entry: entry["item_id"])


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
