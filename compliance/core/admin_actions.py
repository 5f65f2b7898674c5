"""Admin actions that ask for a reason (or a small form) before they act.

The action is posted once from the list (or from an object's page) and shows a page with
the form; posted again with "apply" and a valid form, it calls its service for each object.
A service's refusal (an illegal move, a missing element) becomes an error message on the
page, never a server error.
"""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

TEMPLATE = "admin/reason_action.html"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Recorded in the audit trail.",
    )


def return_to(request) -> str:
    """The page an action started from (posted as `_return_to`), if it is one of ours:
    it becomes a link and a redirect, so nothing else may pass."""
    back = request.POST.get("_return_to", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return ""


def form_action(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    intro: str,
    submit_label: str,
    apply,
    form_class=ReasonForm,
    refused=(ValueError,),
    each=True,
):
    """Show `form_class` for `queryset`; once it is valid, call apply(obj, cleaned_data)
    for each object (or, with each=False, apply(queryset, cleaned_data) once, returning
    how many it changed) and report what was done. Returns None (back to the list) when
    done."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        done = 0
        for target in queryset if each else [queryset]:
            try:
                result = apply(target, form.cleaned_data)
                done += 1 if each else result
            except refused as error:
                modeladmin.message_user(request, f"{target}: {error}", messages.ERROR)
        modeladmin.message_user(request, f"{title}: {done} done.", messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": modeladmin.model._meta,
        "queryset": queryset,
        "form": form,
        "action": action,
        "submit_label": submit_label,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "return_to": return_to(request),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)
