"""Celery entry points for ingest (queue "ingest"): ids in, one service call each."""

from celery import shared_task

from compliance.core.queue import enqueue_on_commit

from . import fetching


@shared_task
def ingest_due_feeds() -> int:
    """Beat job: claim every due feed and queue one ingest per feed. Claiming is a
    conditional update, so overlapping beats queue each feed once."""
    feed_ids = fetching.feeds_claim_due()
    for feed_id in feed_ids:
        enqueue_on_commit(ingest_feed, feed_id)
    return len(feed_ids)


# No autoretry: a failed fetch is recorded on the feed, whose own back-off schedules the
# next attempt. acks_late is safe because ingesting a feed twice stores nothing twice.
@shared_task(acks_late=True)
def ingest_feed(feed_id: int) -> None:
    fetching.feed_ingest(feed_id=feed_id)
