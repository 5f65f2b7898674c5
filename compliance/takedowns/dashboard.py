"""What the staff dashboard (the admin's index) counts, each with the queue link that lists
exactly those requests. Every count comes from one aggregate query, whatever the data's
size; the links use the queue's own filters (admin_filters), so a count and the list it
opens cannot disagree."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.wording import action_words
from compliance.destinations.models import Delivery

from .admin_filters import SOON, delivery_failed
from .models import OPEN_STATUSES, RemovalRequest, SenderMeasure
from .processing import SELF_CHECK_FAILED

RECENT_EVENTS = 12


@dataclass(frozen=True)
class Figure:
    label: str
    count: int
    url: str
    alert: bool = False  # shown in red when not zero


def _queue(**params) -> str:
    url = reverse("admin:takedowns_removalrequest_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def dashboard(*, user, now=None) -> dict:
    now = now or timezone.now()
    is_open = Q(status__in=OPEN_STATUSES)
    in_queue = is_open | ~Q(attention_needed="")
    counts = RemovalRequest.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in OPEN_STATUSES},
        in_queue=Count("pk", filter=in_queue),
        overdue=Count("pk", filter=is_open & Q(due_at__lt=now)),
        due_soon=Count("pk", filter=is_open & Q(due_at__gte=now, due_at__lt=now + SOON)),
        attention=Count("pk", filter=~Q(attention_needed="")),
        # Over the working queue (admin_filters.QueueFilter): open, or flagged for a person.
        mine=Count("pk", filter=in_queue & Q(assignee=user)),
        unassigned=Count("pk", filter=in_queue & Q(assignee__isnull=True)),
        self_check_failed=Count("pk", filter=Q(attention_needed__contains=SELF_CHECK_FAILED)),
        delivery_failed=Count("pk", filter=delivery_failed()),
    )
    failed_deliveries = Delivery.objects.filter(state=Delivery.State.FAILED).count()
    labels = dict(RemovalRequest.Status.choices)
    by_status = [
        Figure(labels[status], counts[status], _queue(status__exact=status))
        for status in OPEN_STATUSES
    ]
    deadlines = [
        Figure("Overdue", counts["overdue"], _queue(overdue="yes"), alert=True),
        Figure("Due within 24 hours", counts["due_soon"], _queue(overdue="24h")),
        Figure("Flagged for attention", counts["attention"], _queue(attention="yes"), alert=True),
        Figure("Assigned to me", counts["mine"], _queue(assignee__id__exact=user.pk)),
        Figure("Unassigned", counts["unassigned"], _queue(assignee__isnull="True")),
    ]
    failures = [
        Figure(
            "Failed self-checks",
            counts["self_check_failed"],
            _queue(attention="self_check"),
            alert=True,
        ),
        # From the delivery log, not the attention flag: a retry clears it at once, and a
        # closed request's failed webhook notification counts too.
        Figure(
            "Requests with failed deliveries",
            counts["delivery_failed"],
            _queue(queue="all", attention="delivery_failed"),
            alert=True,
        ),
        # The delivery log, where staff retry them once the destination is fixed.
        Figure(
            "Failed deliveries",
            failed_deliveries,
            reverse("admin:destinations_delivery_changelist") + "?state__exact=failed",
            alert=True,
        ),
    ]
    measures = SenderMeasure.objects.in_force(now)
    recent = [
        (event, action_words(event.action))
        for event in AuditEvent.objects.order_by("-at", "-id")[:RECENT_EVENTS]
    ]
    return {
        "in_queue": counts["in_queue"],
        "by_status": by_status,
        "deadlines": deadlines,
        "failures": failures,
        "measures": list(measures.order_by("-issued_at")[:10]),
        "measures_count": measures.count(),
        "measures_url": reverse("admin:takedowns_sendermeasure_changelist") + "?in_force=yes",
        "recent": recent,
        "audit_url": reverse("admin:audit_auditevent_changelist"),
        "queue_url": _queue(),
    }
