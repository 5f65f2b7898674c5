"""The staff queue of counter-notices sent through the public form: verified ones wait here
for an officer to accept (forward to the requester, start the clock) or decline them."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from compliance.core.admin import ReadOnly, StaffMayRead
from compliance.core.admin_actions import form_action
from compliance.core.permissions import user_may_decide

from .counter_intake import counter_notice_accept, counter_notice_decline
from .models import CounterNoticeSubmission
from .state import TransitionError


@admin.register(CounterNoticeSubmission)
class CounterNoticeSubmissionAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    list_display = ("__str__", "status", "received_at", "verified_at", "item", "decided_at")
    list_filter = ("status",)
    list_select_related = ("request", "item")
    search_fields = ("name", "email", "request__reference")
    ordering = ("status", "received_at")
    actions = ("accept", "decline")
    exclude = ("token",)

    def has_decide_permission(self, request):
        return user_may_decide(request.user)

    @admin.action(
        description="Accept: forward to the requester and start the clock", permissions=["decide"]
    )
    def accept(self, request, queryset):
        done = 0
        for submission in queryset:
            try:
                counter_notice_accept(submission=submission, user=request.user)
                done += 1
            except (TransitionError, PermissionDenied, ValueError) as error:
                self.message_user(request, f"{submission}: {error}", messages.ERROR)
        self.message_user(request, f"Accepted and forwarded: {done}.", messages.SUCCESS)

    @admin.action(description="Decline, with a reason sent to its sender…", permissions=["decide"])
    def decline(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="decline",
            title="Decline counter-notices",
            intro="The reason is mailed to the sender of each counter-notice.",
            submit_label="Decline and tell the sender",
            refused=(TransitionError, PermissionDenied, ValueError),
            apply=lambda submission, data: counter_notice_decline(
                submission=submission, user=request.user, reason=data["reason"]
            ),
        )
