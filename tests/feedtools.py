"""Feeds for the ingest tests: fixture files served by a real local HTTP server
(pytest-httpserver), and the `ingest` command run as a user runs it."""

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

from compliance.items.models import Feed
from tests.factories import FeedFactory, OriginFactory

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
SUMMARY_NOTHING = "new 0, updated 0, withheld 0, failed 0"
NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def serve(httpserver, content: bytes, path: str = "/feed.xml", **kwargs) -> str:
    httpserver.expect_request(path).respond_with_data(
        content, content_type="application/rss+xml", **kwargs
    )
    return httpserver.url_for(path)


def ingest(*args) -> tuple[int, str, str]:
    """Run the command; returns (exit code, stdout, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("ingest", *args, stdout=stdout, stderr=stderr)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        stderr.write(str(exc))
    return code, stdout.getvalue(), stderr.getvalue()


def summary(stdout: str) -> str:
    return stdout.rstrip("\n").split("\n")[-1]


def harbour_feed(httpserver, *, basis=None, **origin_fields) -> Feed:
    origin = OriginFactory(
        domain="harbour-gazette.example",
        name="Harbour Gazette",
        home_page="https://www.harbour-gazette.example/",
        licence_basis=basis,
        **origin_fields,
    )
    return FeedFactory(origin=origin, url=serve(httpserver, fixture("rss2.xml")))
