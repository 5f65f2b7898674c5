from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "compliance.accounts"
    verbose_name = "Staff accounts"

    def ready(self):
        from . import lockout  # noqa: F401 - audits lockouts (django-axes' signal)


class CourtesyAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with courtesy's site (compliance/accounts/admin_site.py);
    named in INSTALLED_APPS in its place."""

    default = False
    default_site = "compliance.accounts.admin_site.CourtesyAdminSite"
