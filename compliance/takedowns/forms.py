"""The public removal-request form: every element of a DMCA 512(c)(3) notice and a DSA
Article 16(2) notice, each required, each with a size limit."""

from django import forms
from django.core.exceptions import ValidationError

from compliance.core.normalise import is_web_address, normalise_url

from .intake import MAX_EXPLANATION, MAX_URL_LENGTH, MAX_URLS
from .models import RemovalRequest

HONEYPOT_FIELD = "website"

GOOD_FAITH_STATEMENT = (
    "I have a good-faith belief that the use of the material described above is not "
    "authorised by the copyright owner, its agent, or the law."
)
ACCURACY_STATEMENT = (
    "I state that the information in this notice is accurate and complete and, under "
    "penalty of perjury, that I am the owner of the rights concerned or am authorised to act "
    "on the owner's behalf."
)

STATEMENT_REQUIRED = "A removal notice is valid only with this statement: tick it to confirm."


def _length(field: str) -> int:
    return RemovalRequest._meta.get_field(field).max_length


class RemovalRequestForm(forms.Form):
    requester_name = forms.CharField(
        label="Your full name",
        max_length=_length("requester_name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    requester_email = forms.EmailField(
        label="Your email address",
        max_length=_length("requester_email"),
        help_text="We send a link to this address to confirm it is yours.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    organisation = forms.CharField(
        label="Organisation (optional)",
        max_length=_length("organisation"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    role = forms.ChoiceField(
        label="You are", choices=RemovalRequest.Role.choices, widget=forms.RadioSelect
    )
    urls = forms.CharField(
        label="Addresses (URLs) of the pages concerned",
        help_text=f"One per line, at most {MAX_URLS}: pages on this site or the original articles.",
        max_length=MAX_URLS * (MAX_URL_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    scope = forms.ChoiceField(
        label="Remove",
        choices=RemovalRequest.Scope.choices,
        initial=RemovalRequest.Scope.ITEMS,
        widget=forms.RadioSelect,
    )
    future = forms.BooleanField(
        label="Now and in the future: also keep out anything matching this request that "
        "the feed publishes later",
        required=False,
    )
    ground = forms.ChoiceField(
        label="Legal ground", choices=RemovalRequest.Ground.choices, widget=forms.RadioSelect
    )
    explanation = forms.CharField(
        label="Explanation",
        help_text="Identify the work or right concerned and explain why the pages should be "
        f"removed (at most {MAX_EXPLANATION:,} characters).",
        max_length=MAX_EXPLANATION,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    good_faith = forms.BooleanField(
        label=GOOD_FAITH_STATEMENT, error_messages={"required": STATEMENT_REQUIRED}
    )
    accuracy = forms.BooleanField(
        label=ACCURACY_STATEMENT, error_messages={"required": STATEMENT_REQUIRED}
    )
    signature = forms.CharField(
        label="Signature: type your full name",
        max_length=_length("signature"),
        error_messages={"required": "Type your full name as your signature."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # The honeypot: hidden by CSS, skipped by keyboard, labelled for screen readers. People
    # leave it empty; form-filling robots do not.
    website = forms.CharField(
        label="Leave this field empty",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        # Labels are sentences (the statements): no colon after them.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_urls(self) -> list[str]:
        urls, seen, errors = [], set(), []
        for line in self.cleaned_data["urls"].splitlines():
            url = line.strip()
            if not url:
                continue
            if len(url) > MAX_URL_LENGTH:
                errors.append(f"“{url[:60]}…” is longer than {MAX_URL_LENGTH} characters.")
                continue
            if not is_web_address(url):
                errors.append(f"“{url[:200]}” is not a web address starting with http(s)://.")
                continue
            key = normalise_url(url)
            if key not in seen:
                seen.add(key)
                urls.append(url)
        if errors:
            raise ValidationError(errors)
        if not urls:
            raise ValidationError("Give the address of at least one page.")
        if len(urls) > MAX_URLS:
            raise ValidationError(
                f"At most {MAX_URLS} addresses per request (you gave {len(urls)}); "
                "please send the rest in another request."
            )
        return urls

    @property
    def is_robot(self) -> bool:
        """The honeypot was filled in."""
        return bool(self.cleaned_data.get(HONEYPOT_FIELD))

    def submission(self) -> dict:
        """The cleaned values as request_submit's keyword arguments."""
        return {
            name: self.cleaned_data[name]
            for name in (
                "requester_name",
                "requester_email",
                "organisation",
                "role",
                "urls",
                "scope",
                "future",
                "ground",
                "explanation",
                "good_faith",
                "accuracy",
                "signature",
            )
        }
