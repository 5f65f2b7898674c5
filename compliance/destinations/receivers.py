"""What destinations does when a lower app signals a change."""

from django.conf import settings

from .models import Delivery, Destination
from .services import deliveries_notify
from .tasks import deliveries_queue_on_commit

# A notification names at most this many items; a larger change gives the count.
ITEMS_NAMED = 10_000


def notify_item_status(sender, *, rows, from_status, to_status, at, case, reason, **kwargs):
    """Tell the webhooks of every item status change, whoever made it (a takedown, staff,
    the licence or stay-down jobs): one notification per change, in its transaction."""
    if not Destination.objects.filter(enabled=True, kind=Destination.Kind.WEBHOOK).exists():
        return
    items = list(rows.order_by("pk").values("id", "slug", "origin_id")[:ITEMS_NAMED])
    payload = {
        "from": from_status,
        "to": to_status,
        "at": at.isoformat(),
        "reason": reason,
        "count": rows.count() if len(items) == ITEMS_NAMED else len(items),
        "items": [
            {
                "id": item["id"],
                "url": f"{settings.SITE_URL}/items/{item['slug']}/",
                "origin": item["origin_id"],
            }
            for item in items
        ],
    }
    change = f"{from_status}->{to_status}@{at.isoformat()}"
    if deliveries_notify(
        event=Delivery.Event.ITEM_STATUS, case=case, change=change, payload=payload
    ):
        deliveries_queue_on_commit(case=case, event=Delivery.Event.ITEM_STATUS)
