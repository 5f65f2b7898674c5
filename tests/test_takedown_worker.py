"""Takedowns for real: the public form, verification, approval, and a real Celery worker
process running the job on the configured broker (filesystem or Redis) and database (SQLite
or PostgreSQL), its self-check asking the live server. Then the origin's feed comes back,
a worker is killed mid-job, two workers race, and a counter-notice restores the content."""

import contextlib
import re
import threading
import time
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.celery import app as celery_app
from compliance.items import fetching as ingest
from compliance.items.models import BlockRule, Item, LicenceBasis
from compliance.items.sitemap_pages import sitemap_page_of
from compliance.items.staydown import origin_block
from compliance.messaging.models import Message
from compliance.takedowns.decisions import request_approve
from compliance.takedowns.models import CounterNotice, RemovalRequest
from compliance.takedowns.tasks import (
    process_takedown,
    recheck_staydown,
    requeue_stuck_takedowns,
    restore_due_counter_notices,
    withhold_expired_licences,
)
from tests import workers
from tests.conftest import worker_site_env
from tests.factories import (
    FeedFactory,
    ItemFactory,
    LicenceBasisFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)
from tests.test_takedown_form import valid_data

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = RemovalRequest.Status
CRASH_QUEUE = "takedowns-crash-test"
CONFIRMATION_SUBJECT = "The content you asked about has been removed"


def wait_for_status(removal_request, status, worker, timeout=90):
    def reached():
        removal_request.refresh_from_db()
        return removal_request.status == status

    try:
        workers.wait_until(reached, timeout=timeout)
    except TimeoutError:
        raise AssertionError(
            f"{removal_request} is {removal_request.status}, not {status}\n"
            f"worker:\n{worker.output()[-6000:]}"
        ) from None


def mails_about(worker_mail, subject_part: str) -> list:
    return [m for m in worker_mail() if subject_part in m["Subject"]]


def the_one_confirmation(worker_mail, removal_request):
    """Wait for the confirmation, then make sure no second one follows."""
    workers.wait_until(
        lambda: mails_about(worker_mail, CONFIRMATION_SUBJECT),
        timeout=60,
        message="no confirmation was sent",
    )
    time.sleep(2)  # a duplicate would have been sent by now
    (confirmation,) = mails_about(worker_mail, CONFIRMATION_SUBJECT)
    assert confirmation["To"] == removal_request.requester_email
    assert removal_request.reference in confirmation["Subject"]
    assert removal_request.messages.filter(kind="confirmation").count() == 1
    return confirmation.get_body(preferencelist=("plain",)).get_content()


def assert_gone_everywhere(client, *items):
    feed = client.get("/feed/").content.decode()
    home = client.get("/").content.decode()
    for item in items:
        # The sitemap page the item was on (404 once no later published item remains).
        sitemap = client.get(f"/sitemap-items-{sitemap_page_of(item.pk)}.xml").content.decode()
        response = client.get(f"/items/{item.slug}/")
        assert response.status_code == 451, item
        assert item.title not in response.content.decode()
        assert f"/items/{item.slug}/" not in feed
        assert f"/items/{item.slug}/" not in sitemap
        assert item.title not in home


def verification_path(worker_mail) -> str:
    (acknowledgement,) = workers.wait_until(
        worker_mail, timeout=60, message="no acknowledgement was sent"
    )
    body = acknowledgement.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"/takedown/verify/\S+/", body).group(0)


# --- end to end ----------------------------------------------------------------------------


def test_form_verify_officer_approval_then_the_worker_takes_it_down(
    client, celery_worker, worker_mail
):
    origin = OriginFactory(domain="harbour-gazette.example", name="Harbour Gazette")
    first, second = ItemFactory.create_batch(2, origin=origin)
    bystander = ItemFactory(origin=origin)
    officer = UserFactory(officer=True)

    response = client.post(
        "/takedown/",
        valid_data(urls=f"{first.original_url}\n{second.original_url}", ground="copyright"),
    )
    assert response.status_code == 302
    removal_request = RemovalRequest.objects.get()
    client.get(verification_path(worker_mail))
    removal_request.refresh_from_db()
    assert removal_request.status == Status.VERIFIED  # a stranger's address: staff decide

    client.force_login(officer)
    client.post(
        reverse("admin:takedowns_removalrequest_changelist") + "?queue=all",
        {
            "action": "approve",
            "_selected_action": [removal_request.pk],
            "index": 0,
            "apply": "1",
        },
    )
    client.logout()
    wait_for_status(removal_request, Status.COMPLETED, celery_worker)

    assert_gone_everywhere(client, first, second)
    assert client.get(f"/items/{bystander.slug}/").status_code == 200
    page = client.get(f"/items/{first.slug}/").content.decode()
    assert "removed following a removal request on the ground of copyright" in page
    assert removal_request.reference in page and "robin@rights.example" not in page
    text = the_one_confirmation(worker_mail, removal_request)
    assert first.title in text and second.title in text and bystander.title not in text
    assert "each answered 451" in text and "2 pages checked" in text
    assert "What we will keep from coming back" in text
    check = removal_request.audit_events.get(action="request.self_check")
    assert check.after["passed"] is True and check.after["checked"] == 2


def test_automatic_approval_is_processed_without_staff(client, celery_worker, worker_mail):
    origin = OriginFactory(domain="fennel-review.example", name="Fennel Review")
    item = ItemFactory(origin=origin)
    client.post(
        "/takedown/",
        valid_data(
            requester_email="editor@fennel-review.example",
            urls=item.original_url,
            scope="origin",
            role="rights_holder",
        ),
    )
    removal_request = RemovalRequest.objects.get()
    client.get(verification_path(worker_mail))

    wait_for_status(removal_request, Status.COMPLETED, celery_worker)
    assert removal_request.approved_automatically and removal_request.decided_by is None
    assert_gone_everywhere(client, item)
    origin.refresh_from_db()
    assert origin_block(origin.domain).case == removal_request.reference
    text = the_one_confirmation(worker_mail, removal_request)
    assert "fennel-review.example is blocked" in text


# --- the feed comes back -------------------------------------------------------------------

LANTERN_BODY = (
    "<p>Lantern makers on the invented island of Quarrow worked through the night to finish "
    "four hundred paper boats for the autumn tide festival.</p>"
    "<p>The boats, folded from waxed mulberry sheets, drift out past the breakwater.</p>"
)
LANTERN_URL = "https://harbour-gazette.example/news/lantern-boats"


def entry(guid, link, title, author, body) -> str:
    return (
        f"<item><guid isPermaLink='false'>{guid}</guid><link>{escape(link)}</link>"
        f"<title>{title}</title><dc:creator>{author}</dc:creator>"
        f"<description><![CDATA[{body}]]></description></item>"
    )


def feed(*entries) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'><channel>"
        "<title>Harbour Gazette</title><link>https://harbour-gazette.example/</link>"
        "<description>Invented news</description>" + "".join(entries) + "</channel></rss>"
    ).encode()


def article(n: int) -> str:
    return f"<p>Article number {n} about invented tidal clocks, written only for this test.</p>" * 2


FIRST_FEED = feed(
    entry("hg-1", LANTERN_URL, "Paper boats for the tide", "Ada Quill", LANTERN_BODY),
    entry(
        "hg-2", "https://harbour-gazette.example/news/ferry", "Ferry times", "Ben Marsh", article(2)
    ),
)
SECOND_FEED = feed(
    # The removed article again, under its old guid.
    entry("hg-1", LANTERN_URL, "Paper boats for the tide", "Ada Quill", LANTERN_BODY),
    # The same article, new guid, the same address with tracking parameters.
    entry(
        "hg-1-again",
        f"{LANTERN_URL}/?utm_source=newsletter&utm_medium=email",
        "Paper boats for the tide (updated)",
        "Ada Quill",
        LANTERN_BODY,
    ),
    # The same text under a new guid and a new address.
    entry(
        "hg-1-moved",
        "https://harbour-gazette.example/archive/2026/lantern-boats-festival",
        "Festival boats",
        "Ada Quill",
        LANTERN_BODY.replace("<p>", "<p>\n  "),
    ),
    # Something new by the same author, and by another.
    entry(
        "hg-3",
        "https://harbour-gazette.example/news/clocks",
        "Tidal clocks",
        "ada quill",
        article(3),
    ),
    entry(
        "hg-4", "https://harbour-gazette.example/news/nets", "Net lofts", "Ben Marsh", article(4)
    ),
)


@pytest.mark.parametrize(
    "scope, new_by_same_author",
    [("items", Item.Status.PUBLISHED), ("author", Item.Status.WITHHELD)],
)
def test_the_origin_publishes_it_again_and_it_stays_down(
    scope, new_by_same_author, client, celery_worker, worker_mail, httpserver
):
    origin = OriginFactory(domain="harbour-gazette.example", name="Harbour Gazette")
    source = FeedFactory(origin=origin, url=httpserver.url_for("/feed.xml"))

    def ingest_feed(content):
        httpserver.clear()
        httpserver.expect_request("/feed.xml").respond_with_data(
            content, content_type="application/rss+xml"
        )
        return ingest.feed_ingest(feed_id=source.pk)

    assert ingest_feed(FIRST_FEED).new == 2
    lantern = Item.objects.get(guid="hg-1")
    removal_request = RemovalRequestFactory(
        status=Status.VERIFIED, scope=scope, future=True, origin=origin
    )
    RemovalTargetFactory(request=removal_request, item=lantern)
    request_approve(removal_request=removal_request, user=UserFactory(officer=True))
    wait_for_status(removal_request, Status.COMPLETED, celery_worker)
    the_one_confirmation(worker_mail, removal_request)

    outcome = ingest_feed(SECOND_FEED)

    status = dict(Item.objects.values_list("guid", "status"))
    # The old guid and the tracking-parameter address are the hidden item itself.
    assert status["hg-1"] == Item.Status.HIDDEN
    assert "hg-1-again" not in status
    assert Item.objects.filter(url_key=lantern.url_key).count() == 1
    # The same text under a new address is caught by its fingerprint (or its author).
    assert status["hg-1-moved"] == Item.Status.WITHHELD
    assert status["hg-3"] == new_by_same_author
    assert status["hg-4"] == status["hg-2"] == Item.Status.PUBLISHED
    withheld = 1 + (new_by_same_author == Item.Status.WITHHELD)
    assert (outcome.new, outcome.withheld) == (3 - withheld, withheld)
    moved = Item.objects.get(guid="hg-1-moved")
    assert moved.status_rule.case == removal_request.reference
    assert moved.status_case == removal_request.reference
    assert client.get(f"/items/{moved.slug}/").status_code == 451
    feed_xml = client.get("/feed/").content.decode()
    assert "Paper boats" not in feed_xml and "Festival boats" not in feed_xml
    assert "Net lofts" in feed_xml


# --- crash safety --------------------------------------------------------------------------


def purge(queue: str) -> None:
    # A queue that never existed has nothing to purge.
    with celery_app.connection_for_write() as connection, contextlib.suppress(Exception):
        connection.default_channel.queue_purge(queue)


def test_a_worker_killed_mid_job_is_recovered_with_one_confirmation(
    client, celery_dirs, live_server, worker_mail, httpserver
):
    mail_dir, log_dir = celery_dirs
    origin = OriginFactory(domain="harbour-gazette.example")
    items = ItemFactory.create_batch(2, origin=origin)
    removal_request = RemovalRequestFactory(
        status=Status.APPROVED, future=True, origin=origin, decided_at=timezone.now()
    )
    for item in items:
        RemovalTargetFactory(request=removal_request, item=item)

    # The doomed worker's self-check asks a site that never answers.
    entered, release = threading.Event(), threading.Event()

    def hang(request):
        entered.set()
        release.wait(60)
        from werkzeug import Response

        return Response("too late", status=503)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(hang)
    purge(CRASH_QUEUE)
    doomed = workers.start_worker(
        mail_dir,
        log_dir,
        extra_env={
            **worker_site_env(live_server),
            "SELF_CHECK_BASE_URL": httpserver.url_for("").rstrip("/"),
            "SELF_CHECK_TIMEOUT_SECONDS": "120",
        },
        queues=(CRASH_QUEUE,),
    )
    try:
        process_takedown.apply_async((removal_request.pk,), queue=CRASH_QUEUE)
        assert entered.wait(60), f"the job never reached its self-check:\n{doomed.output()}"
        doomed.kill()  # SIGKILL, half-way: items hidden, nothing confirmed
    finally:
        release.set()
        doomed.stop()

    removal_request.refresh_from_db()
    assert removal_request.status == Status.PROCESSING
    assert {Item.objects.get(pk=i.pk).status for i in items} == {Item.Status.HIDDEN}
    assert not Message.objects.filter(kind="confirmation").exists()

    # Time passes; a new worker starts, and the beat's stuck sweep finds the request.
    RemovalRequest.objects.filter(pk=removal_request.pk).update(
        processing_started_at=timezone.now() - timedelta(hours=1)
    )
    fresh = workers.start_worker(mail_dir, log_dir, extra_env=worker_site_env(live_server))
    try:
        requeue_stuck_takedowns.delay()
        wait_for_status(removal_request, Status.COMPLETED, fresh)
        text = the_one_confirmation(worker_mail, removal_request)
    finally:
        fresh.stop()
    assert "each answered 451" in text
    assert removal_request.audit_events.filter(action="item.hidden").count() == 2
    assert removal_request.block_rules.all().count() == 2
    assert_gone_everywhere(client, *items)


# --- concurrency ---------------------------------------------------------------------------


def test_two_workers_running_the_same_request_confirm_once(
    celery_worker, celery_dirs, live_server, worker_mail
):
    mail_dir, log_dir = celery_dirs
    origin = OriginFactory()
    items = ItemFactory.create_batch(20, origin=origin)
    removal_request = RemovalRequestFactory(
        status=Status.APPROVED, scope="origin", future=True, origin=origin
    )
    RemovalTargetFactory(request=removal_request, item=items[0])
    second = workers.start_worker(mail_dir, log_dir, extra_env=worker_site_env(live_server))
    try:
        # The same job delivered twice at once (a duplicate, a redelivery, a requeue).
        process_takedown.delay(removal_request.pk)
        process_takedown.delay(removal_request.pk)
        wait_for_status(removal_request, Status.COMPLETED, second)
        the_one_confirmation(worker_mail, removal_request)
    finally:
        second.stop()
    assert removal_request.audit_events.filter(action="item.hidden").count() == 20
    assert removal_request.audit_events.filter(action="rule.created").count() == 1
    assert removal_request.audit_events.filter(action="origin.blocked").count() == 1
    assert (
        AuditEvent.objects.filter(
            case=removal_request.reference, action="request.completed"
        ).count()
        == 1
    )


# --- counter-notice ------------------------------------------------------------------------


def test_the_beat_job_restores_a_counter_notice_whose_time_is_up(
    client, celery_worker, worker_mail
):
    origin = OriginFactory()
    item = ItemFactory(origin=origin, status=Item.Status.HIDDEN)
    removal_request = RemovalRequestFactory(status=Status.COMPLETED, origin=origin)
    Item.objects.filter(pk=item.pk).update(status_case=removal_request.reference)
    rule = BlockRule.objects.create(
        kind="url",
        origin=origin,
        domain=origin.domain,
        url=item.original_url,
        url_key=item.url_key,
        case=removal_request.reference,
    )
    fifteen_days_ago = timezone.now() - timedelta(days=15)
    forward = Message.objects.create(
        case=removal_request.reference,
        direction=Message.Direction.OUT,
        kind="counter_notice",
        state=Message.State.SENT,
        sender="removals@example.org",
        recipients=[removal_request.requester_email],
        subject=f"[{removal_request.reference}] A counter-notice disputes your removal request",
        sent_at=fifteen_days_ago,
    )
    CounterNotice.objects.create(
        request=removal_request,
        forward_message=forward,
        name="Casey Example",
        address="1 Invented Lane",
        phone="+44 0000 000000",
        email="casey@author.example",
        mistake_statement=True,
        jurisdiction_consent=True,
        signature="Casey Example",
        forwarded_at=fifteen_days_ago,
        restore_at=timezone.now() - timedelta(minutes=1),
    )

    restore_due_counter_notices.delay()
    wait_for_status(removal_request, Status.REVERSED, celery_worker)

    assert client.get(f"/items/{item.slug}/").status_code == 200
    assert f"/items/{item.slug}/" in client.get("/feed/").content.decode()
    rule.refresh_from_db()
    assert not rule.is_active
    (mail,) = workers.wait_until(lambda: mails_about(worker_mail, "has been restored"), timeout=60)
    assert mail["To"] == removal_request.requester_email


# --- licences ------------------------------------------------------------------------------


def test_the_licence_job_withholds_expired_items_on_a_real_worker(client, celery_worker):
    basis = LicenceBasisFactory(name="Syndication until yesterday")
    origin = OriginFactory(licence_basis=basis)
    item = ItemFactory(origin=origin)
    LicenceBasis.objects.filter(pk=basis.pk).update(expires_at=timezone.now() - timedelta(days=1))

    withhold_expired_licences.delay()

    workers.wait_until(
        lambda: Item.objects.get(pk=item.pk).status == Item.Status.WITHHELD,
        timeout=60,
        message=f"the item is still published\n{celery_worker.output()[-4000:]}",
    )
    assert client.get(f"/items/{item.slug}/").status_code == 451
    origin.refresh_from_db()
    assert "licence" in origin.attention_needed
    assert AuditEvent.objects.filter(action="origin.flagged", object_id=origin.pk).exists()


def test_the_recheck_beat_job_takes_down_what_a_rule_covers_and_the_report_counts_it(
    client, celery_worker, settings
):
    """A rule made while an item was already published (by staff, at another request's
    origin): the periodic re-check, on a real worker, takes it down, under the rule's
    request, and the report says what it found."""
    from compliance.items.models import BlockRule
    from compliance.reports.figures import report_figures
    from compliance.reports.periods import Period, report_zone

    assert settings.CELERY_BEAT_SCHEDULE["recheck-staydown"]["task"] == recheck_staydown.name
    origin = OriginFactory(domain="harbour-gazette.example")
    shown = ItemFactory(origin=origin, author="Pellam Voss", author_key="pellam voss")
    other = ItemFactory(origin=origin)
    removal_request = RemovalRequestFactory(status=Status.COMPLETED)
    rule = BlockRule.objects.create(
        kind="author",
        origin=origin,
        domain=origin.domain,
        author="Pellam Voss",
        author_key="pellam voss",
        case=removal_request.reference,
    )

    recheck_staydown.delay()

    workers.wait_until(
        lambda: Item.objects.get(pk=shown.pk).status == Item.Status.HIDDEN,
        timeout=60,
        message=f"the item is still published\n{celery_worker.output()[-4000:]}",
    )
    shown.refresh_from_db()
    assert (shown.status_rule, shown.status_case) == (rule, removal_request.reference)
    assert Item.objects.get(pk=other.pk).status == Item.Status.PUBLISHED
    assert client.get(f"/items/{shown.slug}/").status_code == 451
    today = timezone.localdate()
    figures = report_figures(period=Period("daily", today, today, report_zone()))
    assert figures["found_by_recheck"] == 1
    assert figures["invariants"]["published_blocked"] == []
