"""Ingest end to end: the `ingest` command and the services behind it, with feeds served by
a real local HTTP server (pytest-httpserver) or read from fixture files."""

import io
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from werkzeug import Response

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.core.normalise import author_key, sha256_text, text_fingerprint, url_key
from compliance.items import fetching
from compliance.items.attribution import NO_LICENCE_NOTE
from compliance.items.models import Feed, Item, LicenceBasis, Origin
from compliance.items.rules import origin_block_create
from tests.factories import FeedFactory, ItemFactory, LicenceBasisFactory, OriginFactory
from tests.workers import ROOT, worker_database_url

pytestmark = pytest.mark.django_db

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


# --- Updates, deduplication and frozen texts -----------------------------------------------


def test_the_same_article_under_a_new_guid_and_a_tracking_url_is_not_duplicated(httpserver):
    feed = harbour_feed(httpserver)
    fetching.feed_ingest(feed_id=feed.pk)
    changed = (
        fixture("rss2.xml")
        .replace(b"hg-2026-0003", b"hg-2026-0003-reissued")
        .replace(
            b"https://www.harbour-gazette.example/news/quay-market-indoors",
            b"http://harbour-gazette.example/news/quay-market-indoors/?utm_campaign=autumn#top",
        )
    )
    httpserver.clear()
    serve(httpserver, changed)
    code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, SUMMARY_NOTHING)
    assert Item.objects.count() == 3


def test_another_origin_s_feed_carrying_the_same_article_changes_nothing(httpserver):
    # A second site's feed (an aggregator, a scraper) links to an article we already hold:
    # it is the same article, so nothing new is stored, and its text never replaces the
    # origin's under the origin's frozen attribution.
    feed = harbour_feed(httpserver)
    fetching.feed_ingest(feed_id=feed.pk)
    copycat = (
        fixture("rss2.xml")
        .replace(b"https://www.harbour-gazette.example/</link>", b"https://copycat.example/</link>")
        .replace(b"Ferry timetable redrawn after tide survey", b"Ferry chaos: read it here")
        .replace(b"hg-2026-", b"cc-")
    )
    other = FeedFactory(
        origin=OriginFactory(domain="copycat.example"),
        url=serve(httpserver, copycat, path="/copycat.xml"),
    )

    outcome = fetching.feed_ingest(feed_id=other.pk)

    assert (outcome.new, outcome.updated, outcome.withheld) == (0, 0, 0)
    ferry = Item.objects.get(guid="hg-2026-0001")
    assert (ferry.title, ferry.origin) == ("Ferry timetable redrawn after tide survey", feed.origin)
    assert Item.objects.count() == 3


def test_a_changed_article_is_updated_but_its_frozen_texts_are_not(httpserver):
    basis = LicenceBasisFactory()
    feed = harbour_feed(httpserver, basis=basis)
    fetching.feed_ingest(feed_id=feed.pk)
    ferry = Item.objects.get(guid="hg-2026-0001")
    frozen = (
        ferry.licence_note,
        ferry.licence_note_sha256,
        ferry.disclaimer,
        ferry.disclaimer_sha256,
        ferry.republished_at,
        ferry.slug,
    )

    # Later edits of what the texts are made from...
    Origin.objects.filter(pk=feed.origin_id).update(
        name="Harbour Gazette & Mercury",
        disclaimer_template="Borrowed from {{ origin.name }}; ask {{ contact_email }}.",
    )
    LicenceBasis.objects.filter(pk=basis.pk).update(name="Renamed basis")
    # ...and a new version of the article, plus a brand-new one.
    changed = (
        fixture("rss2.xml")
        .replace(b"Ferry timetable redrawn after tide survey", b"Ferry timetable redrawn again")
        .replace(
            b"<channel>",
            b"""<channel><item><title>Net loft reopens</title>
        <link>https://www.harbour-gazette.example/news/net-loft-reopens</link>
        <guid>hg-2026-0010</guid><description>The old net loft on the quay reopened
        on Saturday as a winter market hall with room for thirty invented stalls.</description>
        </item>""",
            1,
        )
    )
    httpserver.clear()
    serve(httpserver, changed)
    code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, "new 1, updated 1, withheld 0, failed 0")

    ferry.refresh_from_db()
    assert ferry.title == "Ferry timetable redrawn again"
    assert (
        ferry.licence_note,
        ferry.licence_note_sha256,
        ferry.disclaimer,
        ferry.disclaimer_sha256,
        ferry.republished_at,
        ferry.slug,
    ) == frozen
    assert AuditEvent.objects.for_object(ferry).filter(action="item.updated").count() == 1
    # The new item is rendered from the edited template, as plain text (no escaping).
    new = Item.objects.get(guid="hg-2026-0010")
    assert new.disclaimer == "Borrowed from Harbour Gazette & Mercury; ask removals@example.org."
    assert new.licence_note == "Licence: Renamed basis (Public feed, educational use)"


def test_hidden_and_withheld_items_are_never_updated_or_brought_back(httpserver):
    feed = harbour_feed(httpserver)
    fetching.feed_ingest(feed_id=feed.pk)
    Item.objects.filter(guid="hg-2026-0001").update(status=Item.Status.HIDDEN)
    Item.objects.filter(guid="hg-2026-0003").update(status=Item.Status.WITHHELD)
    changed = (
        fixture("rss2.xml")
        .replace(b"Ferry timetable", b"Ferry timetables")
        .replace(b"Quay market moves", b"Quay market finally moves")
    )
    httpserver.clear()
    serve(httpserver, changed)
    code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, SUMMARY_NOTHING)
    hidden, withheld = Item.objects.get(guid="hg-2026-0001"), Item.objects.get(guid="hg-2026-0003")
    assert (hidden.status, hidden.title) == ("hidden", "Ferry timetable redrawn after tide survey")
    assert (withheld.status, withheld.title) == (
        "withheld",
        "Quay market moves indoors for the storm season",
    )


def test_a_licence_basis_gives_the_note_and_the_disclaimer(httpserver):
    basis = LicenceBasisFactory(
        name="CC BY 4.0",
        kind=LicenceBasis.Kind.CREATIVE_COMMONS,
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    )
    feed = harbour_feed(httpserver, basis=basis)
    fetching.feed_ingest(feed_id=feed.pk)
    item = Item.objects.get(guid="hg-2026-0001")
    assert item.licence_basis == basis
    assert item.licence_note == (
        "Licence: CC BY 4.0 (Creative Commons licence), https://creativecommons.org/licenses/by/4.0/"
    )
    assert (
        "republished here from the public RSS feed offered by the host site under the "
        "CC BY 4.0 licence." in item.disclaimer
    )


@pytest.mark.parametrize(
    ("validity", "reason"),
    [
        ({"expires_at": NOW - timedelta(days=1)}, "licence expired"),
        ({"valid_from": NOW + timedelta(days=1)}, "licence not yet valid"),
    ],
)
def test_an_expired_or_future_licence_withholds_new_items(httpserver, validity, reason):
    feed = harbour_feed(httpserver, basis=LicenceBasisFactory(**validity))
    with time_machine.travel(NOW, tick=False):
        code, out, _ = ingest("--feed", str(feed.pk))
    assert (code, summary(out)) == (0, "new 0, updated 0, withheld 3, failed 0")
    for item in Item.objects.all():
        assert item.status == Item.Status.WITHHELD
        assert item.status_reason.startswith(reason)
        assert item.republished_at is None
        assert (item.disclaimer, item.licence_note, item.disclaimer_sha256) == ("", "", "")
        event = AuditEvent.objects.for_object(item).get()
        assert (event.action, event.reason) == ("item.withheld", item.status_reason)


def test_a_blocked_origin_gets_nothing_published(httpserver):
    feed = harbour_feed(httpserver)
    origin_block_create(origin=feed.origin, actor=Actor.system("test"), reason="blocked")
    fetching.feed_ingest(feed_id=feed.pk)
    assert set(Item.objects.values_list("status", "status_reason")) == {
        ("withheld", "block rule: Origin harbour-gazette.example")
    }


@pytest.mark.parametrize(
    "template",
    ["{% if %}", '{% include "no-such-template.txt" %}'],  # broken to compile, or to render
)
def test_a_broken_disclaimer_template_withholds_and_flags_the_origin(httpserver, template):
    feed = harbour_feed(httpserver, disclaimer_template=template)
    fetching.feed_ingest(feed_id=feed.pk)
    assert not Item.objects.published().exists()
    assert Item.objects.filter(status_reason__startswith="disclaimer template error").count() == 3
    assert "disclaimer template" in Origin.objects.get().attention_needed


def test_slugs_stay_unique_when_titles_repeat(httpserver):
    ItemFactory(slug="ferry-timetable-redrawn-after-tide-survey")
    feed = harbour_feed(httpserver)
    fetching.feed_ingest(feed_id=feed.pk)
    assert Item.objects.get(guid="hg-2026-0001").slug == (
        "ferry-timetable-redrawn-after-tide-survey-2"
    )


def test_titles_slugify_cannot_spell_get_a_slug_from_their_guid():
    from compliance.items.ingest import _unique_slug

    first = _unique_slug("Новости гавани", "guid-one")
    second = _unique_slug("港口新闻", "guid-two")
    assert first.startswith("item-") and second.startswith("item-") and first != second


def test_entries_without_a_link_or_with_a_repeated_guid_are_skipped_with_a_warning(httpserver):
    url = serve(httpserver, fixture("missing-guids.xml"), path="/notes.xml")
    dup = serve(httpserver, fixture("duplicate-guids.xml"), path="/dup.xml")
    code, out, _ = ingest(url, dup)
    assert (code, summary(out)) == (0, "new 3, updated 0, withheld 0, failed 0")
    assert Item.objects.filter(guid="https://fenwick-almanac.example/notes/curlews-return-early")
    assert Item.objects.get(guid="fa-0042").title == "Reed cutting season opens on the north fen"
    notes = Feed.objects.get(url=url)
    assert notes.last_outcome == "ok"
    assert "no http(s) link" in notes.last_error
    assert "duplicate guid" in Feed.objects.get(url=dup).last_error


def test_non_utf8_and_hostile_feeds_are_stored_decoded_and_clean(httpserver):
    latin = serve(httpserver, fixture("latin1.xml"), path="/latin1.xml")
    hostile = serve(httpserver, fixture("hostile.xml"), path="/hostile.xml")
    ingest(latin, hostile)
    assert Item.objects.get(guid="pc-0007").title == "Le marché aux crêpes rouvre sur la jetée"
    body = Item.objects.get(guid="hg-hostile-1").body
    assert "<script" not in body and "onerror" not in body and "javascript:" not in body
