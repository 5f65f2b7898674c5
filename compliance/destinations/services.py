"""Carrying events out at the destinations: the outbox rows (written in the transaction of
the change), each attempt (claimed, sent, recorded and audited) and the outcome a takedown
waits for.

An attempt claims its row with a conditional update (attempts unchanged, due now) before
it sends anything, so two workers never send one delivery at once; a worker that dies
mid-send leaves the row due again after DELIVERY_LEASE_SECONDS.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor

from .keys import event_keys
from .models import Delivery, Destination
from .signals import delivery_settled
from .transports import DeliveryError, deliver

logger = logging.getLogger("compliance.destinations")

JOB = Actor.system("destinations")
Event = Delivery.Event
State = Delivery.State
# Which kinds carry which events: every kind carries takedowns and restorations; only
# webhooks hear of every status change.
NOTIFICATION_EVENTS = {Event.ITEM_STATUS, Event.REQUEST_STATUS}


def _items_payload(event: str, case: str, items: list[dict]) -> dict:
    """What every destination needs of a takedown or restoration of `items` (dicts with
    id, slug, origin_id, status)."""
    from compliance.items.sitemap_pages import sitemap_page_of, sitemap_page_path

    ids = [item["id"] for item in items]
    item_paths = [f"/items/{item['slug']}/" for item in items]
    pages = sorted({sitemap_page_of(pk) for pk in ids})
    return {
        "type": event,
        "case": case,
        "items": [
            {
                "id": item["id"],
                "url": f"{settings.SITE_URL}/items/{item['slug']}/",
                "status": item["status"],
                "origin": item["origin_id"],
            }
            for item in items
        ],
        "keys": event_keys(ids, restoration=event == Event.RESTORATION),
        "item_paths": item_paths,
        "sitemap_pages": pages,
        # For caches purged URL by URL: the pages, the first list page, the feed and the
        # sitemap pages the items are on.
        "paths": [*item_paths, "/", "/feed/", *[sitemap_page_path(p) for p in pages]],
    }


def deliveries_open(*, event: str, case: str, items) -> int:
    """Outbox rows for a takedown or restoration of `items` (a queryset) at every enabled
    destination, once per destination and case. Call in the transaction of the change;
    queue the attempts after commit (destinations_deliver_on_commit)."""
    assert event in (Event.TAKEDOWN, Event.RESTORATION)
    rows = list(items.order_by("pk").values("id", "slug", "origin_id", "status"))
    destinations = list(Destination.objects.filter(enabled=True).order_by("pk"))
    if not rows or not destinations:
        return 0
    payload = _items_payload(event, case, rows)
    created = Delivery.objects.bulk_create(
        [Delivery(destination=d, event=event, case=case, payload=payload) for d in destinations],
        ignore_conflicts=True,
    )
    return len(created)


def deliveries_notify(*, event: str, case: str, change: str, payload: dict) -> int:
    """A status change for the webhooks (outbox rows, in the change's transaction)."""
    assert event in NOTIFICATION_EVENTS
    hooks = Destination.objects.filter(enabled=True, kind=Destination.Kind.WEBHOOK)
    created = Delivery.objects.bulk_create(
        [
            Delivery(
                destination=hook,
                event=event,
                case=case,
                change=change[:100],
                payload={"type": event, "case": case, **payload},
            )
            for hook in hooks.order_by("pk")
        ],
        ignore_conflicts=True,
    )
    return len(created)


def _retry_delay(attempts: int) -> timedelta:
    base = settings.DELIVERY_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** (attempts - 1), settings.DELIVERY_RETRY_MAX_SECONDS))


def delivery_attempt(*, delivery_id: int) -> str:
    """Send one delivery if it is due: acknowledged, retried later with back-off, or
    failed for good after DELIVERY_MAX_ATTEMPTS. Returns the state it is left in ("busy"
    if another attempt holds it, "not due")."""
    now = timezone.now()
    delivery = Delivery.objects.select_related("destination").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != State.PENDING:
        return delivery.state if delivery else "missing"
    claimed = Delivery.objects.filter(
        pk=delivery.pk,
        state=State.PENDING,
        attempts=delivery.attempts,
        next_attempt_at__lte=now,
    ).update(
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
    )
    if not claimed:
        return "busy"
    delivery.attempts += 1
    try:
        outcome = deliver(delivery.destination, {**delivery.payload, "delivery": delivery.pk})
        error = ""
    except DeliveryError as exc:
        outcome, error = "", str(exc)
    except Exception as exc:  # a bug in a transport must not leave the row claimed
        logger.exception("delivery %s", delivery.pk)
        outcome, error = "", f"{type(exc).__name__}: {exc}"
    settled = _record(delivery, outcome=outcome, error=error)
    if settled:
        delivery_settled.send(sender=Delivery, delivery=delivery)
    return delivery.state


def _record(delivery: Delivery, *, outcome: str, error: str) -> bool:
    """Store and audit one attempt's result; True when the delivery is settled."""
    now = timezone.now()
    if not error:
        delivery.state, delivery.acknowledged_at = State.ACKNOWLEDGED, now
        delivery.last_response = outcome[:2000]
        action, reason = "delivery.acknowledged", outcome
    elif delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        delivery.state, delivery.last_response = State.FAILED, error[:2000]
        action, reason = "delivery.failed", f"gave up after {delivery.attempts} attempts: {error}"
    else:
        delivery.next_attempt_at = now + _retry_delay(delivery.attempts)
        delivery.last_response = error[:2000]
        action = "delivery.retrying"
        reason = (
            f"attempt {delivery.attempts} failed: {error}; "
            f"next at {delivery.next_attempt_at:%H:%M:%S}"
        )
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=delivery.state,
            acknowledged_at=delivery.acknowledged_at,
            last_response=delivery.last_response,
            next_attempt_at=delivery.next_attempt_at,
        )
        audit_record(
            actor=JOB,
            action=action,
            obj=delivery,
            reason=reason[:2000],
            after={
                "destination": delivery.destination.name,
                "event": delivery.event,
                "attempts": delivery.attempts,
                "state": delivery.state,
            },
            case=delivery.case,
        )
    return delivery.state != State.PENDING


def deliveries_attempt_due(*, case: str = "", event: str = "") -> int:
    """Attempt every due delivery (of one case and event, if given). Returns how many
    were attempted."""
    due = Delivery.objects.due()
    if case:
        due = due.filter(case=case)
    if event:
        due = due.filter(event=event)
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:500])
    for delivery_id in ids:
        delivery_attempt(delivery_id=delivery_id)
    return len(ids)


@dataclass
class Outcome:
    """Where a takedown (or restoration) stands at its destinations."""

    acknowledged: list[Delivery] = field(default_factory=list)
    pending: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not self.pending

    def as_audit(self) -> dict:
        return {
            state: [f"{d.destination.name}: {d.last_response}" for d in deliveries]
            for state, deliveries in (
                ("acknowledged", self.acknowledged),
                ("pending", self.pending),
                ("failed", self.failed),
            )
            if deliveries
        }


def deliveries_outcome(*, case: str, event: str) -> Outcome:
    outcome = Outcome()
    rows = Delivery.objects.filter(case=case, event=event).select_related("destination")
    for delivery in rows.order_by("destination__name"):
        {
            State.ACKNOWLEDGED: outcome.acknowledged,
            State.PENDING: outcome.pending,
            State.FAILED: outcome.failed,
        }[delivery.state].append(delivery)
    return outcome


def edge_destinations() -> list[Destination]:
    """The enabled edge caches: the self-check reads through each."""
    from .models import EDGE_KINDS

    return list(Destination.objects.filter(enabled=True, kind__in=EDGE_KINDS).order_by("name"))


def deliveries_retry(*, actor: Actor, deliveries) -> int:
    """Staff fixed a destination: its failed deliveries start over (audited each); the
    sweep sends them, and a takedown waiting on them carries on once they settle."""
    actor.check_may_decide("retry deliveries")
    retried = 0
    for delivery in deliveries.filter(state=State.FAILED).select_related("destination"):
        with transaction.atomic():
            claimed = Delivery.objects.filter(pk=delivery.pk, state=State.FAILED).update(
                state=State.PENDING, attempts=0, next_attempt_at=timezone.now()
            )
            if not claimed:
                continue
            audit_record(
                actor=actor,
                action="delivery.retried",
                obj=delivery,
                reason=f"retried by staff after: {delivery.last_response}"[:2000],
                case=delivery.case,
            )
            retried += 1
    return retried
