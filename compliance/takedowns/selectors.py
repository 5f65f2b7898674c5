"""Reads about removal requests, for the admin, the requester's pages and the jobs."""

import re
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.items.models import Item

from .models import RemovalRequest, RemovalTarget

# The audit actions that change a request's status, in the order of the state machine.
STATUS_ACTIONS = tuple(f"request.{status}" for status in RemovalRequest.Status.values)
# "[TD-2026-00042]" in a subject (or anywhere in a text): replies come back to their request.
REFERENCE_RE = re.compile(r"\bTD-\d{4}-\d{5,}\b")


def requests_open() -> QuerySet[RemovalRequest]:
    """Open requests, the nearest deadline first."""
    return RemovalRequest.objects.open().order_by("due_at", "id")


def requests_overdue(now: datetime | None = None) -> QuerySet[RemovalRequest]:
    """Open requests whose deadline has passed, the most overdue first."""
    return RemovalRequest.objects.overdue(now or timezone.now()).order_by("due_at", "id")


def request_for_reference(text: str) -> RemovalRequest | None:
    """The request whose reference appears in `text` (a mail subject, say), if any."""
    for reference in REFERENCE_RE.findall(text or ""):
        found = RemovalRequest.objects.filter(reference=reference).first()
        if found:
            return found
    return None


def request_target_items(removal_request: RemovalRequest) -> QuerySet[Item]:
    """Every item the request covers, as one lazy query (fit for a set-based update).

    Scope "items": the resolved items, and any copy of them under the same original URL.
    Scope "author": those, plus everything by their authors at their origins.
    Scope "origin": everything of their origins (or of the request's origin when staff set
    one and no URL resolved).
    """
    targeted = Item.objects.filter(
        removal_targets__request=removal_request, removal_targets__item__isnull=False
    )
    same_url = Q(url_key__in=targeted.exclude(url_key="").values("url_key"))
    covered = Q(pk__in=targeted.values("pk")) | same_url
    scope = removal_request.scope
    if scope == RemovalRequest.Scope.AUTHOR:
        same_author = targeted.exclude(author_key="").filter(
            origin=OuterRef("origin"), author_key=OuterRef("author_key")
        )
        return Item.objects.filter(covered | Q(Exists(same_author)))
    if scope == RemovalRequest.Scope.ORIGIN:
        origins = Q(origin__in=targeted.values("origin"))
        if removal_request.origin_id:
            origins |= Q(origin=removal_request.origin_id)
        return Item.objects.filter(origins)
    return Item.objects.filter(covered)


def request_targets(removal_request: RemovalRequest) -> QuerySet[RemovalTarget]:
    """The URLs as given, each with its item (None: unknown), for staff and the requester."""
    return removal_request.targets.select_related("item", "item__origin").order_by("id")


def request_status_history(removal_request: RemovalRequest) -> list[dict]:
    """What the requester may see of the request's history: each status it reached and
    when. Never who acted, why, staff notes, or anything about other people."""
    events = (
        AuditEvent.objects.for_object(removal_request)
        .filter(action__in=STATUS_ACTIONS)
        .order_by("at", "id")
        .values_list("action", "at")
    )
    labels = dict(RemovalRequest.Status.choices)
    history = []
    for action, at in events:
        status = action.removeprefix("request.")
        history.append({"status": status, "label": labels[status], "at": at})
    return history


def request_thread(removal_request: RemovalRequest):
    """Every message in and out of the request, oldest first."""
    return removal_request.messages.order_by("created_at", "id")


def request_first_message(removal_request: RemovalRequest):
    """The message a reply should thread on: the first one with a Message-ID."""
    return request_thread(removal_request).exclude(message_id="").first()
