"""origins/: the sites whose articles are republished (staff read; officers block and
unblock through compliance.takedowns.services, as the takedown jobs do)."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from compliance.audit.services import Actor
from compliance.core.normalise import normalise_domain
from compliance.items.models import Origin
from compliance.takedowns.services import origin_block, origin_unblock

from .exceptions import OBJECT_READ_ERRORS, READ_ERRORS, WRITE_ERRORS, domain_errors
from .filters import BooleanFilter
from .permissions import IsOfficer, IsStaff
from .serializers import LicenceSerializer, ReasonInputSerializer, RequestReferenceField


class OriginOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    name = serializers.CharField()
    home_page = serializers.CharField()
    contact_emails = serializers.ListField(
        child=serializers.CharField(), source="contact_email_list"
    )
    licence = LicenceSerializer(source="licence_basis", allow_null=True)
    canonical_to_original = serializers.BooleanField()
    noindex = serializers.BooleanField()
    is_blocked = serializers.BooleanField()
    blocked_at = serializers.DateTimeField(allow_null=True)
    blocked_by_request = serializers.CharField(
        source="blocked_by_request.reference", allow_null=True
    )
    attention_needed = serializers.CharField()
    created_at = serializers.DateTimeField()


class OriginBlockInputSerializer(ReasonInputSerializer):
    removal_request = RequestReferenceField(
        required=False,
        allow_null=True,
        help_text="The reference of the removal request behind the block, if any.",
    )


class OriginActionOutputSerializer(serializers.Serializer):
    changed = serializers.BooleanField(
        help_text="False when the origin already was as asked (the call is safe to repeat)."
    )
    origin = OriginOutputSerializer()


class OriginFilter(django_filters.FilterSet):
    domain = django_filters.CharFilter(method="filter_domain", max_length=253)
    blocked = BooleanFilter(
        field_name="blocked_at", lookup_expr="isnull", exclude=True, help_text="Blocked or not."
    )

    class Meta:
        model = Origin
        fields = ["domain", "blocked"]

    def filter_domain(self, queryset, name, value):
        return queryset.filter(domain=normalise_domain(value))


@extend_schema_view(
    list=extend_schema(
        summary="List origins (staff)",
        responses={200: OriginOutputSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One origin (staff)", responses={200: OriginOutputSerializer, **OBJECT_READ_ERRORS}
    ),
)
class OriginViewSet(ReadOnlyModelViewSet):
    serializer_class = OriginOutputSerializer
    lookup_value_regex = "[0-9]+"
    filterset_class = OriginFilter
    search_fields = ["name", "domain", "home_page"]
    ordering_fields = ["name", "domain", "created_at", "blocked_at", "id"]
    queryset = Origin.objects.select_related("licence_basis", "blocked_by_request").order_by(
        "name", "id"
    )

    def get_permissions(self):
        if self.action in ("block", "unblock"):
            return [IsOfficer()]
        return [IsStaff()]

    def _respond(self, origin: Origin, was_blocked: bool) -> Response:
        origin = self.get_queryset().get(pk=origin.pk)
        changed = origin.is_blocked != was_blocked
        output = OriginActionOutputSerializer({"changed": changed, "origin": origin})
        return Response(output.data)

    @extend_schema(
        summary="Block an origin (officers)",
        description="Ingest withholds everything new from the origin (audit: origin.blocked). "
        "Items already published stay so: hide them with items/{slug}/hide/. Blocking a "
        "blocked origin changes nothing.",
        request=OriginBlockInputSerializer,
        responses={200: OriginActionOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        origin = self.get_object()
        data = OriginBlockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        was_blocked = origin.is_blocked
        with domain_errors():
            origin_block(
                origin=origin,
                actor=Actor.staff(request.user),
                reason=data.validated_data["reason"],
                removal_request=data.validated_data.get("removal_request"),
            )
        return self._respond(origin, was_blocked)

    @extend_schema(
        summary="Unblock an origin (officers)",
        description="Ingest publishes the origin's new items again (audit: origin.unblocked). "
        "Items withheld meanwhile stay withheld until restored.",
        request=ReasonInputSerializer,
        responses={200: OriginActionOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def unblock(self, request, pk=None):
        origin = self.get_object()
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        was_blocked = origin.is_blocked
        with domain_errors():
            origin_unblock(
                origin=origin, actor=Actor.staff(request.user), reason=data.validated_data["reason"]
            )
        return self._respond(origin, was_blocked)
