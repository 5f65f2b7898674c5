"""Block rules and blocked origins: made and undone through their services, audited, never
duplicated, and honoured by the matcher (compliance.items.staydown)."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.core.normalise import author_key, url_key
from compliance.items.models import BlockRule, Item
from compliance.items.rules import (
    block_rule_create,
    block_rule_deactivate,
    origin_block_create,
    origin_block_lift,
)
from compliance.items.staydown import Candidate, block_for, origin_block
from tests.factories import ItemFactory, OriginFactory, RemovalRequestFactory, UserFactory

JOB = Actor.system("process_takedown")


def blocked_by(*, domain="", url_key="", author_key="", text_fingerprint="", host=""):
    """The rule the matcher answers for a candidate with these keys."""
    block = block_for(
        Candidate(
            origin_domain=domain,
            url_key=url_key,
            author_key=author_key,
            text_fingerprint=text_fingerprint,
            article_host=host,
        )
    )
    return block.rule if block else None


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
        case=removal_request.reference,
    )
    assert rule.url == "https://origin-a.example/news/story"
    assert rule.url_key == url_key("http://origin-a.example/news/story/") == item.url_key
    assert (rule.domain, rule.case, rule.is_active) == (
        item.origin.domain,
        removal_request.reference,
        True,
    )
    event = AuditEvent.objects.for_object(rule).get()
    assert (event.action, event.case, event.reason) == (
        "rule.created",
        removal_request.reference,
        "now and in the future",
    )
    assert blocked_by(domain=item.origin.domain, text_fingerprint=item.text_fingerprint) == rule
    # The same text at another site is that site's own (a wire story it licensed).
    assert blocked_by(domain="elsewhere.example", text_fingerprint=item.text_fingerprint) is None


@pytest.mark.django_db
def test_a_url_rule_for_a_site_we_do_not_republish_has_no_origin():
    rule = block_rule_create(kind="url", url="https://unknown-site.example/a/1", actor=JOB)
    assert rule.origin is None and rule.domain == "unknown-site.example"
    assert blocked_by(
        domain="elsewhere.example", url_key=url_key("https://unknown-site.example/a/1/")
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
    assert blocked_by(domain="origin-b.example", author_key="casey example") == author_rule
    assert blocked_by(domain="news.origin-b.example") == origin_rule
    # An author rule holds at exactly its origin's domain; the origin rule covers the rest.
    assert blocked_by(domain="news.origin-b.example", author_key="casey example") == origin_rule


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
        kind="origin", origin=origin, actor=JOB, case=removal_request.reference
    )
    again = block_rule_create(
        kind="origin", origin=origin, actor=JOB, case=removal_request.reference
    )
    assert first == again
    assert BlockRule.objects.count() == 1
    assert AuditEvent.objects.filter(action="rule.created").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        BlockRule.objects.create(
            kind="origin", origin=origin, domain=origin.domain, case=removal_request.reference
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
                        kind="origin", origin=origin, actor=JOB, case=removal_request.reference
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
    assert blocked_by(url_key=item.url_key) is None


@pytest.mark.django_db
def test_blocking_and_unblocking_an_origin(officer):
    """A staff block is an origin rule of no request: audited once, lifted by staff."""
    origin = OriginFactory()
    published = ItemFactory(origin=origin)
    staff = Actor.staff(officer)
    assert origin_block_create(origin=origin, actor=staff, reason="whole origin")
    assert not origin_block_create(origin=origin, actor=staff, reason="again")
    rule = origin_block(origin.domain)
    assert (rule.kind, rule.case, rule.domain) == ("origin", "", origin.domain)
    assert origin_block(f"news.{origin.domain}") == rule  # its subdomains too
    event = AuditEvent.objects.get(action="origin.blocked")
    assert (event.reason, event.after["rule"]) == ("whole origin", rule.pk)
    # Blocking stops what is new; what is published is hidden separately.
    assert Item.objects.get(pk=published.pk).status == "published"

    assert origin_block_lift(origin=origin, actor=staff, reason="counter-notice")
    assert not origin_block_lift(origin=origin, actor=staff, reason="again")
    assert origin_block(origin.domain) is None
    event = AuditEvent.objects.get(action="origin.unblocked")
    assert event.reason == "counter-notice"


@pytest.mark.django_db
def test_a_block_a_request_asked_for_is_lifted_only_by_reversing_it(officer):
    origin = OriginFactory()
    removal_request = RemovalRequestFactory(status="processing")
    assert origin_block_create(
        origin=origin, actor=JOB, reason="whole origin", case=removal_request.reference
    )
    event = AuditEvent.objects.get(action="origin.blocked")
    assert (event.case, event.after["request"]) == (
        removal_request.reference,
        removal_request.reference,
    )
    with pytest.raises(ValueError, match=removal_request.reference):
        origin_block_lift(origin=origin, actor=Actor.staff(officer), reason="by hand")
    assert origin_block(origin.domain).case == removal_request.reference
    # The request's own undoing lifts it.
    assert origin_block_lift(
        origin=origin, actor=JOB, reason="reversed", case=removal_request.reference
    )
    assert origin_block(origin.domain) is None
