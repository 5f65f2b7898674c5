"""Staff pages for licence evidence: every reading with its snapshots and what changed
since the one before, each origin's watch (its policy), and the origin's and item's pages
extended with their current verdict and their evidence for a date. Readings and snapshots
are evidence: nobody adds, changes or deletes them here."""

from datetime import date

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from compliance.core.admin import ConfiguredAdmin, ReadOnly, StaffMayRead
from compliance.items import admin as items_admin
from compliance.items.models import Item, Origin

from . import configuration, selectors
from .models import LicenceCheck, LicenceWatch


@admin.register(LicenceCheck)
class LicenceCheckAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    list_display = ("checked_at", "origin", "item", "verdict", "narrowed_flag", "contradicts")
    list_filter = ("permission", "origin")
    list_select_related = ("origin", "item")
    search_fields = ("origin__domain", "verdict", "narrowed", "contradiction")
    date_hierarchy = "checked_at"
    fields = (
        "origin",
        "item",
        "checked_at",
        "basis_name",
        "permission",
        "verdict",
        "narrowed",
        "contradiction",
        "snapshot_table",
        "diff",
    )
    readonly_fields = fields

    @admin.display(description="narrowed", boolean=True)
    def narrowed_flag(self, check):
        return bool(check.narrowed)

    @admin.display(description="contradicts the basis", boolean=True)
    def contradicts(self, check):
        return bool(check.contradiction)

    @admin.display(description="snapshots")
    def snapshot_table(self, check):
        return render_to_string(
            "admin/licensing/snapshots.html", {"snapshots": check.snapshots.all()}
        )

    @admin.display(description="changes since the previous reading")
    def diff(self, check):
        previous = selectors.check_previous(check)
        return render_to_string(
            "admin/licensing/diff.html",
            {"previous": previous, "changes": selectors.checks_diff(previous, check)},
        )


@admin.register(LicenceWatch)
class LicenceWatchAdmin(ConfiguredAdmin):
    update_service = configuration.licence_watch_update
    instance_argument = "watch"
    fields = (
        "origin",
        "policy",
        "interval_hours",
        "next_check_at",
        "last_checked_at",
        "last_error",
    )
    readonly_fields = ("origin", "next_check_at", "last_checked_at", "last_error")
    list_display = ("origin", "policy", "interval_hours", "last_checked_at", "last_error")
    list_filter = ("policy",)
    list_select_related = ("origin",)

    def has_add_permission(self, request):
        return False  # each origin's watch is made when the origin is first read

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(Origin)


def _beside_basis(fields) -> tuple:
    """The origin's fields, with its signals' verdict right after the basis in force."""
    result = []
    for field in fields:
        result.append(field)
        if field == "licence_basis":
            result.append("licence_signals")
    return tuple(result)


@admin.register(Origin)
class OriginAdmin(items_admin.OriginAdmin):
    """The items app's origin page, with the licence signals beside the basis in force."""

    readonly_fields = (*items_admin.OriginAdmin.readonly_fields, "licence_signals")
    fieldsets = tuple(
        (name, {**options, "fields": _beside_basis(options["fields"])})
        for name, options in items_admin.OriginAdmin.fieldsets
    )

    @admin.display(description="licence signals (current verdict)")
    def licence_signals(self, origin):
        if not origin.pk:
            return "—"
        return render_to_string(
            "admin/licensing/origin_signals.html",
            {
                "origin": origin,
                "check": selectors.origin_current_check(origin),
                "watch": LicenceWatch.objects.filter(origin=origin).first(),
            },
        )


admin.site.unregister(Item)


@admin.register(Item)
class ItemAdmin(items_admin.ItemAdmin):
    """The items app's item page, with its licence evidence and a link to it for any date."""

    fieldsets = (
        *items_admin.ItemAdmin.fieldsets,
        ("Licence evidence", {"fields": ("licence_evidence",)}),
    )
    readonly_fields = [*items_admin.ItemAdmin.readonly_fields, "licence_evidence"]

    def get_urls(self):
        evidence = path(
            "<int:item_id>/licence-evidence/",
            self.admin_site.admin_view(self.evidence_view),
            name="items_item_licence_evidence",
        )
        return [evidence, *super().get_urls()]

    @admin.display(description="evidence")
    def licence_evidence(self, item):
        url = reverse("admin:items_item_licence_evidence", args=[item.pk])
        return format_html(
            '<a href="{}">Which basis applied on a date, and the snapshots that supported it</a>',
            url,
        )

    def evidence_view(self, request, item_id):
        item = get_object_or_404(Item.objects.select_related("origin", "licence_basis"), pk=item_id)
        error = ""
        try:
            on = date.fromisoformat(request.GET.get("at") or timezone.now().date().isoformat())
        except ValueError:
            on, error = timezone.now().date(), "Give the date as YYYY-MM-DD."
        context = {
            **self.admin_site.each_context(request),
            "title": f"Licence evidence: {item}",
            "item": item,
            "evidence": selectors.item_licence_evidence(item, on),
            "error": error,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/licensing/evidence.html", context)
