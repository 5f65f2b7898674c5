"""Celery entry points for licence evidence (queue "ingest", with the feeds: the same
worker, the same politeness). Ids in, one service call each."""

from celery import shared_task
from django.conf import settings

from compliance.core.queue import enqueue_on_commit

from . import checks, presence


@shared_task
def check_licences_due() -> int:
    """Beat job: queue a reading of every origin due (never read, or its interval past)
    and of every published item whose page was never read."""
    origin_ids = checks.origins_claim_due()
    for origin_id in origin_ids:
        enqueue_on_commit(check_origin_licence, origin_id)
    item_ids = checks.items_never_checked(limit=settings.LICENCE_ITEM_CHECKS_PER_SWEEP)
    for item_id in item_ids:
        enqueue_on_commit(check_item_licence, item_id)
    return len(origin_ids) + len(item_ids)


# A check twice is two readings, both true: harmless, so acks_late.
@shared_task(acks_late=True)
def check_origin_licence(origin_id: int) -> None:
    checks.origin_licence_check(origin_id=origin_id)


@shared_task(acks_late=True)
def check_item_licence(item_id: int) -> None:
    checks.item_licence_check(item_id=item_id)


@shared_task
def recheck_originals() -> int:
    """Beat job: queue a re-check at the origin of each recently republished original."""
    item_ids = presence.originals_due()
    for item_id in item_ids:
        enqueue_on_commit(recheck_original, item_id)
    return len(item_ids)


# Running twice asks twice; the two-answers rule counts answers hours apart, so it is safe.
@shared_task(acks_late=True)
def recheck_original(item_id: int) -> None:
    presence.original_recheck(item_id=item_id)
