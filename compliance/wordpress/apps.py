from django.apps import AppConfig


class WordPressConfig(AppConfig):
    name = "compliance.wordpress"
    label = "wordpress"
    verbose_name = "WordPress sites"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import transport  # noqa: F401 - registers the "wordpress" destination kind
