"""The public counter-notice pages: the form (linked from each 451 of a takedown) and the
verification link mailed to its sender. Entry points only (counter_intake does the work)."""

from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from .counter_forms import CounterNoticeForm
from .counter_intake import counter_notice_submit, counter_notice_target, counter_notice_verify
from .views import secret_url_page


@require_http_methods(["GET", "HEAD", "POST"])
def counter_notice_form(request):
    """GET/POST /takedown/counter-notice/?item=<slug>."""
    slug = request.GET.get("item", "")[:200]
    target = counter_notice_target(slug=slug) if slug else None
    if target is None:
        return render(request, "takedowns/counter_notice_none.html", status=404)
    item, removal_request = target
    if request.method != "POST":
        form = CounterNoticeForm(initial={"material": item.public_url})
    else:
        form = CounterNoticeForm(request.POST)
        if form.is_valid():
            if not form.is_robot:
                counter_notice_submit(
                    item=item,
                    removal_request=removal_request,
                    language=translation.get_language() or "",
                    **form.submission(),
                )
            return redirect("takedowns:counter-notice-sent")
    context = {"form": form, "reference": removal_request.reference, "slug": item.slug}
    return render(request, "takedowns/counter_notice_form.html", context)


@require_GET
def counter_notice_sent(request):
    return render(request, "takedowns/counter_notice_sent.html")


@require_GET
@secret_url_page
def counter_notice_verify_link(request, token):
    outcome, submission = counter_notice_verify(token=token[:64])
    status = {"invalid": 404, "expired": 410}.get(outcome, 200)
    context = {"outcome": outcome, "submission": submission}
    return render(request, "takedowns/counter_notice_verify.html", context, status=status)
