"""feeds/: origins' RSS and Atom feeds. Staff read; compliance officers add, change and
delete feeds (compliance.items.configuration, the admin's services too) and ask for a
fetch now (the ingest task, queued after commit)."""

import django_filters
from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ModelViewSet

from compliance.core.actors import Actor
from compliance.core.queue import enqueue_on_commit
from compliance.items.configuration import feed_create, feed_delete, feed_update
from compliance.items.models import Feed, Origin
from compliance.items.tasks import ingest_feed

from .exceptions import OBJECT_READ_ERRORS, READ_ERRORS, WRITE_ERRORS, Conflict, domain_errors
from .filters import BooleanFilter, IdFilter
from .permissions import IsOfficer, IsStaff
from .serializers import WEB_URL, StrictBooleanField, StrictCharField, StrictIntegerField

MAX_POLL_MINUTES = 7 * 24 * 60


class FeedOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    origin = serializers.IntegerField(source="origin_id")
    url = serializers.CharField()
    title = serializers.CharField()
    is_active = serializers.BooleanField()
    poll_interval_minutes = serializers.IntegerField()
    last_fetched_at = serializers.DateTimeField(allow_null=True)
    last_outcome = serializers.ChoiceField(choices=[("", "Never fetched"), *Feed.Outcome.choices])
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    consecutive_failures = serializers.IntegerField()
    next_fetch_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class FeedInputSerializer(serializers.Serializer):
    """What staff set on a feed; fetching fills in the rest. The URL is http(s) only (a file
    path would let the server read its own files), written as the schema's pattern says."""

    origin = serializers.PrimaryKeyRelatedField(queryset=Origin.objects.all())
    url = StrictCharField(
        max_length=Feed._meta.get_field("url").max_length,
        validators=[WEB_URL],
    )
    title = StrictCharField(
        max_length=Feed._meta.get_field("title").max_length, allow_blank=True, default=""
    )
    is_active = StrictBooleanField(default=True)
    poll_interval_minutes = StrictIntegerField(
        min_value=1, max_value=MAX_POLL_MINUTES, default=settings.FEED_DEFAULT_POLL_MINUTES
    )

    def validate_url(self, url: str) -> str:
        feeds = Feed.objects.filter(url=url)
        if self.instance is not None:
            feeds = feeds.exclude(pk=self.instance.pk)
        if feeds.exists():
            raise serializers.ValidationError("A feed with this URL exists already.")
        return url


class FetchQueuedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    feed = serializers.IntegerField()


class FeedFilter(django_filters.FilterSet):
    origin = IdFilter(field_name="origin_id", help_text="The origin's id.")
    is_active = BooleanFilter()
    last_outcome = django_filters.ChoiceFilter(choices=Feed.Outcome.choices)

    class Meta:
        model = Feed
        fields = ["origin", "is_active", "last_outcome"]


@extend_schema_view(
    list=extend_schema(
        summary="List feeds (staff)",
        responses={200: FeedOutputSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One feed (staff)", responses={200: FeedOutputSerializer, **OBJECT_READ_ERRORS}
    ),
    create=extend_schema(
        summary="Add a feed (officers)",
        request=FeedInputSerializer,
        responses={201: FeedOutputSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary="Change a feed (officers)",
        request=FeedInputSerializer,
        responses={200: FeedOutputSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change some of a feed's settings (officers)",
        request=FeedInputSerializer(partial=True),
        responses={200: FeedOutputSerializer, **WRITE_ERRORS},
    ),
    destroy=extend_schema(
        summary="Delete a feed (officers)",
        description="Its items stay, without a feed (audit: feed.deleted).",
        responses={204: None, **WRITE_ERRORS},
    ),
)
class FeedViewSet(ModelViewSet):
    serializer_class = FeedOutputSerializer
    lookup_value_regex = "[0-9]+"
    filterset_class = FeedFilter
    search_fields = ["url", "title", "origin__name", "origin__domain"]
    ordering_fields = ["url", "created_at", "last_fetched_at", "next_fetch_at", "id"]
    queryset = Feed.objects.order_by("origin__name", "url", "id")

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [IsStaff()]
        return [IsOfficer()]

    def _input(self, instance=None, partial=False) -> dict:
        data = FeedInputSerializer(instance, data=self.request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def create(self, request):
        fields = self._input()
        with domain_errors():
            feed = feed_create(actor=Actor.staff(request.user), **fields)
        return Response(FeedOutputSerializer(feed).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        feed = self.get_object()
        fields = self._input(feed, partial=partial)
        with domain_errors():
            feed = feed_update(feed=feed, actor=Actor.staff(request.user), **fields)
        return Response(FeedOutputSerializer(feed).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        feed = self.get_object()
        with domain_errors():
            feed_delete(feed=feed, actor=Actor.staff(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Fetch a feed now (officers)",
        description="Queues the ingest task for this feed (on the `ingest` queue) and "
        "answers at once; the feed's last_fetched_at and last_outcome tell how it went. "
        "A paused feed (is_active false) answers 409: reactivate it first.",
        request=None,
        responses={
            202: OpenApiResponse(FetchQueuedSerializer, description="Queued."),
            **WRITE_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def fetch(self, request, pk=None):
        feed = self.get_object()
        if not feed.is_active:
            raise Conflict(f"The feed {feed.url} is paused; reactivate it first.")
        enqueue_on_commit(ingest_feed, feed.pk)
        return Response(
            {"detail": f"Fetching {feed.url} was queued.", "feed": feed.pk},
            status=status.HTTP_202_ACCEPTED,
        )
