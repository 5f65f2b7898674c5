from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from .periods import Period


class ComplianceReport(models.Model):
    """One report as it was generated (and, once delivered, as it was sent): the figures,
    the rendered HTML and CSV, who received it and when.

    `start` and `end` are the period's boundaries as instants (midnights in `time_zone`);
    `end` is exclusive. One report per (kind, start, end): running the same period twice
    finds this row instead of making (and mailing) a second one.
    """

    class Kind(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    start = models.DateTimeField(help_text="First instant of the period (inclusive).")
    end = models.DateTimeField(help_text="First instant after the period (exclusive).")
    time_zone = models.CharField(max_length=64)
    generated_at = models.DateTimeField(default=timezone.now)
    figures = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    html = models.TextField()
    csv = models.TextField()
    # Every address it was mailed to (empty until delivered); nobody receives it twice.
    recipients = models.JSONField(default=list, blank=True)
    # When it was first mailed: from then on it is the record of what was sent, never
    # computed again.
    delivered_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "end"], name="report_unique_period"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="report_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} report {self.period_label}"

    @property
    def first_day(self):
        return self.start.astimezone(ZoneInfo(self.time_zone)).date()

    @property
    def last_day(self):
        return (self.end.astimezone(ZoneInfo(self.time_zone)) - timedelta(days=1)).date()

    @property
    def period(self):
        return Period(self.kind, self.first_day, self.last_day, ZoneInfo(self.time_zone))

    @property
    def period_label(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first_day:%Y-%m-%d}"
        return f"{self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d}"

    @property
    def breaches(self) -> int:
        invariants = (self.figures or {}).get("invariants", {})
        return sum(
            len(invariants.get(name, []))
            for name in ("published_blocked", "completed_still_published")
        )


class ReportRecipient(models.Model):
    """Someone accountable who receives the scheduled reports by email."""

    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    active = models.BooleanField(default=True)
    daily = models.BooleanField(default=False, help_text="Receives the daily reports.")
    weekly = models.BooleanField(default=True, help_text="Receives the weekly reports.")
    monthly = models.BooleanField(default=True, help_text="Receives the monthly reports.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class PublicRecordState(models.TextChoices):
    DUE = "due", "Due"
    SUBMITTED = "submitted", "Submitted"
    REFUSED = "refused", "Refused"
    SKIPPED = "skipped", "Not sent"


class PublicRecord(models.Model):
    """What one decision sends to a public database, frozen when the decision is taken
    (`payload`), and how its submission stands. The exports are these payloads."""

    State = PublicRecordState

    payload = models.JSONField(encoder=DjangoJSONEncoder)
    state = models.CharField(
        max_length=10, choices=PublicRecordState.choices, default=PublicRecordState.DUE
    )
    # The database's answer when it refused the record: field errors, shown to staff.
    errors = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The last transport failure (timeout, 5xx, 429…), cleared on success.
    last_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Not tried again before this (back-off, or a lease held by a running submission).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class DsaStatement(PublicRecord):
    """A statement of reasons for the DSA Transparency Database. The database has no
    update: a reversal is a statement of its own (puid `<reference>-r1`)."""

    class Kind(models.TextChoices):
        DECISION = "decision", "Decision"
        REVERSAL = "reversal", "Reversal"

    request = models.ForeignKey(
        "takedowns.RemovalRequest", on_delete=models.PROTECT, related_name="dsa_statements"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    puid = models.CharField(max_length=500, unique=True)
    # A timeout left it unknown whether the database stored it: ask before sending again.
    uncertain = models.BooleanField(default=False)
    tdb_id = models.CharField("database id", max_length=40, blank=True)
    tdb_uuid = models.CharField("database UUID", max_length=40, blank=True)

    class Meta(PublicRecord.Meta):
        verbose_name = "DSA statement of reasons"
        verbose_name_plural = "DSA statements of reasons"
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self):
        return self.puid


class LumenNotice(PublicRecord):
    """The notice sent to Lumen, one per decision (carried out or rejected)."""

    request = models.OneToOneField(
        "takedowns.RemovalRequest", on_delete=models.PROTECT, related_name="lumen_notice"
    )
    # Where Lumen stored it (the 201 answer's Location).
    location = models.URLField(max_length=500, blank=True)
    # Why it was not sent (state "skipped").
    reason = models.TextField(blank=True)

    class Meta(PublicRecord.Meta):
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self):
        return f"Lumen notice for {self.request}"
