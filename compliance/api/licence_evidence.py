"""items/<slug>/licence-evidence/?at=YYYY-MM-DD: which basis applied to an item on a day,
and the readings of the origin's (and the item's own) licensing signals that supported it,
each snapshot with its kind, where it was found, its SHA-256 and when it was fetched. Staff
only: the evidence is the compliance team's, hidden items included."""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.items.models import Item
from compliance.licensing.selectors import item_licence_evidence

from .exceptions import OBJECT_READ_ERRORS
from .permissions import IsStaff
from .serializers import LicenceSerializer


class EvidenceQuerySerializer(serializers.Serializer):
    at = serializers.DateField(
        required=False, help_text="The day (UTC), YYYY-MM-DD; today when omitted."
    )


class SnapshotSerializer(serializers.Serializer):
    kind = serializers.CharField()
    source_url = serializers.CharField(source="location")
    value = serializers.CharField()
    sha256 = serializers.CharField()
    http_status = serializers.IntegerField(allow_null=True)
    fetched_at = serializers.DateTimeField()
    verdict = serializers.CharField(source="licence_check.verdict")


class ReadingSerializer(serializers.Serializer):
    scope = serializers.SerializerMethodField()
    checked_at = serializers.DateTimeField()
    verdict = serializers.CharField()
    permission = serializers.CharField()
    contradiction = serializers.CharField()
    snapshots = SnapshotSerializer(many=True, source="snapshots.all")

    def get_scope(self, check) -> str:
        return "item" if check.item_id else "origin"


class EvidenceSerializer(serializers.Serializer):
    item = serializers.CharField(source="item_slug")
    at = serializers.DateField(source="on")
    basis = LicenceSerializer(allow_null=True)
    basis_in_force = serializers.BooleanField()
    readings = ReadingSerializer(many=True, source="checks")


class LicenceEvidenceView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        summary="Licence evidence of an item for a date (staff)",
        description="The licence basis recorded for the item and whether it was in force on "
        "`at`; the last reading of the origin's signals and of the item's own page made by "
        "the end of that day (UTC), with every snapshot's kind, source URL, SHA-256, fetch "
        "time and the verdict of its reading.",
        parameters=[
            OpenApiParameter("at", OpenApiTypes.DATE, description="YYYY-MM-DD; default today")
        ],
        responses={200: EvidenceSerializer, **OBJECT_READ_ERRORS},
    )
    def get(self, request, slug):
        query = EvidenceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        item = Item.objects.select_related("licence_basis").filter(slug=slug).first()
        if item is None:
            raise Http404("No such item.")
        evidence = item_licence_evidence(
            item, query.validated_data.get("at") or timezone.now().date()
        )
        evidence.item_slug = item.slug
        return Response(EvidenceSerializer(evidence).data)
