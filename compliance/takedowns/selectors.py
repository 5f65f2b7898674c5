"""Reads about removal requests, for the admin, the requester's pages and the jobs."""

import re
from dataclasses import dataclass
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


def request_covered_items(removal_request: RemovalRequest) -> QuerySet[Item]:
    """What the request's takedown keeps down: every item its scope covers, and whatever
    else is down on its account (a copy under another URL that its rules caught, an item
    handed over to it). The self-check asks each of these for its 451."""
    targeted = request_target_items(removal_request).values("pk")
    return Item.objects.filter(Q(pk__in=targeted) | Q(status_case=removal_request.reference))


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


# --- why an item is not shown (the 451 page and its API answer) -------------------------


@dataclass(frozen=True)
class Unavailability:
    """Why an item is not shown, in words that name no person and nothing of the content."""

    status: str  # "hidden" or "withheld"
    since: datetime
    cause: str  # "request", "rule", "licence", "staff" or "unknown"
    reference: str = ""
    ground: str = ""
    requested_by: str = ""  # the requester's role, never their name or address
    rule_kind: str = ""


def item_unavailability(item: Item) -> Unavailability:
    """The public explanation for a hidden or withheld item (see the 451 page)."""
    case = item.status_case or (item.status_rule.case if item.status_rule else "")
    request = RemovalRequest.objects.filter(reference=case).first() if case else None
    common = {"status": item.status, "since": item.status_changed_at}
    if request is not None:
        return Unavailability(
            **common,
            cause="request",
            reference=request.reference,
            ground=request.get_ground_display() if request.ground else "",
            requested_by=request.get_role_display() if request.role else "",
            rule_kind=item.status_rule.get_kind_display() if item.status_rule else "",
        )
    if item.status_rule is not None:
        return Unavailability(**common, cause="rule", rule_kind=item.status_rule.get_kind_display())
    if item.status == Item.Status.WITHHELD:
        basis = item.licence_basis
        # Without a basis an item is published with a note saying so: the licence can only
        # be the cause when there is a basis that was not in force.
        if basis is not None and not basis.is_valid_at(item.status_changed_at):
            return Unavailability(**common, cause="licence")
        return Unavailability(**common, cause="unknown")
    return Unavailability(**common, cause="staff")
