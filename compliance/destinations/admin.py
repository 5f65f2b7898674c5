from django.contrib import admin, messages

from compliance.core.actors import Actor
from compliance.core.admin import ConfiguredAdmin, ReadOnly, StaffMayRead

from . import configuration
from .models import Delivery, Destination
from .services import deliveries_retry


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
    actions = ["retry"]

    def has_retry_permission(self, request):
        return Actor.staff(request.user).may_decide

    @admin.action(description="Retry the selected failed deliveries", permissions=["retry"])
    def retry(self, request, queryset):
        retried = deliveries_retry(actor=Actor.staff(request.user), deliveries=queryset)
        self.message_user(
            request, f"{retried} failed delivery(ies) will be sent again.", messages.SUCCESS
        )
