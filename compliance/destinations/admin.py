from django.contrib import admin

from compliance.core.admin import ConfiguredAdmin, ReadOnly, StaffMayRead

from . import configuration
from .models import Delivery, Destination


@admin.register(Destination)
class DestinationAdmin(ConfiguredAdmin):
    create_service = configuration.destination_create
    update_service = configuration.destination_update
    instance_argument = "destination"
    list_display = ("name", "kind", "url", "enabled", "from_environment")
    list_filter = ("kind", "enabled")
    fields = ("name", "kind", "url", "secret", "enabled")

    def has_delete_permission(self, request, obj=None):
        return False  # its deliveries are the record: disable it instead


@admin.register(Delivery)
class DeliveryAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    """The delivery log: every event sent to every destination, with its last answer."""

    list_display = (
        "created_at",
        "destination",
        "event",
        "case",
        "state",
        "attempts",
        "acknowledged_at",
        "last_response",
    )
    list_filter = ("state", "event", "destination")
    search_fields = ("case", "change")
    readonly_fields = [f.name for f in Delivery._meta.fields]
