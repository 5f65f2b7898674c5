"""The requester's pages: the removal form, the verification link and the status page.

Entry points only: the form validates, the state machine's steps store and mail. The
verification and status links carry secrets, so their pages are never cached and never
send a Referer.
"""

import logging
import math
import re
from functools import wraps

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from . import abuse, intake
from .forms import RemovalRequestForm
from .models import RemovalRequest
from .selectors import request_status_history, request_target_items, request_targets
from .state import TransitionError
from .submission import request_submit, request_verification_resend, request_verify
from .tokens import TokenExpired, TokenInvalid, request_for_verification_token, status_url

logger = logging.getLogger("compliance.takedowns")

TOKEN_MAX_LENGTH = RemovalRequest._meta.get_field("status_token").max_length
STATUS_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{1,{TOKEN_MAX_LENGTH}}}")


def secret_url_page(view):
    """For pages whose URL is a secret: not stored by any cache, not leaked as Referer,
    not indexed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _request_for_status_token(token: str) -> RemovalRequest | None:
    # Status tokens are URL-safe base64; anything else is not looked up at all.
    if not STATUS_TOKEN.fullmatch(token):
        return None
    return RemovalRequest.objects.filter(status_token=token).first()


def _not_found(request):
    return render(request, "takedowns/not_found.html", status=404)


# --- the form ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
def _form(request):
    if request.method != "POST":
        prefill = [
            u.strip()[: intake.MAX_URL_LENGTH]
            for u in request.GET.getlist("url")[: intake.MAX_URLS]
        ]
        form = RemovalRequestForm(initial={"urls": "\n".join(u for u in prefill if u)})
        return render(request, "takedowns/form.html", {"form": form})

    form = RemovalRequestForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "takedowns/form.html", {"form": form})
    if form.is_robot:
        # Discarded without a trace; the page neither confirms nor denies anything, so a
        # robot learns nothing, and a person whose browser filled the field in is told
        # what to do if no mail arrives.
        logger.info("removal form: honeypot filled in, submission discarded")
        return render(request, "takedowns/neutral.html")

    try:
        removal_request = request_submit(
            channel=RemovalRequest.Channel.WEB,
            client_key=intake.client_key_for(request),
            language=translation.get_language() or "",
            **form.submission(),
        )
    except intake.RateLimited as limited:
        retry_at = limited.retry_at
        response = render(
            request, "takedowns/form.html", {"form": form, "retry_at": retry_at}, status=429
        )
        wait = (retry_at - timezone.now()).total_seconds()
        response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    except abuse.SenderSuspended as suspended:
        return render(
            request, "takedowns/form.html", {"form": form, "suspended": suspended}, status=403
        )
    if getattr(removal_request, "joined_existing", False):
        # Joined the sender's open request: the same neutral page, and no status link,
        # since whoever typed the address need not own it.
        return render(request, "takedowns/neutral.html")
    # POST/redirect/GET to a page only the submitter can reach: its URL holds the request's
    # secret status token, which nobody else has.
    return redirect("takedowns:sent", token=removal_request.status_token)


@csrf_exempt  # checked by _form, once the body is known to be of a sane size
def removal_form(request):
    """GET/POST /takedown/: the public removal-request form."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = intake.form_body_limit(request.content_type)
    if length > limit:
        # Refused before the body is read, let alone parsed.
        return render(
            request,
            "takedowns/too_large.html",
            {
                "limit_kib": limit // 1024,
                "max_urls": intake.MAX_URLS,
                # Grouped as the language writes it: 10,000 / 10 000 / 10.000.
                "max_explanation": number_format(intake.MAX_EXPLANATION, force_grouping=True),
            },
            status=413,
        )
    return _form(request)


@require_GET
@secret_url_page
def sent(request, token):
    """The thank-you page after a submission: the reference and the status link."""
    removal_request = _request_for_status_token(token)
    if removal_request is None:
        return _not_found(request)
    return render(
        request,
        "takedowns/sent.html",
        {"removal_request": removal_request, "status_url": status_url(removal_request)},
    )


# --- verification --------------------------------------------------------------------------


@require_GET
@secret_url_page
def verify(request, token):
    """GET /takedown/verify/<token>/: the requester confirms their address.

    Verifying on GET is what the mailed link does; a mail scanner that follows links
    verifies too, which only proves the mail reached that mailbox.
    """
    try:
        removal_request = request_for_verification_token(token)
    except TokenExpired as expired:
        # The link came in the same mail as the status link, so showing the status page,
        # where a new link can be sent to the address on file, reveals nothing new.
        context = {"outcome": "expired", "status_url": status_url(expired.removal_request)}
        return render(request, "takedowns/verify.html", context, status=410)
    except TokenInvalid:
        return render(request, "takedowns/verify.html", {"outcome": "invalid"}, status=404)
    try:
        request_verify(removal_request=removal_request)
        outcome = "verified"
    except TransitionError:
        # Verified before (a second click, or a mail scanner got there first), or closed
        # before it ever was.
        removal_request.refresh_from_db()
        outcome = "already_verified" if removal_request.verified_at else "closed"
    context = {
        "outcome": outcome,
        "removal_request": removal_request,
        "status_url": status_url(removal_request),
    }
    return render(request, "takedowns/verify.html", context)


# --- status --------------------------------------------------------------------------------

# How each status reads to the requester.
STATUS_EXPLAINED = {
    "received": _(
        "We have your request. Please confirm your email address with the link we "
        "sent you; staff review it once the address is confirmed."
    ),
    "verified": _("Your address is verified. Our staff will review the request."),
    "approved": _("Your request was approved; the content is being removed."),
    "processing": _("The content is being removed."),
    "completed": _("Done: the content concerned has been removed."),
    "rejected": _("Your request was not granted."),
    "withdrawn": _("This request was withdrawn."),
    "reversed": _("The removal was reversed and the content restored."),
}
# What the requester may know about an item: only whether it is still shown.
PUBLIC_ITEM_STATES = {"published": _("Still online"), "hidden": _("Removed")}


@require_GET
@secret_url_page
def status(request, token):
    """GET /takedown/status/<token>/: the request's progress, for the requester only."""
    removal_request = _request_for_status_token(token)
    if removal_request is None:
        return _not_found(request)
    targets = []
    for target in request_targets(removal_request):
        item = target.item
        if item is not None and item.status in PUBLIC_ITEM_STATES:
            targets.append(
                {
                    "url": target.url,
                    "title": item.title,
                    "state": PUBLIC_ITEM_STATES[item.status],
                    "link": item.get_absolute_url() if item.is_visible else "",
                }
            )
        else:
            # Unknown, or never published: the URL as given and nothing more.
            targets.append({"url": target.url, "title": "", "state": "", "link": ""})
    covered = {}
    if removal_request.scope != RemovalRequest.Scope.ITEMS:
        covered = dict(
            request_target_items(removal_request)
            .filter(status__in=PUBLIC_ITEM_STATES)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
        )
    context = {
        "removal_request": removal_request,
        "explained": STATUS_EXPLAINED.get(removal_request.status, ""),
        "history": request_status_history(removal_request),
        "targets": targets,
        "covered": {PUBLIC_ITEM_STATES[s]: n for s, n in covered.items()},
        "status_url": status_url(removal_request),
    }
    return render(request, "takedowns/status.html", context)


@require_http_methods(["POST"])
@csrf_protect
@secret_url_page
def resend_verification(request, token):
    """POST /takedown/status/<token>/resend/: a new verification link, mailed only to the
    address the request was made from."""
    removal_request = _request_for_status_token(token)
    if removal_request is None:
        return _not_found(request)
    if request_verification_resend(removal_request=removal_request):
        messages.success(request, _("A new verification link is on its way to your address."))
    else:
        messages.info(
            request,
            _(
                "No new link was sent: the address is already verified, or a link went out "
                "in the last few minutes. Please check your inbox and spam folder."
            ),
        )
    return redirect("takedowns:status", token=token)
