from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "compliance.core"
    verbose_name = "Core"

    def ready(self):
        from . import layers  # noqa: F401 - registers the layering check
