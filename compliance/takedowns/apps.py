from django.apps import AppConfig


class TakedownsConfig(AppConfig):
    name = "compliance.takedowns"
    verbose_name = "Removal requests"

    def ready(self):
        from compliance.destinations.signals import delivery_settled
        from compliance.messaging.signals import mail_abandoned

        from .receivers import carry_on_after_delivery, flag_undelivered_mail

        mail_abandoned.connect(flag_undelivered_mail, dispatch_uid="takedowns-mail-abandoned")
        delivery_settled.connect(carry_on_after_delivery, dispatch_uid="takedowns-delivery")
