"""items/: republished articles.

Anonymous callers see published items only: hidden and withheld ones are missing from the
list, and their URL answers 451 with the same Link header as the page and a JSON account
of why (who asked in terms of role and ground, never a name or an address). Staff see every
item with its status and the reason for it. Compliance officers hide and restore items
through compliance.items.status, exactly as the admin does.

Items are addressed by slug, the same one as their public page (/items/<slug>/).
"""

import django_filters
from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from compliance.core.actors import Actor
from compliance.core.normalise import normalise_domain
from compliance.items.models import Item
from compliance.items.selectors import NEWEST_FIRST, NEWEST_FIRST_ANY_STATUS, item_for_page
from compliance.items.status import items_hide, items_restore
from compliance.takedowns.selectors import item_unavailability
from compliance.web.views import TRANSPARENCY_PATH

from .exceptions import OBJECT_READ_ERRORS, READ_ERRORS, WRITE_ERRORS, domain_errors
from .filters import DayRangeFilter, IdFilter
from .permissions import IsOfficer, is_staff
from .serializers import (
    CaseField,
    FastOutput,
    LicenceSerializer,
    OriginSummarySerializer,
    ReasonInputSerializer,
    RequestReferenceField,
)

SLUG_PATTERN = r"[-a-zA-Z0-9_]+"
PUBLIC_COLUMNS = (
    *("slug", "title", "author", "body", "image_url", "photo_credit", "original_url"),
    *("published_at", "republished_at", "licence_note", "disclaimer"),
    *("origin__name", "origin__domain", "origin__home_page"),
    *("licence_basis__name", "licence_basis__kind", "licence_basis__licence_url"),
    *("licence_basis__valid_from", "licence_basis__expires_at"),
)


# --- output --------------------------------------------------------------------------------


class ItemOutputSerializer(FastOutput, serializers.Serializer):
    """An item with its attribution, as anyone may read it."""

    id = serializers.IntegerField()
    slug = serializers.CharField()
    url = serializers.CharField(source="public_url", help_text="The item's page here.")
    title = serializers.CharField()
    author = serializers.CharField()
    body = serializers.CharField(help_text="Sanitised HTML.")
    image_url = serializers.CharField()
    photo_credit = serializers.CharField()
    original_url = serializers.CharField()
    published_at = serializers.DateTimeField(
        allow_null=True, help_text="When the origin published it."
    )
    republished_at = serializers.DateTimeField(allow_null=True, help_text="When we published it.")
    origin = OriginSummarySerializer()
    licence = LicenceSerializer(source="licence_basis", allow_null=True)
    licence_note = serializers.CharField(help_text="Exactly as shown, frozen at publication.")
    disclaimer = serializers.CharField(help_text="Exactly as shown, frozen at publication.")


class ItemStaffOutputSerializer(ItemOutputSerializer):
    """An item as staff read it: with its status, the reason for it and its evidence. The
    fields marked "staff only" are absent from answers to anyone else."""

    status = serializers.ChoiceField(
        choices=Item.Status.choices, required=False, help_text="Staff only."
    )
    status_reason = serializers.CharField(required=False, help_text="Staff only.")
    status_changed_at = serializers.DateTimeField(required=False, help_text="Staff only.")
    status_request = CaseField(
        source="status_case",
        required=False,
        help_text="Staff only: the reference of the request behind the status, if any.",
    )
    status_rule = serializers.IntegerField(
        source="status_rule_id",
        allow_null=True,
        required=False,
        help_text="Staff only: the block rule behind the status, if any.",
    )
    feed = serializers.IntegerField(
        source="feed_id", allow_null=True, required=False, help_text="Staff only."
    )
    guid = serializers.CharField(required=False, help_text="Staff only.")
    ingested_at = serializers.DateTimeField(required=False, help_text="Staff only.")
    rights_statement = serializers.CharField(
        required=False, help_text="Staff only: what the feed said about rights."
    )
    rights_licence_url = serializers.CharField(required=False, help_text="Staff only.")
    licence_note_sha256 = serializers.CharField(required=False, help_text="Staff only.")
    disclaimer_sha256 = serializers.CharField(required=False, help_text="Staff only.")


class UnavailableSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=[Item.Status.HIDDEN, Item.Status.WITHHELD])
    since = serializers.DateTimeField()
    cause = serializers.ChoiceField(choices=["request", "rule", "licence", "staff", "unknown"])
    reference = serializers.CharField(help_text="The removal request's reference, if any.")
    ground = serializers.CharField(help_text="The request's legal ground, if any.")
    requested_by = serializers.CharField(
        help_text="The requester's role (never a name or an address)."
    )
    rule_kind = serializers.CharField()
    transparency_url = serializers.CharField()


def _unavailable_detail(why) -> str:
    done = "removed" if why.status == Item.Status.HIDDEN else "withheld"
    if why.cause == "request":
        ground = f" on the ground of {why.ground.lower()}" if why.ground else ""
        return f"This item was {done} following a removal request{ground} ({why.reference})."
    if why.cause == "rule":
        return f"This item was {done} under a block rule ({why.rule_kind.lower()})."
    if why.cause == "licence":
        return "This item was withheld: no licence to republish it was in force."
    if why.cause == "staff":
        return "This item was removed by our staff."
    return "This item has not been published here."


def unavailable_response(item: Item) -> Response:
    """451 (RFC 7725), as the item's page answers: the Link to /transparency/, no caching,
    and nothing of the content."""
    why = item_unavailability(item)
    transparency_url = f"{settings.SITE_URL}{TRANSPARENCY_PATH}"
    body = {
        "detail": _unavailable_detail(why),
        "code": "unavailable_for_legal_reasons",
        "status": why.status,
        "since": serializers.DateTimeField().to_representation(why.since),
        "cause": why.cause,
        "reference": why.reference,
        "ground": why.ground,
        "requested_by": why.requested_by,
        "rule_kind": why.rule_kind,
        "transparency_url": transparency_url,
    }
    response = Response(body, status=status.HTTP_451_UNAVAILABLE_FOR_LEGAL_REASONS)
    response["Link"] = f'<{transparency_url}>; rel="blocked-by"'
    response["Cache-Control"] = "no-store"
    return response


# --- input ---------------------------------------------------------------------------------


class ItemActionInputSerializer(ReasonInputSerializer):
    removal_request = RequestReferenceField(
        required=False,
        allow_null=True,
        help_text="The reference of the removal request this action carries out, if any.",
    )


class ItemActionOutputSerializer(serializers.Serializer):
    changed = serializers.IntegerField(
        help_text="1 if the item changed status, 0 if it already was as asked (the call is "
        "safe to repeat)."
    )
    item = ItemStaffOutputSerializer()


class ItemFilter(django_filters.FilterSet):
    origin = IdFilter(field_name="origin_id", help_text="The origin's id.")
    origin_domain = django_filters.CharFilter(
        method="filter_origin_domain", max_length=253, help_text="The origin's domain."
    )
    status = django_filters.ChoiceFilter(
        choices=Item.Status.choices,
        help_text="Anonymous callers only ever see published items.",
    )
    republished = DayRangeFilter(
        field_name="republished_at",
        help_text="Republished on or after (_after) / on or before (_before) a date, YYYY-MM-DD.",
    )

    class Meta:
        model = Item
        fields = ["origin", "origin_domain", "status", "republished"]

    def filter_origin_domain(self, queryset, name, value):
        return queryset.filter(origin__domain=normalise_domain(value))


# --- the view ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List items",
        description="Published items, newest first. Staff see hidden and withheld items too.",
        responses={200: ItemStaffOutputSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One item, by slug",
        responses={
            200: ItemStaffOutputSerializer,
            451: OpenApiResponse(
                UnavailableSerializer,
                description="Hidden or withheld (answered to callers who are not staff), "
                'with `Link: <SITE_URL/transparency/>; rel="blocked-by"`.',
            ),
            **OBJECT_READ_ERRORS,
        },
        parameters=[
            OpenApiParameter(
                "Link",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[451],
                required=True,
                description='`<SITE_URL/transparency/>; rel="blocked-by"`',
            )
        ],
    ),
)
class ItemViewSet(GenericViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filterset_class = ItemFilter
    search_fields = ["title", "author", "origin__name", "origin__domain"]
    ordering_fields = ["republished_at", "published_at", "status_changed_at", "title", "id"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsOfficer()]

    def get_serializer_class(self):
        if is_staff(self.request.user):
            return ItemStaffOutputSerializer
        return ItemOutputSerializer

    def get_queryset(self):
        items = Item.objects.select_related("origin", "licence_basis")
        if not is_staff(self.request.user):
            # What the public answer shows, no more: fewer columns to read and decode.
            return items.published().only(*PUBLIC_COLUMNS).order_by(*NEWEST_FIRST)
        if self.request.query_params.get("status") == Item.Status.PUBLISHED:
            return items.order_by(*NEWEST_FIRST)  # the public lists' index serves it
        return items.order_by(*NEWEST_FIRST_ANY_STATUS)

    def list(self, request):
        items = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(items)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, slug=None):
        item = item_for_page(slug=slug)
        if item is None:
            raise Http404("No such item.")
        if not item.is_visible and not is_staff(request.user):
            return unavailable_response(item)
        return Response(self.get_serializer(item).data)

    def _act(self, request, slug, service):
        item = self._item(slug)
        data = ItemActionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        removal_request = data.validated_data.get("removal_request")
        with domain_errors():
            changed = service(
                items=Item.objects.filter(pk=item.pk),
                actor=Actor.staff(request.user),
                reason=data.validated_data["reason"],
                case=removal_request.reference if removal_request else "",
            )
        item = item_for_page(slug=item.slug)
        return Response(ItemActionOutputSerializer({"changed": changed, "item": item}).data)

    def _item(self, slug) -> Item:
        item = Item.objects.filter(slug=slug).only("pk", "slug").first()
        if item is None:
            raise Http404("No such item.")
        return item

    @extend_schema(
        summary="Hide an item (officers)",
        description="Takes a published item down through the same service as the admin's "
        "action (audit: item.hidden). An item already hidden or withheld stays as it is "
        "(`changed`: 0).",
        request=ItemActionInputSerializer,
        responses={200: ItemActionOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def hide(self, request, slug=None):
        return self._act(request, slug, items_hide)

    @extend_schema(
        summary="Restore a hidden item (officers)",
        description="Publishes a hidden or withheld item again through the same service as "
        "the admin's action (audit: item.restored); one whose licence is not in force stays "
        "withheld. `changed` is 0 when nothing was published.",
        request=ItemActionInputSerializer,
        responses={200: ItemActionOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, slug=None):
        return self._act(request, slug, items_restore)
