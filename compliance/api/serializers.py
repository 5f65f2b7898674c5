"""Serializer fields and pieces that several resources share."""

import re

from django.core.validators import RegexValidator
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from compliance.items.models import LicenceBasis
from compliance.takedowns.intake import MAX_EXPLANATION
from compliance.takedowns.models import RemovalRequest

REFERENCE = re.compile(r"TD-[0-9]{4}-[0-9]{5,12}")


# --- strict JSON types: a number is not a string, "true" is not a boolean --------------------


# "Holds something besides white space", written so that it means the same in the schema
# (ECMA-262, whose \s has U+FEFF but not U+001C-U+001F or U+0085) and here (Python, whose
# str.strip() removes exactly the characters its \s matches): a value of spaces alone is
# refused by both.
# No NUL either (DRF refuses it in every string): the schema says so in the same pattern.
NOT_BLANK = RegexValidator(
    r"^[^\x00]*[^\s\x1c-\x1f\x85\ufeff\x00][^\x00]*$",
    message="This field may not be blank.",
    code="blank",
)
NO_NUL = RegexValidator(r"^[^\x00]*$", message="Null characters are not allowed.", code="null")
# An http(s) address in ASCII (an address with other characters is sent percent-encoded),
# exactly as the schema states it: a host, an optional port up to 65535, then anything
# printable. The API refuses what does not match, so the document and the answers agree.
WEB_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?"
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
    r"([/?#][!-~]*)?$"
)
WEB_URL = RegexValidator(
    WEB_URL_PATTERN, message="Not a web address starting with http(s)://.", code="invalid"
)


class StrictCharField(serializers.CharField):
    """A JSON string; when blank is not allowed, one with more than white space in it (the
    schema says so with a pattern)."""

    default_error_messages = {"invalid": "Not a valid string."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not any(v is WEB_URL for v in self.validators):
            self.validators.append(NO_NUL if self.allow_blank else NOT_BLANK)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid email address."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=str(data)[:40])
        return super().to_internal_value(data)


# --- shared pieces -------------------------------------------------------------------------


# --- output of long lists -------------------------------------------------------------------

_PLAIN = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
}
_DATETIME = "datetime"


def _is_plain_datetime(field) -> bool:
    """A DateTimeField answering ISO 8601 in the current time zone, as ours all do."""
    return (
        type(field).to_representation is serializers.DateTimeField.to_representation
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
    )


class FastOutput:
    """For output serializers of long lists (a page of fifty items): the same fields, the
    same answer, without DRF's per-field machinery, which cost more than the page's queries
    (its fields are deep-copied for every serializer made, each value is read through
    several calls, each date asks for the current time zone). What each field needs is
    worked out once per class: a plain attribute read, then str or int for plain fields,
    an ISO 8601 date in the current zone, or the field's own to_representation for any
    other (a choice, a nested serializer, a field that customises it); a source through
    several attributes takes DRF's own path. Only for fields that do not read the
    serializer's context. tests/test_api_items.py checks that both paths agree."""

    _fast_plans: dict = {}

    def _plan(self):
        plan = FastOutput._fast_plans.get(type(self))
        if plan is None:
            plan = []
            for field in self._readable_fields:
                attrs = field.source_attrs
                if len(attrs) != 1:
                    plan.append((field.field_name, None, field))
                elif _is_plain_datetime(field):
                    plan.append((field.field_name, attrs[0], _DATETIME))
                else:
                    method = type(field).to_representation
                    convert = _PLAIN.get(method, field.to_representation)
                    plan.append((field.field_name, attrs[0], convert))
            FastOutput._fast_plans[type(self)] = plan
        return plan

    def to_representation(self, instance):
        answer = {}
        zone = None
        for name, attr, convert in self._plan():
            if attr is None:  # `convert` is the field itself
                value = convert.get_attribute(instance)
                answer[name] = None if value is None else convert.to_representation(value)
                continue
            value = getattr(instance, attr)
            if callable(value):
                value = value()
            if value is None:
                answer[name] = None
            elif convert is _DATETIME:
                zone = zone or timezone.get_current_timezone()
                text = value.astimezone(zone).isoformat()
                answer[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            else:
                answer[name] = convert(value)
        return answer


class OriginSummarySerializer(FastOutput, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    domain = serializers.CharField()
    home_page = serializers.CharField()


class LicenceSerializer(FastOutput, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=LicenceBasis.Kind.choices)
    licence_url = serializers.CharField()
    valid_from = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class ReasonInputSerializer(serializers.Serializer):
    """The reason recorded with an action (and, for a rejection, mailed to the requester)."""

    reason = StrictCharField(max_length=MAX_EXPLANATION)


class OptionalReasonInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=MAX_EXPLANATION, allow_blank=True, default="")


class CaseField(serializers.CharField):
    """A removal request's reference as lower layers record it (their "case"), null when
    there is none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class RequestReferenceField(serializers.SlugRelatedField):
    """A removal request named by its reference (TD-2026-00042)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "reference")
        kwargs.setdefault("queryset", RemovalRequest.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # Looked up only when it could be a reference: a NUL byte would reach PostgreSQL.
        if not isinstance(data, str) or not REFERENCE.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:40])
        return super().to_internal_value(data)
