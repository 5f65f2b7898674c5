"""Login lockouts in the admin: who is locked out, and unlocking them (audited)."""

from axes.models import AccessAttempt
from django.contrib import admin, messages

from .lockout import lockout_lift


@admin.register(AccessAttempt)
class LoginLockoutAdmin(admin.ModelAdmin):
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    fields = readonly_fields = (*list_display, "user_agent", "path_info")
    actions = ("unlock",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Unlock (the user may sign in again)", permissions=["delete"])
    def unlock(self, request, queryset):
        attempts = list(queryset)
        for attempt in attempts:
            lockout_lift(attempt=attempt, user=request.user)
        self.message_user(request, f"Unlocked {len(attempts)} login(s).", messages.SUCCESS)
