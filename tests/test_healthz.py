"""/healthz: 200 with the database and the broker both reachable, 503 when either is not."""

import pytest
from django.db import connection

from compliance.celery import app as celery_app

pytestmark = pytest.mark.django_db

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # port 1: nothing listens there


@pytest.fixture
def broker_down(monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration, so
    # a run against Redis needs both replaced; on the embedded broker, the transport that
    # settings name would otherwise win over the URL's scheme.
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE_BROKER)
    monkeypatch.setitem(celery_app.conf, "broker_url", UNREACHABLE_BROKER)
    monkeypatch.setitem(celery_app.conf, "broker_transport", None)


def test_healthy(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200  # load balancers probe with HEAD


def test_broker_unreachable_is_503(client, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"] == "ok"
    assert body["broker"] == "down"


def test_database_failure_is_503(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("the database is gone")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"] == "down"
    assert "gone" not in response.content.decode()  # details go to the log, not the public
    assert body["broker"] == "ok"
