from django.apps import AppConfig


class TakedownsConfig(AppConfig):
    name = "compliance.takedowns"
    verbose_name = "Removal requests"
