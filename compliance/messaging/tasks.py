from celery import shared_task

from . import services


@shared_task(acks_late=True)
def send_message(message_id: int) -> None:
    # Safe to run twice: sending claims the row first.
    services.message_send(message_id=message_id)


@shared_task
def sweep_outbox() -> None:
    services.outbox_sweep()
