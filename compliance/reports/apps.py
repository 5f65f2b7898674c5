from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "compliance.reports"
    verbose_name = "Compliance reports"

    def ready(self):
        from compliance.takedowns.signals import request_decided

        from .public_records import records_on_decision

        request_decided.connect(records_on_decision, dispatch_uid="reports-public-records")
