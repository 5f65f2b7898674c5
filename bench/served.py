"""The running pieces the end-to-end benchmarks measure: gunicorn serving the site on the
benchmark's database, a Celery worker on the configured broker, Varnish in front (from
deploy/varnish/default.vcl), and `ab` (apache2-utils) for throughput. Ports are chosen by
the system."""

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def _env(extra: dict) -> dict:
    from django.conf import settings

    from tests.workers import worker_database_url

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.site_settings",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "COURTESY_VAR_DIR": str(settings.VAR_DIR),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Persistent connections, as in production.
        "DATABASE_CONN_MAX_AGE": "60",
        **extra,
    }


@contextlib.contextmanager
def process(args: list[str], *, extra_env: dict, ready, what: str):
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finally
        prefix=f"bench-{what}-", suffix=".log", delete=False
    )
    child = subprocess.Popen(
        args,
        cwd=ROOT,
        env=_env(extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready():
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.2)
        yield child
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, 15)
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, 9)
        log.close()
        os.unlink(log.name)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code < 500
    except requests.RequestException:
        return False


@contextlib.contextmanager
def gunicorn(port: int, *, workers: int = 3):
    url = f"http://127.0.0.1:{port}"
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "compliance.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    with process(
        args,
        extra_env={"SITE_URL": url},
        ready=lambda: _answers(f"{url}/bench/bare/"),
        what="gunicorn",
    ):
        yield url


@contextlib.contextmanager
def worker(site_url: str, mail_dir: str):
    log = Path(tempfile.mkdtemp(prefix="bench-worker-")) / "worker.log"
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "compliance",
        "worker",
        "--queues",
        "default,takedowns,mail",
        "--concurrency",
        "2",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "INFO",
        "--logfile",
        str(log),
    ]
    extra = {"SITE_URL": site_url, "SELF_CHECK_BASE_URL": site_url, "EMAIL_URL": mail_dir}
    with process(
        args,
        extra_env=extra,
        what="worker",
        ready=lambda: log.exists() and "ready." in log.read_text(errors="replace"),
    ):
        yield


def ab_mean_seconds(url: str, *, requests_count: int, concurrency: int = 8) -> float:
    """Mean time per request across all concurrent requests (ab's own measure)."""
    output = subprocess.run(
        ["ab", "-q", "-k", "-c", str(concurrency), "-n", str(requests_count), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    failed = int(re.search(r"Failed requests:\s+(\d+)", output).group(1))
    if failed:
        raise RuntimeError(f"ab: {failed} failed requests on {url}")
    mean_ms = re.search(r"Time per request:\s+([\d.]+) \[ms\] \(mean, across", output).group(1)
    return float(mean_ms) / 1000
