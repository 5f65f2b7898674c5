"""block-rules/: what keeps content down "in the future" (staff read; rules are made and
deactivated by the takedown jobs and the admin, never through the API)."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.viewsets import ReadOnlyModelViewSet

from compliance.items.models import BlockRule

from .exceptions import OBJECT_READ_ERRORS, READ_ERRORS
from .filters import BooleanFilter, IdFilter
from .serializers import CaseField


class BlockRuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=BlockRule.Kind.choices)
    description = serializers.CharField(source="__str__")
    origin = serializers.IntegerField(source="origin_id")
    domain = serializers.CharField()
    url = serializers.CharField(help_text="Normalised original URL (kind url).")
    author = serializers.CharField(help_text="The author (kind author).")
    request = CaseField(
        source="case",
        help_text="The reference of the removal request that asked for it, if any.",
    )
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    deactivated_at = serializers.DateTimeField(allow_null=True)


class BlockRuleFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=BlockRule.Kind.choices)
    is_active = BooleanFilter()
    origin = IdFilter(field_name="origin_id", help_text="The origin's id.")
    request = django_filters.CharFilter(
        field_name="case", max_length=20, help_text="A request's reference."
    )

    class Meta:
        model = BlockRule
        fields = ["kind", "is_active", "origin", "request"]


@extend_schema_view(
    list=extend_schema(
        summary="List block rules (staff)",
        responses={200: BlockRuleOutputSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One block rule (staff)",
        responses={200: BlockRuleOutputSerializer, **OBJECT_READ_ERRORS},
    ),
)
class BlockRuleViewSet(ReadOnlyModelViewSet):
    serializer_class = BlockRuleOutputSerializer
    lookup_value_regex = "[0-9]+"
    filterset_class = BlockRuleFilter
    search_fields = ["domain", "url", "author"]
    ordering_fields = ["created_at", "deactivated_at", "id"]
    queryset = BlockRule.objects.order_by("-created_at", "-id")
