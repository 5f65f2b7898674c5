"""The staff queue's list filters: open requests by default, what needs attention (a
failed self-check, a delivery that failed at a destination), what is overdue."""

from datetime import timedelta

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from compliance.destinations.models import Delivery

from .models import OPEN_STATUSES
from .processing import SELF_CHECK_FAILED

SOON = timedelta(hours=24)


def delivery_failed() -> Exists:
    """The request has a delivery (to an edge cache, IndexNow, a webhook) that failed after
    its retries. Staff retrying it sets it back to pending, so only standing failures count."""
    failed = Delivery.objects.filter(case=OuterRef("reference"), state=Delivery.State.FAILED)
    return Exists(failed)


class QueueFilter(admin.SimpleListFilter):
    """Open requests by default; "All" shows closed ones too. Choosing a status shows
    requests of that status whatever this filter says."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("all", "All")]

    def choices(self, changelist):
        showing_a_status = "status__exact" in changelist.params
        current = self.value() or ("all" if showing_a_status else "open")
        for value, label in self.lookup_choices:
            # "Open" is the default, so its link drops the parameter; either link drops a
            # chosen status, which would otherwise contradict it.
            new_params = {} if value == "open" else {self.parameter_name: value}
            remove = ["status__exact"] + ([self.parameter_name] if value == "open" else [])
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string(new_params, remove=remove),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == "all" or (self.value() is None and "status__exact" in request.GET):
            return queryset
        # A closed request that needs a person (a reply during a counter-notice's wait, a
        # failed mail) belongs in the working queue too.
        return queryset.filter(Q(status__in=OPEN_STATUSES) | ~Q(attention_needed=""))


class AttentionFilter(admin.SimpleListFilter):
    title = "attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [
            ("yes", "Needs attention"),
            ("self_check", "Self-check failed"),
            ("delivery_failed", "Delivery to a destination failed"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(attention_needed="")
        if self.value() == "self_check":
            return queryset.filter(attention_needed__contains=SELF_CHECK_FAILED)
        if self.value() == "delivery_failed":
            return queryset.filter(delivery_failed())
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("24h", "Due within 24 hours"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        now = timezone.now()
        overdue = Q(status__in=OPEN_STATUSES, due_at__lt=now)
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "24h":
            return queryset.filter(status__in=OPEN_STATUSES, due_at__gte=now, due_at__lt=now + SOON)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset
