"""The staff queue of removal requests.

Every change goes through the state machine (compliance.takedowns.state and its steps): the
status and decision fields are read-only here, actions call one service each
(compliance.takedowns.admin_actions), and a refused transition becomes an error message on
the page, never a server error. Any staff member may read; approving and rejecting needs
the "Compliance officers" group (or superuser). The page's sections are templates under
templates/admin/takedowns/sections/.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince, timeuntil

from compliance.audit.wording import action_words, change_sentences
from compliance.core.admin import ReadOnly, StaffMayRead
from compliance.core.permissions import user_may_decide

from . import (
    abuse,
    admin_abuse,  # noqa: F401  (registers the trusted flaggers and measures)
)
from .admin_actions import RequestActions
from .admin_filters import AttentionFilter, OverdueFilter, QueueFilter
from .admin_forms import RemovalRequestForm
from .casework import (
    EDITABLE_ALWAYS,
    EDITABLE_BEFORE_DECISION,
    UNDECIDED_STATUSES,
    request_assign,
    request_update,
)
from .decisions import notice_missing_elements
from .models import CounterNotice, Evidence, ReasonTemplate, RemovalRequest, SenderMeasure
from .selectors import request_covered_items, request_targets, request_thread
from .state import TransitionError

COVERED_ITEMS_SHOWN = 50
# The queue's narrow words for the scope (the request's page gives the full ones).
SCOPE_SHORT = {"items": "listed items", "author": "the author", "origin": "whole origin"}
SECTIONS = "admin/takedowns/sections"


@admin.register(RemovalRequest)
class RemovalRequestAdmin(RequestActions, StaffMayRead, admin.ModelAdmin):
    form = RemovalRequestForm
    change_form_template = "admin/takedowns/removalrequest/change_form.html"
    # What decides the next action, narrow enough for 1280 px (templates/admin/takedowns/
    # removalrequest/change_list.html keeps the cells on one line and short).
    list_display = (
        "reference_column",
        "status_column",
        "time_left",
        "attention",
        "assignee_column",
        "ground",
        "scope_column",
        "origin_column",
        "channel",
    )
    list_display_links = ("reference_column",)
    list_filter = (
        QueueFilter,
        "status",
        "channel",
        ("origin", admin.RelatedOnlyFieldListFilter),
        OverdueFilter,
        ("assignee", admin.RelatedOnlyFieldListFilter),
        AttentionFilter,
    )
    list_select_related = ("origin", "assignee", "trusted_flagger")
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
                    "trusted_flagger",
                    "sender_history",
                    "role",
                    "good_faith",
                    "accuracy",
                    "signature",
                )
            },
        ),
        (
            "What and why",
            {
                "fields": (
                    "urls",
                    "scope",
                    "future",
                    "ground",
                    "explanation",
                    "evidence_files",
                    "language",
                    "origin",
                )
            },
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
        "trusted_flagger",
        "sender_history",
        "urls_links",
        "targets_table",
        "covered_items",
        "evidence_files",
        "language",
        "counter_notices",
        "message_thread",
        "audit_history",
        # Published from the request's "Public explanation…" page (an officer's decision).
        "public_explanation",
    )

    @admin.display(description="notice")
    def notice_completeness(self, obj):
        missing = notice_missing_elements(obj)
        if not missing:
            return "complete: every element of a DMCA / DSA notice is there"
        return format_html(
            '<strong style="color:#b45309">incomplete, missing {}</strong> (ask the requester '
            "to use the form; approving anyway is recorded as such)",
            ", ".join(missing),
        )

    def get_ordering(self, request):
        # Trusted flaggers' notices first (DSA Art. 22), then by deadline.
        trusted_last = ExpressionWrapper(
            Q(trusted_flagger__isnull=True), output_field=BooleanField()
        )
        return (trusted_last.asc(), "due_at", "id")

    def has_add_permission(self, request):
        return False  # requests arrive by the form, by mail or through the API

    def has_delete_permission(self, request, obj=None):
        return False  # a request is a record: withdraw or reject it instead

    def has_decide_permission(self, request):
        return user_may_decide(request.user)

    def get_readonly_fields(self, request, obj=None):
        read_only = list(self.always_read_only)
        if obj is not None and obj.status not in UNDECIDED_STATUSES:
            read_only += EDITABLE_BEFORE_DECISION
        if obj is not None and not obj.is_open:
            read_only.append("assignee")
        return read_only

    def get_fieldsets(self, request, obj=None):
        """Once the URLs are read-only they show as links, one per line."""
        fieldsets = super().get_fieldsets(request, obj)
        if "urls" not in self.get_readonly_fields(request, obj):
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": tuple("urls_links" if f == "urls" else f for f in options["fields"]),
                },
            )
            for name, options in fieldsets
        ]

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
            if name in EDITABLE_BEFORE_DECISION + EDITABLE_ALWAYS
        }
        try:
            if fields:
                request_update(removal_request=obj, user=request.user, **fields)
            if "assignee" in form.changed_data:
                request_assign(
                    removal_request=obj, user=request.user, assignee=form.cleaned_data["assignee"]
                )
        except (TransitionError, ValueError) as error:
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

    @admin.display(description="reference", ordering="reference")
    def reference_column(self, obj):
        if obj.trusted_flagger_id:
            return format_html(
                '{} <span class="trusted-flagger" title="Trusted flagger: {}">★</span>',
                obj.reference,
                obj.trusted_flagger,
            )
        return obj.reference

    @admin.display(description="assignee", ordering="assignee__username")
    def assignee_column(self, obj):
        if obj.assignee is None:
            return "—"
        name = obj.assignee.get_username()
        return format_html('<span class="clip" title="{}">{}</span>', name, name)

    @admin.display(description="origin", ordering="origin__domain")
    def origin_column(self, obj):
        if obj.origin is None:
            return "—"
        return format_html('<span class="clip" title="{}">{}</span>', obj.origin, obj.origin.domain)

    @admin.display(description="scope", ordering="scope")
    def scope_column(self, obj):
        return SCOPE_SHORT.get(obj.scope, obj.scope)

    @admin.display(description="time left", ordering="due_at")
    def time_left(self, obj):
        if not obj.is_open:
            return "—"
        now = timezone.now()
        if obj.due_at < now:
            return format_html(
                '<strong class="overdue" style="color: #ba2121;">overdue {}</strong>',
                timesince(obj.due_at, now, depth=1),
            )
        return format_html(
            '<span title="{}">{}</span>',
            timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M"),
            timeuntil(obj.due_at, now, depth=1),
        )

    @admin.display(description="urls")
    def urls_links(self, obj):
        return (
            format_html_join(
                mark_safe("<br>"),
                '<a href="{}" rel="noreferrer noopener" target="_blank">{}</a>',
                ((url, url) for url in obj.urls),
            )
            or "—"
        )

    @admin.display(description="deadline", ordering="due_at")
    def deadline(self, obj):
        when = timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M")
        if obj.is_overdue:
            return format_html(
                '<strong class="overdue" style="color: #ba2121;">⚠ OVERDUE</strong> {}', when
            )
        return when

    @admin.display(description="⚑", ordering="attention_needed")
    def attention(self, obj):
        if not obj.attention_needed:
            return ""
        return format_html(
            '<span class="attention" title="{}">⚑</span>', obj.attention_needed[:300]
        )

    @admin.display(description="sender's history")
    def sender_history(self, obj):
        history = abuse.sender_history(obj.requester_email)
        measures = SenderMeasure.objects.in_force().filter(
            sender__in=[history["address"]["sender"], history["domain"]["sender"]]
        )
        return render_to_string(
            f"{SECTIONS}/sender_history.html", {"history": history, "measures": measures}
        )

    @admin.display(description="targets")
    def targets_table(self, obj):
        targets = list(request_targets(obj))
        for target in targets:
            if target.item is not None:
                target.item_admin_url = _item_url(target.item)
        return render_to_string(f"{SECTIONS}/targets.html", {"targets": targets})

    @admin.display(description="items covered")
    def covered_items(self, obj):
        items = request_covered_items(obj).select_related("origin").order_by("id")
        context = {
            "total": items.count(),
            "shown": list(items[:COVERED_ITEMS_SHOWN]),
            "scope": obj.get_scope_display(),
        }
        return render_to_string(f"{SECTIONS}/covered_items.html", context)

    @admin.display(description="evidence")
    def evidence_files(self, obj):
        files = [
            (
                evidence,
                reverse("admin:takedowns_removalrequest_evidence", args=[obj.pk, evidence.pk]),
            )
            for evidence in obj.evidence.all()
        ]
        return render_to_string(f"{SECTIONS}/evidence.html", {"files": files})

    def get_urls(self):
        evidence = path(
            "<int:request_id>/evidence/<int:evidence_id>/",
            self.admin_site.admin_view(self.evidence_download),
            name="takedowns_removalrequest_evidence",
        )
        return [evidence, *super().get_urls()]

    def evidence_download(self, request, request_id, evidence_id):
        """An attached file, to staff who may see its request: always as a download, with
        the type read from its content, so that no browser runs or renders it in our origin."""
        evidence = get_object_or_404(Evidence, pk=evidence_id, request_id=request_id)
        if not self.has_view_permission(request, evidence.request):
            raise PermissionDenied
        response = FileResponse(
            evidence.file.open("rb"),
            as_attachment=True,
            filename=evidence.filename,
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.display(description="counter-notices")
    def counter_notices(self, obj):
        notices = obj.counter_notices.order_by("received_at", "id")
        return render_to_string(f"{SECTIONS}/counter_notices.html", {"notices": notices})

    @admin.display(description="thread")
    def message_thread(self, obj):
        return render_to_string(f"{SECTIONS}/message_thread.html", {"thread": request_thread(obj)})

    @admin.display(description="audit history")
    def audit_history(self, obj):
        rows = [
            (event, action_words(event.action), _change_summary(event))
            for event in obj.audit_events.order_by("at", "id")
        ]
        return render_to_string(f"{SECTIONS}/audit_history.html", {"rows": rows})


def _item_url(item) -> str:
    """The item's admin page when the items admin exists, else its public page."""
    try:
        return reverse("admin:items_item_change", args=[item.pk])
    except NoReverseMatch:
        return item.get_absolute_url()


def _change_summary(event) -> str:
    return " ".join(change_sentences(event.before, event.after))


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


from . import admin_counter_notices  # noqa: E402, F401 - registers the counter-notice queue
