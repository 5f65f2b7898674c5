"""Every mail in and out, read-only: the thread of a request as it was sent and received."""

from django.contrib import admin
from django.utils.html import format_html

from compliance.core.admin import ReadOnly, StaffMayRead

from .models import Message


@admin.register(Message)
class MessageAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "arrow", "subject", "case", "kind", "state", "recipient_list")
    list_filter = ("direction", "state", "kind")
    search_fields = ("subject", "sender", "message_id", "case")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "case",
        "direction",
        "kind",
        "state",
        "created_at",
        "sender",
        "recipient_list",
        "subject",
        "message_id",
        "in_reply_to",
        "references",
        "text_body",
        "html_source",
        "attachment_names",
        "raw_text",
        "kept_as",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    readonly_fields = fields

    @admin.display(description="")
    def arrow(self, obj):
        return "← in" if obj.direction == Message.Direction.IN else "→ out"

    @admin.display(description="to")
    def recipient_list(self, obj):
        return ", ".join(obj.recipients)

    @admin.display(description="HTML body (source)")
    def html_source(self, obj):
        # Shown as source, never rendered: an incoming mail's HTML is not trusted.
        return format_html('<pre style="white-space: pre-wrap;">{}</pre>', obj.html_body)

    @admin.display(description="attachments")
    def attachment_names(self, obj):
        return ", ".join(a.get("filename", "?") for a in obj.attachments) or "—"

    @admin.display(description="as received")
    def raw_text(self, obj):
        if not obj.raw:
            return "—"
        return format_html(
            '<pre style="white-space: pre-wrap;">{}</pre>',
            bytes(obj.raw).decode("utf-8", errors="replace"),
        )
