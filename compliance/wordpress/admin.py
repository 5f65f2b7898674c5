"""Staff pages for connected WordPress sites and the posts courtesy knows they serve."""

from django import forms
from django.contrib import admin

from compliance.core.admin import ConfiguredAdmin, ReadOnly, StaffMayRead

from . import configuration
from .models import WordPressPost, WordPressSite


class WordPressSiteForm(forms.ModelForm):
    password = forms.CharField(
        label="Application password",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Users → Profile → Application Passwords in WordPress. Stored encrypted "
        "and never shown again; leave empty to keep the stored one.",
    )

    class Meta:
        model = WordPressSite
        fields = configuration.FIELDS

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("password"):
            self.add_error("password", "An application password is needed to connect a site.")
        return cleaned


@admin.register(WordPressSite)
class WordPressSiteAdmin(ConfiguredAdmin):
    create_service = configuration.wordpress_site_create
    update_service = configuration.wordpress_site_update
    instance_argument = "site"
    form = WordPressSiteForm
    list_display = (
        "name",
        "base_url",
        "takedown_status",
        "is_active",
        "last_sync_at",
        "last_error",
    )
    readonly_fields = (
        "synced_until",
        "last_sync_at",
        "next_sync_at",
        "last_error",
        "consecutive_failures",
    )

    def get_changeform_initial_data(self, request):
        return {
            "original_url_meta_keys": WordPressSite._meta.get_field(
                "original_url_meta_keys"
            ).default
        }


@admin.register(WordPressPost)
class WordPressPostAdmin(ReadOnly, StaffMayRead, admin.ModelAdmin):
    list_display = ("post_id", "site", "title", "status", "item", "unpublished_at", "problem")
    list_filter = ("site", "status")
    search_fields = ("title", "original_url", "public_url")
    raw_id_fields = ("item",)
