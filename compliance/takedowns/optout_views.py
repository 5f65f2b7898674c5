"""/takedown/opt-out/: an origin's representative asks for a token, publishes it, and asks
us to verify it (compliance.takedowns.optout). Entry points only."""

from functools import wraps
from urllib.parse import urlsplit

from django import forms
from django.core.validators import DomainNameValidator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from compliance.core.normalise import normalise_domain

from .models import OriginOptOut, RemovalRequest
from .optout import OptOutError, optout_file_url, optout_request, optout_verify
from .tokens import status_url
from .views import STATUS_TOKEN, _not_found, secret_url_page


def secret_form_page(view):
    """secret_url_page for a page that posts to itself: the Referer stays on this site
    (same-origin), because under "no-referrer" browsers send `Origin: null` with the POST
    and Django's CSRF check refuses it; other sites still never see the URL."""
    page = secret_url_page(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = page(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapper


class OptOutForm(forms.Form):
    domain = forms.CharField(
        max_length=253, label=_("Your site's domain"), help_text=_("For example: example.com")
    )
    requester_name = forms.CharField(max_length=200, label=_("Your full name"))
    requester_email = forms.EmailField(
        label=_("Your email address"), help_text=_("We confirm the removal to this address.")
    )

    def clean_domain(self):
        typed = self.cleaned_data["domain"].strip()
        # A pasted address is fine: its host is the domain.
        host = urlsplit(typed if "://" in typed else f"//{typed}").hostname or ""
        domain = normalise_domain(host)
        DomainNameValidator(accept_idna=True)(domain)
        return domain


@require_http_methods(["GET", "HEAD", "POST"])
def opt_out(request):
    form = OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            opt_out = optout_request(**form.cleaned_data)
        except OptOutError as exc:
            form.add_error("domain", str(exc))
        else:
            return redirect("takedowns:opt-out-verify", key=opt_out.page_key)
    return render(request, "takedowns/opt_out.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@secret_form_page
def opt_out_verify(request, key):
    opt_out = None
    if STATUS_TOKEN.fullmatch(key):
        opt_out = OriginOptOut.objects.select_related("origin").filter(page_key=key).first()
    if opt_out is None:
        return _not_found(request)
    context = {"opt_out": opt_out, "file_url": optout_file_url(opt_out.origin)}
    if request.method == "POST":
        try:
            removal_request = optout_verify(opt_out=opt_out)
        except OptOutError as exc:
            context["problem"] = str(exc)
        else:
            opt_out.refresh_from_db()
            context["removal_request"] = removal_request
            context["status_url"] = status_url(removal_request)
    elif opt_out.case:
        context["removal_request"] = RemovalRequest.objects.filter(reference=opt_out.case).first()
        context["status_url"] = (
            status_url(context["removal_request"]) if context["removal_request"] else ""
        )
    return render(request, "takedowns/opt_out_verify.html", context)
