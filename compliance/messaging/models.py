from django.db import models
from django.utils import timezone


class MessageQuerySet(models.QuerySet):
    def outbox_due(self, now=None):
        """Outgoing mail still to send: queued, or failed and due for another attempt."""
        return self.filter(
            direction=Message.Direction.OUT,
            state__in=[Message.State.QUEUED, Message.State.FAILED],
            next_attempt_at__lte=now or timezone.now(),
        )


class Message(models.Model):
    """Every email in or out. Outgoing mail is written here in the transaction that causes
    it (the outbox) and sent by a Celery task after commit; a periodic sweep sends whatever
    is still queued, so a broker outage delays mail but loses none."""

    class Direction(models.TextChoices):
        IN = "in", "Incoming"
        OUT = "out", "Outgoing"

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, will retry"
        ABANDONED = "abandoned", "Abandoned after retries"

    # The case (a removal request's reference) whose thread the message belongs to, if
    # any; messaging knows cases by name only (see compliance.audit.models.AuditEvent.case).
    case = models.CharField(max_length=20, blank=True, db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # What the mail is for ("acknowledgement", "confirmation", "report", …): idempotency.
    kind = models.CharField(max_length=32, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, db_index=True)
    sender = models.CharField(max_length=320)
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    # [{"filename": …, "content_type": …, "content": text}]
    attachments = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    raw = models.BinaryField(blank=True, null=True, help_text="The message as received.")
    # SHA-256 of what the sender wrote (see inbound.content_digest): a mail delivered twice.
    content_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The file under VAR_DIR/inbox/ that holds the message, when the row alone cannot.
    kept_as = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        arrow = "←" if self.direction == self.Direction.IN else "→"
        return f"{arrow} {self.subject}"
