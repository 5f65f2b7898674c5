"""Persistent database connections: in services mode a page reuses the connection the
previous request opened (CONN_MAX_AGE, checked before reuse), instead of paying for a new
PostgreSQL connection every time. Asked of a real gunicorn, since Django's test client
never closes connections."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from compliance.settings import SERVICES_CONN_MAX_AGE, database_settings
from tests import workers
from tests.factories import ItemFactory

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = "courtesy-connection-test"


def test_services_mode_keeps_connections_with_health_checks(monkeypatch):
    monkeypatch.delenv("CONN_MAX_AGE", raising=False)
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    services = database_settings("postgres://u:p@db.example:5432/courtesy")
    assert (services["CONN_MAX_AGE"], services["CONN_HEALTH_CHECKS"]) == (
        SERVICES_CONN_MAX_AGE,
        True,
    )
    embedded = database_settings(None)
    assert (embedded["CONN_MAX_AGE"], embedded["CONN_HEALTH_CHECKS"]) == (0, False)
    monkeypatch.setenv("CONN_MAX_AGE", "0")
    assert database_settings("postgres://u:p@db.example:5432/courtesy")["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize("value", ["-1", "forever"])
def test_a_bad_conn_max_age_fails_loudly(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("CONN_MAX_AGE", value)
    with pytest.raises(ImproperlyConfigured):
        database_settings("postgres://u:p@db.example:5432/courtesy")


def _backends(cursor) -> list[int]:
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s ORDER BY pid", [APPLICATION]
    )
    return [pid for (pid,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_item_page_reuses_one_connection_across_requests(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the embedded SQLite file keeps no connection")
    item = ItemFactory()
    env = {
        **os.environ,
        "DATABASE_URL": f"{workers.worker_database_url()}?application_name={APPLICATION}",
        "DEBUG": "1",
    }
    env.pop("CONN_MAX_AGE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "compliance.wsgi", "--bind", "127.0.0.1:0",
         "--workers", "1", "--log-file", str(tmp_path / "gunicorn.log")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"Listening at: (http://\S+)", _read(tmp_path))):
            assert time.monotonic() < deadline and server.poll() is None, _read(tmp_path)
            time.sleep(0.1)
        url = f"{found.group(1)}/items/{item.slug}/"
        seen = []
        with connection.cursor() as cursor:
            for _ in range(5):
                assert requests.get(url, timeout=10).status_code == 200
                seen.append(_backends(cursor))
    finally:
        server.terminate()
        server.wait(timeout=10)
    # One backend, the same one, after every request: no connection opened per request.
    assert len(seen[0]) == 1 and seen == [seen[0]] * 5, seen


def _read(tmp_path) -> str:
    log = tmp_path / "gunicorn.log"
    return log.read_text() if log.exists() else ""
