"""Errors as JSON, and the mapping of the domain's refusals to HTTP.

Every error body is `{"detail": "...", "code": "..."}`, except a 400 for invalid input,
which maps each field to its messages (`{"urls": ["..."]}`; errors that concern no single
field under "non_field_errors").
"""

from contextlib import contextmanager

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from compliance.takedowns.state import TransitionError


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This cannot be done in the object's current state."
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler (401 with WWW-Authenticate, Retry-After for 429, Django's
    PermissionDenied and Http404 as 403 and 404), with a `code` beside every `detail`."""
    if isinstance(exc, TransitionError):
        exc = Conflict(str(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", None) or "error"
    return response


@contextmanager
def domain_errors():
    """Around a service call: a refused transition is a 409, an impossible value a 400
    (Django's PermissionDenied passes through and becomes a 403)."""
    try:
        yield
    except TransitionError as exc:
        raise Conflict(str(exc)) from exc
    except ValueError as exc:
        raise ValidationError({"non_field_errors": [str(exc)]}) from exc


# --- for the schema ------------------------------------------------------------------------

ErrorSerializer = inline_serializer(
    name="Error",
    fields={"detail": serializers.CharField(), "code": serializers.CharField()},
)
FieldErrorsSerializer = inline_serializer(
    name="FieldErrors",
    fields={
        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False)
    },
)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


BAD_REQUEST = OpenApiResponse(
    FieldErrorsSerializer,
    description="Invalid input: each field's messages under its name, or a `detail`.",
)
UNAUTHENTICATED = error("No credentials, or invalid ones (answered with WWW-Authenticate: Token).")
FORBIDDEN = error("Authenticated, but not allowed to do this.")
NOT_FOUND = error("No such object (or not visible to the caller).")
CONFLICT = error("The state machine does not allow this from the object's current status.")

NO_SUCH_PAGE = error("A page past the last one (the list may have shrunk meanwhile).")
# Lists: a `page` past the end is well-formed, so not a 400, but names nothing: a 404.
READ_ERRORS = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NO_SUCH_PAGE}
OBJECT_READ_ERRORS = {**READ_ERRORS, 404: NOT_FOUND}
WRITE_ERRORS = {**OBJECT_READ_ERRORS, 409: CONFLICT, 413: error("The body is too large.")}
