"""The staff queue of removal requests.

Every change goes through the state machine (compliance.takedowns.services): the status and
decision fields are read-only here, actions call one service each, and a refused transition
becomes an error message on the page, never a server error. Any staff member may read;
approving and rejecting needs the "Compliance officers" group (or superuser).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from compliance.audit.services import Actor
from compliance.core.admin import ReadOnly, StaffMayRead
from compliance.core.admin_actions import ReasonForm as ActionReasonForm
from compliance.core.admin_actions import form_action, return_to

from . import reversal, services
from .models import OPEN_STATUSES, BlockRule, CounterNotice, ReasonTemplate, RemovalRequest
from .selectors import request_target_items, request_targets, request_thread

COVERED_ITEMS_SHOWN = 50


# --- filters -------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    """Open requests by default; "All" shows closed ones too. Choosing a status shows
    requests of that status whatever this filter says."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("all", "All")]

    def choices(self, changelist):
        showing_a_status = "status__exact" in changelist.params
        current = self.value() or ("all" if showing_a_status else "open")
        for value, label in self.lookup_choices:
            # "Open" is the default, so its link drops the parameter; either link drops a
            # chosen status, which would otherwise contradict it.
            new_params = {} if value == "open" else {self.parameter_name: value}
            remove = ["status__exact"] + ([self.parameter_name] if value == "open" else [])
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string(new_params, remove=remove),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == "all" or (self.value() is None and "status__exact" in request.GET):
            return queryset
        # A closed request that needs a person (a reply during a counter-notice's wait, a
        # failed mail) belongs in the working queue too.
        return queryset.filter(Q(status__in=OPEN_STATUSES) | ~Q(attention_needed=""))


class AttentionFilter(admin.SimpleListFilter):
    title = "attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Needs attention")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(attention_needed="")
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        now = timezone.now()
        overdue = Q(status__in=OPEN_STATUSES, due_at__lt=now)
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


# --- the request's form --------------------------------------------------------------------


class URLLinesField(forms.CharField):
    """The request's URLs, one per line, stored as a list."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 100})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return list(value)
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class RemovalRequestForm(forms.ModelForm):
    urls = URLLinesField(
        required=False,
        help_text="One per line: the original article's URL, our page of it, or its slug. "
        "Saving resolves them to items again.",
    )

    class Meta:
        model = RemovalRequest
        fields = (*services.EDITABLE_BEFORE_DECISION, *services.EDITABLE_ALWAYS, "assignee")


class ReasonForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=ReasonTemplate.objects.filter(is_active=True),
        required=False,
        label="Reason template",
        help_text="Choose one and press “Use this template” to start from its text.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        required=False,
        label="Reason sent to the requester",
        help_text="Mailed to the requester as written here.",
    )


class CounterNoticeForm(forms.Form):
    """The elements of a DMCA 512(g)(3) counter-notification, as staff received them."""

    name = forms.CharField(max_length=200)
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    phone = forms.CharField(max_length=50, label="Telephone")
    email = forms.EmailField()
    mistake_statement = forms.BooleanField(
        label="Statement under penalty of perjury",
        help_text="They state, under penalty of perjury, a good-faith belief that the material "
        "was removed as a result of mistake or misidentification.",
    )
    jurisdiction_consent = forms.BooleanField(
        label="Consent to jurisdiction",
        help_text="They consent to the jurisdiction of the competent court and will accept "
        "service of process from the person who asked for the removal.",
    )
    signature = forms.CharField(max_length=200, help_text="Their full name, as signed.")
    explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Why they dispute the removal, in their words.",
    )
    received_at = forms.DateTimeField(
        required=False, help_text="When it reached us (empty: now). Format: 2026-12-07 15:30."
    )


class LegalActionForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        label="Legal action filed",
        help_text="Court, case number, date, and how the requester told us.",
    )


# --- the queue -----------------------------------------------------------------------------


@admin.register(RemovalRequest)
class RemovalRequestAdmin(StaffMayRead, admin.ModelAdmin):
    form = RemovalRequestForm
    change_form_template = "admin/takedowns/removalrequest/change_form.html"
    list_display = (
        "reference",
        "status_column",
        "deadline",
        "origin",
        "requester_email",
        "channel",
        "scope",
        "assignee",
        "attention",
    )
    list_display_links = ("reference",)
    list_filter = (
        QueueFilter,
        "status",
        "channel",
        ("origin", admin.RelatedOnlyFieldListFilter),
        OverdueFilter,
        ("assignee", admin.RelatedOnlyFieldListFilter),
        AttentionFilter,
    )
    list_select_related = ("origin", "assignee")
    search_fields = ("reference", "requester_email", "requester_name", "organisation")
    ordering = ("due_at", "id")
    actions = (
        "assign_to_me",
        "approve",
        "reject",
        "mark_withdrawn",
        "record_counter_notice",
        "cancel_restoration",
        "restore_now",
        "clear_attention",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "status_column",
                    "channel",
                    "received_at",
                    "verified_at",
                    "deadline",
                    "assignee",
                    "attention_needed",
                    "notice_completeness",
                )
            },
        ),
        (
            "Requester",
            {
                "fields": (
                    "requester_name",
                    "requester_email",
                    "organisation",
                    "role",
                    "good_faith",
                    "accuracy",
                    "signature",
                )
            },
        ),
        (
            "What and why",
            {"fields": ("urls", "scope", "future", "ground", "explanation", "origin")},
        ),
        ("Targets", {"fields": ("targets_table", "covered_items")}),
        (
            "Decision",
            {
                "fields": (
                    "decided_at",
                    "decided_by",
                    "approved_automatically",
                    "decision_reason",
                    "completed_at",
                    "closed_at",
                )
            },
        ),
        ("Counter-notices", {"fields": ("counter_notices",)}),
        ("Staff", {"fields": ("staff_notes", "public_explanation")}),
        ("Messages", {"fields": ("message_thread",)}),
        ("History", {"fields": ("audit_history",)}),
    )
    # Status and decision move only through the actions (the state machine).
    always_read_only = (
        "reference",
        "status_column",
        "channel",
        "requester_email",
        "received_at",
        "verified_at",
        "deadline",
        "origin",
        "good_faith",
        "accuracy",
        "signature",
        "decided_at",
        "decided_by",
        "approved_automatically",
        "decision_reason",
        "completed_at",
        "closed_at",
        "attention_needed",
        "notice_completeness",
        "targets_table",
        "covered_items",
        "counter_notices",
        "message_thread",
        "audit_history",
    )

    @admin.display(description="notice")
    def notice_completeness(self, obj):
        missing = services.notice_missing_elements(obj)
        if not missing:
            return "complete: every element of a DMCA / DSA notice is there"
        return format_html(
            '<strong style="color:#b45309">incomplete, missing {}</strong> (ask the requester '
            "to use the form; approving anyway is recorded as such)",
            ", ".join(missing),
        )

    def has_add_permission(self, request):
        return False  # requests arrive by the form, by mail or through the API

    def has_delete_permission(self, request, obj=None):
        return False  # a request is a record: withdraw or reject it instead

    def has_decide_permission(self, request):
        return services.user_may_decide(request.user)

    def get_readonly_fields(self, request, obj=None):
        read_only = list(self.always_read_only)
        if obj is not None and obj.status not in services.UNDECIDED_STATUSES:
            read_only += services.EDITABLE_BEFORE_DECISION
        if obj is not None and not obj.is_open:
            read_only.append("assignee")
        return read_only

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "assignee" in form.base_fields:
            assignee = form.base_fields["assignee"]
            assignee.queryset = assignee.queryset.filter(is_staff=True, is_active=True)
        return form

    def save_model(self, request, obj, form, change):
        """Edits go through the services, which audit them (and re-resolve targets)."""
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.EDITABLE_BEFORE_DECISION + services.EDITABLE_ALWAYS
        }
        try:
            if fields:
                services.request_update(removal_request=obj, user=request.user, **fields)
            if "assignee" in form.changed_data:
                services.request_assign(
                    removal_request=obj, user=request.user, assignee=form.cleaned_data["assignee"]
                )
        except (services.TransitionError, ValueError) as error:
            request._takedown_save_refused = True
            self.message_user(request, str(error), messages.ERROR)

    def response_change(self, request, obj):
        if getattr(request, "_takedown_save_refused", False):
            return HttpResponseRedirect(request.path)  # the error, without "changed successfully"
        return super().response_change(request, obj)

    def save_related(self, request, form, formsets, change):
        pass  # no inlines, no many-to-many: nothing else to save

    # --- columns and read-only sections ----------------------------------------------------

    @admin.display(description="status", ordering="status")
    def status_column(self, obj):
        label = obj.get_status_display()
        if obj.approved_automatically and obj.status != RemovalRequest.Status.RECEIVED:
            label = f"{label} (auto-approved)"
        return label

    @admin.display(description="deadline", ordering="due_at")
    def deadline(self, obj):
        when = timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M")
        if obj.is_overdue:
            return format_html(
                '<strong class="overdue" style="color: #ba2121;">⚠ OVERDUE</strong> {}', when
            )
        return when

    @admin.display(description="⚑", boolean=True)
    def attention(self, obj):
        return bool(obj.attention_needed) or None

    @admin.display(description="targets")
    def targets_table(self, obj):
        rows = []
        for target in request_targets(obj):
            item = target.item
            if item is None:
                rows.append((target.url, "—", "unknown URL: not found among our items"))
                continue
            link = format_html('<a href="{}">{}</a>', _item_url(item), item.title)
            rows.append((target.url, link, item.get_status_display()))
        if not rows:
            return "No URLs given."
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html(
            "<table><thead><tr><th>URL as given</th><th>item</th><th>item status</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.display(description="items covered")
    def covered_items(self, obj):
        items = request_target_items(obj).select_related("origin").order_by("id")
        total = items.count()
        if not total:
            return "None yet."
        shown = format_html_join(
            "",
            "<li>{} ({}) — {}</li>",
            (
                (item.title, item.origin.domain, item.get_status_display())
                for item in items[:COVERED_ITEMS_SHOWN]
            ),
        )
        more = f" (first {COVERED_ITEMS_SHOWN} shown)" if total > COVERED_ITEMS_SHOWN else ""
        return format_html(
            "<p>{} item(s), scope “{}”{}</p><ul>{}</ul>",
            total,
            obj.get_scope_display(),
            more,
            shown,
        )

    @admin.display(description="counter-notices")
    def counter_notices(self, obj):
        notices = list(obj.counter_notices.order_by("received_at", "id"))
        if not notices:
            return "None."

        def state(notice):
            if notice.restored_at:
                return f"content restored {timezone.localtime(notice.restored_at):%Y-%m-%d %H:%M}"
            if notice.cancelled_at:
                return f"restoration cancelled: legal action filed ({notice.legal_action_note})"
            return f"restoration due {timezone.localtime(notice.restore_at):%Y-%m-%d %H:%M}"

        return format_html_join(
            "",
            "<p><strong>{}</strong> ({}) — received {}, forwarded {} — {}</p>",
            (
                (
                    n.name,
                    n.email,
                    timezone.localtime(n.received_at).strftime("%Y-%m-%d"),
                    timezone.localtime(n.forwarded_at).strftime("%Y-%m-%d %H:%M")
                    if n.forwarded_at
                    else "not yet (its mail is unsent)",
                    state(n),
                )
                for n in notices
            ),
        )

    @admin.display(description="thread")
    def message_thread(self, obj):
        thread = list(request_thread(obj))
        if not thread:
            return "No messages."
        return format_html_join(
            "",
            '<div class="message" style="margin-bottom: 1em;"><strong>{} {}</strong> '
            '<a href="{}">{}</a><br><small>{} → {} · {}</small>'
            '<details><summary>text</summary><pre style="white-space: pre-wrap;">{}</pre>'
            "</details></div>",
            (
                (
                    "←" if message.direction == message.Direction.IN else "→",
                    timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M"),
                    reverse("admin:messaging_message_change", args=[message.pk]),
                    message.subject or "(no subject)",
                    message.sender,
                    ", ".join(message.recipients),
                    message.get_state_display(),
                    message.text_body,
                )
                for message in thread
            ),
        )

    @admin.display(description="audit history")
    def audit_history(self, obj):
        events = obj.audit_events.order_by("at", "id")
        rows = [
            (
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor_name,
                event.action,
                _change_summary(event),
                event.reason,
            )
            for event in events
        ]
        if not rows:
            return "No events."
        return format_html(
            "<table><thead><tr><th>when</th><th>who</th><th>what</th><th>change</th>"
            "<th>reason</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
            ),
        )

    # --- actions: each calls the state machine ---------------------------------------------

    def _apply(self, request, queryset, verb, call):
        done = 0
        for removal_request in queryset:
            try:
                call(removal_request)
                done += 1
            except (services.TransitionError, PermissionDenied, ValueError) as error:
                self.message_user(request, str(error), messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} request(s).", messages.SUCCESS)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Assigned to you:",
            lambda r: services.request_assign(
                removal_request=r, user=request.user, assignee=request.user
            ),
        )

    @admin.action(description="Approve (the takedown job takes over)", permissions=["decide"])
    def approve(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Approved",
            lambda r: services.request_approve(removal_request=r, user=request.user),
        )

    @admin.action(description="Mark withdrawn (the requester is told)", permissions=["change"])
    def mark_withdrawn(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Withdrawn",
            lambda r: services.request_withdraw(
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
            if reason:
                self._apply(
                    request,
                    queryset,
                    "Rejected",
                    lambda r: services.request_reject(
                        removal_request=r, user=request.user, reason=reason
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
            refused=(services.TransitionError, PermissionDenied, ValueError),
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
            refused=(services.TransitionError, PermissionDenied, ValueError),
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
            apply=lambda removal_request, data: services.request_attention_clear(
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
            refused=(services.TransitionError, ValueError),
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
        if may_decide and services.can_transition(obj.status, RemovalRequest.Status.APPROVED):
            offered.append(("approve", "Approve"))
        if may_decide and services.can_transition(obj.status, RemovalRequest.Status.REJECTED):
            offered.append(("reject", "Reject with a reason…"))
        if may_change and services.can_transition(obj.status, RemovalRequest.Status.WITHDRAWN):
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


def _item_url(item) -> str:
    """The item's admin page when the items admin exists, else its public page."""
    try:
        return reverse("admin:items_item_change", args=[item.pk])
    except NoReverseMatch:
        return item.get_absolute_url()


def _change_summary(event) -> str:
    before, after = event.before or {}, event.after or {}
    if "status" in after:
        return f"{before.get('status', '—')} → {after['status']}"
    changed = sorted(set(before) | set(after))
    return ", ".join(f"{k}: {before.get(k, '—')} → {after.get(k, '—')}" for k in changed)


@admin.register(ReasonTemplate)
class ReasonTemplateAdmin(StaffMayRead, admin.ModelAdmin):
    list_display = ("title", "is_active")
    list_filter = ("is_active",)
    search_fields = ("title", "text")


@admin.register(CounterNotice)
class CounterNoticeAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    """Read-only: counter-notices are recorded, and cancelled, from their request's page."""

    list_display = ("__str__", "received_at", "restore_at", "restored_at", "cancelled_at")
    list_filter = (
        ("restored_at", admin.EmptyFieldListFilter),
        ("cancelled_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("request",)
    search_fields = ("name", "email", "request__reference")


@admin.register(BlockRule)
class BlockRuleAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    """Read-only: rules are made by the takedown job from requests "in the future"."""

    list_display = ("__str__", "kind", "domain", "request", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    list_select_related = ("request", "origin")
    search_fields = ("domain", "url", "author", "request__reference")
