"""Submitting notices to Lumen: `POST /notices` with `{"notice": {...}}` and the
token in `X-Authentication-Token`, one notice per call. 201 answers with the notice's
address in `Location`, which is kept; 4xx other than 429 refuses it (errors kept for
staff); 429, 5xx and no answer are tried again later with back-off."""

import requests
from django.conf import settings
from django.utils import timezone

from . import record_clients as rc
from .models import LumenNotice

PER_RUN = 200


def configured() -> bool:
    return rc.submission_on(settings.LUMEN_API_URL, settings.LUMEN_API_TOKEN)


def lumen_notices_submit(*, now=None) -> int:
    if not configured():
        return 0
    http = rc.session(
        {"X-Authentication-Token": settings.LUMEN_API_TOKEN, "Content-Type": "application/json"}
    )
    submitted = 0
    for notice in rc.claim_due(LumenNotice, now=now or timezone.now(), limit=PER_RUN):
        submitted += _submit(http, notice)
    return submitted


def _submit(http, notice: LumenNotice) -> int:
    try:
        response = http.post(
            f"{settings.LUMEN_API_URL}/notices",
            json={"notice": notice.payload["notice"]},
            timeout=rc.timeout(),
        )
    except requests.RequestException as exc:
        rc.mark_retry(notice, error=f"no answer: {exc}")
        return 0
    if response.status_code == 201:
        return int(
            rc.mark(
                notice,
                state=LumenNotice.State.SUBMITTED,
                submitted_at=timezone.now(),
                location=response.headers.get("Location", "")[:500],
                last_error="",
                attempts=notice.attempts + 1,
            )
        )
    if response.status_code == 429 or response.status_code >= 500:
        rc.mark_retry(
            notice, error=rc.describe(response), retry_after=response.headers.get("Retry-After")
        )
        return 0
    if response.status_code in (401, 403):
        rc.mark_retry(notice, error=rc.describe(response))  # a token problem: staff fix it
        return 0
    body = rc.answer_json(response)
    rc.mark(
        notice,
        state=LumenNotice.State.REFUSED,
        errors=body.get("errors") or body or {"": [rc.describe(response)]},
        attempts=notice.attempts + 1,
    )
    return 0
