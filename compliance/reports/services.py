"""Writes for compliance reports and the transparency page.

A report is generated (stored once per period) and sent: each address receives each
period's report at most once. Sending locks the report row and records the addresses in
the transaction that writes the mail to the outbox, so two runs of the same period, even
concurrent ones, mail it once; a failure rolls both back and the next run tries again. A
second schedule of the same kind with recipients of its own, or a recipient added later,
gets the report as it was first sent.
"""

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.messaging.services import mail_queue

from . import selectors
from .models import ComplianceReport, ReportRecipient
from .periods import Period, last_full_period
from .rendering import report_render, report_title

logger = logging.getLogger("compliance.reports")


def report_generate(*, period: Period, now=None) -> ComplianceReport:
    """Compute, render and store the report for `period`. A report already delivered is
    returned unchanged (it is the record of what was sent); an undelivered one is
    computed afresh."""
    key = {"kind": period.kind, "start": period.start, "end": period.end}
    existing = ComplianceReport.objects.filter(**key).first()
    if existing is not None and existing.delivered_at is not None:
        return existing
    rendered = report_render(period=period, now=now)
    fields = {
        "time_zone": period.time_zone,
        "generated_at": now or timezone.now(),
        "figures": rendered.figures,
        "html": rendered.html,
        "csv": rendered.csv,
    }
    try:
        with transaction.atomic():
            report, created = ComplianceReport.objects.get_or_create(**key, defaults=fields)
    except IntegrityError:  # a concurrent run stored it first
        report, created = ComplianceReport.objects.get(**key), False
    if not created:
        ComplianceReport.objects.filter(pk=report.pk, delivered_at__isnull=True).update(**fields)
        report.refresh_from_db()
    return report


def _csv_filename(report: ComplianceReport) -> str:
    return f"compliance-report-{report.kind}-{report.first_day:%Y%m%d}-{report.last_day:%Y%m%d}.csv"


def report_send(*, report_id: int, recipients: list[str] | None = None) -> list[str]:
    """Mail the stored report (HTML body, CSV attached) to `recipients`, or to the active
    recipients of its kind, leaving out whoever has already received it. Returns the
    addresses this call mailed: none if everyone had it or nobody is to receive it."""
    report = ComplianceReport.objects.get(pk=report_id)
    to = list(recipients) if recipients else selectors.report_recipient_emails(kind=report.kind)
    for address in to:
        # Checked before anything is recorded: a report is never marked sent to a
        # non-address.
        try:
            validate_email(address)
        except ValidationError:
            raise ValueError(f"{address!r} is not an e-mail address") from None
    if not to:
        logger.warning("%s: no active recipient, stored but not sent", report)
        return []
    now = timezone.now()
    with transaction.atomic():
        report = ComplianceReport.objects.select_for_update().get(pk=report.pk)
        received = {address.lower() for address in report.recipients}
        new = []
        for address in to:
            if address.lower() not in received:
                received.add(address.lower())
                new.append(address)
        if not new:
            return []
        breaches = report.breaches
        subject = f"[{report_title_prefix(breaches)}] {report_title(report.period)}"
        message = mail_queue(
            to=new,
            subject=subject,
            template="emails/compliance_report",
            context={
                "report": report,
                "report_html": report.html,
                "figures": report.figures,
                "breaches": breaches,
                "title": report_title(report.period),
            },
            kind="compliance_report",
            attachments=[
                {
                    "filename": _csv_filename(report),
                    "content_type": "text/csv",
                    "content": report.csv,
                }
            ],
        )
        # The first delivery freezes the report: it is what was sent, and stays so.
        ComplianceReport.objects.filter(pk=report.pk).update(
            delivered_at=report.delivered_at or now,
            recipients=[*report.recipients, *new],
            message=report.message or message,
        )
    return new


def report_title_prefix(breaches: int) -> str:
    return (
        f"ALERT: {breaches} invariant breach{'es' if breaches != 1 else ''}"
        if breaches
        else ("courtesy")
    )


def report_run(
    *,
    period: Period | None = None,
    kind: str = "weekly",
    recipients: list[str] | None = None,
    now=None,
) -> tuple[ComplianceReport, list[str]]:
    """Generate and send the report for `period` (default: the last full `kind`); also
    returns the addresses mailed this time (see report_send). A period
    that has not ended is refused (ValueError): mailed, it would be stored as delivered
    with part of its data, and the full report for it would never be sent."""
    period = period or last_full_period(kind, now=now)
    if period.end > (now or timezone.now()):
        raise ValueError(
            f"the {period.kind} period {period.label} has not ended yet: only a period that "
            "is over can be sent (without sending, the report can be printed at any time)"
        )
    report = report_generate(period=period, now=now)
    sent = report_send(report_id=report.pk, recipients=recipients)
    report.refresh_from_db()
    return report, sent


# --- recipients ------------------------------------------------------------------------------

RECIPIENT_SETTINGS = ("name", "email", "active", "daily", "weekly", "monthly")


def _recipient_snapshot(recipient: ReportRecipient, names) -> dict:
    return {name: getattr(recipient, name) for name in names}


def _recipient_validated(recipient: ReportRecipient) -> None:
    try:
        recipient.full_clean()
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise ValueError(problems) from None


def recipient_create(*, actor: Actor, reason: str = "", **fields) -> ReportRecipient:
    """Add someone who receives the scheduled reports (audit: report_recipient.created)."""
    unknown = set(fields) - set(RECIPIENT_SETTINGS)
    if unknown:
        raise ValueError(f"these recipient fields cannot be set: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        recipient = ReportRecipient(**fields)
        _recipient_validated(recipient)
        recipient.save()
        audit_record(
            actor=actor,
            action="report_recipient.created",
            obj=recipient,
            reason=reason,
            after=_recipient_snapshot(recipient, RECIPIENT_SETTINGS),
        )
    return recipient


def recipient_update(
    *, recipient: ReportRecipient, actor: Actor, reason: str = "", **fields
) -> ReportRecipient:
    """Change a recipient (audit: report_recipient.changed, with what changed)."""
    unknown = set(fields) - set(RECIPIENT_SETTINGS)
    if unknown:
        raise ValueError(f"these recipient fields cannot be set: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = ReportRecipient.objects.select_for_update().get(pk=recipient.pk)
        changed = [name for name, value in fields.items() if getattr(current, name) != value]
        if not changed:
            return current
        before = _recipient_snapshot(current, changed)
        for name in changed:
            setattr(current, name, fields[name])
        _recipient_validated(current)
        current.save()
        audit_record(
            actor=actor,
            action="report_recipient.changed",
            obj=current,
            reason=reason,
            before=before,
            after=_recipient_snapshot(current, changed),
        )
    return current


def recipient_delete(*, recipient: ReportRecipient, actor: Actor, reason: str = "") -> None:
    """Stop sending reports to someone (audit: report_recipient.deleted)."""
    with transaction.atomic():
        recipient = ReportRecipient.objects.get(pk=recipient.pk)
        audit_record(
            actor=actor,
            action="report_recipient.deleted",
            obj=recipient,
            reason=reason,
            before=_recipient_snapshot(recipient, RECIPIENT_SETTINGS),
        )
        recipient.delete()
