from celery import shared_task

from . import licence_warnings, public_records, services
from .periods import KINDS


@shared_task
def send_compliance_report(
    period: str = "weekly", recipients: list[str] | str | None = None
) -> None:
    """The beat entry point: report on the last full `period` (daily, weekly, monthly) in
    REPORT_TIME_ZONE and mail it. Running it twice for the same period sends nothing twice,
    so a late or repeated beat is harmless."""
    if period not in KINDS:
        raise ValueError(f"unknown period {period!r}: use one of {', '.join(KINDS)}")
    if isinstance(recipients, str):  # one address typed into the schedule's kwargs
        recipients = [recipients]
    services.report_run(kind=period, recipients=recipients or None)


@shared_task(acks_late=True)
def submit_public_records() -> dict:
    """Beat and every decision queue this: safe to run twice or at once (each record is
    leased by the run that sends it, and marked only while still due)."""
    return public_records.public_records_submit()


@shared_task
def warn_licences_expiring() -> int:
    """Beat job: mail the report's recipients about bases nearing expiry (once each)."""
    return len(licence_warnings.licences_expiring_warn())
