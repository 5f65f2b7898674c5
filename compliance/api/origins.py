"""origins/: the sites whose articles are republished (staff read; officers block and
unblock through compliance.items.rules, as the admin and the takedown jobs do). An origin
is blocked while an active origin rule covers it."""

import django_filters
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import NullIf
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from compliance.core.actors import Actor
from compliance.core.normalise import normalise_domain
from compliance.items.models import BlockRule, Origin
from compliance.items.rules import origin_block_create, origin_block_lift
from compliance.items.staydown import origin_block_expression

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
    blocked_at = serializers.DateTimeField(
        allow_null=True, help_text="Since when its oldest active origin rule blocks it."
    )
    blocked_by_request = serializers.CharField(
        source="blocked_by_case",
        allow_null=True,
        help_text="The reference of the removal request behind that block, if any.",
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
    blocked = BooleanFilter(field_name="is_blocked", help_text="Blocked or not.")

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

    def get_queryset(self):
        # The block as the matcher sees it: the oldest active origin rule on the domain
        # (an exact domain here; a block on a parent domain shows in is_blocked).
        oldest = BlockRule.objects.filter(
            is_active=True, kind=BlockRule.Kind.ORIGIN, domain=OuterRef("domain")
        ).order_by("pk")
        return (
            Origin.objects.select_related("licence_basis")
            .annotate(
                is_blocked=origin_block_expression(),
                blocked_at=Subquery(oldest.values("created_at")[:1]),
                blocked_by_case=NullIf(Subquery(oldest.values("case")[:1]), Value("")),
            )
            .order_by("name", "id")
        )

    def get_permissions(self):
        if self.action in ("block", "unblock"):
            return [IsOfficer()]
        return [IsStaff()]

    def _respond(self, origin: Origin, changed: bool) -> Response:
        origin = self.get_queryset().get(pk=origin.pk)
        output = OriginActionOutputSerializer({"changed": changed, "origin": origin})
        return Response(output.data)

    @extend_schema(
        summary="Block an origin (officers)",
        description="Ingest withholds everything new from the origin and its subdomains "
        "(an origin rule; audit: origin.blocked). Items already published stay so: hide "
        "them with items/{slug}/hide/. Blocking a blocked origin changes nothing.",
        request=OriginBlockInputSerializer,
        responses={200: OriginActionOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        origin = self.get_object()
        data = OriginBlockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        removal_request = data.validated_data.get("removal_request")
        with domain_errors():
            changed = origin_block_create(
                origin=origin,
                actor=Actor.staff(request.user),
                reason=data.validated_data["reason"],
                case=removal_request.reference if removal_request else "",
            )
        return self._respond(origin, changed)

    @extend_schema(
        summary="Unblock an origin (officers)",
        description="Stops the staff's block of the origin (audit: origin.unblocked). A "
        "block asked for by a removal request is lifted by reversing that request: 400 "
        "says which. Items withheld meanwhile stay withheld until restored.",
        request=ReasonInputSerializer,
        responses={200: OriginActionOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def unblock(self, request, pk=None):
        origin = self.get_object()
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with domain_errors():
            changed = origin_block_lift(
                origin=origin, actor=Actor.staff(request.user), reason=data.validated_data["reason"]
            )
        return self._respond(origin, changed)
