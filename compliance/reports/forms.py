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


class DsaTemplateForm(forms.Form):
    """Which period the DSA transparency tables cover: the last full half-year or year,
    or the days given (both inclusive)."""

    period = forms.ChoiceField(
        choices=[("year", "Last full calendar year"), ("half-year", "Last full half-year")]
    )
    since = forms.DateField(required=False, help_text="First day (optional), YYYY-MM-DD.")
    until = forms.DateField(required=False, help_text="Last day (optional), YYYY-MM-DD.")

    def clean(self):
        data = super().clean()
        if (data.get("since") is None) != (data.get("until") is None):
            raise forms.ValidationError("Give both the first and the last day, or neither.")
        if data.get("since") and data["until"] < data["since"]:
            raise forms.ValidationError("The last day is before the first.")
        return data
