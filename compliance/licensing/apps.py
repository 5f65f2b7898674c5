from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "compliance.licensing"
    verbose_name = "Licence evidence"

    def ready(self):
        from compliance.items.signals import origin_created

        from .receivers import read_new_origin

        origin_created.connect(read_new_origin, dispatch_uid="licensing-origin-created")
