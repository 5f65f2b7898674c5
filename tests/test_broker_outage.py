"""A broker outage delays mail but loses none: a removal request submitted while the web
process cannot reach the broker is stored and acknowledged in the outbox, and the retry
job sends the acknowledgement once the broker is back."""

import contextlib
import logging
import time

import pytest

from compliance.celery import app as celery_app
from compliance.messaging.models import Message
from compliance.messaging.tasks import sweep_outbox
from compliance.takedowns.models import RemovalRequest
from tests.test_takedown_form import valid_data
from tests.workers import wait_until

# Nothing listens on port 1: connecting is refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def _drop_connection_pools() -> None:
    """The app's cached connection and producer pools belong to the broker it used so far:
    drop them (as Celery does after a fork), so the next publish connects afresh."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_unreachable():
    """This process's Celery app publishes to a broker nobody runs; the worker (another
    process) keeps the real one. Celery reads CELERY_BROKER_URL from the environment before
    its configuration, so both are replaced."""
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CELERY_BROKER_URL", UNREACHABLE_BROKER)
            patch.setitem(celery_app.conf, "broker_url", UNREACHABLE_BROKER)
            patch.setitem(celery_app.conf, "broker_transport_options", {})
            _drop_connection_pools()
            yield
    finally:
        _drop_connection_pools()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_submission_during_a_broker_outage_is_kept_and_acknowledged_later(
    client, celery_worker, worker_mail, caplog
):
    with broker_unreachable(), caplog.at_level(logging.WARNING, logger="compliance.queue"):
        started = time.monotonic()
        response = client.post("/takedown/", valid_data())
        elapsed = time.monotonic() - started

    # The requester sees success, at once, and nothing is lost.
    assert response.status_code == 302
    assert elapsed < 10, f"the form took {elapsed:.1f}s while the broker was down"
    removal_request = RemovalRequest.objects.get()
    assert removal_request.status == RemovalRequest.Status.RECEIVED
    assert removal_request.status_token in response["Location"]
    assert "could not queue compliance.messaging.tasks.send_message" in caplog.text
    acknowledgement = removal_request.messages.get(kind="acknowledgement")
    assert acknowledgement.state == Message.State.QUEUED
    time.sleep(2)  # the running worker had its chance: nothing reached it
    acknowledgement.refresh_from_db()
    assert acknowledgement.state == Message.State.QUEUED
    assert worker_mail() == []

    # The broker is back: the periodic retry job, run by the real worker, sends it.
    sweep_outbox.delay()
    (sent,) = wait_until(worker_mail, timeout=60, message="the sweep sent no mail")
    assert sent["To"] == "robin@rights.example"
    assert removal_request.reference in sent["Subject"]
    assert sent["Message-ID"] == acknowledgement.message_id
    body = sent.get_body(preferencelist=("plain",)).get_content()
    assert "/takedown/verify/" in body
    assert f"/takedown/status/{removal_request.status_token}/" in body
    acknowledgement.refresh_from_db()
    assert acknowledgement.state == Message.State.SENT
