"""Application passwords at rest: encrypted with Fernet (the `cryptography` package), under
WORDPRESS_CREDENTIALS_KEY, or a key derived from SECRET_KEY when that is not set."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.WORDPRESS_CREDENTIALS_KEY
    if not key:
        digest = hashlib.sha256(b"courtesy-wordpress:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def secret_encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The stored password, or "" when it cannot be read (the key changed)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""
