"""The staff queue's actions, each calling one service (the state machine's steps, casework,
reversal). A refused move, a missing element or a missing permission becomes an error
message on the page, never a server error; every service checks the permission itself."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from compliance.core.actors import Actor
from compliance.core.admin_actions import ReasonForm as ActionReasonForm
from compliance.core.admin_actions import form_action, return_to

from . import reversal
from .admin_forms import ApproveForm, CounterNoticeForm, LegalActionForm, ReasonForm
from .casework import request_assign, request_attention_clear
from .decisions import notice_missing_elements, request_approve, request_reject, request_withdraw
from .models import ReasonTemplate, RemovalRequest
from .selectors import request_target_items
from .state import TransitionError, can_transition

# The confirmation page lists this many of each request's items; the count covers all.
APPROVE_ITEMS_SHOWN = 10


class RequestActions:
    """Mixed into RemovalRequestAdmin: the queue's actions and the change page's buttons."""

    # --- actions: each calls the state machine ---------------------------------------------

    def _apply(self, request, queryset, verb, call):
        done = 0
        for removal_request in queryset:
            try:
                call(removal_request)
                done += 1
            except (TransitionError, PermissionDenied, ValueError) as error:
                self.message_user(request, str(error), messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} request(s).", messages.SUCCESS)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Assigned to you:",
            lambda r: request_assign(removal_request=r, user=request.user, assignee=request.user),
        )

    @admin.action(description="Approve…", permissions=["decide"])
    def approve(self, request, queryset):
        """An intermediate page, like Reject's: what each request would take down (its
        count and first items), one optional reason for all; each approval is its own
        transition and audit event."""
        form = ApproveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            self._apply(
                request,
                queryset,
                "Approved",
                lambda r: request_approve(removal_request=r, user=request.user, reason=reason),
            )
            return None  # back to the queue, or to the request's page
        rows = []
        for removal_request in queryset.select_related("origin"):
            items = request_target_items(removal_request).select_related("origin").order_by("id")
            rows.append(
                {
                    "request": removal_request,
                    "count": items.count(),
                    "first": list(items[:APPROVE_ITEMS_SHOWN]),
                    "missing": notice_missing_elements(removal_request),
                    "unknown": removal_request.targets.filter(item__isnull=True).count(),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Approve removal requests",
            "opts": self.model._meta,
            "rows": rows,
            "total": sum(row["count"] for row in rows),
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "return_to": return_to(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/takedowns/removalrequest/approve.html", context)

    @admin.action(description="Mark withdrawn (the requester is told)", permissions=["change"])
    def mark_withdrawn(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Withdrawn",
            lambda r: request_withdraw(
                removal_request=r,
                actor=Actor.staff(request.user),
                reason="Marked withdrawn by our staff.",
            ),
        )

    @admin.action(description="Reject with a reason…", permissions=["decide"])
    def reject(self, request, queryset):
        """An intermediate page: choose a reason template, edit the text, send."""
        submitted = "apply" in request.POST or "load" in request.POST
        form = ReasonForm(request.POST if submitted else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            unfounded = form.cleaned_data["manifestly_unfounded"]
            if reason:
                self._apply(
                    request,
                    queryset,
                    "Rejected",
                    lambda r: request_reject(
                        removal_request=r,
                        user=request.user,
                        reason=reason,
                        manifestly_unfounded=unfounded,
                    ),
                )
                return None  # back to the queue
            form.add_error("reason", "Write the reason the requester will receive.")
        elif "load" in request.POST and form.is_valid() and form.cleaned_data["template"]:
            form = ReasonForm(
                initial={
                    "template": form.cleaned_data["template"],
                    "reason": form.cleaned_data["template"].text,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject removal requests",
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "templates": ReasonTemplate.objects.filter(is_active=True),
            "return_to": return_to(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/takedowns/removalrequest/reject.html", context)

    # --- reversal: counter-notices and restoring ---------------------------------------------

    @admin.action(description="Record a counter-notice…", permissions=["decide"])
    def record_counter_notice(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="record_counter_notice",
            title="Record a counter-notice",
            intro="The counter-notice is mailed to the requester at once, and the content is "
            f"restored {reversal.COUNTER_NOTICE_BUSINESS_DAYS} business days later unless you "
            "record first that they filed legal action.",
            submit_label="Record and forward to the requester",
            form_class=CounterNoticeForm,
            refused=(TransitionError, PermissionDenied, ValueError),
            apply=lambda removal_request, data: reversal.counter_notice_record(
                removal_request=removal_request, user=request.user, **data
            ),
        )

    @admin.action(description="Cancel the restoration: legal action filed…", permissions=["decide"])
    def cancel_restoration(self, request, queryset):
        def cancel(removal_request, data):
            notice = removal_request.counter_notices.pending().first()
            if notice is None:
                raise ValueError("no counter-notice is waiting for its restoration")
            reversal.counter_notice_cancel(
                counter_notice=notice, user=request.user, note=data["note"]
            )

        return form_action(
            self,
            request,
            queryset,
            action="cancel_restoration",
            title="Cancel the restoration",
            intro="The requester has told us they filed an action seeking a court order: the "
            "content stays down.",
            submit_label="Cancel the restoration",
            form_class=LegalActionForm,
            refused=(TransitionError, PermissionDenied, ValueError),
            apply=cancel,
        )

    @admin.action(description="Attention handled…", permissions=["change"])
    def clear_attention(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="clear_attention",
            title="Attention handled",
            intro="Say what was done about what these requests were flagged for (a reply read "
            "and answered, a failed mail sent another way, a self-check looked into). "
            "Restorations waiting on a flagged request go ahead once it is cleared.",
            submit_label="Clear the flag",
            form_class=ActionReasonForm,
            apply=lambda removal_request, data: request_attention_clear(
                removal_request=removal_request, user=request.user, note=data["reason"]
            ),
        )

    @admin.action(description="Restore now (reverse the takedown)…", permissions=["decide"])
    def restore_now(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="restore_now",
            title="Restore now",
            intro="The items these requests took down are published again, their block rules "
            "stop, an origin they blocked is unblocked, and each requester is told, with "
            "the reason below.",
            submit_label="Restore and tell the requester",
            form_class=ActionReasonForm,
            refused=(TransitionError, ValueError),
            apply=lambda removal_request, data: reversal.request_restore(
                removal_request=removal_request,
                actor=Actor.staff(request.user),
                reason=data["reason"],
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "request_actions": self._actions_for(request, obj) if obj else [],
            "record_links": self._record_links(obj) if obj else [],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _actions_for(self, request, obj) -> list[tuple[str, str]]:
        """The buttons the change page offers for this request: its legal moves that this
        user may make (the queue's actions, applied to this one request)."""
        may_change = self.has_change_permission(request, obj)
        may_decide = self.has_decide_permission(request)
        offered = []
        if may_change and obj.is_open and obj.assignee_id != request.user.pk:
            offered.append(("assign_to_me", "Assign to me"))
        if may_decide and can_transition(obj.status, RemovalRequest.Status.APPROVED):
            offered.append(("approve", "Approve…"))
        if may_decide and can_transition(obj.status, RemovalRequest.Status.REJECTED):
            offered.append(("reject", "Reject with a reason…"))
        if may_change and can_transition(obj.status, RemovalRequest.Status.WITHDRAWN):
            offered.append(("mark_withdrawn", "Mark withdrawn"))
        if may_change and obj.attention_needed:
            offered.append(("clear_attention", "Attention handled…"))
        if may_decide and obj.status == RemovalRequest.Status.COMPLETED:
            if obj.counter_notices.pending().exists():
                offered.append(("cancel_restoration", "Legal action filed: cancel restoration…"))
            else:
                offered.append(("record_counter_notice", "Record a counter-notice…"))
            offered.append(("restore_now", "Restore now…"))
        return offered

    def _record_links(self, obj) -> list[tuple[str, str]]:
        """The decision's exports and its public explanation (compliance.reports)."""
        links = [(reverse("reports:export-lumen", args=[obj.pk]), "Lumen notice (JSON)")]
        if obj.status in (RemovalRequest.Status.COMPLETED, RemovalRequest.Status.REVERSED):
            links += [
                (reverse("reports:export-dsa", args=[obj.pk]), "DSA statement of reasons (JSON)"),
                (reverse("reports:publish-explanation", args=[obj.pk]), "Public explanation…"),
            ]
        return links

    def response_action(self, request, queryset):
        """After an action started from a request's own page, go back to that page."""
        response = super().response_action(request, queryset)
        back = return_to(request)
        if isinstance(response, HttpResponseRedirect) and back:
            return HttpResponseRedirect(back)
        return response
