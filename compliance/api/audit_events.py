"""audit-events/: the append-only audit trail (staff read; nothing writes it here).

Filter by object (`object_type` as "app_label.model", e.g. "takedowns.removalrequest", and
`object_id`), by the removal request an event belongs to (`request`, its reference), by
action ("request.approved") and by time.
"""

import django_filters
from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.viewsets import ReadOnlyModelViewSet

from compliance.audit.models import AuditEvent

from .exceptions import OBJECT_READ_ERRORS, READ_ERRORS
from .filters import IdFilter, InstantRangeFilter
from .serializers import CaseField


class AuditEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor_kind = serializers.ChoiceField(choices=AuditEvent.ActorKind.choices)
    actor_name = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.SerializerMethodField(help_text='"app_label.model"')
    object_id = serializers.IntegerField()
    object_repr = serializers.CharField()
    request = CaseField(source="case")
    reason = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()

    def get_object_type(self, event) -> str:
        return f"{event.content_type.app_label}.{event.content_type.model}"


class AuditEventFilter(django_filters.FilterSet):
    object_type = django_filters.CharFilter(
        method="filter_object_type",
        max_length=200,
        help_text='The object\'s type, "app_label.model": items.item, items.origin, '
        "items.feed, takedowns.removalrequest, items.blockrule, …",
    )
    object_id = IdFilter(help_text="The object's id (with object_type).")
    request = django_filters.CharFilter(
        field_name="case", max_length=20, help_text="A request's reference."
    )
    action = django_filters.CharFilter(max_length=64, help_text='e.g. "request.approved"')
    actor_kind = django_filters.ChoiceFilter(choices=AuditEvent.ActorKind.choices)
    at = InstantRangeFilter(
        help_text="At or after (_after) / before or at (_before) an ISO 8601 time."
    )

    class Meta:
        model = AuditEvent
        fields = ["object_type", "object_id", "request", "action", "actor_kind", "at"]

    def filter_object_type(self, queryset, name, value):
        app_label, _, model = value.partition(".")
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        if content_type is None:
            raise ValidationError(
                {"object_type": [f"Unknown object type “{value[:60]}”; use app_label.model."]}
            )
        return queryset.filter(content_type=content_type)


@extend_schema_view(
    list=extend_schema(
        summary="List audit events (staff)",
        description="The newest first.",
        responses={200: AuditEventOutputSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One audit event (staff)",
        responses={200: AuditEventOutputSerializer, **OBJECT_READ_ERRORS},
    ),
)
class AuditEventViewSet(ReadOnlyModelViewSet):
    serializer_class = AuditEventOutputSerializer
    lookup_value_regex = "[0-9]+"
    filterset_class = AuditEventFilter
    search_fields = ["action", "actor_name", "object_repr", "reason"]
    ordering_fields = ["at", "id"]
    queryset = AuditEvent.objects.select_related("content_type").order_by("-at", "-id")
