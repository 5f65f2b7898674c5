from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "compliance.audit"
    verbose_name = "Audit trail"
