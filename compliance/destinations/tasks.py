"""Celery entry points for deliveries (queue "destinations"): ids in, one service call."""

from celery import shared_task

from compliance.core.queue import enqueue_on_commit

from . import services


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> str:
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task
def sweep_deliveries() -> int:
    """Beat job: attempt every delivery due (a retry's time has come, or the broker lost
    the first task)."""
    return services.deliveries_attempt_due()


@shared_task(acks_late=True)
def deliver_case(case: str, event: str) -> int:
    return services.deliveries_attempt_due(case=case, event=event)


def deliveries_queue_on_commit(*, case: str, event: str) -> None:
    """Attempt a case's new deliveries once the transaction that opened them commits (the
    sweep attempts them anyway if the broker is down)."""
    enqueue_on_commit(deliver_case, case, event)
