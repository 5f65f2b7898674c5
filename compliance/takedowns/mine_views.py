"""GET/POST /takedown/mine/ and the sign-in link it mails (see mine.py)."""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .mine import SESSION_KEY, requester_records, sign_in_claim, sign_in_link_send
from .views import secret_url_page


class MineForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@secret_url_page
def mine(request):
    email = request.session.get(SESSION_KEY)
    if email and request.method != "POST":
        context = {"email": email, **requester_records(email=email)}
        return render(request, "takedowns/mine_list.html", context)
    form = MineForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        sent = sign_in_link_send(email=form.cleaned_data["email"])
        status = 200 if sent else 429
        return render(request, "takedowns/mine_sent.html", {"sent": sent}, status=status)
    return render(request, "takedowns/mine.html", {"form": form})


@require_GET
@secret_url_page
def mine_sign_in(request, token):
    email = sign_in_claim(token=token[:64])
    if email is None:
        return render(request, "takedowns/mine_invalid.html", status=410)
    request.session.cycle_key()
    request.session[SESSION_KEY] = email
    request.session.set_expiry(3600)  # the list stays open an hour, as the link did
    return redirect("takedowns:mine")


@require_POST
def mine_sign_out(request):
    request.session.pop(SESSION_KEY, None)
    return redirect("takedowns:mine")
