from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DestinationsConfig(AppConfig):
    name = "compliance.destinations"
    verbose_name = "Destinations"

    def ready(self):
        from .configuration import destinations_sync_environment

        # The environment's defaults become rows (created or updated) at every migrate;
        # `make run` and every deployment migrate before they serve.
        post_migrate.connect(
            lambda sender, **kwargs: destinations_sync_environment(),
            sender=self,
            weak=False,
            dispatch_uid="destinations-sync-environment",
        )
