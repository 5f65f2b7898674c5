"""Serializer fields and pieces that several resources share."""

import re

from rest_framework import serializers

from compliance.items.models import LicenceBasis
from compliance.takedowns.intake import MAX_EXPLANATION
from compliance.takedowns.models import RemovalRequest

REFERENCE = re.compile(r"TD-[0-9]{4}-[0-9]{5,12}")


# --- strict JSON types: a number is not a string, "true" is not a boolean --------------------


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Not a valid string."}

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
