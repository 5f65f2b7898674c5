"""audit-events/: the append-only audit trail (staff read; nothing writes it here).

Filter by object (`object_type` as "app_label.model", e.g. "takedowns.removalrequest", and
`object_id`), by the removal request an event belongs to (`request`, its reference), by
action ("request.approved") and by time.
"""

import django_filters
from django.apps import apps
from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
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


def object_types() -> list[tuple[str, str]]:
    """Every kind of record audit events are about: courtesy's models, and staff users."""
    models = [m for m in apps.get_models() if m.__module__.startswith("compliance.")]
    models.append(get_user_model())
    names = sorted({f"{m._meta.app_label}.{m._meta.model_name}" for m in models})
    return [(name, name) for name in names]


class AuditEventFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(
        method="filter_object_type",
        choices=object_types,
        help_text='The object\'s type, "app_label.model".',
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

    def filter_object_type(self, queryset, name, value: str):
        app_label, _, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


@extend_schema_view(
    list=extend_schema(
        summary="List audit events (staff)",
        description="The newest first.",
        responses={200: AuditEventOutputSerializer(many=True), **READ_ERRORS},
        parameters=[
            OpenApiParameter(
                "object_type",
                str,
                enum=[name for name, _ in object_types()],
                description='The object\'s type, "app_label.model".',
            )
        ],
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
