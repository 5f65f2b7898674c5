"""reports/: the stored compliance reports (staff read), each with its CSV."""

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.viewsets import ReadOnlyModelViewSet

from compliance.reports.models import ComplianceReport

from .exceptions import OBJECT_READ_ERRORS, READ_ERRORS


class ReportSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ComplianceReport.Kind.choices)
    period = serializers.CharField(source="period_label")
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    start = serializers.DateTimeField(help_text="First instant of the period.")
    end = serializers.DateTimeField(help_text="First instant after the period.")
    time_zone = serializers.CharField()
    generated_at = serializers.DateTimeField()
    recipients = serializers.ListField(child=serializers.CharField())
    delivered_at = serializers.DateTimeField(allow_null=True)
    breaches = serializers.IntegerField(
        help_text="Invariant breaches found: items published despite a rule, completed "
        "requests whose items are still shown."
    )


class ReportOutputSerializer(ReportSummarySerializer):
    figures = serializers.DictField(help_text="Every figure of the report, as in its JSON.")


class ReportFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ComplianceReport.Kind.choices)

    class Meta:
        model = ComplianceReport
        fields = ["kind"]


@extend_schema_view(
    list=extend_schema(
        summary="List compliance reports (staff)",
        description="The latest period first; the figures are in each report's own answer.",
        responses={200: ReportSummarySerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One compliance report with its figures (staff)",
        responses={200: ReportOutputSerializer, **OBJECT_READ_ERRORS},
    ),
)
class ReportViewSet(ReadOnlyModelViewSet):
    lookup_value_regex = "[0-9]+"
    filterset_class = ReportFilter
    ordering_fields = ["start", "generated_at", "id"]
    queryset = ComplianceReport.objects.order_by("-start", "kind", "-id")

    def get_queryset(self):
        # The stored HTML and CSV are large: read only where they are served.
        reports = super().get_queryset()
        return reports if self.action == "csv" else reports.defer("html", "csv")

    def get_serializer_class(self):
        return ReportOutputSerializer if self.action == "retrieve" else ReportSummarySerializer

    @extend_schema(
        summary="A report's CSV (staff)",
        description="The same file as the report's download in the admin.",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV."),
            **OBJECT_READ_ERRORS,
        },
    )
    @action(detail=True, methods=["get"], url_path="csv")
    def csv(self, request, pk=None):
        report = self.get_object()
        response = HttpResponse(report.csv, content_type="text/csv; charset=utf-8")
        filename = f"compliance-report-{report.kind}-{report.first_day:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
