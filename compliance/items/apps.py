from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "compliance.items"
    verbose_name = "Republished items"
