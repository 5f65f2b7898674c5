"""Ingest stores entries a batch at a time: a fixed number of statements per batch, whatever
the number of entries, and a bad entry still loses nothing else."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.audit.models import AuditEvent
from compliance.core.normalise import author_key
from compliance.items import ingest as ingest_module
from compliance.items.ingest import IngestOutcome, entries_store
from compliance.items.models import BlockRule, Item
from compliance.items.parsing import parse_feed
from tests.factories import FeedFactory, OriginFactory

pytestmark = pytest.mark.django_db


def big_feed(count: int, prefix: str = "entry") -> bytes:
    items = "".join(
        f"<item><title>Synthetic {prefix} number {n}</title>"
        f"<link>https://bulk.example/news/{prefix}-{n}</link><guid>{prefix}-{n}</guid>"
        f"<author>writer{n % 7}@bulk.example (Writer {n % 7})</author>"
        f"<description>&lt;p&gt;Invented words for entry {n}.&lt;/p&gt;</description></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bulk</title>'
        f"<link>https://bulk.example/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def feed():
    return FeedFactory(origin=OriginFactory(domain="bulk.example"))


def store(feed, content: bytes) -> tuple[IngestOutcome, int, int]:
    """(outcome, statements other than INSERTs, INSERTs)."""
    outcome = IngestOutcome(source=feed.url, feed_id=feed.pk)
    parsed = parse_feed(content)
    with CaptureQueriesContext(connection) as queries:
        entries_store(feed, parsed, outcome)
    inserts = [q for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]
    return outcome, len(queries) - len(inserts), len(inserts)


def test_statements_do_not_grow_with_the_entries_of_a_batch(feed):
    BlockRule.objects.create(
        kind="author",
        origin=feed.origin,
        domain="bulk.example",
        author="Writer 3",
        author_key=author_key("Writer 3"),
    )
    few, few_queries, _ = store(feed, big_feed(20, "few"))
    many, many_queries, many_inserts = store(feed, big_feed(400, "many"))
    assert (few.new + few.withheld, many.new + many.withheld) == (20, 400)
    assert many.withheld == len([n for n in range(400) if n % 7 == 3])  # the rule still holds
    assert many_queries <= few_queries + 2, (few_queries, many_queries)
    # Bulk inserts: many rows each (SQLite caps the parameters of one statement).
    assert many_inserts <= 800 / 20, many_inserts
    assert AuditEvent.objects.filter(action__in=["item.published", "item.withheld"]).count() == 420
    # Again, all of them known: a couple of lookups per batch, no writes.
    again, again_queries, again_inserts = store(feed, big_feed(400, "many"))
    assert (again.new, again.updated, again.withheld, again_inserts) == (0, 0, 0, 0)
    assert again_queries <= few_queries


def test_a_batch_that_fails_is_stored_entry_by_entry_and_loses_only_the_bad_entry(feed):
    real = ingest_module._new_item

    def broken_for_one(feed, entry, now):
        if entry.guid == "entry-3":
            raise ValueError("synthetic failure")
        return real(feed, entry, now)

    with mock.patch.object(ingest_module, "_new_item", broken_for_one):
        outcome, _, _ = store(feed, big_feed(10))
    assert outcome.new == 9
    assert len(outcome.errors) == 1 and "synthetic failure" in outcome.errors[0]
    assert Item.objects.count() == 9
    assert not Item.objects.filter(guid="entry-3").exists()
