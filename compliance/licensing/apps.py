from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "compliance.licensing"
    verbose_name = "Licence evidence"
