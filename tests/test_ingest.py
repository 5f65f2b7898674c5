"""Ingest end to end: the `ingest` command and the services behind it, with feeds served by
a real local HTTP server (pytest-httpserver) or read from fixture files."""

import io
import os
import subprocess
import sys
import threading
from datetime import timedelta
from io import StringIO
from urllib.parse import quote

import feedparser
import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from werkzeug import Response

from compliance.audit.models import AuditEvent
from compliance.core.normalise import author_key, sha256_text, text_fingerprint, url_key
from compliance.items import fetching
from compliance.items.attribution import NO_LICENCE_NOTE
from compliance.items.models import Feed, Item, Origin
from tests.factories import FeedFactory, OriginFactory
from tests.feedtools import (
    FEEDS,
    NOW,
    SUMMARY_NOTHING,
    fixture,
    harbour_feed,
    ingest,
    serve,
    summary,
)
from tests.workers import ROOT, worker_database_url

pytestmark = pytest.mark.django_db


# --- A new feed ----------------------------------------------------------------------------


def test_a_new_feed_url_creates_its_feed_origin_and_published_items(httpserver):
    url = serve(httpserver, fixture("rss2.xml"))
    code, out, err = ingest(url)

    assert (code, summary(out), err) == (0, "new 3, updated 0, withheld 0, failed 0", "")
    feed = Feed.objects.get(url=url)
    origin = feed.origin
    assert (origin.domain, origin.name, origin.home_page) == (
        "harbour-gazette.example",
        "Harbour Gazette",
        "https://www.harbour-gazette.example/",
    )
    assert origin.licence_basis is None
    assert "No licence basis" in origin.attention_needed
    assert feed.title == "Harbour Gazette"
    assert (feed.last_outcome, feed.last_status_code, feed.consecutive_failures) == ("ok", 200, 0)
    assert feed.next_fetch_at > feed.last_fetched_at

    ferry = Item.objects.get(guid="hg-2026-0001")
    link = "https://www.harbour-gazette.example/news/ferry-timetable-redrawn?utm_source=rss&utm_medium=feed"
    assert ferry.status == Item.Status.PUBLISHED and ferry.republished_at is not None
    assert (ferry.origin, ferry.feed, ferry.original_url) == (origin, feed, link)
    assert ferry.slug == "ferry-timetable-redrawn-after-tide-survey"
    assert ferry.url_key == url_key("https://harbour-gazette.example/news/ferry-timetable-redrawn")
    assert ferry.author_key == author_key("Mirela Quance")
    assert ferry.text_fingerprint == text_fingerprint(ferry.body) != ""
    assert ferry.photo_credit == "Photo: Tobin Arkwright/Harbour Gazette"
    assert ferry.rights_statement == "Copyright 2026 Harbour Gazette Ltd. All rights reserved."
    # No licence basis: the note says so plainly, and the texts are frozen with their hashes.
    assert ferry.licence_note == NO_LICENCE_NOTE
    assert "none recorded" in ferry.licence_note
    assert ferry.disclaimer == (
        "This content is courtesy of, and owned and copyrighted by, Harbour Gazette "
        "(https://www.harbour-gazette.example/) and its author, Mirela Quance. It is "
        "republished here from the public RSS feed offered by the host site without a "
        "recorded licence basis. If you are the author or represent the host site and would "
        "like this content removed now and in the future, please write to "
        "removals@example.org or use the removal form at "
        f"http://testserver/takedown/?url={quote(link, safe='')}."
    )
    assert ferry.licence_note_sha256 == sha256_text(ferry.licence_note)
    assert ferry.disclaimer_sha256 == sha256_text(ferry.disclaimer)

    actions = list(
        AuditEvent.objects.filter(actor_name="ingest")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["origin.created", "feed.created"] + ["item.published"] * 3
    assert AuditEvent.objects.for_object(ferry).get().after["disclaimer_sha256"] == (
        ferry.disclaimer_sha256
    )


def test_a_second_run_creates_nothing(httpserver):
    url = serve(httpserver, fixture("rss2.xml"))
    ingest(url)
    events = AuditEvent.objects.count()
    code, out, _ = ingest(url)
    assert (code, summary(out)) == (0, SUMMARY_NOTHING)
    assert Item.objects.count() == 3
    assert Feed.objects.count() == Origin.objects.count() == 1
    assert AuditEvent.objects.count() == events
    # The service itself is just as idempotent (a duplicate Celery task).
    outcome = fetching.feed_ingest(feed_id=Feed.objects.get().pk)
    assert (outcome.new, outcome.updated, outcome.withheld, outcome.failed) == (0, 0, 0, False)


def test_a_local_path_is_stored_as_an_absolute_file_url(settings):
    relative = os.path.relpath(FEEDS / "rss1.xml")
    code, out, _ = ingest(relative)
    assert (code, summary(out)) == (0, "new 1, updated 0, withheld 0, failed 0")
    feed = Feed.objects.get()
    assert feed.url == (FEEDS / "rss1.xml").resolve().as_uri()
    assert feed.origin.domain == "valley-courier.example"
    item = Item.objects.get()
    assert item.rights_licence_url == "https://creativecommons.org/licenses/by-sa/4.0/"
    # Named again by its absolute path: the same feed, nothing new.
    assert summary(ingest(str((FEEDS / "rss1.xml").resolve()))[1]) == SUMMARY_NOTHING
    assert Feed.objects.count() == 1


def test_a_new_feed_that_cannot_be_read_creates_nothing(httpserver):
    url = serve(httpserver, fixture("not-xml.html"), path="/broken.xml")
    code, out, err = ingest(url, "/no/such/feed.xml")
    assert (code, summary(out)) == (1, "new 0, updated 0, withheld 0, failed 2")
    assert "not well-formed XML" in err and "no such file" in err
    assert not Feed.objects.exists() and not Origin.objects.exists()


def manage(*args) -> subprocess.CompletedProcess:
    """Run manage.py as a separate process against the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "FETCH_ALLOW_LOOPBACK": "1",
        "COURTESY_VAR_DIR": str(settings.VAR_DIR),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_the_exit_status_is_non_zero_only_when_nothing_could_be_read(httpserver):
    bad = serve(httpserver, fixture("truncated.xml"), path="/truncated.xml")
    run = manage("ingest", bad)
    assert run.returncode == 1
    assert run.stdout == "new 0, updated 0, withheld 0, failed 1\n"
    assert "no feed could be read" in run.stderr

    good = serve(httpserver, fixture("atom.xml"), path="/atom.xml")
    run = manage("ingest", bad, good)
    assert (run.returncode, run.stdout) == (0, "new 2, updated 0, withheld 0, failed 1\n")
    assert f"failed: {bad}: not well-formed XML" in run.stderr


def test_nothing_to_do_is_a_usage_error():
    with pytest.raises(CommandError, match="nothing to ingest"):
        call_command("ingest", stdout=StringIO())


def test_an_unknown_feed_id_is_reported_and_skipped(httpserver):
    url = serve(httpserver, fixture("atom.xml"), path="/atom.xml")
    call_command("ingest", url, stdout=StringIO())
    feed = Feed.objects.get()
    out, err = StringIO(), StringIO()
    call_command("ingest", "--feed", "999", "--feed", str(feed.pk), stdout=out, stderr=err)
    assert out.getvalue().endswith("new 0, updated 0, withheld 0, failed 1\n")
    assert "there is no feed 999" in err.getvalue()
    with pytest.raises(CommandError, match="no feed could be read"):
        call_command("ingest", "--feed", "999", stdout=StringIO(), stderr=StringIO())


# --- Bad feeds are recorded and skipped ----------------------------------------------------


# The test server handles one request at a time: a slow answer is released at the end of
# its test rather than left to block the next one.
RELEASE_SLOW = threading.Event()


def _slow(request):
    RELEASE_SLOW.wait(10)
    return Response(fixture("rss2.xml"))


BAD_FEEDS = {
    "not xml": ({"response_data": fixture("not-xml.html")}, "not well-formed XML"),
    "truncated": ({"response_data": fixture("truncated.xml")}, "not well-formed XML"),
    "wrong encoding": (
        {"response_data": fixture("wrong-encoding.xml")},
        "wrong character encoding: the feed is declared as UTF-8",
    ),
    "server error": ({"response_data": "oops", "status": 500}, "HTTP 500 Internal Server Error"),
    "not found": ({"response_data": "", "status": 404}, "HTTP 404 Not Found"),
    "timeout": ({"handler": _slow}, "timed out"),
    "redirect to a private address": (
        {"response_data": "", "status": 302, "headers": {"Location": "http://10.0.0.1/feed"}},
        "10.0.0.1 is a private address",
    ),
    "oversize": ({"response_data": fixture("rss2.xml") * 3}, "larger than the limit"),
}


@pytest.mark.parametrize("case", list(BAD_FEEDS))
def test_a_bad_feed_among_good_ones_is_recorded_and_skipped(httpserver, settings, case):
    settings.FETCH_TIMEOUT_SECONDS = 1
    settings.FETCH_MAX_BYTES = len(fixture("rss2.xml")) + 100
    response, message = BAD_FEEDS[case]
    expectation = httpserver.expect_request("/bad.xml")
    if "handler" in response:
        expectation.respond_with_handler(response["handler"])
    else:
        expectation.respond_with_data(**response)
    bad = FeedFactory(url=httpserver.url_for("/bad.xml"))

    RELEASE_SLOW.clear()
    with time_machine.travel(NOW, tick=False):
        code, out, err = ingest("--feed", str(bad.pk), str(FEEDS / "atom.xml"))
    RELEASE_SLOW.set()

    assert (code, summary(out)) == (0, "new 2, updated 0, withheld 0, failed 1")
    assert f"failed: {bad.url}: " in err and message in err
    bad.refresh_from_db()
    assert bad.last_outcome == Feed.Outcome.ERROR
    assert message in bad.last_error
    assert bad.consecutive_failures == 1
    assert bad.last_fetched_at == NOW
    assert bad.next_fetch_at == NOW + timedelta(minutes=2 * bad.poll_interval_minutes)
    assert not bad.items.exists()
    assert Item.objects.filter(origin__domain="ledger.northfield.example").count() == 2


def test_an_unforeseen_error_in_one_feed_is_recorded_and_the_run_goes_on(httpserver, monkeypatch):
    # The parser (a library) failing in a way nobody foresaw, for the Harbour Gazette only.
    real_parse = feedparser.parse

    def parse(stream, **kwargs):
        data = stream.read()
        if b"Harbour Gazette" in data:
            raise RuntimeError("the parser fell over")
        return real_parse(io.BytesIO(data), **kwargs)

    monkeypatch.setattr(feedparser, "parse", parse)
    stored = harbour_feed(httpserver)
    new = serve(httpserver, fixture("rss2.xml"), path="/again.xml")

    code, out, err = ingest("--feed", str(stored.pk), new, str(FEEDS / "atom.xml"))

    assert (code, summary(out)) == (0, "new 2, updated 0, withheld 0, failed 2")
    assert err.count("unexpected error: RuntimeError: the parser fell over") == 2
    stored.refresh_from_db()
    assert (stored.last_outcome, stored.consecutive_failures) == (Feed.Outcome.ERROR, 1)
    assert "the parser fell over" in stored.last_error
    assert not Feed.objects.filter(url=new).exists()


def test_failures_back_off_exponentially_up_to_the_cap_and_success_resets(httpserver, settings):
    settings.FEED_MAX_BACKOFF_MINUTES = 200
    httpserver.expect_request("/feed.xml").respond_with_data("busy", status=503)
    feed = FeedFactory(url=httpserver.url_for("/feed.xml"), poll_interval_minutes=30)
    waits = []
    with time_machine.travel(NOW, tick=False):
        for _ in range(4):
            fetching.feed_ingest(feed_id=feed.pk)
            feed.refresh_from_db()
            waits.append((feed.next_fetch_at - NOW) / timedelta(minutes=1))
    assert waits == [60, 120, 200, 200]
    assert feed.consecutive_failures == 4
    assert feed.last_status_code == 503 and "503 Service Unavailable" in feed.last_error

    httpserver.clear()
    serve(httpserver, fixture("rss2.xml"))
    with time_machine.travel(NOW, tick=False):
        fetching.feed_ingest(feed_id=feed.pk)
    feed.refresh_from_db()
    assert (feed.last_outcome, feed.consecutive_failures, feed.last_error) == ("ok", 0, "")
    assert feed.next_fetch_at == NOW + timedelta(minutes=30)


# --- Polite HTTP ---------------------------------------------------------------------------


def test_conditional_get_and_304(httpserver):
    def conditional(request):
        if request.headers.get("If-None-Match") == '"rev-7"':
            return Response(status=304)
        return Response(
            fixture("rss2.xml"),
            content_type="application/rss+xml",
            headers={"ETag": '"rev-7"', "Last-Modified": "Tue, 03 Nov 2026 09:00:00 GMT"},
        )

    httpserver.expect_request("/feed.xml").respond_with_handler(conditional)
    url = httpserver.url_for("/feed.xml")
    ingest(url)
    feed = Feed.objects.get()
    assert (feed.etag, feed.last_modified) == ('"rev-7"', "Tue, 03 Nov 2026 09:00:00 GMT")

    code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, SUMMARY_NOTHING)
    request, response = httpserver.log[-1]
    assert request.headers["If-Modified-Since"] == "Tue, 03 Nov 2026 09:00:00 GMT"
    assert response.status_code == 304
    feed.refresh_from_db()
    assert (feed.last_outcome, feed.last_status_code) == (Feed.Outcome.NOT_MODIFIED, 304)
    assert feed.etag == '"rev-7"'


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        ("7200", timedelta(hours=2)),
        ("Thu, 05 Nov 2026 15:30:00 GMT", timedelta(hours=3.5)),
        # Absurd or unreadable values: capped, or the usual back-off; never a crashed run.
        ("9" * 30, fetching.MAX_RETRY_AFTER),
        ("\u00b2", timedelta(minutes=2 * settings.FEED_DEFAULT_POLL_MINUTES)),
    ],
)
def test_429_honours_retry_after(httpserver, retry_after, wait):
    httpserver.expect_request("/feed.xml").respond_with_data(
        "slow down", status=429, headers={"Retry-After": retry_after}
    )
    feed = FeedFactory(url=httpserver.url_for("/feed.xml"))
    with time_machine.travel(NOW, tick=False):
        code, out, err = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (1, "new 0, updated 0, withheld 0, failed 1")
    assert "HTTP 429 Too Many Requests" in err
    feed.refresh_from_db()
    assert (feed.last_outcome, feed.last_status_code) == (Feed.Outcome.RATE_LIMITED, 429)
    assert feed.next_fetch_at == NOW + wait
    assert feed.consecutive_failures == 1
    assert not Feed.objects.due(NOW + wait - timedelta(seconds=1)).exists()


def test_410_pauses_the_feed(httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data("gone", status=410)
    feed = FeedFactory(url=httpserver.url_for("/feed.xml"))
    code, out, err = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (1, "new 0, updated 0, withheld 0, failed 1")
    assert "gone for good" in err
    feed.refresh_from_db()
    assert (feed.is_active, feed.last_outcome, feed.last_status_code) == (False, "gone", 410)
    assert "paused" in feed.last_error
    event = AuditEvent.objects.for_object(feed).get()
    assert (event.action, event.actor_name) == ("feed.paused", "ingest")
    # A paused feed is never due and is not fetched again.
    assert feed.pk not in fetching.feeds_claim_due()
    requests_so_far = len(httpserver.log)
    assert fetching.feed_ingest(feed_id=feed.pk).failed
    assert len(httpserver.log) == requests_so_far


# --- Choosing feeds ------------------------------------------------------------------------


def test_due_picks_active_feeds_whose_time_has_come(httpserver):
    origin = OriginFactory(domain="harbour-gazette.example")
    feeds = {}
    for name, fields in {
        "never": {"next_fetch_at": None},
        "past": {"next_fetch_at": NOW - timedelta(minutes=1)},
        "future": {"next_fetch_at": NOW + timedelta(minutes=5)},
        "paused": {"next_fetch_at": None, "is_active": False},
    }.items():
        feeds[name] = FeedFactory(
            origin=origin, url=serve(httpserver, fixture("rss2.xml"), path=f"/{name}.xml"), **fields
        )
    with time_machine.travel(NOW, tick=False):
        code, out, _ = ingest("--due")
        assert (code, summary(out)) == (0, "new 3, updated 0, withheld 0, failed 0")
        assert sorted(request.path for request, _ in httpserver.log) == ["/never.xml", "/past.xml"]
        # Both are now scheduled one poll interval ahead: a second sweep finds nothing.
        assert summary(ingest("--due")[1]) == SUMMARY_NOTHING
    assert len(httpserver.log) == 2

    code, out, _ = ingest("--feed", str(feeds["future"].pk))
    assert (code, summary(out)) == (0, SUMMARY_NOTHING)
    assert httpserver.log[-1][0].path == "/future.xml"


def test_claiming_due_feeds_is_exclusive_and_expires():
    feed = FeedFactory(next_fetch_at=None, poll_interval_minutes=15)
    with time_machine.travel(NOW, tick=False):
        assert fetching.feeds_claim_due() == [feed.pk]
        assert fetching.feeds_claim_due() == []  # an overlapping beat claims nothing
    # A claim whose task was lost runs out after one poll interval.
    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):
        assert fetching.feeds_claim_due() == [feed.pk]


def test_the_progress_bar_is_shown_only_on_a_terminal():
    class Terminal(StringIO):
        def isatty(self):
            return True

    piped = StringIO()
    call_command("ingest", str(FEEDS / "rss1.xml"), stdout=piped, stderr=StringIO())
    assert piped.getvalue() == SUMMARY_NOTHING.replace("new 0", "new 1") + "\n"

    terminal = Terminal()
    call_command("ingest", str(FEEDS / "atom.xml"), stdout=terminal, stderr=StringIO())
    output = terminal.getvalue()
    assert "feed/s" in output or "s/feed" in output  # tqdm's rate display
    assert output.endswith("\rnew 2, updated 0, withheld 0, failed 0\n") or output.endswith(
        "\nnew 2, updated 0, withheld 0, failed 0\n"
    )
