"""manage.py staff_2fa USERNAME: give a staff user a new TOTP key and recovery codes (any
earlier ones stop working) and print them, once. Compliance officers and superusers cannot
sign in to the admin without."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from compliance.accounts.second_factor import second_factor_enrol
from compliance.core.actors import Actor


class Command(BaseCommand):
    help = "Set up (or replace) a staff user's two-factor login and print its key and codes."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_staff:
            raise CommandError(f"no staff user {username!r}")
        enrolment = second_factor_enrol(user=user, actor=Actor.system("manage.py staff_2fa"))
        self.stdout.write(enrolment_text(username, enrolment))


def enrolment_text(username, enrolment) -> str:
    codes = "  ".join(enrolment.recovery_codes)
    return (
        f"two-factor login for {username}: add this key to an authenticator app\n"
        f"  key: {enrolment.secret}\n"
        f"  or open: {enrolment.url}\n"
        f"  recovery codes (each works once): {codes}"
    )
