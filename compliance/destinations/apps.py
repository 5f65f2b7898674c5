from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DestinationsConfig(AppConfig):
    name = "compliance.destinations"
    verbose_name = "Destinations"

    def ready(self):
        from compliance.items.signals import item_status_changed

        from .configuration import destinations_sync_environment
        from .receivers import notify_item_status

        item_status_changed.connect(notify_item_status, dispatch_uid="destinations-item-status")

        # The environment's defaults become rows (created or updated) at every migrate;
        # `make run` and every deployment migrate before they serve.
        post_migrate.connect(
            lambda sender, **kwargs: destinations_sync_environment(),
            sender=self,
            weak=False,
            dispatch_uid="destinations-sync-environment",
        )
