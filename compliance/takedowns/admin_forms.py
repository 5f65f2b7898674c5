"""The forms of the staff queue: a request's editable fields, and the pages its actions
show (a rejection's reason, a counter-notice's elements, notice of legal action)."""

from django import forms

from .casework import EDITABLE_ALWAYS, EDITABLE_BEFORE_DECISION
from .models import ReasonTemplate, RemovalRequest


class URLLinesField(forms.CharField):
    """The request's URLs, one per line, stored as a list."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 100})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return list(value)
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class RemovalRequestForm(forms.ModelForm):
    urls = URLLinesField(
        required=False,
        help_text="One per line: the original article's URL, our page of it, or its slug. "
        "Saving resolves them to items again.",
    )

    class Meta:
        model = RemovalRequest
        fields = (*EDITABLE_BEFORE_DECISION, *EDITABLE_ALWAYS, "assignee")


class ReasonForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=ReasonTemplate.objects.filter(is_active=True),
        required=False,
        label="Reason template",
        help_text="Choose one and press “Use this template” to start from its text.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        required=False,
        label="Reason sent to the requester",
        help_text="Mailed to the requester as written here.",
    )
    manifestly_unfounded = forms.BooleanField(
        required=False,
        label="Manifestly unfounded",
        help_text="The notice is manifestly unfounded (DSA Art. 23): it counts towards the "
        "sender's warning and suspension.",
    )


class ApproveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        required=False,
        label="Note (optional)",
        help_text="Recorded with each approval in the audit trail; not mailed.",
    )


class CounterNoticeForm(forms.Form):
    """The elements of a DMCA 512(g)(3) counter-notification, as staff received them."""

    name = forms.CharField(max_length=200)
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    phone = forms.CharField(max_length=50, label="Telephone")
    email = forms.EmailField()
    mistake_statement = forms.BooleanField(
        label="Statement under penalty of perjury",
        help_text="They state, under penalty of perjury, a good-faith belief that the material "
        "was removed as a result of mistake or misidentification.",
    )
    jurisdiction_consent = forms.BooleanField(
        label="Consent to jurisdiction",
        help_text="They consent to the jurisdiction of the competent court and will accept "
        "service of process from the person who asked for the removal.",
    )
    signature = forms.CharField(max_length=200, help_text="Their full name, as signed.")
    explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Why they dispute the removal, in their words.",
    )
    received_at = forms.DateTimeField(
        required=False, help_text="When it reached us (empty: now). Format: 2026-12-07 15:30."
    )


class LegalActionForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        label="Legal action filed",
        help_text="Court, case number, date, and how the requester told us.",
    )
