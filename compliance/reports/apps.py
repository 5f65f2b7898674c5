from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "compliance.reports"
    verbose_name = "Compliance reports"
