"""The scheduled ingest, for real: celery beat (django-celery-beat's DatabaseScheduler on
the test database) fires compliance.items.tasks.ingest_due_feeds, which claims the due
feed and queues ingest_feed on the "ingest" queue for a real worker process."""

import time
from pathlib import Path

import pytest

from compliance.items.models import Feed, Item
from tests import workers
from tests.factories import FeedFactory, OriginFactory

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


@pytest.fixture
def beat(celery_dirs):
    mail_dir, log_dir = celery_dirs
    process = workers.start_beat(mail_dir, log_dir, extra_env={"INGEST_SWEEP_SECONDS": "1"})
    yield process
    process.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_runs_the_scheduled_ingest_on_a_real_worker(celery_worker, beat, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(
        (FEEDS / "rss2.xml").read_bytes(), content_type="application/rss+xml"
    )
    origin = OriginFactory(domain="harbour-gazette.example", name="Harbour Gazette")
    feed = FeedFactory(origin=origin, url=httpserver.url_for("/feed.xml"), next_fetch_at=None)

    items = workers.wait_until(
        lambda: Item.objects.filter(feed=feed).count() == 3 and Item.objects.filter(feed=feed),
        timeout=60,
        message=f"no items appeared\nbeat:\n{beat.output()}\nworker:\n{celery_worker.output()}",
    )
    assert {item.status for item in items} == {Item.Status.PUBLISHED}
    assert all(item.disclaimer_sha256 for item in items)
    workers.wait_until(
        lambda: Feed.objects.get(pk=feed.pk).last_outcome == Feed.Outcome.OK, timeout=30
    )
    feed.refresh_from_db()
    assert feed.next_fetch_at > feed.last_fetched_at
    assert "ingest_due_feeds" in beat.output()
    # Later sweeps find the feed claimed and scheduled: it is not fetched again.
    time.sleep(2.5)
    assert len(httpserver.log) == 1
    assert Item.objects.filter(feed=feed).count() == 3
