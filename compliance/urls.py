from django.contrib import admin
from django.urls import include, path

from compliance.core.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("compliance.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("takedown/", include("compliance.takedowns.urls")),
    path("transparency/", include("compliance.reports.transparency_urls")),
    path("reports/", include("compliance.reports.urls")),
    path("", include("compliance.web.urls")),
]
