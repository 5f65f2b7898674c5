"""Queueing Celery work after the transaction that calls for it has committed.

A broker outage must never undo or fail the change itself: the row that needs the work is
already committed, and the periodic sweep of that row's kind picks it up later.
"""

import logging

from django.db import transaction

logger = logging.getLogger("compliance.queue")


def enqueue_on_commit(task, *args, **options) -> None:
    def send():
        try:
            task.apply_async(args=args, **options)
        except Exception:
            logger.warning(
                "could not queue %s%r now; its sweep will retry", task.name, args, exc_info=True
            )

    transaction.on_commit(send)
