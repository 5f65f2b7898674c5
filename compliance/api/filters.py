"""Search, ordering and filter fields that answer 400 for what they cannot use, instead
of ignoring it (ordering) or passing it to the database (search)."""

import re
from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import DateRangeField, IsoDateTimeField, RangeField
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import DateRangeWidget
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError

# Query parameters that are not filters: the other backends' and the pagination's.
NOT_FILTERS = {"page", "page_size", "ordering", "search", "format"}


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, not run when the request gives no filter at all: a filter
    set and its form cost half a millisecond to build and, given nothing, change nothing
    (none of our filters has a default or is required)."""

    def filter_queryset(self, request, queryset, view):
        if set(request.query_params) <= NOT_FILTERS:
            return queryset
        return super().filter_queryset(request, queryset, view)


# Every id the API takes fits a signed 64-bit integer (BigAutoField on every backend).
MAX_ID = 2**63 - 1
MAX_SEARCH_LENGTH = 200


class SearchFilter(filters.SearchFilter):
    """`?search=` over the view's search_fields; no NUL characters (PostgreSQL refuses
    them in a query) and no essays."""

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param) or ""
        if "\x00" in value:
            raise ValidationError({self.search_param: ["Null characters are not allowed."]})
        if len(value) > MAX_SEARCH_LENGTH:
            raise ValidationError({self.search_param: [f"At most {MAX_SEARCH_LENGTH} characters."]})
        return super().get_search_terms(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(maxLength=MAX_SEARCH_LENGTH, pattern="^[^\\x00]*$")
        return parameters


def ordering_pattern(fields) -> str:
    """`a,-b` over `fields`, nothing else (no spaces, no empty entries): the schema's pattern,
    and what the API accepts."""
    names = "|".join(re.escape(name) for name in fields)
    return f"^-?({names})(,-?({names}))*$"


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=a,-b` over the view's ordering_fields; anything else is a 400."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = params.split(",")
            allowed = {
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [f for f in fields if f.removeprefix("-") not in allowed]
            if unknown or not re.fullmatch(ordering_pattern(sorted(allowed)), params):
                raise ValidationError(
                    {
                        self.ordering_param: [
                            f"Cannot order by {', '.join(unknown) or repr(params)}; "
                            f"use {', '.join(sorted(allowed))} (prefix - for descending)."
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None) or []
        for parameter in parameters:
            parameter["description"] = (
                f"Comma-separated fields to order by, each optionally prefixed with - "
                f"(descending): {', '.join(fields)}."
            )
            if fields:
                parameter["schema"]["pattern"] = ordering_pattern(sorted(fields))
        return parameters


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A primary key: a whole number a database can hold (not NumberFilter's Decimal)."""

    field_class = IdField


class MultipleChoiceField(django_filters.fields.MultipleChoiceField):
    def clean(self, value):
        # An empty value means "not given", as for every other filter (allowEmptyValue).
        return super().clean([v for v in value or [] if v != ""])


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """`?status=a&status=b`; `?status=` is no filter, not an invalid choice."""

    field_class = MultipleChoiceField


class BooleanField(forms.TypedChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.update(
            choices=[("true", "true"), ("false", "false")],
            coerce=lambda value: value == "true",
            empty_value=None,
        )
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(django_filters.BooleanFilter):
    """`true` or `false`; anything else is a 400 (django-filter's own boolean filter reads
    an unknown value as "no filter", which hides a caller's mistake)."""

    field_class = BooleanField


def _storable(instant):
    """The instant in UTC; a 400 for a time the database cannot hold once in UTC (past the
    year 9999, or before the year 1, after its offset or the server's time zone is
    applied), rather than an overflow in the query. In UTC because RFC 3339 allows offsets
    up to ±23:59 and PostgreSQL refuses any beyond ±15:59 (a 500, before)."""
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        raise forms.ValidationError(
            "Enter a date or time between the years 1 and 9999 in UTC.", code="invalid"
        ) from None


class InstantField(IsoDateTimeField):
    """An ISO 8601 time that is an instant the database can store."""

    def to_python(self, value):
        instant = super().to_python(value)
        return _storable(instant) if instant is not None else None


class InstantRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((InstantField(), InstantField()), *args, **kwargs)


class InstantRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """`<name>_after` / `<name>_before` as ISO 8601 times (IsoDateTimeFromToRangeFilter),
    each checked to be a storable instant."""

    field_class = InstantRangeField


class DayRangeField(DateRangeField):
    def compress(self, data_list):
        days = super().compress(data_list)  # from the first to the last instant, local time
        for instant in (days.start, days.stop) if days else ():
            if instant is not None:
                _storable(instant)
        return days


class DayRangeFilter(django_filters.DateFromToRangeFilter):
    """`<name>_after` / `<name>_before` as days (DateFromToRangeFilter), whose first and
    last instants in the server's time zone must be storable."""

    field_class = DayRangeField
