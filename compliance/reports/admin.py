from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from compliance.core.actors import Actor
from compliance.core.admin import ConfiguredAdmin, ReadOnly, StaffMayRead
from compliance.core.permissions import user_may_decide

from . import services
from .models import ComplianceReport, DsaStatement, LumenNotice, ReportRecipient
from .public_records import public_record_rebuild


@admin.register(ComplianceReport)
class ComplianceReportAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    """Stored reports: read-only records of what was generated and sent."""

    change_list_template = "admin/reports/compliancereport/change_list.html"

    list_display = ["__str__", "kind", "generated_at", "delivered_at", "breach_count", "links"]
    list_filter = ["kind", ("delivered_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "start"
    fields = [
        "kind",
        "period_label",
        "time_zone",
        "start",
        "end",
        "generated_at",
        "delivered_at",
        "recipients",
        "message",
        "breach_count",
        "links",
    ]
    readonly_fields = fields
    actions = ["send"]

    @admin.display(description="Broken promises")
    def breach_count(self, report):
        breaches = report.breaches
        if breaches:
            return format_html('<strong style="color:#b91c1c">{}</strong>', breaches)
        return 0

    @admin.display(description="Report")
    def links(self, report):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">view</a> · '
            '<a href="{}">download CSV</a> · <a href="{}">JSON</a>',
            reverse("reports:report-html", args=[report.pk]),
            reverse("reports:report-csv", args=[report.pk]),
            reverse("reports:report-json", args=[report.pk]),
        )

    @admin.action(description="Send to the active recipients who have not received it")
    def send(self, request, queryset):
        sent = sum(
            bool(services.report_send(report_id=pk)) for pk in queryset.values_list("pk", flat=True)
        )
        level = messages.SUCCESS if sent else messages.WARNING
        self.message_user(
            request,
            f"{sent} report(s) sent; nobody receives a report twice, and none is sent "
            "without an active recipient.",
            level,
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("reports.change_compliancereport"):
            actions.pop("send", None)
        return actions


@admin.register(ReportRecipient)
class ReportRecipientAdmin(ConfiguredAdmin):
    create_service = services.recipient_create
    update_service = services.recipient_update
    instance_argument = "recipient"
    list_display = ["name", "email", "active", "daily", "weekly", "monthly"]
    list_editable = ["active", "daily", "weekly", "monthly"]
    list_filter = ["active"]
    search_fields = ["name", "email"]

    def delete_model(self, request, obj):
        services.recipient_delete(recipient=obj, actor=Actor.staff(request.user))

    def delete_queryset(self, request, queryset):
        for recipient in queryset:
            services.recipient_delete(recipient=recipient, actor=Actor.staff(request.user))


class PublicRecordAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    """Every record sent (or to send) to a public database, for a look across requests:
    the refused ones with their field errors, the ones waiting for a retry."""

    list_filter = ["state"]
    list_select_related = ["request"]
    search_fields = ["request__reference"]
    readonly_fields = ["payload", "errors", "last_error"]
    actions = ["rebuild"]

    def has_decide_permission(self, request):
        return user_may_decide(request.user)

    @admin.action(
        description="Make the refused ones again from their request and submit them",
        permissions=["decide"],
    )
    def rebuild(self, request, queryset):
        actor = Actor.staff(request.user)
        done = sum(
            public_record_rebuild(record=record, actor=actor) for record in queryset.order_by("pk")
        )
        self.message_user(
            request,
            f"{done} record(s) made again and due for submission; only refused ones are.",
            messages.SUCCESS if done else messages.WARNING,
        )

    @admin.display(description="request")
    def request_link(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:takedowns_removalrequest_change", args=[record.request_id]),
            record.request,
        )


@admin.register(DsaStatement)
class DsaStatementAdmin(PublicRecordAdmin):
    list_display = [
        "puid",
        "kind",
        "state",
        "request_link",
        "attempts",
        "created_at",
        "submitted_at",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["puid", "request__reference"]


@admin.register(LumenNotice)
class LumenNoticeAdmin(PublicRecordAdmin):
    list_display = ["__str__", "state", "request_link", "attempts", "location", "submitted_at"]
