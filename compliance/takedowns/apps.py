from django.apps import AppConfig


class TakedownsConfig(AppConfig):
    name = "compliance.takedowns"
    verbose_name = "Removal requests"

    def ready(self):
        from compliance.messaging.signals import mail_abandoned

        from .receivers import flag_undelivered_mail

        mail_abandoned.connect(flag_undelivered_mail, dispatch_uid="takedowns-mail-abandoned")
