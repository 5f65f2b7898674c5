"""The public counter-notice form: the elements of a DMCA 512(g)(3) counter-notification,
and the DSA-style explanation of why the decision is wrong."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import HONEYPOT_FIELD, SHORT_NAMES, STATEMENT_REQUIRED
from .intake import MAX_EXPLANATION

MISTAKE_STATEMENT = _(
    "I state under penalty of perjury that I have a good-faith belief that the material was "
    "removed or disabled as a result of mistake or misidentification of the material to be "
    "removed or disabled."
)
JURISDICTION_STATEMENT = _(
    "I consent to the jurisdiction of the Federal District Court for the judicial district "
    "in which my address is located or, if my address is outside the United States, of any "
    "judicial district in which the service provider may be found, and I will accept service "
    "of process from the person who made the removal request or their agent."
)

COUNTER_SHORT_NAMES = {
    "name": _("Your full name"),
    "address": _("Postal address"),
    "phone": _("Telephone"),
    "email": _("Your email address"),
    "material": _("The material and where it was"),
    "explanation": _("Why the decision is wrong"),
    "mistake_statement": _("Statement under penalty of perjury"),
    "jurisdiction_consent": _("Consent to jurisdiction"),
    "signature": SHORT_NAMES["signature"],
    HONEYPOT_FIELD: SHORT_NAMES[HONEYPOT_FIELD],
}


class CounterNoticeForm(forms.Form):
    name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    address = forms.CharField(
        label=_("Postal address"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    phone = forms.CharField(
        label=_("Telephone"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send a link to this address to confirm it is yours."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    material = forms.CharField(
        label=_("The material that was removed and where it appeared"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    explanation = forms.CharField(
        label=_("Why the decision is wrong"),
        help_text=_(
            "Explain why the content should not have been removed: for example that you hold "
            "the rights, that it was licensed, or that it is lawful."
        ),
        max_length=MAX_EXPLANATION,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    mistake_statement = forms.BooleanField(
        label=MISTAKE_STATEMENT, error_messages={"required": STATEMENT_REQUIRED}
    )
    jurisdiction_consent = forms.BooleanField(
        label=JURISDICTION_STATEMENT, error_messages={"required": STATEMENT_REQUIRED}
    )
    signature = forms.CharField(
        label=_("Signature: type your full name"),
        max_length=200,
        error_messages={"required": _("Type your full name as your signature.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def error_links(self) -> list[dict]:
        return [
            {"anchor": field.id_for_label, "name": COUNTER_SHORT_NAMES[field.name], "error": error}
            for field in self
            for error in field.errors
        ]

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get(HONEYPOT_FIELD))

    def submission(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != HONEYPOT_FIELD}
