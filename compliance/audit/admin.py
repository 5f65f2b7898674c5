"""The audit trail in the admin: read-only for everyone, superusers included. Nobody can
add, change or delete an event here (the model and, on PostgreSQL, a trigger refuse it
too)."""

import json

from django.contrib import admin
from django.utils.html import format_html

from compliance.core.admin import ReadOnly, StaffMayRead

from .models import AuditEvent
from .wording import action_words, change_sentences


@admin.register(AuditEvent)
class AuditEventAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    list_display = ("at", "actor_name", "action_column", "object_repr", "case", "change", "reason")
    list_filter = ("action", "actor_kind")
    search_fields = ("action", "actor_name", "object_repr", "reason", "case")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    fields = (
        "at",
        "actor_kind",
        "actor_name",
        "actor_user",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "case",
        "reason",
        "change",
        "before_json",
        "after_json",
    )
    readonly_fields = fields

    @admin.display(description="action", ordering="action")
    def action_column(self, obj):
        return action_words(obj.action)

    @admin.display(description="change")
    def change(self, obj):
        return " ".join(change_sentences(obj.before, obj.after))

    @admin.display(description="before")
    def before_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.before, indent=2, ensure_ascii=False))

    @admin.display(description="after")
    def after_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.after, indent=2, ensure_ascii=False))
