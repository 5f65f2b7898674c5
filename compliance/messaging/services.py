"""The outbox: every outgoing mail is a Message row written in the caller's transaction,
then sent by a Celery task after commit. Sending claims the row first, so a duplicate task
or an overlapping sweep sends nothing twice."""

import logging
from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from compliance.core.queue import enqueue_on_commit

from .models import Message
from .signals import mail_abandoned

logger = logging.getLogger("compliance.messaging")

MAX_ATTEMPTS = 10
# A claim older than this belongs to a worker that died mid-send; the sweep retries it.
STALE_CLAIM = timedelta(minutes=10)
# The kinds of mail that answer a message (RFC 3834 "auto-replied"); every other mail we
# send is "auto-generated". Either way a well-behaved responder does not answer it.
AUTO_REPLIES = {"acknowledgement"}


def auto_submitted(kind: str) -> str:
    return "auto-replied" if kind in AUTO_REPLIES else "auto-generated"


def new_message_id() -> str:
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "courtesy.invalid")


def mail_queue(
    *,
    to: list[str],
    subject: str,
    template: str,
    context: dict,
    kind: str = "",
    case: str = "",
    in_reply_to: str = "",
    references: str = "",
    attachments: list[dict] | None = None,
) -> Message:
    """Write an outgoing mail to the outbox and send it once the transaction commits.

    `template` names a pair under templates/: `<template>.txt` and `<template>.html`.
    """
    context = {"SITE_URL": settings.SITE_URL, "CONTACT_EMAIL": settings.CONTACT_EMAIL, **context}
    message = Message.objects.create(
        case=case,
        direction=Message.Direction.OUT,
        kind=kind,
        state=Message.State.QUEUED,
        sender=settings.DEFAULT_FROM_EMAIL,
        recipients=list(to),
        subject=" ".join(subject.split()),
        text_body=render_to_string(f"{template}.txt", context),
        html_body=render_to_string(f"{template}.html", context),
        attachments=attachments or [],
        message_id=new_message_id(),
        in_reply_to=in_reply_to,
        references=references,
        next_attempt_at=timezone.now(),
    )
    from .tasks import send_message

    enqueue_on_commit(send_message, message.pk)
    return message


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 6 * 60))


def message_send(*, message_id: int) -> bool:
    """Send one queued message. Returns True if this call sent it."""
    now = timezone.now()
    claimable = Q(state__in=[Message.State.QUEUED, Message.State.FAILED]) | Q(
        state=Message.State.SENDING, next_attempt_at__lt=now - STALE_CLAIM
    )
    claimed = Message.objects.filter(
        claimable, pk=message_id, direction=Message.Direction.OUT
    ).update(state=Message.State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now)
    if not claimed:
        return False
    message = Message.objects.get(pk=message_id)
    headers = {
        "Message-ID": message.message_id,
        "Auto-Submitted": auto_submitted(message.kind),
        # Exchange and Outlook: send no out-of-office or other auto-reply to this.
        "X-Auto-Response-Suppress": "All",
    }
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text_body,
        from_email=message.sender,
        to=message.recipients,
        headers=headers,
    )
    if message.html_body:
        mail.attach_alternative(message.html_body, "text/html")
    for attachment in message.attachments:
        mail.attach(attachment["filename"], attachment["content"], attachment["content_type"])
    try:
        mail.send()
    except Exception as exc:
        give_up = message.attempts >= MAX_ATTEMPTS
        Message.objects.filter(pk=message_id).update(
            state=Message.State.ABANDONED if give_up else Message.State.FAILED,
            last_error=f"{type(exc).__name__}: {exc}",
            next_attempt_at=timezone.now() + _backoff(message.attempts),
        )
        logger.warning(
            "sending message %s failed (attempt %s)", message_id, message.attempts, exc_info=True
        )
        if give_up:
            message.refresh_from_db()
            mail_abandoned.send(sender=Message, message=message, error=exc)
        return False
    Message.objects.filter(pk=message_id).update(
        state=Message.State.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def outbox_sweep() -> int:
    """Send every message still waiting (queued while the broker was down, or failed and
    due for another attempt). Returns how many were sent."""
    now = timezone.now()
    due = Message.objects.outbox_due(now) | Message.objects.filter(
        direction=Message.Direction.OUT,
        state=Message.State.SENDING,
        next_attempt_at__lt=now - STALE_CLAIM,
    )
    return sum(message_send(message_id=pk) for pk in due.values_list("pk", flat=True)[:500])
