"""The "Public records" section of a removal request's admin page: its DSA statements
and Lumen notice, and where each submission stands. A template tag, so that the takedowns
admin (a lower app) shows what reports stores without importing it."""

from django import template
from django.urls import reverse

from compliance.reports.models import DsaStatement, LumenNotice
from compliance.reports.selectors import PUBLIC_STATUSES

register = template.Library()


@register.inclusion_tag("admin/reports/public_records.html")
def public_records_section(removal_request):
    statements = list(
        DsaStatement.objects.filter(request=removal_request).order_by("created_at", "id")
    )
    for statement in statements:
        statement.download_url = (
            reverse("reports:export-dsa", args=[removal_request.pk]) + f"?puid={statement.puid}"
        )
    return {
        "statements": statements,
        "notice": LumenNotice.objects.filter(request=removal_request).first(),
        "lumen_url": reverse("reports:export-lumen", args=[removal_request.pk]),
        "carried_out": removal_request.status in PUBLIC_STATUSES,
    }
