"""Hiding a whole origin: items_hide on 100,000 items (its UPDATE plus one audit event per
item, written by one INSERT … SELECT) compared with a raw SQL UPDATE of the same rows, in
the same run on the same database. Target: at most 2x, i.e. hiding is set-based and its
audit trail costs no more than the update itself.

The rows are put back (published, no audit events) before every timed run, and on
PostgreSQL vacuumed, so that each run starts from the same table. Run: `python -m
bench.hide` (or `make bench`); honours DATABASE_URL.
"""

import hashlib
import time

from bench.common import bench_database, report

ITEMS = 100_000
OTHER_ITEMS = 10_000  # another origin's, which must not be touched
ROUNDS = 3
TARGET = 2.0
BATCH = 5_000


def _hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _items(origin, count: int, prefix: str, basis):
    from django.utils import timezone

    from compliance.items.models import Item

    now = timezone.now()
    words = "invented harbour lantern quay ferry tide net loft gull"
    for n in range(count):
        body = f"<p>Article {prefix}-{n}: {words} {n}.</p>" * 6
        yield Item(
            origin=origin,
            guid=f"{prefix}-{n}",
            original_url=f"https://{origin.domain}/news/{prefix}-{n}",
            url_key=_hex(f"url-{prefix}-{n}"),
            slug=f"{prefix}-{n}",
            title=f"Invented headline {prefix} {n}",
            author=f"Author {n % 500}",
            author_key=f"author {n % 500}",
            body=body,
            text_fingerprint=_hex(f"text-{prefix}-{n}"),
            published_at=now,
            republished_at=now,
            licence_basis=basis,
            licence_note=basis.licence_note(),
            licence_note_sha256=_hex(basis.licence_note()),
            disclaimer=f"This content is courtesy of {origin.name} and its author. " * 4,
            disclaimer_sha256=_hex(f"disclaimer-{n}"),
            status=Item.Status.PUBLISHED,
        )


def main() -> bool:
    with bench_database() as connection:
        from django.db import transaction
        from django.utils import timezone

        from compliance.audit.models import AuditEvent
        from compliance.core.actors import Actor
        from compliance.items.models import Item, LicenceBasis, Origin
        from compliance.items.status import items_hide
        from compliance.takedowns.models import RemovalRequest

        basis = LicenceBasis.objects.create(name="Public feed", kind="public_feed")
        origin, other = (
            Origin.objects.create(
                domain=f"{name}.example", name=name.title(), home_page=f"https://{name}.example/"
            )
            for name in ("big-outlet", "small-outlet")
        )
        Item.objects.bulk_create(_items(origin, ITEMS, "big", basis), batch_size=BATCH)
        Item.objects.bulk_create(_items(other, OTHER_ITEMS, "small", basis), batch_size=BATCH)
        removal_request = RemovalRequest.objects.create(
            reference="TD-2026-00001",
            channel="web",
            requester_email="rights@big-outlet.example",
            scope="origin",
            status="processing",
            due_at=timezone.now(),
            status_token="bench",
        )
        items = Item._meta.db_table
        audit = AuditEvent._meta.db_table
        postgres = connection.vendor == "postgresql"

        def reset():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {items} SET status = 'published', status_reason = '', "
                    "status_case = '' WHERE origin_id = %s",
                    [origin.pk],
                )
                # Append-only for the application; a throw-away bench database may be emptied.
                cursor.execute(f"TRUNCATE {audit}" if postgres else f"DELETE FROM {audit}")
                cursor.execute(f"VACUUM ANALYZE {items}" if postgres else "ANALYZE")

        def raw_update():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {items} SET status = %s, status_changed_at = %s, "
                    "status_reason = %s, status_case = %s, status_rule_id = NULL "
                    "WHERE origin_id = %s AND status = %s",
                    [
                        "hidden",
                        timezone.now(),
                        "bench",
                        removal_request.reference,
                        origin.pk,
                        "published",
                    ],
                )
                assert cursor.rowcount == ITEMS, cursor.rowcount

        def service():
            hidden = items_hide(
                items=Item.objects.filter(origin=origin),
                actor=Actor.system("bench"),
                reason="bench",
                case=removal_request.reference,
            )
            assert hidden == ITEMS, hidden

        timings = {raw_update: [], service: []}
        for _ in range(ROUNDS):
            for function in (raw_update, service):
                reset()
                started = time.perf_counter()
                function()
                timings[function].append(time.perf_counter() - started)
        # The last run left its trail: one event per item, none for the other origin.
        assert AuditEvent.objects.filter(action="item.hidden").count() == ITEMS
        assert Item.objects.filter(origin=other, status="published").count() == OTHER_ITEMS
        return report(
            f"hide on {connection.vendor}: items_hide of {ITEMS:,} items (with their audit "
            "events) against a raw UPDATE",
            min(timings[service]),
            min(timings[raw_update]),
            TARGET,
        )


if __name__ == "__main__":
    import sys

    sys.exit(0 if main() else 1)
