"""The abuse side of the admin: the trusted flaggers' list officers keep, and the sender
warnings and suspensions (issued by compliance.takedowns.abuse, lifted here by an officer
with a reason)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from compliance.core.admin import ReadOnly, StaffMayRead
from compliance.core.admin_actions import form_action
from compliance.core.permissions import user_may_decide

from . import abuse
from .models import SenderMeasure, TrustedFlagger


@admin.register(TrustedFlagger)
class TrustedFlaggerAdmin(StaffMayRead, admin.ModelAdmin):
    list_display = ("organisation", "addresses", "domains", "active")
    list_filter = ("active",)
    search_fields = ("organisation", "addresses", "domains")

    def has_delete_permission(self, request, obj=None):
        return False  # requests point at it: make it inactive instead

    def save_model(self, request, obj, form, change):
        abuse.trusted_flagger_save(flagger=obj, user=request.user, changed=form.changed_data)


class InForceFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", "In force"), ("no", "Lifted or over")]

    def queryset(self, request, queryset):
        in_force = SenderMeasure.objects.in_force().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=in_force)
        if self.value() == "no":
            return queryset.exclude(pk__in=in_force)
        return queryset


@admin.register(SenderMeasure)
class SenderMeasureAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    list_display = ("sender", "kind", "issued_at", "ends_at", "in_force_column", "lifted_at")
    list_filter = (InForceFilter, "kind")
    search_fields = ("sender", "case")
    actions = ("lift",)

    @admin.display(description="in force", boolean=True)
    def in_force_column(self, obj):
        return obj.in_force

    def has_lift_permission(self, request):
        return user_may_decide(request.user)

    @admin.action(description="Lift (with a reason)…", permissions=["lift"])
    def lift(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="lift",
            title="Lift sender measures",
            intro="The sender may file again at once (a lifted warning no longer leads to a "
            "suspension). The reason is recorded in the audit trail.",
            submit_label="Lift",
            refused=(ValueError, PermissionDenied),
            apply=lambda measure, data: abuse.sender_measure_lift(
                measure=measure, user=request.user, reason=data["reason"]
            ),
        )
