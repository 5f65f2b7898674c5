"""The admin's login form: password, then, for those who decide, a second factor."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed

from .second_factor import has_second_factor, requires_second_factor, second_factor_verify


class StaffLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        label="Authentication code",
        required=False,
        help_text="Compliance officers and superusers: the six digits your authenticator "
        "app shows, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 12}
        ),
    )

    def clean(self):
        cleaned = super().clean()  # the password (django-axes counts its failures)
        user = self.get_user()
        if user is None or not requires_second_factor(user):
            return cleaned
        if not has_second_factor(user):
            raise forms.ValidationError(
                "Your account needs two-factor authentication and has none set up yet: ask "
                "an administrator to run `manage.py staff_2fa %(username)s`.",
                code="second_factor_missing",
                params={"username": user.get_username()},
            )
        device = second_factor_verify(user, self.cleaned_data.get("otp_token", ""))
        if device is None:
            # A wrong code is a failed login like a wrong password: django-axes counts it,
            # so the code cannot be guessed either.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
            )
            raise forms.ValidationError(
                "Enter the current code from your authenticator app (or a recovery code).",
                code="second_factor_invalid",
            )
        user.otp_device = device  # django-otp marks the session verified at login
        return cleaned
