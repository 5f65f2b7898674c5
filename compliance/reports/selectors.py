"""Reads for the report's recipients, the transparency page and the decision exports."""

from django.db.models import Count, F, Prefetch, Q

from compliance.takedowns.models import RemovalRequest, RemovalTarget

from .models import ReportRecipient

Status = RemovalRequest.Status


def report_recipient_emails(*, kind: str) -> list[str]:
    """The active recipients of reports of this kind (daily, weekly or monthly)."""
    return list(
        ReportRecipient.objects.filter(active=True, **{kind: True})
        .order_by("email")
        .values_list("email", flat=True)
    )


# --- transparency and exports ---------------------------------------------------------------

PUBLIC_STATUSES = (Status.COMPLETED, Status.REVERSED)
TITLES_SHOWN = 10


def transparency_requests():
    """Completed and reversed requests, newest first, with their item count and the
    first few item titles: three queries per page (count, page, titles) whatever the
    number of requests or items. Select only what the public page may show."""
    with_item = Q(targets__item__isnull=False)
    titles = (
        RemovalTarget.objects.filter(item__isnull=False)
        .select_related("item")
        .only("id", "request_id", "item__id", "item__title", "item__slug")
        .order_by("id")
    )
    return (
        RemovalRequest.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("origin")
        .only(
            "id",
            "reference",
            "status",
            "received_at",
            "completed_at",
            "closed_at",
            "ground",
            "scope",
            "future",
            "public_explanation",
            "origin__name",
            "origin__domain",
        )
        .annotate(item_count=Count("targets", filter=with_item))
        .prefetch_related(
            Prefetch("targets", queryset=titles[:TITLES_SHOWN], to_attr="shown_targets")
        )
        .order_by(F("completed_at").desc(nulls_last=True), "-id")
    )


def decision_for_export(*, request_id: int) -> RemovalRequest:
    """A request with what its public records are built from (targets and their items,
    its origin) in three queries."""
    return (
        RemovalRequest.objects.select_related("origin")
        .prefetch_related(
            Prefetch(
                "targets",
                queryset=RemovalTarget.objects.select_related("item__origin").order_by("id"),
            ),
        )
        .get(pk=request_id)
    )
