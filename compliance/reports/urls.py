"""Staff-only pages, mounted at /reports/: stored reports, decision exports, and the
redacted explanation shown on /transparency/."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("<int:pk>/", views.report_html, name="report-html"),
    path("<int:pk>/csv/", views.report_csv, name="report-csv"),
    path("<int:pk>/json/", views.report_json, name="report-json"),
    path("dsa-template/", views.dsa_template_download, name="dsa-template"),
    path("requests/<int:request_id>/dsa.json", views.export_dsa, name="export-dsa"),
    path("requests/<int:request_id>/lumen.json", views.export_lumen, name="export-lumen"),
    path(
        "requests/<int:request_id>/explanation/",
        views.publish_explanation,
        name="publish-explanation",
    ),
]
