"""Reading settings from the environment: each helper returns a value or stops start-up
with ImproperlyConfigured naming the variable (compliance.settings uses them)."""

import os
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# The project's root: relative paths in settings (a mail folder) are taken from here.
BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def env_pair(name: str) -> tuple[str, str] | None:
    """ "HEADER,value" as a pair (SECURE_PROXY_SSL_HEADER), or None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    header, sep, value = (part.strip() for part in raw.partition(","))
    if not sep or not header or not value:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: expected HEADER,value, e.g. HTTP_X_FORWARDED_PROTO,https"
        )
    return header, value


def env_dates(name: str) -> list[date]:
    """Comma-separated ISO dates (2026-12-25,2027-01-01); a malformed one stops start-up."""
    dates = []
    for value in env_list(name, []):
        try:
            dates.append(date.fromisoformat(value))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    return dates


def email_settings(url: str) -> dict:
    """Turn EMAIL_URL into Django's email settings.

    smtp://user:password@host:port (smtps:// for implicit TLS, ?tls=1 for STARTTLS),
    console: (print mails), locmem: (keep in memory), or a directory path (one file per
    connection, the default under var/mail/).
    """
    parts = urlsplit(url)
    if parts.scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ImproperlyConfigured(f"EMAIL_URL={url!r} names no host")
        query = parse_qs(parts.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in {"1", "true"},
            "EMAIL_TIMEOUT": 30,
        }
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme in {"", "file"}:
        path = Path(unquote(parts.path) if parts.scheme == "file" else url)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str((BASE_DIR / path).resolve()),
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL={url!r}: use smtp://host:port, smtps://…, console:, locmem: or a path"
    )


# --- Django core ---------------------------------------------------------------------------

# DEBUG defaults to on so that a fresh clone runs; production must say DEBUG=0, and then
# SECRET_KEY and ALLOWED_HOSTS have no development fallback.
