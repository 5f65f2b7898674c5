"""What the Transparency Database and Lumen clients share: claiming due records, back-off,
and one HTTP session with a timeout.

A run claims each record with a conditional UPDATE that moves its `next_attempt_at` past
now (a lease): a second run, or a concurrent one, skips it. A record is then marked with a
conditional UPDATE too (`state = due`), so a late answer never overwrites a later one.
"""

from datetime import timedelta

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import PublicRecordState

LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
USER_AGENT = "courtesy-public-records/0.1"


def submission_on(url: str, token: str) -> bool:
    return bool(settings.PUBLIC_RECORDS_SUBMIT and url and token)


def claim_due(model, *, now, limit: int) -> list:
    """Up to `limit` due records whose time has come, oldest first, each leased to us."""
    due = model.objects.filter(state=PublicRecordState.DUE).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    claimed = []
    for pk in due.order_by("created_at", "id").values_list("pk", flat=True)[:limit]:
        if due.filter(pk=pk).update(next_attempt_at=now + LEASE):
            claimed.append(pk)
    return list(model.objects.filter(pk__in=claimed).order_by("created_at", "id"))


def retry_delay(attempts: int, retry_after: str | None = None) -> timedelta:
    """Doubling from a minute to six hours; a server's Retry-After (seconds) if longer."""
    delay = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, min(timedelta(seconds=int(retry_after)), LONGEST_RETRY))
    return delay


def mark(record, **changes) -> bool:
    """Record an outcome on a record still due; False if something else settled it."""
    return bool(
        type(record).objects.filter(pk=record.pk, state=PublicRecordState.DUE).update(**changes)
    )


def mark_retry(record, *, error: str, retry_after: str | None = None, **changes) -> None:
    attempts = record.attempts + 1
    mark(
        record,
        attempts=attempts,
        last_error=error[:2000],
        next_attempt_at=timezone.now() + retry_delay(attempts, retry_after),
        **changes,
    )


def session(headers: dict) -> requests.Session:
    http = requests.Session()
    http.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json", **headers})
    return http


def timeout() -> int:
    return settings.PUBLIC_RECORDS_TIMEOUT_SECONDS


def answer_json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def describe(response) -> str:
    return f"HTTP {response.status_code}: {response.text[:500]}"
