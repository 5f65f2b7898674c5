from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "compliance.core"
    verbose_name = "Core"
