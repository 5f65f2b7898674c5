"""Does SITE_URL name the address this process serves on?

Links, mails, disclaimers frozen into items and the takedown self-check all use SITE_URL;
a site started on another port than SITE_URL names would send every one of them to the
wrong place, so start-up says so loudly (a system check runserver prints; wsgi.py logs it
for gunicorn).
"""

import shlex
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}


def _runserver_address(argv: list[str]) -> tuple[str, int] | None:
    """The address `manage.py runserver [addrport]` listens on, or None for another command."""
    if "runserver" not in argv:
        return None
    rest = [arg for arg in argv[argv.index("runserver") + 1 :] if not arg.startswith("-")]
    addrport = rest[0] if rest else "127.0.0.1:8000"
    host, _, port = addrport.rpartition(":")
    if not host and not port.isdigit():
        return addrport, 8000
    return (host.strip("[]") or "127.0.0.1"), int(port) if port.isdigit() else 8000


def _gunicorn_address(argv: list[str], environ_args: str) -> tuple[str, int] | None:
    """The first --bind/-b of a gunicorn process (command line or GUNICORN_CMD_ARGS)."""
    if not argv or "gunicorn" not in argv[0]:
        return None
    args = shlex.split(environ_args) + argv[1:]
    bind = "127.0.0.1:8000"
    for index, arg in enumerate(args):
        if arg in {"-b", "--bind"} and index + 1 < len(args):
            bind = args[index + 1]
            break
        if arg.startswith("--bind="):
            bind = arg.split("=", 1)[1]
            break
    if bind.startswith("unix:"):
        return None  # behind a proxy: nothing to compare with
    host, _, port = bind.rpartition(":")
    return (host.strip("[]") or "0.0.0.0"), int(port) if port.isdigit() else 8000


def serving_address(argv: list[str] | None = None, environ: dict | None = None):
    import os

    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    return _runserver_address(argv) or _gunicorn_address(argv, environ.get("GUNICORN_CMD_ARGS", ""))


def site_url_mismatch(site_url: str, address: tuple[str, int] | None) -> str | None:
    """Why SITE_URL cannot reach this server, or None when it can (or we cannot tell).

    Only a site served directly is compared: a SITE_URL on another host (a public name in
    front of a proxy) is the proxy's business, but a loopback SITE_URL with another port, or
    a SITE_URL naming this host with another port, is certainly wrong.
    """
    if address is None:
        return None
    host, port = address
    parts = urlsplit(site_url)
    url_port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
    url_host = (parts.hostname or "").lower()
    same_host = url_host == host.lower() or (url_host in LOOPBACK and host.lower() in LOOPBACK)
    if same_host and url_port != port:
        return (
            f"SITE_URL is {site_url} but this server listens on {host}:{port}: every link, "
            f"mail, disclaimer and self-check would name port {url_port}. Unset SITE_URL "
            f"(it follows HOST and PORT) or set it to http://{host}:{port}."
        )
    return None


@checks.register(checks.Tags.urls)
def check_site_url(app_configs=None, **kwargs):
    problem = site_url_mismatch(settings.SITE_URL, serving_address())
    return [checks.Warning(problem, id="courtesy.W140")] if problem else []
