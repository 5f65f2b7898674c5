"""The takedown job's domain functions, run in this process against the live server (the
self-check asks a real site over HTTP): what is hidden, which rules are made, the
confirmation, idempotence, failed checks, the stuck sweep and the retry-exhausted flag.
The same job on a real worker is in test_takedown_worker.py."""

import threading
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection, connections
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.celery import app as celery_app
from compliance.core.actors import Actor
from compliance.items.models import BlockRule
from compliance.items.sitemap_pages import sitemap_page_of
from compliance.items.staydown import origin_block
from compliance.takedowns import processing, selfcheck
from compliance.takedowns.decisions import request_withdraw
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.tasks import process_takedown, requeue_stuck_takedowns
from tests.factories import (
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
)

Status = RemovalRequest.Status


@pytest.fixture
def site(live_server, settings):
    """The self-check asks the live server, which serves this test's (committed) data."""
    settings.SELF_CHECK_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def origin(db):
    return OriginFactory(domain="harbour-gazette.example", name="Harbour Gazette")


def approved_request(*items, scope="items", future=True, unknown_urls=(), **fields):
    removal_request = RemovalRequestFactory(
        status=Status.APPROVED,
        scope=scope,
        future=future,
        origin=items[0].origin if items else None,
        decided_at=timezone.now(),
        **fields,
    )
    for item in items:
        RemovalTargetFactory(request=removal_request, item=item)
    for url in unknown_urls:
        RemovalTargetFactory(request=removal_request, item=None, url=url)
    return removal_request


def confirmations(removal_request):
    return removal_request.messages.filter(kind="confirmation")


def run(removal_request) -> str:
    return processing.request_process(removal_request_id=removal_request.pk)


def status_of(obj) -> str:
    return type(obj).objects.get(pk=obj.pk).status


@pytest.mark.django_db(transaction=True)
def test_items_scope_hides_the_items_makes_url_rules_and_confirms_once(site, client, origin):
    target = ItemFactory(origin=origin, title="Invented quay market story", author="Ada Quill")
    copy = ItemFactory(origin=origin, original_url=f"{target.original_url}?utm_source=x")
    same_author = ItemFactory(origin=origin, author="Ada Quill")
    removal_request = approved_request(
        target, unknown_urls=["https://elsewhere.example/not-ours"], ground="privacy"
    )

    assert run(removal_request) == "completed"

    removal_request.refresh_from_db()
    assert removal_request.status == Status.COMPLETED and removal_request.completed_at
    assert removal_request.attention_needed == ""
    assert [status_of(i) for i in (target, copy, same_author)] == ["hidden", "hidden", "published"]
    target.refresh_from_db()
    assert target.status_case == removal_request.reference
    assert target.status_reason == f"Removal request {removal_request.reference} (privacy)"

    rules = removal_request.block_rules.all()
    assert {(r.kind, r.url) for r in rules} == {
        ("url", "https://harbour-gazette.example" + target.original_url.split(".example")[1]),
        ("url", "https://elsewhere.example/not-ours"),
    }
    # Each copy's text is caught too, whatever address it comes back under.
    assert set(rules.filter(origin=origin).values_list("text_fingerprint", flat=True)) == {
        target.text_fingerprint,
        copy.text_fingerprint,
    }

    # Readers: a 451 naming the ground and the reference, and nothing in the feed or sitemap.
    response = client.get(f"/items/{target.slug}/")
    assert response.status_code == 451
    page = response.content.decode()
    assert "removed following a removal request on the ground of privacy" in page
    assert removal_request.reference in page and 'href="/transparency/"' in page
    assert removal_request.requester_email not in page and "Robin Rights" not in page
    assert target.slug not in client.get("/feed/").content.decode()
    for item, listed in ((target, False), (same_author, True)):
        sitemap_page = client.get(f"/sitemap-items-{sitemap_page_of(item.pk)}.xml")
        assert (item.slug in sitemap_page.content.decode()) is listed
    assert target.slug not in client.get("/").content.decode()
    assert same_author.slug in client.get("/feed/").content.decode()

    # The trail: hidden items, rules, the passed self-check, completed.
    actions = list(
        removal_request.audit_events.all().order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "request.processing",
        "item.hidden",
        "item.hidden",
        "rule.created",
        "rule.created",
        "rule.created",
        "request.completed",
        "request.self_check",
    ]
    check = removal_request.audit_events.get(action="request.self_check")
    assert check.after == {
        "where": "our site",
        "passed": True,
        "checked": 2,
        "items": 2,
        "sitemap_pages": [1],
        "failures": [],
        "edges": [],  # no edge cache configured
    }

    (confirmation,) = confirmations(removal_request)
    assert confirmation.recipients == [removal_request.requester_email]
    assert removal_request.reference in confirmation.subject
    text = confirmation.text_body
    assert "Invented quay market story" in text and target.original_url in text
    assert "What we will keep from coming back" in text
    assert "https://elsewhere.example/not-ours" in text
    assert "the same text under any other address" in text
    assert "each answered 451" in text and "2 pages checked" in text

    # Run again (a duplicate delivery): nothing changes, no second mail.
    assert run(removal_request) == Status.COMPLETED
    assert confirmations(removal_request).count() == 1
    assert removal_request.audit_events.all().count() == len(actions)


@pytest.mark.django_db(transaction=True)
def test_author_scope_makes_an_author_rule(site, origin):
    target = ItemFactory(origin=origin, author="Ada Quill")
    same_author = ItemFactory(origin=origin, author="ADA  quill")
    other = ItemFactory(origin=origin, author="Ben Marsh")
    removal_request = approved_request(target, scope="author")

    assert run(removal_request) == "completed"

    assert [status_of(i) for i in (target, same_author, other)] == [
        "hidden",
        "hidden",
        "published",
    ]
    (rule,) = removal_request.block_rules.all()
    assert (rule.kind, rule.domain, rule.author_key) == ("author", origin.domain, "ada quill")
    assert "anything by Ada Quill from harbour-gazette.example" in (
        confirmations(removal_request).get().text_body
    )


@pytest.mark.django_db(transaction=True)
def test_origin_scope_hides_everything_and_blocks_the_origin(site, origin):
    items = ItemFactory.create_batch(3, origin=origin)
    elsewhere = ItemFactory()
    removal_request = approved_request(items[0], scope="origin")

    assert run(removal_request) == "completed"

    assert [status_of(i) for i in items] == ["hidden"] * 3
    assert status_of(elsewhere) == "published"
    (rule,) = removal_request.block_rules.all()
    assert (rule.kind, rule.domain) == ("origin", origin.domain)
    origin.refresh_from_db()
    assert origin_block(origin.domain).case == removal_request.reference
    assert removal_request.audit_events.filter(action="origin.blocked").count() == 1
    text = confirmations(removal_request).get().text_body
    assert "harbour-gazette.example is blocked" in text and "3 items" in text


@pytest.mark.django_db(transaction=True)
def test_without_future_nothing_is_blocked(site, origin):
    target = ItemFactory(origin=origin)
    removal_request = approved_request(target, scope="origin", future=False)
    assert run(removal_request) == "completed"
    assert status_of(target) == "hidden"
    assert not BlockRule.objects.exists()
    origin.refresh_from_db()
    assert origin_block(origin.domain) is None
    assert "You did not ask us to keep" in confirmations(removal_request).get().text_body


@pytest.mark.django_db(transaction=True)
def test_a_request_no_longer_approved_is_left_alone(site, origin):
    target = ItemFactory(origin=origin)
    removal_request = approved_request(target)
    RemovalRequest.objects.filter(pk=removal_request.pk).update(status=Status.WITHDRAWN)
    assert run(removal_request) == Status.WITHDRAWN
    assert status_of(target) == "published"
    assert processing.request_process(removal_request_id=999_999) == "missing"


@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_just_after_the_job_started_hides_nothing(site, origin):
    """Withdrawn once the job has moved the request to processing, but before it hides:
    the job must see the withdrawal and leave the content, the rules and the origin be."""
    target = ItemFactory(origin=origin)
    removal_request = approved_request(target, scope="origin")
    withdrawn = []

    def withdraw_after_the_lease(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # The job's lease (SET processing_started_at alone, not the status claim).
        if sql.startswith("UPDATE") and 'SET "processing_started_at"' in sql and not withdrawn:
            withdrawn.append(True)
            request_withdraw(
                removal_request=RemovalRequest.objects.get(pk=removal_request.pk),
                actor=Actor.system("test"),
                reason="The requester changed their mind.",
            )
        return result

    with connection.execute_wrapper(withdraw_after_the_lease):
        outcome = run(removal_request)

    assert withdrawn and outcome == Status.WITHDRAWN
    assert status_of(removal_request) == Status.WITHDRAWN
    assert status_of(target) == "published"
    assert not BlockRule.objects.exists()
    origin.refresh_from_db()
    assert origin_block(origin.domain) is None
    assert not confirmations(removal_request).exists()
    assert not AuditEvent.objects.filter(action__in=["item.hidden", "rule.created"]).exists()


@pytest.mark.django_db
def test_a_withdrawal_after_the_takedown_ran_brings_the_content_back(origin):
    """Hidden, kept down by rules, the origin blocked, and then the requester withdraws
    while the job is still checking: everything it did is undone."""
    items = ItemFactory.create_batch(2, origin=origin)
    removal_request = approved_request(items[0], scope="origin")
    Status_ = RemovalRequest.Status
    RemovalRequest.objects.filter(pk=removal_request.pk).update(status=Status_.PROCESSING)
    processing._take_down(removal_request)
    processing._keep_down(removal_request, reason="test")
    assert [status_of(i) for i in items] == ["hidden", "hidden"]
    origin.refresh_from_db()
    assert origin_block(origin.domain)

    request_withdraw(
        removal_request=RemovalRequest.objects.get(pk=removal_request.pk),
        actor=Actor.requester(removal_request.requester_email),
        reason="We settled.",
    )

    assert [status_of(i) for i in items] == ["published", "published"]
    assert not removal_request.block_rules.filter(is_active=True).exists()
    origin.refresh_from_db()
    assert origin_block(origin.domain) is None
    restored = removal_request.audit_events.filter(action="item.restored")
    assert restored.count() == 2 and "withdrawn: We settled." in restored.first().reason
    assert removal_request.messages.filter(kind="withdrawal").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_self_check_flags_the_request_and_confirms_nothing(settings, origin, httpserver):
    # A site that still shows the page (a stale cache in front of it, say).
    settings.SELF_CHECK_BASE_URL = httpserver.url_for("").rstrip("/")
    target = ItemFactory(origin=origin)
    httpserver.expect_request(f"/items/{target.slug}/").respond_with_data("still here", status=200)
    httpserver.expect_request("/feed/").respond_with_data(
        f"<rss><channel><item><link>http://x/items/{target.slug}/</link></item></channel></rss>"
    )
    httpserver.expect_request("/sitemap-items-1.xml").respond_with_data(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    )
    removal_request = approved_request(target)

    assert run(removal_request) == "flagged"

    removal_request.refresh_from_db()
    assert removal_request.status == Status.PROCESSING
    assert "Self-check failed" in removal_request.attention_needed
    assert status_of(target) == "hidden"  # the takedown itself stands
    assert not confirmations(removal_request).exists()
    check = removal_request.audit_events.get(action="request.self_check")
    assert check.after["passed"] is False
    assert check.after["failures"] == [
        f"/items/{target.slug}/ answered 200, not 451",
        f"/items/{target.slug}/ is listed in /feed/",
    ]
    assert AuditEvent.objects.filter(
        case=removal_request.reference, action="request.flagged"
    ).exists()
    # Every request header asked caches for a fresh answer.
    assert all(r.headers.get("Cache-Control") == "no-cache" for r, _ in httpserver.log)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_site_fails_the_check(settings, origin):
    settings.SELF_CHECK_BASE_URL = "http://127.0.0.1:1"  # nothing listens there
    removal_request = approved_request(ItemFactory(origin=origin))
    assert run(removal_request) == "flagged"
    failures = AuditEvent.objects.get(action="request.self_check").after["failures"]
    assert failures and all("ConnectionError" in failure for failure in failures)


@pytest.mark.django_db(transaction=True)
def test_a_retried_check_that_passes_completes_with_one_mail(site, settings, origin):
    target = ItemFactory(origin=origin)
    removal_request = approved_request(target)
    settings.SELF_CHECK_BASE_URL = "http://127.0.0.1:1"
    assert run(removal_request) == "flagged"
    assert run(removal_request) == "flagged"
    # Each check is on the record; staff are flagged once.
    assert AuditEvent.objects.filter(action="request.self_check").count() == 2
    assert AuditEvent.objects.filter(action="request.flagged").count() == 1

    # Later the site is reachable: the stuck sweep queues the request, the job completes.
    settings.SELF_CHECK_BASE_URL = site.url
    later = timezone.now() + timedelta(minutes=settings.TAKEDOWN_STUCK_MINUTES + 1)
    assert processing.requests_requeue_stuck(now=later) == [removal_request.pk]
    assert run(removal_request) == "completed"
    removal_request.refresh_from_db()
    assert removal_request.status == Status.COMPLETED and removal_request.attention_needed == ""
    assert confirmations(removal_request).count() == 1
    assert removal_request.audit_events.filter(action="item.hidden").count() == 1


@pytest.mark.django_db
def test_the_stuck_sweep_claims_each_stuck_request_once(settings):
    settings.TAKEDOWN_STUCK_MINUTES = 10
    now = timezone.now()
    old = now - timedelta(minutes=30)
    stuck = RemovalRequestFactory(status=Status.PROCESSING, processing_started_at=old)
    lost = RemovalRequestFactory(status=Status.APPROVED, decided_at=old)
    RemovalRequestFactory(status=Status.PROCESSING, processing_started_at=now)  # running
    RemovalRequestFactory(status=Status.APPROVED, decided_at=now)  # just queued
    RemovalRequestFactory(status=Status.COMPLETED, processing_started_at=old)

    assert sorted(processing.requests_requeue_stuck(now=now)) == sorted([stuck.pk, lost.pk])
    # An overlapping sweep, or the next one within the period, claims nothing again.
    assert processing.requests_requeue_stuck(now=now) == []
    assert processing.requests_requeue_stuck(now=now + timedelta(minutes=5)) == []
    # A period later, the two claimed are due again, and so are the two that were fresh.
    assert len(processing.requests_requeue_stuck(now=now + timedelta(minutes=11))) == 4


@pytest.mark.django_db
def test_when_retries_run_out_the_request_is_flagged_for_staff():
    removal_request = RemovalRequestFactory(status=Status.PROCESSING)
    done = RemovalRequestFactory(status=Status.COMPLETED)
    error = "OperationalError: could not connect to server"
    # What Celery calls once the last retry has failed.
    for pk in (removal_request.pk, done.pk):
        process_takedown.on_failure(OSError(error), "task-id", (pk,), {}, None)
    removal_request.refresh_from_db()
    assert removal_request.status == Status.PROCESSING
    assert "failed after its retries" in removal_request.attention_needed
    assert error in removal_request.attention_needed
    event = removal_request.audit_events.get(action="request.flagged")
    assert event.actor_name == "process_takedown"
    done.refresh_from_db()
    assert done.attention_needed == ""  # nothing to flag on a finished request


def test_the_job_is_configured_to_retry_and_to_be_acknowledged_late():
    from django.db import DatabaseError
    from kombu.exceptions import OperationalError

    assert process_takedown.acks_late is True
    assert {DatabaseError, OperationalError} <= set(process_takedown.autoretry_for)
    assert process_takedown.retry_backoff and process_takedown.max_retries >= 3
    # Its own queue: a backlog of ingests (queue "ingest", another worker) cannot delay it.
    for task in (process_takedown, requeue_stuck_takedowns):
        assert celery_app.amqp.router.route({}, task.name)["queue"].name == "takedowns"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_complete_once_with_one_mail(site, origin):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every write transaction anyway")
    items = ItemFactory.create_batch(5, origin=origin)
    removal_request = approved_request(*items, scope="items")
    barrier = threading.Barrier(2)
    outcomes = []

    def job():
        try:
            barrier.wait(timeout=10)
            outcomes.append(run(removal_request))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 2 and "completed" in outcomes
    assert set(outcomes) <= {"completed", "already completed", Status.COMPLETED}
    assert confirmations(removal_request).count() == 1
    assert removal_request.audit_events.filter(action="item.hidden").count() == 5
    assert removal_request.audit_events.filter(action="rule.created").count() == 5
    assert removal_request.block_rules.all().count() == 5
    assert (
        AuditEvent.objects.filter(
            case=removal_request.reference, action="request.completed"
        ).count()
        == 1
    )


# --- the self-check itself -----------------------------------------------------------------


def test_sample_spreads_evenly_and_keeps_small_lists_whole():
    paths = [f"/items/{n}/" for n in range(10)]
    assert selfcheck._sample(paths, 20) == paths
    sample = selfcheck._sample(paths, 3)
    assert len(set(sample)) == 3 and sample[0] == paths[0] and sample[-1] == paths[-1]
    assert sample[1] in ("/items/4/", "/items/5/")


@pytest.mark.django_db(transaction=True)
def test_a_large_takedown_checks_a_sample_of_pages_but_lists_every_item(site, settings, origin):
    settings.SELF_CHECK_MAX_PAGES = 4
    items = ItemFactory.create_batch(9, origin=origin)
    removal_request = approved_request(items[0], scope="origin")
    assert run(removal_request) == "completed"
    check = AuditEvent.objects.get(action="request.self_check").after
    assert (check["checked"], check["items"], check["passed"]) == (4, 9, True)
    # The confirmation says it was a sample, never that every page was asked for.
    confirmation = confirmations(removal_request).get()
    for body in (confirmation.text_body, " ".join(confirmation.html_body.split())):
        assert "asked our own site for 4 of the 9 removed pages, an even sample" in body
        assert "each removed page" not in body
        assert "none of the 9 items is listed in our RSS feed or our sitemap" in body


@pytest.mark.django_db(transaction=True)
def test_by_default_every_removed_page_is_requested_and_the_lease_kept(
    site, settings, origin, monkeypatch
):
    monkeypatch.setattr(selfcheck, "PROGRESS_EVERY", 3)
    items = ItemFactory.create_batch(7, origin=origin)
    removal_request = approved_request(items[0], scope="origin")
    leases = []
    renew = processing._renew_lease
    monkeypatch.setattr(processing, "_renew_lease", lambda r: (leases.append(1), renew(r)))
    assert run(removal_request) == "completed"
    check = AuditEvent.objects.get(action="request.self_check").after
    assert (check["checked"], check["items"], check["passed"]) == (7, 7, True)
    assert len(leases) == 1 + 2  # taken once, renewed after pages 3 and 6


@pytest.mark.django_db(transaction=True)
def test_the_check_reads_exactly_the_sitemap_pages_its_items_were_on(settings, httpserver):
    settings.SELF_CHECK_BASE_URL = httpserver.url_for("").rstrip("/")
    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"

    def sitemap(*slugs):
        urls = "".join(f"<url><loc>http://x/items/{s}/</loc></url>" for s in slugs)
        return f'<urlset xmlns="{ns}">{urls}</urlset>'

    for slug in ("gone", "also-gone"):
        httpserver.expect_request(f"/items/{slug}/").respond_with_data("", status=451)
    httpserver.expect_request("/feed/").respond_with_data("<rss><channel/></rss>")
    httpserver.expect_request("/sitemap-items-2.xml").respond_with_data(sitemap("c", "gone"))
    # The last page's only item was the one removed: that page is gone (404), as it should.
    httpserver.expect_request("/sitemap-items-7.xml").respond_with_data("", status=404)

    # Pages hold items by primary-key range: these two are on pages 2 and 7.
    check = selfcheck.run_self_check([(50_001, "/items/gone/"), (300_001, "/items/also-gone/")])

    assert check.failures == ["/items/gone/ is listed in /sitemap-items-2.xml"]
    requested = [request.path for request, _ in httpserver.log]
    assert [path for path in requested if "sitemap" in path] == [
        "/sitemap-items-2.xml",
        "/sitemap-items-7.xml",
    ]
    ElementTree.fromstring(sitemap("x"))  # the fixture itself is well-formed


@pytest.mark.django_db(transaction=True)
def test_a_cached_copy_is_not_served_once_the_item_is_hidden(site, client, origin):
    """Revalidating a hidden item's page gets the 451, which nobody may store."""
    target = ItemFactory(origin=origin)
    page = client.get(f"/items/{target.slug}/")
    assert page.status_code == 200
    assert "max-age=60" in page["Cache-Control"]
    assert client.get(f"/items/{target.slug}/", HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 304

    assert run(approved_request(target)) == "completed"

    revalidated = client.get(f"/items/{target.slug}/", HTTP_IF_NONE_MATCH=page["ETag"])
    assert revalidated.status_code == 451
    assert revalidated["Cache-Control"] == "no-store"


def test_every_periodic_job_names_a_registered_task(settings):
    import compliance.takedowns.tasks  # noqa: F401 - registers the tasks

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, name
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "compliance.takedowns.tasks.requeue_stuck_takedowns",
        "compliance.takedowns.tasks.restore_due_counter_notices",
        "compliance.takedowns.tasks.withhold_expired_licences",
    } <= scheduled


@pytest.mark.django_db(transaction=True)
def test_a_copy_the_new_rules_catch_comes_down_with_the_request(site, client, origin):
    """ "Now and in the future": a copy already published under another URL with the same
    text is taken down by the job itself (not left for the re-check), under this request,
    and checked for its 451 like the rest."""
    target = ItemFactory(origin=origin, title="Invented lighthouse story")
    copy = ItemFactory(
        origin=origin,
        original_url=f"https://{origin.domain}/archive/lighthouse-again",
        body=target.body,
        text_fingerprint=target.text_fingerprint,
    )
    removal_request = approved_request(target)

    assert run(removal_request) == "completed"

    copy.refresh_from_db()
    assert copy.status == "hidden" and copy.status_case == removal_request.reference
    assert copy.status_rule.case == removal_request.reference
    assert client.get(f"/items/{copy.slug}/").status_code == 451
    check = removal_request.audit_events.get(action="request.self_check")
    assert check.after["checked"] == 2
    assert "Invented lighthouse story" in confirmations(removal_request).get().text_body


@pytest.mark.django_db(transaction=True)
def test_without_future_no_copy_is_taken_down(site, origin):
    target = ItemFactory(origin=origin)
    copy = ItemFactory(
        origin=origin,
        original_url=f"https://{origin.domain}/archive/copy",
        body=target.body,
        text_fingerprint=target.text_fingerprint,
    )
    assert run(approved_request(target, future=False)) == "completed"
    assert status_of(copy) == "published"
