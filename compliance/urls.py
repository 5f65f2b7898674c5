from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from compliance.core.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("compliance.api.urls")),
    path("healthz", healthz, name="healthz"),
    # The language switcher. No CSRF token: choosing a language changes nothing but a
    # cookie, and a token in every page's switcher would make published pages uncacheable.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("takedown/", include("compliance.takedowns.urls")),
    path("transparency/", include("compliance.reports.transparency_urls")),
    path("reports/", include("compliance.reports.urls")),
    path("", include("compliance.web.urls")),
]
