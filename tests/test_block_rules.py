"""Block rules and blocked origins: made and undone through their services, audited, never
duplicated, and honoured by the next ingest."""

import threading

import pytest
from compliance.takedowns.rules import block_rule_matching
from compliance.takedowns.services import (
    block_rule_create,
    block_rule_deactivate,
    origin_block,
    origin_unblock,
)
from django.db import IntegrityError, connection, connections, transaction

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.core.normalise import author_key, url_key
from compliance.items.models import Item
from compliance.takedowns.models import BlockRule
from tests.factories import ItemFactory, OriginFactory, RemovalRequestFactory, UserFactory

JOB = Actor.system("process_takedown")


@pytest.fixture
def officer(db):
    return UserFactory(officer=True)


@pytest.mark.django_db
def test_a_url_rule_is_normalised_audited_and_matches_url_and_text():
    item = ItemFactory(original_url="https://www.origin-a.example/news/story?utm_source=x")
    removal_request = RemovalRequestFactory(status="processing")
    rule = block_rule_create(
        kind="url",
        origin=item.origin,
        url=item.original_url,
        text_fingerprint=item.text_fingerprint,
        actor=JOB,
        reason="now and in the future",
        removal_request=removal_request,
    )
    assert rule.url == "https://origin-a.example/news/story"
    assert rule.url_key == url_key("http://origin-a.example/news/story/") == item.url_key
    assert (rule.domain, rule.request, rule.is_active) == (
        item.origin.domain,
        removal_request,
        True,
    )
    event = AuditEvent.objects.for_object(rule).get()
    assert (event.action, event.request, event.reason) == (
        "rule.created",
        removal_request,
        "now and in the future",
    )
    by_text = {"url_key": "", "author_key": "", "text_fingerprint": item.text_fingerprint}
    assert block_rule_matching(domain=item.origin.domain, **by_text) == rule
    # The same text at another site is that site's own (a wire story it licensed).
    assert block_rule_matching(domain="elsewhere.example", **by_text) is None


@pytest.mark.django_db
def test_a_url_rule_for_a_site_we_do_not_republish_has_no_origin():
    rule = block_rule_create(kind="url", url="https://unknown-site.example/a/1", actor=JOB)
    assert rule.origin is None and rule.domain == "unknown-site.example"
    assert block_rule_matching(
        domain="unknown-site.example",
        url_key=url_key("https://unknown-site.example/a/1/"),
        author_key="",
        text_fingerprint="",
    )


@pytest.mark.django_db
def test_author_and_origin_rules():
    origin = OriginFactory(domain="origin-b.example")
    author_rule = block_rule_create(
        kind="author", origin=origin, author="  Casey   EXAMPLE ", actor=JOB
    )
    origin_rule = block_rule_create(kind="origin", origin=origin, actor=JOB)
    assert author_rule.author_key == author_key("casey example")
    # The most specific rule is reported: the author rule before the origin rule.
    assert (
        block_rule_matching(
            domain="origin-b.example", url_key="", author_key="casey example", text_fingerprint=""
        )
        == author_rule
    )
    assert (
        block_rule_matching(
            domain="news.origin-b.example", url_key="", author_key="", text_fingerprint=""
        )
        == origin_rule
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "url", "url": "mailto:someone@example.org"},
        {"kind": "author", "author": "Someone"},
        {"kind": "author", "author": "   ", "origin": "origin"},
        {"kind": "origin"},
        {"kind": "everything"},
    ],
)
def test_impossible_rules_are_refused(kwargs):
    if kwargs.get("origin") == "origin":
        kwargs["origin"] = OriginFactory()
    with pytest.raises(ValueError):
        block_rule_create(actor=JOB, **kwargs)
    assert not BlockRule.objects.exists()


@pytest.mark.django_db
def test_a_request_makes_each_rule_once_and_the_database_guarantees_it():
    origin = OriginFactory()
    removal_request = RemovalRequestFactory(status="processing")
    first = block_rule_create(
        kind="origin", origin=origin, actor=JOB, removal_request=removal_request
    )
    again = block_rule_create(
        kind="origin", origin=origin, actor=JOB, removal_request=removal_request
    )
    assert first == again
    assert BlockRule.objects.count() == 1
    assert AuditEvent.objects.filter(action="rule.created").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        BlockRule.objects.create(
            kind="origin", origin=origin, domain=origin.domain, request=removal_request
        )


@pytest.mark.django_db
def test_staff_rules_are_not_duplicated_while_active(officer):
    origin = OriginFactory()
    actor = Actor.staff(officer)
    first = block_rule_create(kind="author", origin=origin, author="Ada Quill", actor=actor)
    assert block_rule_create(kind="author", origin=origin, author="ada quill", actor=actor) == first
    block_rule_deactivate(rule=first, actor=actor, reason="mistake")
    second = block_rule_create(kind="author", origin=origin, author="Ada Quill", actor=actor)
    assert second != first and second.is_active


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_jobs_make_one_rule():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every write transaction anyway")
    origin = OriginFactory()
    removal_request = RemovalRequestFactory(status="processing")
    barrier = threading.Barrier(2)
    made = []

    def make():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                made.append(
                    block_rule_create(
                        kind="origin", origin=origin, actor=JOB, removal_request=removal_request
                    ).pk
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=make) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 2 and len(set(made)) == 1
    assert BlockRule.objects.count() == 1
    assert AuditEvent.objects.filter(action="rule.created").count() == 1


@pytest.mark.django_db
def test_deactivating_a_rule_lets_new_items_through_and_is_audited_once(officer):
    item = ItemFactory()
    rule = block_rule_create(kind="url", url=item.original_url, actor=JOB)
    actor = Actor.staff(officer)
    block_rule_deactivate(rule=rule, actor=actor, reason="Counter-notice upheld")
    block_rule_deactivate(rule=rule, actor=actor, reason="again")
    rule.refresh_from_db()
    assert not rule.is_active and rule.deactivated_at
    events = AuditEvent.objects.filter(action="rule.deactivated")
    assert [(e.reason, e.actor_name) for e in events] == [
        ("Counter-notice upheld", officer.username)
    ]
    assert (
        block_rule_matching(domain="", url_key=item.url_key, author_key="", text_fingerprint="")
        is None
    )


@pytest.mark.django_db
def test_blocking_and_unblocking_an_origin(officer):
    origin = OriginFactory()
    published = ItemFactory(origin=origin)
    removal_request = RemovalRequestFactory(status="processing")
    origin_block(origin=origin, actor=JOB, reason="whole origin", removal_request=removal_request)
    origin_block(origin=origin, actor=Actor.staff(officer), reason="again")
    origin.refresh_from_db()
    assert origin.is_blocked and origin.blocked_by_request == removal_request
    event = AuditEvent.objects.get(action="origin.blocked")
    assert (event.reason, event.request) == ("whole origin", removal_request)
    # Blocking stops what is new; what is published is hidden separately.
    assert Item.objects.get(pk=published.pk).status == "published"

    origin_unblock(origin=origin, actor=Actor.staff(officer), reason="counter-notice")
    origin_unblock(origin=origin, actor=Actor.staff(officer), reason="again")
    origin.refresh_from_db()
    assert not origin.is_blocked and origin.blocked_by_request is None
    event = AuditEvent.objects.get(action="origin.unblocked")
    assert (event.reason, event.request, event.before["request"]) == (
        "counter-notice",
        removal_request,
        removal_request.reference,
    )
