from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "compliance.web"
    verbose_name = "Public site"
