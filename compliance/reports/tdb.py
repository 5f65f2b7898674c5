"""Submitting statements of reasons to the DSA Transparency Database (API v1 endpoints,
statement fields of v2): `POST /api/v1/statements` with `{"statements": [...]}`, at most
100 per call, all or nothing.

- 201: every statement was created; each answer carries its `id` and `uuid`.
- 422: none was created; `errors` is keyed `statement_<index>`. Those statements are
  refused with their field errors (shown to staff); the others are sent again at once,
  without them. A statement refused only because its puid exists is already in the
  database: it is marked submitted.
- a timeout: the database may have stored the batch. Before sending one of those again,
  `GET /api/v1/statement/existing-puid/<puid>` (302 found, 404 not) tells.
- 429 and 5xx (and a connection failure): tried again later, with back-off.
"""

import re

import requests
from django.conf import settings
from django.utils import timezone

from . import record_clients as rc
from .models import DsaStatement

BATCH = 100
BATCHES_PER_RUN = 20
NOT_UNIQUE = "not unique"
STATEMENT_KEY = re.compile(r"^statement_(\d+)$")


def configured() -> bool:
    return rc.submission_on(settings.DSA_TDB_API_URL, settings.DSA_TDB_API_TOKEN)


def _http():
    return rc.session(
        {
            "Authorization": f"Bearer {settings.DSA_TDB_API_TOKEN}",
            "Content-Type": "application/json",
        }
    )


def dsa_statements_submit(*, now=None) -> int:
    """Send the due statements; returns how many were submitted in this run."""
    if not configured():
        return 0
    submitted = 0
    http = _http()
    for _ in range(BATCHES_PER_RUN):
        batch = rc.claim_due(DsaStatement, now=now or timezone.now(), limit=BATCH)
        if not batch:
            break
        submitted += _submit_batch(http, batch)
    return submitted


def _submitted(statement, found: dict) -> bool:
    return rc.mark(
        statement,
        state=DsaStatement.State.SUBMITTED,
        submitted_at=timezone.now(),
        tdb_id=str(found.get("id") or "")[:40],
        tdb_uuid=str(found.get("uuid") or "")[:40],
        uncertain=False,
        last_error="",
        errors={},
        attempts=statement.attempts + 1,
    )


def _existing(http, statement) -> dict | None:
    """The database's copy of this puid, None if it has none; raises on any other answer."""
    url = f"{settings.DSA_TDB_API_URL}/api/v1/statement/existing-puid/{statement.puid}"
    response = http.get(url, timeout=rc.timeout(), allow_redirects=False)
    if response.status_code == 404:
        return None
    if response.status_code == 302:
        return rc.answer_json(response)
    raise requests.HTTPError(rc.describe(response), response=response)


def _submit_batch(http, batch: list[DsaStatement]) -> int:
    submitted = 0
    pending = []
    for statement in batch:
        if not statement.uncertain:
            pending.append(statement)
            continue
        try:
            found = _existing(http, statement)
        except requests.RequestException as exc:
            rc.mark_retry(statement, error=f"checking whether it was stored: {exc}")
            continue
        if found is None:
            pending.append(statement)
        elif _submitted(statement, found):
            submitted += 1
    while pending:
        try:
            response = http.post(
                f"{settings.DSA_TDB_API_URL}/api/v1/statements",
                json={"statements": [statement.payload for statement in pending]},
                timeout=rc.timeout(),
            )
        except requests.RequestException as exc:
            # Sent or not, we cannot know: ask the database before sending again.
            for statement in pending:
                rc.mark_retry(statement, error=f"no answer: {exc}", uncertain=True)
            return submitted
        if response.status_code in (200, 201):
            created = rc.answer_json(response).get("statements") or []
            by_puid = {row.get("puid"): row for row in created if isinstance(row, dict)}
            for statement in pending:
                submitted += _submitted(statement, by_puid.get(statement.puid, {}))
            return submitted
        if response.status_code == 422:
            pending, settled = _refused(http, pending, rc.answer_json(response))
            submitted += settled
            continue
        retry_after = response.headers.get("Retry-After")
        for statement in pending:
            rc.mark_retry(statement, error=rc.describe(response), retry_after=retry_after)
        return submitted
    return submitted


def _refused(http, pending, body: dict) -> tuple[list, int]:
    """Settle the statements a 422 names; return the others (to send again) and how many
    of those named turned out to be in the database already."""
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
    named = {}
    for key, fields in errors.items():
        match = STATEMENT_KEY.match(str(key))
        if match and int(match.group(1)) < len(pending):
            named[int(match.group(1))] = fields if isinstance(fields, dict) else {"": fields}
    if not named:
        # Not about one statement (the whole call was malformed): nothing can be sent as is.
        for statement in pending:
            rc.mark(
                statement,
                state=DsaStatement.State.REFUSED,
                errors=errors or {"": [body.get("message") or "refused"]},
                attempts=statement.attempts + 1,
            )
        return [], 0
    settled = 0
    for index, fields in named.items():
        statement = pending[index]
        if _only_duplicate_puid(fields):
            found = _lookup_quietly(http, statement)
            settled += _submitted(statement, found or {})
            continue
        rc.mark(
            statement,
            state=DsaStatement.State.REFUSED,
            errors=fields,
            attempts=statement.attempts + 1,
            uncertain=False,
        )
    return [s for i, s in enumerate(pending) if i not in named], settled


def _only_duplicate_puid(fields: dict) -> bool:
    messages = fields.get("puid") or []
    return set(fields) == {"puid"} and all(NOT_UNIQUE in str(m) for m in messages)


def _lookup_quietly(http, statement) -> dict | None:
    try:
        return _existing(http, statement)
    except requests.RequestException:
        return None
