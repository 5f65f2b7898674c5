from django import forms


class PublicExplanationForm(forms.Form):
    public_explanation = forms.CharField(
        label="Explanation shown on /transparency/",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 90}),
        help_text="Personal data replaced by [private]. Leave empty to show no explanation. "
        "The requester's original stays as it was, visible to staff only.",
    )
