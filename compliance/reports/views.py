"""Entry points: the public /transparency/ page, and staff-only views of stored reports,
decision exports and the form that publishes a redacted explanation."""

import json

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from compliance.core.permissions import user_may_decide
from compliance.takedowns.casework import request_explanation_publish
from compliance.takedowns.models import RemovalRequest

from . import exports, selectors
from .dsa_template import template_zip
from .forms import DsaTemplateForm, PublicExplanationForm
from .models import ComplianceReport, DsaStatement, LumenNotice
from .periods import Period, last_full_period, report_zone
from .public_records import public_records_backfill
from .redaction import redact_request_explanation

TRANSPARENCY_PAGE_SIZE = 25
# The stored HTML is ours, but it is served as a page: let it load nothing and run nothing.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


@require_GET
def transparency(request):
    page = Paginator(selectors.transparency_requests(), TRANSPARENCY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "transparency/index.html", {"page": page})


def _download(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_member_required
@require_GET
def report_html(request, pk: int):
    report = get_object_or_404(ComplianceReport, pk=pk)
    response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = REPORT_CSP
    response["Cache-Control"] = "private, no-store"
    return response


@staff_member_required
@require_GET
def report_csv(request, pk: int):
    report = get_object_or_404(ComplianceReport, pk=pk)
    return _download(
        report.csv,
        "text/csv; charset=utf-8",
        f"compliance-report-{report.kind}-{report.first_day:%Y%m%d}.csv",
    )


@staff_member_required
@require_GET
def report_json(request, pk: int):
    report = get_object_or_404(ComplianceReport, pk=pk)
    return _download(
        json.dumps(report.figures, indent=2, ensure_ascii=False),
        "application/json",
        f"compliance-report-{report.kind}-{report.first_day:%Y%m%d}.json",
    )


def _decision(request_id: int) -> RemovalRequest:
    try:
        return selectors.decision_for_export(request_id=request_id)
    except RemovalRequest.DoesNotExist:
        raise Http404("No such removal request") from None


def _stored(model, removal_request, **filters):
    """The record stored at the decision (made now if the decision predates records)."""
    record = model.objects.filter(request=removal_request, **filters).first()
    if record is None:
        public_records_backfill()
        record = model.objects.filter(request=removal_request, **filters).first()
    return record


def _record_download(payload: dict, filename: str) -> JsonResponse:
    response = JsonResponse(payload, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_member_required
@require_GET
def export_dsa(request, request_id: int):
    """The decision's statement of reasons; `?puid=` picks another of the request's
    statements (a reversal's)."""
    removal_request = _decision(request_id)
    if removal_request.status not in selectors.PUBLIC_STATUSES:
        return JsonResponse(
            {
                "error": "A statement of reasons exists only for a request that was carried out "
                f"(completed or reversed); {removal_request} is {removal_request.status}."
            },
            status=409,
        )
    wanted = {"puid": request.GET["puid"]} if request.GET.get("puid") else {"kind": "decision"}
    statement = _stored(DsaStatement, removal_request, **wanted)
    if statement is None:
        raise Http404("No such statement")
    return _record_download(statement.payload, f"{statement.puid}-dsa-statement.json")


@staff_member_required
@require_GET
def export_lumen(request, request_id: int):
    removal_request = _decision(request_id)
    notice = None
    if removal_request.status in (*selectors.PUBLIC_STATUSES, RemovalRequest.Status.REJECTED):
        notice = _stored(LumenNotice, removal_request)
    # An undecided request has no stored notice yet: a draft of what it would be.
    payload = notice.payload if notice else exports.lumen_notice(removal_request)
    return _record_download(payload, f"{exports.puid(removal_request)}-lumen-notice.json")


@staff_member_required
@require_http_methods(["GET", "POST"])
def publish_explanation(request, request_id: int):
    removal_request = get_object_or_404(
        RemovalRequest.objects.select_related("origin"), pk=request_id
    )
    suggested = redact_request_explanation(removal_request)
    if request.method == "POST":
        if not user_may_decide(request.user):
            raise PermissionDenied("Only compliance officers may publish an explanation.")
        form = PublicExplanationForm(request.POST)
        if form.is_valid():
            request_explanation_publish(
                removal_request=removal_request,
                text=form.cleaned_data["public_explanation"],
                user=request.user,
            )
            messages.success(
                request,
                "Saved: /transparency/ shows this explanation."
                if removal_request.public_explanation
                else "Saved: /transparency/ shows no explanation.",
            )
            return redirect("reports:publish-explanation", request_id=removal_request.pk)
    else:
        form = PublicExplanationForm(
            initial={"public_explanation": removal_request.public_explanation or suggested}
        )
    return render(
        request,
        "transparency/publish_explanation.html",
        {
            "removal_request": removal_request,
            "form": form,
            "suggested": suggested,
            "can_publish": user_may_decide(request.user),
            "is_public": removal_request.status in selectors.PUBLIC_STATUSES,
            "title": f"Public explanation of {removal_request}",
        },
    )


@staff_member_required
@require_GET
def dsa_template_download(request):
    """The DSA transparency report's tables as a ZIP (a CSV per table and the JSON), for
    the period chosen on this page."""
    form = DsaTemplateForm(request.GET or None)
    if form.is_valid():
        data, zone = form.cleaned_data, report_zone()
        if data["since"]:
            period = Period(data["period"], data["since"], data["until"], zone)
        else:
            period = last_full_period(data["period"], zone=zone)
        return _download(
            template_zip(period),
            "application/zip",
            f"dsa-transparency-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.zip",
        )
    title = "DSA transparency report tables"
    return render(request, "admin/reports/dsa_template.html", {"form": form, "title": title})
