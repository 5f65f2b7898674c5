from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from compliance.messaging.models import Message
from compliance.messaging.services import mail_queue, message_send, outbox_sweep
from tests.workers import wait_until

TEST_TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _test_templates(settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]}
    ]


def queue_hello(**kwargs):
    return mail_queue(
        to=["someone@example.net"],
        subject="Hello",
        template="emails/hello",
        context={"name": "Sam"},
        kind="test",
        **kwargs,
    )


@pytest.mark.django_db
def test_queued_mail_is_sent_once_with_text_html_and_threading_headers():
    message = queue_hello(in_reply_to="<a@x>", references="<a@x>")
    assert message_send(message_id=message.pk) is True
    assert message_send(message_id=message.pk) is False  # a duplicate task sends nothing
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["someone@example.net"]
    assert "Hello Sam, see http://testserver/." in sent.body
    assert sent.alternatives[0].mimetype == "text/html"
    assert sent.extra_headers["Message-ID"] == message.message_id
    assert sent.extra_headers["In-Reply-To"] == "<a@x>"
    message.refresh_from_db()
    assert message.state == Message.State.SENT and message.sent_at


@pytest.mark.django_db
def test_failed_send_is_kept_and_retried_by_the_sweep(settings, monkeypatch):
    message = queue_hello()
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send",
        lambda self: (_ for _ in ()).throw(ConnectionRefusedError("smtp down")),
    )
    assert message_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert "smtp down" in message.last_error
    assert outbox_sweep() == 0  # not due yet: back-off
    monkeypatch.undo()
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_sweep() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_worker_is_retried_by_the_sweep():
    message = queue_hello()
    Message.objects.filter(pk=message.pk).update(
        state=Message.State.SENDING, next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert outbox_sweep() == 1
    assert len(mail.outbox) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_mail_queued_in_a_committed_transaction(celery_worker, worker_mail):
    with transaction.atomic():
        message = queue_hello()
    sent = wait_until(worker_mail, timeout=30, message="the worker sent no mail")
    assert sent[0]["Message-ID"] == message.message_id
    assert sent[0]["To"] == "someone@example.net"
    message.refresh_from_db()
    assert message.state == Message.State.SENT


@pytest.mark.django_db
def test_a_requester_mail_abandoned_after_its_last_attempt_flags_the_request(monkeypatch):
    from compliance.messaging.services import MAX_ATTEMPTS
    from tests.factories import RemovalRequestFactory

    removal_request = RemovalRequestFactory()
    message = queue_hello(case=removal_request.reference)
    Message.objects.filter(pk=message.pk).update(attempts=MAX_ATTEMPTS - 1)
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send",
        lambda self: (_ for _ in ()).throw(ConnectionRefusedError("smtp down")),
    )
    assert message_send(message_id=message.pk) is False
    message.refresh_from_db()
    removal_request.refresh_from_db()
    assert message.state == Message.State.ABANDONED
    assert "could not be sent" in removal_request.attention_needed
    assert "smtp down" in removal_request.attention_needed
