"""The staff admin as courtesy's: its name, its login (a second factor for those who
decide: compliance.accounts.forms), the domain's apps first in a fixed order, and the
scheduler's tables (django-celery-beat) under an "Advanced" heading on the index. The
index's dashboard is a template tag of the takedowns app (templates/admin/index.html), so
this low layer needs to know nothing about requests."""

from django.contrib import admin

from .forms import StaffLoginForm

# The domain's apps, in the order staff need them; anything else follows.
APP_ORDER = (
    "takedowns",
    "items",
    "reports",
    "messaging",
    "audit",
    "auth",
    "authtoken",
    "axes",
    "otp_totp",
    "otp_static",
)
# Machinery staff rarely touch: shown last, under "Advanced".
ADVANCED_APPS = ("django_celery_beat",)


class CourtesyAdminSite(admin.AdminSite):
    site_header = "courtesy"
    site_title = "courtesy staff"
    index_title = "Dashboard"
    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)

        def rank(app):
            label = app["app_label"]
            if label in ADVANCED_APPS:
                return (2, label)
            return (0, APP_ORDER.index(label)) if label in APP_ORDER else (1, label)

        return sorted(apps, key=rank)

    def index(self, request, extra_context=None):
        app_list = self.get_app_list(request)
        extra_context = {
            **(extra_context or {}),
            "app_list": [a for a in app_list if a["app_label"] not in ADVANCED_APPS],
            "advanced_app_list": [a for a in app_list if a["app_label"] in ADVANCED_APPS],
        }
        return super().index(request, extra_context)
