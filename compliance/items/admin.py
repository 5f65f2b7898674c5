"""Staff pages for licence bases, origins, feeds and items.

An item is a record of what readers were shown: the admin displays it and edits none of its
fields. Its status changes only through compliance.items.status (and ingest). Origins, feeds
and licence bases are configuration that staff edit here, saved by the same services as
the API, the demo and ingest use (compliance.items.configuration), which audit them.
"""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator, URLValidator
from django.template.loader import render_to_string

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.core.admin import ConfiguredAdmin, ReadOnly, StaffMayRead
from compliance.core.admin_actions import form_action
from compliance.core.normalise import normalise_domain
from compliance.core.permissions import user_may_decide

from . import configuration
from .models import BlockRule, Feed, Item, LicenceBasis, Origin
from .rules import origin_block_create, origin_block_lift
from .status import items_hide, items_restore
from .staydown import origin_block, origin_block_expression

# --- Licence bases ------------------------------------------------------------------------


class LicenceBasisForm(forms.ModelForm):
    class Meta:
        model = LicenceBasis
        fields = (
            "name",
            "kind",
            "licence_url",
            "terms",
            "evidence_document",
            "evidence_url",
            "evidence_note",
            "valid_from",
            "expires_at",
        )


@admin.register(LicenceBasis)
class LicenceBasisAdmin(ConfiguredAdmin):
    create_service = configuration.licence_basis_create
    update_service = configuration.licence_basis_update
    instance_argument = "basis"
    form = LicenceBasisForm
    list_display = ("name", "kind", "licence_url", "valid_from", "expires_at")
    list_filter = ("kind", ("expires_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "licence_url", "evidence_url", "terms")
    readonly_fields = ("created_at", "updated_at")


# --- Origins ------------------------------------------------------------------------------


class OriginForm(forms.ModelForm):
    class Meta:
        model = Origin
        fields = (
            "domain",
            "name",
            "home_page",
            "contact_emails",
            "licence_basis",
            "disclaimer_template",
            "canonical_to_original",
            "noindex",
            "attention_needed",
        )

    def clean_domain(self):
        value = self.cleaned_data["domain"].strip()
        if "://" in value:  # a pasted address: its host is the domain
            value = urlsplit(value).hostname or ""
        domain = normalise_domain(value)
        try:
            DomainNameValidator()(domain)
        except ValidationError:
            raise ValidationError("Enter a domain name, such as example.com.") from None
        return domain


class BlockedFilter(admin.SimpleListFilter):
    title = "blocked"
    parameter_name = "blocked"

    def lookups(self, request, model_admin):
        return [("yes", "Blocked"), ("no", "Not blocked")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_blocked=self.value() == "yes")
        return queryset


@admin.register(Origin)
class OriginAdmin(ConfiguredAdmin):
    create_service = configuration.origin_create
    update_service = configuration.origin_update
    instance_argument = "origin"
    form = OriginForm
    list_display = (
        "name",
        "domain",
        "licence_basis",
        "canonical_to_original",
        "noindex",
        "blocked",
    )
    list_filter = ("licence_basis__kind", "canonical_to_original", "noindex", BlockedFilter)
    search_fields = ("name", "domain", "home_page", "contact_emails")
    list_select_related = ("licence_basis",)
    actions = ("block_origins", "unblock_origins")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(is_blocked=origin_block_expression())

    @admin.display(description="blocked", boolean=True, ordering="is_blocked")
    def blocked(self, origin):
        return origin.is_blocked

    @admin.display(description="block")
    def block_state(self, origin):
        rule = origin_block(origin.domain) if origin.pk else None
        if rule is None:
            return "Not blocked."
        by = f"removal request {rule.case}" if rule.case else "staff"
        return f"Blocked since {rule.created_at:%Y-%m-%d %H:%M} by {by} ({rule})."

    def has_decide_permission(self, request):
        return user_may_decide(request.user)

    @admin.action(description="Block: withhold everything new from them…", permissions=["decide"])
    def block_origins(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="block_origins",
            title="Block origins",
            intro="Ingest will withhold every new item from these origins (their subdomains "
            "included). Items already published stay so: hide them from the items list.",
            submit_label="Block",
            apply=lambda origin, data: origin_block_create(
                origin=origin, actor=Actor.staff(request.user), reason=data["reason"]
            ),
        )

    @admin.action(description="Unblock: publish their new items again…", permissions=["decide"])
    def unblock_origins(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="unblock_origins",
            title="Unblock origins",
            intro="Ingest will publish these origins' new items again (other block rules "
            "still apply; a block asked for by a removal request is lifted by reversing that "
            "request). Items withheld meanwhile stay withheld until restored.",
            submit_label="Unblock",
            apply=lambda origin, data: origin_block_lift(
                origin=origin, actor=Actor.staff(request.user), reason=data["reason"]
            ),
        )

    # Blocking an origin is a decision, made by its service, never typed in here.
    readonly_fields = ("block_state", "created_at")
    fieldsets = (
        (None, {"fields": ("domain", "name", "home_page", "contact_emails", "licence_basis")}),
        (
            "What item pages show",
            {"fields": ("disclaimer_template", "canonical_to_original", "noindex")},
        ),
        (
            "Status",
            {"fields": ("block_state", "attention_needed", "created_at")},
        ),
    )


# --- Feeds --------------------------------------------------------------------------------


class FeedForm(forms.ModelForm):
    class Meta:
        model = Feed
        fields = ("origin", "url", "title", "is_active", "poll_interval_minutes")

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        # A feed read from a file is added with `manage.py ingest PATH` only: a file path
        # typed in a web form would let the server read its own files.
        if "url" in self.changed_data:
            URLValidator(
                schemes=["http", "https"], message="Enter the feed's http:// or https:// address."
            )(url)
        return url


@admin.register(Feed)
class FeedAdmin(ConfiguredAdmin):
    create_service = configuration.feed_create
    update_service = configuration.feed_update
    instance_argument = "feed"
    form = FeedForm

    def delete_model(self, request, obj):
        configuration.feed_delete(feed=obj, actor=Actor.staff(request.user))

    def delete_queryset(self, request, queryset):
        for feed in queryset:
            configuration.feed_delete(feed=feed, actor=Actor.staff(request.user))

    list_display = (
        "__str__",
        "origin",
        "is_active",
        "last_outcome",
        "last_fetched_at",
        "consecutive_failures",
        "next_fetch_at",
    )
    list_filter = ("is_active", "last_outcome", "origin")
    search_fields = ("url", "title", "origin__name", "origin__domain")
    list_select_related = ("origin",)
    # Written by fetching, read here.
    readonly_fields = (
        "last_fetched_at",
        "last_outcome",
        "last_status_code",
        "last_error",
        "consecutive_failures",
        "next_fetch_at",
        "etag",
        "last_modified",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("origin", "url", "title", "is_active", "poll_interval_minutes")}),
        (
            "Fetching",
            {
                "fields": (
                    "last_fetched_at",
                    "last_outcome",
                    "last_status_code",
                    "last_error",
                    "consecutive_failures",
                    "next_fetch_at",
                    "etag",
                    "last_modified",
                    "created_at",
                )
            },
        ),
    )


# --- Items --------------------------------------------------------------------------------

ITEM_FIELDSETS = (
    (
        None,
        {
            "fields": (
                "title",
                "status",
                "origin",
                "feed",
                "original_url",
                "slug",
                "author",
                "image_url",
                "photo_credit",
                "published_at",
                "republished_at",
                "ingested_at",
                "body",
            )
        },
    ),
    (
        "What readers were shown (frozen at publication)",
        {
            "fields": (
                "licence_basis",
                "licence_note",
                "licence_note_sha256",
                "disclaimer",
                "disclaimer_sha256",
            )
        },
    ),
    ("Rights stated by the feed", {"fields": ("rights_statement", "rights_licence_url")}),
    (
        "Status",
        {
            "fields": (
                "status_changed_at",
                "status_reason",
                "status_case",
                "status_rule",
                "audit_trail",
            )
        },
    ),
    ("Keys", {"fields": ("guid", "url_key", "author_key", "text_fingerprint")}),
)


@admin.register(Item)
class ItemAdmin(StaffMayRead, admin.ModelAdmin):
    list_display = ("title", "origin", "author", "status", "republished_at", "licence_kind")
    list_filter = ("status", "origin", "licence_basis__kind")
    search_fields = ("title", "author", "original_url", "slug", "guid")
    list_select_related = ("origin", "licence_basis")
    date_hierarchy = "republished_at"
    fieldsets = ITEM_FIELDSETS
    readonly_fields = [name for _, options in ITEM_FIELDSETS for name in options["fields"]]
    actions = ("hide_items", "restore_items")

    def has_decide_permission(self, request):
        """Hiding and restoring are decisions: compliance officers only."""
        return user_may_decide(request.user)

    @admin.action(description="Hide (take down) the selected items…", permissions=["decide"])
    def hide_items(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="hide_items",
            title="Hide items",
            intro="These items will answer 451 and leave the home page, the feed and the "
            "sitemap at once. Only published ones change.",
            submit_label="Hide",
            each=False,
            apply=lambda items, data: items_hide(
                items=items, actor=Actor.staff(request.user), reason=data["reason"]
            ),
        )

    @admin.action(description="Restore (publish again) the selected items…", permissions=["decide"])
    def restore_items(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            action="restore_items",
            title="Restore items",
            intro="Hidden and withheld items among these are published again, with the "
            "texts readers saw before (never-published ones get theirs now). An item whose "
            "licence is not in force stays withheld.",
            submit_label="Restore",
            each=False,
            apply=lambda items, data: items_restore(
                items=items, actor=Actor.staff(request.user), reason=data["reason"]
            ),
        )

    # Items come from ingest only (which checks the block rules and freezes the disclaimer),
    # and stay as evidence of what was published.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # No item is edited field by field here, so its page is view-only. Without an
        # object the permission still counts, for actions on the list (hide, restore).
        return obj is None and super().has_change_permission(request)

    @admin.display(description="licence", ordering="licence_basis__kind")
    def licence_kind(self, item):
        return item.licence_basis.get_kind_display() if item.licence_basis else "—"

    @admin.display(description="audit trail")
    def audit_trail(self, item):
        events = AuditEvent.objects.for_object(item)[:50]
        return render_to_string("admin/items/audit_trail.html", {"events": events})


@admin.register(BlockRule)
class BlockRuleAdmin(StaffMayRead, ReadOnly, admin.ModelAdmin):
    """Read-only: rules are made by the takedown job from requests "in the future", and by
    officers blocking an origin."""

    list_display = ("__str__", "kind", "domain", "case", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    list_select_related = ("origin",)
    search_fields = ("domain", "url", "author", "case")
