from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "compliance.messaging"
    verbose_name = "Messages"
