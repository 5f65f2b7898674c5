"""Celery entry points for takedowns (queue "takedowns", a worker of its own in the
Procfile, so that no backlog of feed ingests delays a takedown): ids in, one service
call each."""

from celery import Task, shared_task
from django.db import DatabaseError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from compliance.core.queue import enqueue_on_commit
from compliance.items.status import items_hide_blocked, items_withhold_expired_licences

from . import processing, reversal

# Database and broker trouble is worth retrying: 2, 4, 8 … seconds apart, at most ten
# minutes, eight times (about half an hour in all), then staff are told.
RETRY = {
    "autoretry_for": (DatabaseError, BrokerError),
    "retry_backoff": 2,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


class TakedownTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Retries ran out (or an unexpected error): flag the request for staff."""
        removal_request_id = args[0] if args else kwargs.get("removal_request_id")
        if removal_request_id is not None:
            processing.request_process_failed(
                removal_request_id=removal_request_id, error=f"{type(exc).__name__}: {exc}"
            )


# acks_late: a worker that dies mid-run leaves the message to be delivered again, which is
# safe because every step of the job is idempotent (see processing.py).
@shared_task(base=TakedownTask, acks_late=True, **RETRY)
def process_takedown(removal_request_id: int) -> str:
    return processing.request_process(removal_request_id=removal_request_id)


@shared_task(acks_late=True, **RETRY)
def confirm_restoration(removal_request_id: int) -> str:
    """Every destination acknowledged a restoration: check and tell the requester."""
    return reversal.restoration_confirm(removal_request_id=removal_request_id)


@shared_task
def requeue_stuck_takedowns() -> int:
    """Beat job: queue again the requests the takedown job left unfinished."""
    stuck = processing.requests_requeue_stuck()
    for removal_request_id in stuck:
        enqueue_on_commit(process_takedown, removal_request_id)
    return len(stuck)


@shared_task(acks_late=True, **RETRY)
def restore_due_counter_notices() -> int:
    """Beat job: restore the content of counter-notices whose waiting time is over."""
    return len(reversal.counter_notices_restore_due(now=timezone.now()))


# Licence expiry is a compliance duty, not ingest: it runs here, on the takedowns queue.
@shared_task(acks_late=True, **RETRY)
def withhold_expired_licences() -> int:
    """Beat job: withhold published items whose licence basis has expired."""
    return items_withhold_expired_licences(now=timezone.now())


# The stay-down promise, checked from the other side: any published item an active rule
# covers (a rule made after the item, an edit nobody saw) comes down.
@shared_task(acks_late=True, **RETRY)
def recheck_staydown() -> int:
    """Beat job: take down every published item an active block rule covers."""
    return items_hide_blocked()
