"""Production security: a Content-Security-Policy on every page, whose nonce is on every
inline <script> and <style> (no other inline script runs); HTTPS and cookie settings from
the environment; `check --deploy` clean with the README's production settings."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import ItemFactory, RemovalRequestFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
# Inline <script> (not a JSON data block, which browsers never run) and <style> elements.
INLINE = re.compile(
    r"<(script|style)\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")([^>]*)>", re.I
)
NONCE = re.compile(r"'nonce-([^']+)'")


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def assert_inline_tags_carry_the_nonce(response):
    directives = policy(response)
    nonces = set(NONCE.findall(directives["script-src"])) | set(
        NONCE.findall(directives["style-src"])
    )
    html = response.content.decode()
    for tag, attributes in INLINE.findall(html):
        found = re.search(r'nonce="([^"]+)"', attributes)
        assert found and found.group(1) in nonces, f"<{tag}{attributes}> has no valid nonce"


@pytest.mark.django_db
def test_every_kind_of_page_has_the_policy_and_nonced_inline_tags(client):
    item = ItemFactory()
    officer = UserFactory(officer=True)
    removal_request = RemovalRequestFactory()
    public = [
        "/",
        f"/items/{item.slug}/",
        "/takedown/",
        "/transparency/",
        "/feed/",
        "/healthz",
        "/api/v1/",
        "/api/docs/",
        reverse("admin:login"),
    ]
    for path in public:
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code in (200, 503), path
        directives = policy(response)
        assert directives["default-src"] == "'self'", path
        # The nonce appears in the header when the page has an inline tag that uses it.
        assert directives["script-src"].startswith("'self'"), path
        assert "unsafe-inline" not in directives["script-src"], path
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert_inline_tags_carry_the_nonce(response)
    client.force_login(officer)
    for path in [
        reverse("admin:index"),
        reverse("admin:takedowns_removalrequest_changelist"),
        reverse("admin:takedowns_removalrequest_change", args=[removal_request.pk]),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inline_tags_carry_the_nonce(response)


def test_each_response_gets_a_fresh_nonce(client, db):
    first, second = (policy(client.get("/takedown/"))["style-src"] for _ in range(2))
    assert NONCE.search(first) and first != second


def test_no_template_has_an_inline_script_or_style_without_the_nonce():
    for path in (ROOT / "templates").rglob("*.html"):
        if "emails" in path.parts or path.name == "compliance_report.html":
            continue  # mail: never served as a page with our policy's scripts
        for tag, attributes in INLINE.findall(path.read_text()):
            if tag.lower() == "style" or "src" not in attributes:
                assert "nonce=" in attributes, f"{path.relative_to(ROOT)}: <{tag}{attributes}>"


def settings_under(env: dict) -> dict:
    """The settings a fresh process reads from this environment."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "names = ['SECURE_SSL_REDIRECT','SECURE_HSTS_SECONDS','SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        "'SECURE_HSTS_PRELOAD','SECURE_PROXY_SSL_HEADER','SESSION_COOKIE_SECURE',"
        "'CSRF_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','CSRF_COOKIE_HTTPONLY','SESSION_COOKIE_AGE'];"
        "print(json.dumps({n: getattr(settings, n) for n in names}))"
    )
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "compliance.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 or env, result.stderr
    return result


def test_https_and_cookie_settings_come_from_the_environment():
    import json

    result = settings_under(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "news.example.org",
            "SECURE_SSL_REDIRECT": "1",
            "SECURE_HSTS_SECONDS": "31536000",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
            "CSRF_COOKIE_HTTPONLY": "0",
            "STAFF_SESSION_IDLE_MINUTES": "15",
        }
    )
    values = json.loads(result.stdout)
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": False,
        "SESSION_COOKIE_AGE": 900,
    }
    bad = settings_under({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"})
    assert bad.returncode != 0 and "expected HEADER,value" in bad.stderr


def test_check_deploy_is_clean_with_the_readmes_production_settings():
    result = subprocess.run(
        [str(ROOT / ".ci" / "check-deploy")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no warnings" in result.stdout
