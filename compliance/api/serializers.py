"""Serializer fields and pieces that several resources share."""

import re

from django.core.validators import RegexValidator
from rest_framework import serializers

from compliance.items.models import LicenceBasis
from compliance.takedowns.intake import MAX_EXPLANATION
from compliance.takedowns.models import RemovalRequest

REFERENCE = re.compile(r"TD-[0-9]{4}-[0-9]{5,12}")


# --- strict JSON types: a number is not a string, "true" is not a boolean --------------------


# "Holds something besides white space", written so that it means the same in the schema
# (ECMA-262, whose \s has U+FEFF but not U+001C-U+001F or U+0085) and here (Python, whose
# str.strip() removes exactly the characters its \s matches): a value of spaces alone is
# refused by both.
NOT_BLANK = RegexValidator(
    r"[^\s\x1c-\x1f\x85\ufeff]", message="This field may not be blank.", code="blank"
)
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
        if not self.allow_blank and not any(v is WEB_URL for v in self.validators):
            self.validators.append(NOT_BLANK)

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


class OriginSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    domain = serializers.CharField()
    home_page = serializers.CharField()


class LicenceSerializer(serializers.Serializer):
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
