"""Real Celery processes for integration tests: a worker (and beat) started as separate
processes on the configured broker, against the test database, with their mail written
to a folder the test can read."""

import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from compliance.celery import app as celery_app

QUEUES = ("default", "takedowns", "mail", "ingest")
ROOT = Path(__file__).resolve().parent.parent


def worker_database_url() -> str:
    """The URL of the test database this session created, for other processes."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def purge_queues() -> None:
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in QUEUES:
            with contextlib.suppress(Exception):
                channel.queue_purge(queue)


class CeleryProcess:
    """A `celery worker` or `celery beat` subprocess with its log kept for failures."""

    def __init__(
        self,
        kind: str,
        mail_dir: Path,
        log_dir: Path,
        extra_env: dict | None = None,
        queues: tuple[str, ...] = QUEUES,
    ):
        self.kind = kind
        self.log_path = log_dir / f"{kind}-{uuid.uuid4().hex[:8]}.log"
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "COURTESY_VAR_DIR": str(settings.VAR_DIR),
            "EMAIL_URL": str(mail_dir),
            "SITE_URL": settings.SITE_URL,
            "CONTACT_EMAIL": settings.CONTACT_EMAIL,
            "FETCH_ALLOW_LOOPBACK": "1",
            "DEBUG": "1",
            **(extra_env or {}),
        }
        if kind == "worker":
            args = [
                "worker",
                "--queues",
                ",".join(queues),
                "--concurrency",
                "1",
                # A fresh child per task: the test database is flushed between tests, and
                # a long-lived child would keep ContentType ids (audit events) from before.
                "--max-tasks-per-child",
                "1",
                "--hostname",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ]
        else:
            args = ["beat", "--loglevel", "INFO", "--pidfile=", "--max-interval", "1"]
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "compliance", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"celery {self.kind} exited:\n{self.output()}")
            time.sleep(0.2)
        raise TimeoutError(f"celery {self.kind} never said {text!r}:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, with no chance to clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def start_worker(
    mail_dir: Path, log_dir: Path, extra_env: dict | None = None, queues: tuple[str, ...] = QUEUES
) -> CeleryProcess:
    worker = CeleryProcess("worker", mail_dir, log_dir, extra_env, queues)
    worker.wait_for("ready.")
    return worker


def start_beat(mail_dir: Path, log_dir: Path, extra_env: dict | None = None) -> CeleryProcess:
    beat = CeleryProcess("beat", mail_dir, log_dir, extra_env)
    beat.wait_for("beat: Starting")
    return beat


def read_mailbox(mail_dir: Path) -> list[email.message.EmailMessage]:
    """Every message Django's file backend wrote into mail_dir, oldest file first."""
    separator = b"\n" + b"-" * 79 + b"\n"
    messages = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
        for chunk in path.read_bytes().split(separator):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def wait_until(predicate, timeout: float = 60, interval: float = 0.25, message: str = ""):
    """Poll predicate() until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(message or f"condition not met within {timeout}s")
