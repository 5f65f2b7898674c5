from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "compliance.core"
    verbose_name = "Core"

    def ready(self):
        from . import layers, serving  # noqa: F401 - register the layering and SITE_URL checks
