"""The public removal-request form: every element of a DMCA 512(c)(3) notice and a DSA
Article 16(2) notice, each required, each with a size limit."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compliance.core.normalise import is_web_address, normalise_url

from .evidence import evidence_check
from .intake import MAX_EXPLANATION, MAX_URL_LENGTH, MAX_URLS
from .models import RemovalRequest

HONEYPOT_FIELD = "website"

# The statements are worded for the ground. Copyright keeps the two statements of a DMCA
# notice (17 U.S.C. 512(c)(3)(A)(v) and (vi)); every other ground (a withdrawn licence,
# privacy, defamation, other) uses the DSA Article 16(2)(d) statement instead and asks
# nobody to swear to copyright.
GOOD_FAITH_STATEMENT = _(
    "I have a good-faith belief that the use of the material described above is not "
    "authorised by the copyright owner, its agent, or the law."
)
ACCURACY_STATEMENT = _(
    "I state that the information in this notice is accurate and complete and, under "
    "penalty of perjury, that I am the owner of the rights concerned or am authorised to act "
    "on the owner's behalf."
)
DSA_GOOD_FAITH_STATEMENT = _(
    "I have a good-faith belief that the content described above is unlawful, or against "
    "the terms under which it was published, for the reasons I give."
)
DSA_ACCURACY_STATEMENT = _(
    "I confirm my bona fide belief that the information and allegations in this notice "
    "are accurate and complete."
)
COPYRIGHT_GROUNDS = {"copyright"}

STATEMENT_REQUIRED = _("A removal notice is valid only with this statement: tick it to confirm.")
# Only those who speak for the whole site may ask for all of it to go.
WHOLE_ORIGIN_ROLES = {"rights_holder"}
WHOLE_ORIGIN_NOTE = _(
    "“The whole origin” removes everything we republished from that site and keeps out "
    "whatever it publishes later, so only a rights holder or a representative of the site "
    "may ask for it."
)


# How the error summary names each field (the statements' labels are too long for it).
SHORT_NAMES = {
    "requester_name": _("Your full name"),
    "requester_email": _("Your email address"),
    "organisation": _("Organisation"),
    "role": _("You are"),
    "urls": _("Addresses (URLs)"),
    "scope": _("Remove"),
    "future": _("Now and in the future"),
    "ground": _("What is wrong?"),
    "explanation": _("Explanation"),
    "good_faith": _("Good-faith statement"),
    "accuracy": _("Accuracy statement"),
    "signature": _("Signature"),
    "evidence": _("Evidence"),
    "website": _("Leave this field empty"),
}


def _lazy_format(message, sizes=False, **numbers):
    """`message % numbers` when rendered, in the language then active, numbers grouped as
    that language writes them (10,000 / 10 000 / 10.000); with `sizes`, byte counts other
    than `count` are written as file sizes (5.0 MB)."""
    from django.utils.functional import lazy

    def shown(name, value):
        if sizes and name != "count":
            return filesizeformat(value)
        return number_format(value, force_grouping=True)

    def render():
        return str(message) % {k: shown(k, v) for k, v in numbers.items()}

    return lazy(render, str)()


def _length(field: str) -> int:
    return RemovalRequest._meta.get_field(field).max_length


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [f for f in (super(MultipleFileField, self).clean(d, initial) for d in files) if f]


class RemovalRequestForm(forms.Form):
    # For the template: each statement in both wordings, and why "the whole origin" is
    # not for everyone.
    good_faith_statement, accuracy_statement = GOOD_FAITH_STATEMENT, ACCURACY_STATEMENT
    dsa_good_faith_statement, dsa_accuracy_statement = (
        DSA_GOOD_FAITH_STATEMENT,
        DSA_ACCURACY_STATEMENT,
    )
    whole_origin_note = WHOLE_ORIGIN_NOTE

    requester_name = forms.CharField(
        label=_("Your full name"),
        max_length=_length("requester_name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    requester_email = forms.EmailField(
        label=_("Your email address"),
        max_length=_length("requester_email"),
        help_text=_("We send a link to this address to confirm it is yours."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    organisation = forms.CharField(
        label=_("Organisation (optional)"),
        max_length=_length("organisation"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    role = forms.ChoiceField(
        label=_("You are"), choices=RemovalRequest.Role.choices, widget=forms.RadioSelect
    )
    urls = forms.CharField(
        label=_("Addresses (URLs) of the pages concerned"),
        help_text=_lazy_format(
            _("One per line, at most %(count)s: pages on this site or the original articles."),
            count=MAX_URLS,
        ),
        max_length=MAX_URLS * (MAX_URL_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    scope = forms.ChoiceField(
        label=_("Remove"),
        choices=RemovalRequest.Scope.choices,
        initial=RemovalRequest.Scope.ITEMS,
        widget=forms.RadioSelect,
    )
    future = forms.BooleanField(
        label=_(
            "Now and in the future: also keep out anything matching this request that "
            "the feed publishes later"
        ),
        required=False,
    )
    ground = forms.ChoiceField(
        label=_("What is wrong?"), choices=RemovalRequest.Ground.choices, widget=forms.RadioSelect
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        help_text=_lazy_format(
            _(
                "Identify the work or right concerned and explain why the pages should be "
                "removed (at most %(count)s characters)."
            ),
            count=MAX_EXPLANATION,
        ),
        max_length=MAX_EXPLANATION,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    good_faith = forms.BooleanField(
        label=GOOD_FAITH_STATEMENT, error_messages={"required": STATEMENT_REQUIRED}
    )
    accuracy = forms.BooleanField(
        label=ACCURACY_STATEMENT, error_messages={"required": STATEMENT_REQUIRED}
    )
    evidence = MultipleFileField(
        label=_("Evidence (optional)"),
        required=False,
        help_text=_lazy_format(
            _(
                "Up to %(count)s files: PDF, PNG, JPEG or plain text, at most %(file)s each "
                "and %(total)s together. Only our staff see them; they are never published. "
                "If the form comes back with an error, choose the files again."
            ),
            count=settings.EVIDENCE_MAX_FILES,
            file=settings.EVIDENCE_MAX_FILE_BYTES,
            total=settings.EVIDENCE_MAX_TOTAL_BYTES,
            sizes=True,
        ),
        widget=MultipleFileInput(
            attrs={
                "accept": ".pdf,.png,.jpg,.jpeg,.txt,"
                "application/pdf,image/png,image/jpeg,text/plain"
            }
        ),
    )
    signature = forms.CharField(
        label=_("Signature: type your full name"),
        max_length=_length("signature"),
        error_messages={"required": _("Type your full name as your signature.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # The honeypot: hidden by CSS, skipped by keyboard, labelled for screen readers. People
    # leave it empty; form-filling robots do not.
    website = forms.CharField(
        label=_("Leave this field empty"),
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
                errors.append(
                    gettext("“%(url)s…” is longer than %(count)s characters.")
                    % {"url": url[:60], "count": MAX_URL_LENGTH}
                )
                continue
            if not is_web_address(url):
                errors.append(
                    gettext("“%(url)s” is not a web address starting with http(s)://.")
                    % {"url": url[:200]}
                )
                continue
            key = normalise_url(url)
            if key not in seen:
                seen.add(key)
                urls.append(url)
        if errors:
            raise ValidationError(errors)
        if not urls:
            raise ValidationError(gettext("Give the address of at least one page."))
        if len(urls) > MAX_URLS:
            raise ValidationError(
                gettext(
                    "At most %(max)s addresses per request (you gave %(count)s); please send "
                    "the rest in another request."
                )
                % {"max": MAX_URLS, "count": len(urls)}
            )
        return urls

    def clean_evidence(self) -> list[tuple]:
        """The uploads with the type read from their content."""
        return evidence_check(self.cleaned_data["evidence"])

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("scope") == RemovalRequest.Scope.ORIGIN
            and cleaned.get("role")
            and cleaned["role"] not in WHOLE_ORIGIN_ROLES
        ):
            self.add_error("scope", WHOLE_ORIGIN_NOTE)
        return cleaned

    def error_links(self) -> list[dict]:
        """Each error once, in the page's order, with the id of the input it is about (the
        first radio of a group), for the error summary's links."""
        links = []
        for field in self:
            if field.is_hidden or not field.errors:
                continue
            anchor = field.id_for_label
            if field.widget_type == "radioselect":
                anchor = f"{field.auto_id}_0"
            for error in field.errors:
                links.append({"anchor": anchor, "name": SHORT_NAMES[field.name], "error": error})
        return links

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
                "evidence",
            )
        }
