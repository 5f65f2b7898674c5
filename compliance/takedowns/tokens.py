"""The links mailed to a requester.

The verification link carries a signed, timestamped token naming the request: it expires
after seven days, and it is single use because verifying is a transition that only a
`received` request can make (request_verify refuses it afterwards). The status link
carries the request's random status_token, good for the request's whole life.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing

from compliance.core.normalise import sha256_text

from .models import RemovalRequest

VERIFICATION_SALT = "compliance.takedowns.verify"
VERIFICATION_MAX_AGE = timedelta(days=7)


class TokenError(Exception):
    """A verification link that cannot be used."""


class TokenExpired(TokenError):
    """Genuine but too old: carries the request, so that a new link can be sent to the
    address on file (never anywhere else)."""

    def __init__(self, message: str, removal_request: RemovalRequest | None = None):
        super().__init__(message)
        self.removal_request = removal_request


class TokenInvalid(TokenError):
    pass


def _address_key(removal_request: RemovalRequest) -> str:
    # A hash, not the address: links end up in logs.
    return sha256_text(removal_request.requester_email.strip().lower())[:16]


def verification_token(removal_request: RemovalRequest) -> str:
    # The address is bound too: a token stops working if staff correct the address.
    return signing.dumps(
        {"r": removal_request.pk, "e": _address_key(removal_request)}, salt=VERIFICATION_SALT
    )


def request_for_verification_token(token: str) -> RemovalRequest:
    """The request a verification token names, whatever its status (the caller verifies,
    and a request already verified is refused there). Raises TokenExpired or
    TokenInvalid."""
    try:
        data = signing.loads(token, salt=VERIFICATION_SALT)
    except signing.BadSignature:
        raise TokenInvalid("this verification link is not valid") from None
    if not isinstance(data, dict):
        raise TokenInvalid("this verification link is not valid")
    removal_request = RemovalRequest.objects.filter(pk=data.get("r")).first()
    if removal_request is None or _address_key(removal_request) != data.get("e"):
        raise TokenInvalid("this verification link is not valid")
    try:
        signing.loads(token, salt=VERIFICATION_SALT, max_age=VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise TokenExpired("this verification link has expired", removal_request) from None
    return removal_request


def verification_url(removal_request: RemovalRequest) -> str:
    return f"{settings.SITE_URL}/takedown/verify/{verification_token(removal_request)}/"


def status_url(removal_request: RemovalRequest) -> str:
    return f"{settings.SITE_URL}/takedown/status/{removal_request.status_token}/"
