"""SITE_URL follows HOST and PORT, and start-up warns when it names another address."""

import os
import subprocess
import sys
from pathlib import Path

from compliance.core.serving import serving_address, site_url_mismatch

ROOT = Path(__file__).resolve().parent.parent


def _settings_value(name, **env):
    environ = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    environ.update(env, DJANGO_SETTINGS_MODULE="compliance.settings")
    code = (
        f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_site_url_defaults_to_host_and_port():
    assert _settings_value("SITE_URL") == "http://127.0.0.1:8000"
    assert _settings_value("SITE_URL", PORT="8130") == "http://127.0.0.1:8130"
    assert _settings_value("SITE_URL", HOST="localhost", PORT="8130") == "http://localhost:8130"
    assert _settings_value("SITE_URL", PORT="8130", SITE_URL="https://news.example/") == (
        "https://news.example"
    )


def test_serving_address_of_runserver_and_gunicorn():
    assert serving_address(["manage.py", "runserver", "127.0.0.1:8130", "--noreload"], {}) == (
        "127.0.0.1",
        8130,
    )
    assert serving_address(["manage.py", "runserver"], {}) == ("127.0.0.1", 8000)
    assert serving_address(["manage.py", "runserver", "8131"], {}) == ("127.0.0.1", 8131)
    assert serving_address(["/x/gunicorn", "compliance.wsgi", "--bind", "0.0.0.0:9000"], {}) == (
        "0.0.0.0",
        9000,
    )
    assert serving_address(
        ["/x/gunicorn", "compliance.wsgi"], {"GUNICORN_CMD_ARGS": "-b :9001"}
    ) == (
        "0.0.0.0",
        9001,
    )
    assert serving_address(["manage.py", "migrate"], {}) is None


def test_mismatch_is_explained_and_a_proxy_name_is_not():
    problem = site_url_mismatch("http://127.0.0.1:8000", ("127.0.0.1", 8130))
    assert "8130" in problem and "8000" in problem
    assert site_url_mismatch("http://localhost:8000", ("0.0.0.0", 8130))
    assert site_url_mismatch("http://127.0.0.1:8130", ("127.0.0.1", 8130)) is None
    # A public name in front of a reverse proxy: nothing we can compare.
    assert site_url_mismatch("https://news.example", ("127.0.0.1", 8000)) is None


def test_runserver_start_up_warns_loudly_on_another_port():
    environ = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT"}}
    environ["SITE_URL"] = "http://127.0.0.1:8000"
    # `check` is what runserver runs before serving; argv names the runserver address.
    code = (
        "import sys, django; sys.argv = ['manage.py', 'runserver', '127.0.0.1:9431'];"
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'compliance.settings');"
        "django.setup(); from django.core import checks;"
        "print([m.id + ' ' + m.msg for m in checks.run_checks() if m.id == 'courtesy.W140'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "courtesy.W140" in out and "9431" in out
