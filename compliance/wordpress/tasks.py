"""Celery entry points for WordPress sites (queue "ingest", like feeds)."""

from celery import shared_task

from compliance.core.queue import enqueue_on_commit

from . import sync


@shared_task
def sweep_wordpress_sites() -> int:
    """Beat job: claim every due site and queue one sweep each."""
    site_ids = sync.sites_claim_due()
    for site_id in site_ids:
        enqueue_on_commit(sync_wordpress_site, site_id)
    return len(site_ids)


# A failed sweep is recorded on the site, whose back-off schedules the next one.
@shared_task(acks_late=True)
def sync_wordpress_site(site_id: int) -> None:
    sync.site_sync(site_id=site_id)
