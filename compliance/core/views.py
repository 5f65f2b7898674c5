import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from compliance.celery import app as celery_app

logger = logging.getLogger("compliance.healthz")


def _check(name: str, probe) -> str:
    """ "ok", or "down" with the details in the log: the endpoint is public, and an error
    message can name internal hosts and credentials."""
    try:
        probe()
        return "ok"
    except Exception:  # any failure means "down"
        logger.warning("healthz: %s is down", name, exc_info=True)
        return "down"


def _probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _probe_broker() -> None:
    with celery_app.connection_for_write() as conn:
        # One quick attempt: a load balancer must get its answer in well under a second.
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


@require_safe  # GET, and HEAD for load balancers that probe with it
@never_cache
def healthz(request):
    status = {
        "database": _check("database", _probe_database),
        "broker": _check("broker", _probe_broker),
    }
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", **status}, status=200 if healthy else 503
    )
