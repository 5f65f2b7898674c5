"""removal-requests/: takedown notices.

Anyone may submit one (POST), with exactly the public form's validation (the fields are
checked by compliance.takedowns.forms.RemovalRequestForm itself), its rate limit per client
address (compliance.takedowns.intake) and its acknowledgement mail (request_submit, channel
"api"). The answer gives the reference and status only: the status page's secret link
goes to the requester's mailbox, as with the form, so a caller who merely knows an address
learns nothing about its requests.

Staff read every request; compliance officers approve and reject; staff who may change
requests (as for the admin's "Mark withdrawn") withdraw. Every change goes through the
state machine (compliance.takedowns.state); a transition it refuses answers 409.
Requests are addressed by reference (TD-2026-00042).
"""

import math

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from compliance.core.actors import Actor
from compliance.reports.models import DsaStatement, PublicRecordState
from compliance.takedowns import abuse, intake
from compliance.takedowns.decisions import request_approve, request_reject, request_withdraw
from compliance.takedowns.forms import RemovalRequestForm
from compliance.takedowns.models import OPEN_STATUSES, RemovalRequest, RemovalTarget
from compliance.takedowns.submission import request_submit

from .exceptions import (
    BAD_REQUEST,
    OBJECT_READ_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    domain_errors,
    error,
)
from .filters import BooleanFilter, DayRangeFilter, IdFilter, MultipleChoiceFilter
from .permissions import IsOfficer, IsStaff, MayWithdraw
from .serializers import (
    REFERENCE,
    WEB_URL,
    OptionalReasonInputSerializer,
    ReasonInputSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
)

Role, Scope, Ground = RemovalRequest.Role, RemovalRequest.Scope, RemovalRequest.Ground
# What the admin's "Mark withdrawn" tells the requester when staff give no reason.
STAFF_WITHDRAWAL = "Marked withdrawn by our staff."


@extend_schema_field({"type": "boolean", "enum": [True]})
class StatementField(StrictBooleanField):
    """A statement the requester must make: only `true` is valid (the form refuses false)."""


def _length(field: str) -> int:
    return RemovalRequest._meta.get_field(field).max_length


# --- submitting ----------------------------------------------------------------------------


class RemovalRequestInputSerializer(serializers.Serializer):
    """The contract's fields, typed for JSON: `urls` a list, `future`, `good_faith` and
    `accuracy` booleans. The public form's own validation decides the rest (http(s)
    addresses only, at most 100, duplicates dropped, the statements confirmed)."""

    requester_name = StrictCharField(max_length=_length("requester_name"))
    requester_email = StrictEmailField(max_length=_length("requester_email"))
    organisation = StrictCharField(
        max_length=_length("organisation"), required=False, allow_blank=True, default=""
    )
    role = StrictChoiceField(choices=Role.choices)
    urls = serializers.ListField(
        child=StrictCharField(max_length=intake.MAX_URL_LENGTH, validators=[WEB_URL]),
        min_length=1,
        max_length=intake.MAX_URLS,
        help_text="The http(s) addresses of the pages concerned: ours or the originals.",
    )
    scope = StrictChoiceField(choices=Scope.choices, default=Scope.ITEMS)
    future = StrictBooleanField(
        default=False, help_text="Now and in the future: keep matching content out later too."
    )
    ground = StrictChoiceField(choices=Ground.choices)
    explanation = StrictCharField(max_length=intake.MAX_EXPLANATION)
    good_faith = StatementField(help_text="The good-faith statement; must be true.")
    accuracy = StatementField(help_text="The accuracy statement; must be true.")
    signature = StrictCharField(
        max_length=_length("signature"), help_text="The requester's full name, typed."
    )

    def validate_urls(self, urls: list[str]) -> list[str]:
        # The form reads one address per line: an entry holding a line break is not one.
        for url in urls:
            if url.splitlines() not in ([], [url]):
                raise serializers.ValidationError(
                    f"“{url[:200]}” is not a web address starting with http(s)://."
                )
        return urls

    def validate(self, data: dict) -> dict:
        """The public form's validation, on the same values: one set of rules."""
        form = RemovalRequestForm(
            data={
                **{name: value for name, value in data.items() if not isinstance(value, bool)},
                "urls": "\n".join(data["urls"]),
                # Checkboxes: present when ticked, absent otherwise.
                **{name: "on" for name, value in data.items() if value is True},
            }
        )
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if name == "__all__" else name): messages
                    for name, messages in form.errors.items()
                }
            )
        return form.submission()


class ReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=RemovalRequest.Status.choices)
    received_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="When staff decide a verified request by.")
    detail = serializers.CharField()


JOINED_DETAIL = (
    "The requester's verified address has an open request for these URLs: this notice "
    "joined it, and nothing new was opened."
)
RECEIPT_DETAIL = (
    "We received your removal request and mailed the requester's address a link to confirm "
    "it; that mail also holds the link to the request's status page. Nothing happens until "
    "the address is confirmed."
)


# --- reading -------------------------------------------------------------------------------


class TargetOutputSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="As given by the requester.")
    item = serializers.CharField(
        source="item.slug", allow_null=True, help_text="The item's slug; null: not found."
    )
    item_status = serializers.CharField(source="item.status", allow_null=True)


class DsaStatementOutputSerializer(serializers.Serializer):
    puid = serializers.CharField()
    kind = serializers.ChoiceField(choices=DsaStatement.Kind.choices)
    state = serializers.ChoiceField(choices=PublicRecordState.choices)
    tdb_id = serializers.CharField(help_text="The Transparency Database's id, once submitted.")
    tdb_uuid = serializers.CharField(help_text="Its UUID, once submitted.")
    errors = serializers.DictField(help_text="Field errors, when the database refused it.")
    last_error = serializers.CharField(help_text="The last failed attempt (retried).")
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class LumenNoticeOutputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=PublicRecordState.choices)
    location = serializers.CharField(help_text="Where Lumen stored it (its 201 Location).")
    reason = serializers.CharField(help_text="Why it was not sent (state skipped).")
    errors = serializers.DictField()
    last_error = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class PublicRecordsOutputSerializer(serializers.Serializer):
    """The decision's public records and where their submission stands."""

    dsa_statements = DsaStatementOutputSerializer(many=True)
    lumen_notice = LumenNoticeOutputSerializer(allow_null=True)


class RemovalRequestOutputSerializer(serializers.Serializer):
    """A request as staff see it in the admin (never its status token or client key)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    channel = serializers.ChoiceField(choices=RemovalRequest.Channel.choices)
    status = serializers.ChoiceField(choices=RemovalRequest.Status.choices)
    requester_name = serializers.CharField()
    requester_email = serializers.CharField()
    organisation = serializers.CharField()
    role = serializers.ChoiceField(choices=[("", "Not given"), *Role.choices])
    urls = serializers.ListField(child=serializers.CharField())
    scope = serializers.ChoiceField(choices=Scope.choices)
    future = serializers.BooleanField()
    ground = serializers.ChoiceField(choices=[("", "Not given"), *Ground.choices])
    explanation = serializers.CharField()
    good_faith = serializers.BooleanField()
    accuracy = serializers.BooleanField()
    signature = serializers.CharField()
    origin = serializers.IntegerField(source="origin_id", allow_null=True)
    targets = TargetOutputSerializer(many=True)
    received_at = serializers.DateTimeField()
    verified_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField()
    is_overdue = serializers.BooleanField()
    assignee = serializers.CharField(source="assignee.username", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True)
    approved_automatically = serializers.BooleanField()
    decision_reason = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    attention_needed = serializers.CharField()
    staff_notes = serializers.CharField()
    public_explanation = serializers.CharField()
    public_records = serializers.SerializerMethodField()

    @extend_schema_field(PublicRecordsOutputSerializer)
    def get_public_records(self, removal_request) -> dict:
        notice = getattr(removal_request, "lumen_notice", None)
        return PublicRecordsOutputSerializer(
            {"dsa_statements": removal_request.dsa_statements.all(), "lumen_notice": notice}
        ).data


class RemovalRequestFilter(django_filters.FilterSet):
    status = MultipleChoiceFilter(
        choices=RemovalRequest.Status.choices, help_text="Repeat for several."
    )
    channel = django_filters.ChoiceFilter(choices=RemovalRequest.Channel.choices)
    scope = django_filters.ChoiceFilter(choices=Scope.choices)
    ground = django_filters.ChoiceFilter(choices=Ground.choices)
    origin = IdFilter(field_name="origin_id", help_text="The origin's id.")
    open = BooleanFilter(method="filter_open", help_text="Open or closed.")
    overdue = BooleanFilter(
        method="filter_overdue", help_text="Open and past its deadline, or not."
    )
    received = DayRangeFilter(
        field_name="received_at",
        help_text="Received on or after (_after) / on or before (_before) a date, YYYY-MM-DD.",
    )

    class Meta:
        model = RemovalRequest
        fields = ["status", "channel", "scope", "ground", "origin", "open", "overdue"]

    def filter_open(self, queryset, name, value):
        return (
            queryset.filter(status__in=OPEN_STATUSES)
            if value
            else queryset.exclude(status__in=OPEN_STATUSES)
        )

    def filter_overdue(self, queryset, name, value):
        overdue = RemovalRequest.objects.overdue(timezone.now()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


# --- the view ------------------------------------------------------------------------------

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    required=True,
    description="Seconds until this client may submit again.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List removal requests (staff)",
        description="The nearest deadline first.",
        responses={200: RemovalRequestOutputSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One removal request, by reference (staff)",
        responses={200: RemovalRequestOutputSerializer, **OBJECT_READ_ERRORS},
    ),
)
class RemovalRequestViewSet(GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = REFERENCE.pattern
    serializer_class = RemovalRequestOutputSerializer
    filterset_class = RemovalRequestFilter
    search_fields = ["reference", "requester_email", "requester_name", "organisation"]
    ordering_fields = ["due_at", "received_at", "reference", "status", "id"]
    queryset = (
        RemovalRequest.objects.select_related("assignee", "decided_by", "lumen_notice")
        .prefetch_related(
            Prefetch(
                "targets",
                queryset=RemovalTarget.objects.select_related("item").order_by("id"),
            ),
            Prefetch("dsa_statements", queryset=DsaStatement.objects.order_by("created_at", "id")),
        )
        .order_by("due_at", "id")
    )

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        if self.action in ("approve", "reject"):
            return [IsOfficer()]
        if self.action == "withdraw":
            return [MayWithdraw()]
        return [IsStaff()]

    def list(self, request):
        requests = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(requests)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, reference=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Submit a removal request (anyone)",
        description="The public form's fields, validation, rate limit and acknowledgement "
        "mail. The requester confirms the address with the mailed link; the mail also holds "
        "the status page's link. `scope: origin` (the whole origin) may be asked only by a "
        "`rights_holder` (a rights holder or the site's representative): from another role "
        "it is a 400 on `scope`.",
        request=RemovalRequestInputSerializer,
        responses={
            201: ReceiptSerializer,
            200: ReceiptSerializer,
            400: BAD_REQUEST,
            403: error(
                "The requester's address is suspended from filing (repeated manifestly "
                "unfounded notices)."
            ),
            413: error("The body is too large."),
            429: error("Too many requests from this client address; see Retry-After."),
        },
        parameters=[RETRY_AFTER],
    )
    def create(self, request):
        data = RemovalRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            with domain_errors():
                removal_request = request_submit(
                    channel=RemovalRequest.Channel.API,
                    client_key=intake.client_key_for(request),
                    # From Accept-Language (LocaleMiddleware): the requester's mails use it.
                    language=request.LANGUAGE_CODE,
                    **data.validated_data,
                )
        except intake.RateLimited as limited:
            wait = max(1, math.ceil((limited.retry_at - timezone.now()).total_seconds()))
            raise Throttled(
                wait=wait,
                detail="Too many removal requests from this address in the last hour; "
                f"try again in {math.ceil(wait / 60)} minute(s).",
            ) from None
        except abuse.SenderSuspended as suspended:
            raise PermissionDenied(detail=str(suspended)) from None
        if getattr(removal_request, "joined_existing", False):
            receipt = ReceiptSerializer({**_receipt(removal_request), "detail": JOINED_DETAIL})
            return Response(receipt.data, status=status.HTTP_200_OK)
        receipt = ReceiptSerializer({**_receipt(removal_request), "detail": RECEIPT_DETAIL})
        return Response(receipt.data, status=status.HTTP_201_CREATED)

    def _output(self, removal_request: RemovalRequest) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=removal_request.pk)).data)

    @extend_schema(
        summary="Approve a verified request (officers)",
        description="verified -> approved; the takedown job takes over. 409 from any other status.",
        request=OptionalReasonInputSerializer,
        responses={200: RemovalRequestOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, reference=None):
        removal_request = self.get_object()
        data = OptionalReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with domain_errors():
            request_approve(
                removal_request=removal_request,
                user=request.user,
                reason=data.validated_data["reason"],
            )
        return self._output(removal_request)

    @extend_schema(
        summary="Reject a request (officers)",
        description="received or verified -> rejected; the reason is mailed to the "
        "requester. 409 from any other status.",
        request=ReasonInputSerializer,
        responses={200: RemovalRequestOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, reference=None):
        removal_request = self.get_object()
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with domain_errors():
            request_reject(
                removal_request=removal_request,
                user=request.user,
                reason=data.validated_data["reason"],
            )
        return self._output(removal_request)

    @extend_schema(
        summary="Withdraw an open request (staff who may change requests)",
        description="Any open status -> withdrawn; the requester is told. 409 once closed.",
        request=OptionalReasonInputSerializer,
        responses={200: RemovalRequestOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, reference=None):
        removal_request = self.get_object()
        data = OptionalReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with domain_errors():
            request_withdraw(
                removal_request=removal_request,
                actor=Actor.staff(request.user),
                reason=data.validated_data["reason"] or STAFF_WITHDRAWAL,
            )
        return self._output(removal_request)


def _receipt(removal_request: RemovalRequest) -> dict:
    return {
        "reference": removal_request.reference,
        "status": removal_request.status,
        "received_at": removal_request.received_at,
        "due_at": removal_request.due_at,
    }
