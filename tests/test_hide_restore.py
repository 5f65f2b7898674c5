"""Hiding, restoring and licence expiry: the set-based status changes of items, each with
its audit events, in a number of statements that does not grow with the items."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.items.models import Item
from compliance.items.status import items_hide, items_restore, items_withhold_expired_licences
from tests.factories import (
    ItemFactory,
    LicenceBasisFactory,
    OriginFactory,
    RemovalRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

JOB = Actor.system("process_takedown")


def statuses(items):
    return [Item.objects.get(pk=item.pk).status for item in items]


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_hide_takes_published_items_down_with_one_audit_event_each():
    origin = OriginFactory()
    items = ItemFactory.create_batch(3, origin=origin)
    other = ItemFactory()  # another origin: untouched
    removal_request = RemovalRequestFactory(status="processing")

    hidden = items_hide(
        items=Item.objects.filter(origin=origin),
        actor=JOB,
        reason=f"removal request {removal_request.reference}",
        case=removal_request.reference,
    )

    assert hidden == 3
    assert statuses(items) == ["hidden"] * 3
    assert statuses([other]) == ["published"]
    for item in items:
        item.refresh_from_db()
        assert item.status_case == removal_request.reference
        assert item.status_reason == f"removal request {removal_request.reference}"
        event = AuditEvent.objects.for_object(item).get()
        assert event.action == "item.hidden"
        assert (event.before, event.after) == ({"status": "published"}, {"status": "hidden"})
        assert event.case == removal_request.reference
        assert event.actor_name == "process_takedown" and event.actor_kind == "system"
        assert event.object_repr == item.title
        assert event.at == item.status_changed_at


def test_hide_twice_changes_nothing_more():
    items = ItemFactory.create_batch(2)
    queryset = Item.objects.filter(pk__in=[i.pk for i in items])
    assert items_hide(items=queryset, actor=JOB, reason="first") == 2
    assert items_hide(items=queryset, actor=JOB, reason="second") == 0
    assert AuditEvent.objects.filter(action="item.hidden").count() == 2
    assert set(Item.objects.values_list("status_reason", flat=True)) == {"first"}


def test_hide_leaves_withheld_items_withheld():
    withheld = ItemFactory(status=Item.Status.WITHHELD, status_reason="licence expired")
    assert items_hide(items=Item.objects.all(), actor=JOB, reason="r") == 0
    withheld.refresh_from_db()
    assert (withheld.status, withheld.status_reason) == ("withheld", "licence expired")


def test_hide_accepts_a_queryset_that_filters_on_status():
    """The caller's queryset is read before the update, not after (when it would be empty)."""
    ItemFactory.create_batch(2)
    assert items_hide(items=Item.objects.published(), actor=JOB, reason="r") == 2
    assert AuditEvent.objects.filter(action="item.hidden").count() == 2


def test_hide_records_the_staff_user():
    officer = UserFactory(officer=True)
    item = ItemFactory()
    items_hide(items=Item.objects.all(), actor=Actor.staff(officer), reason="Court order")
    event = AuditEvent.objects.for_object(item).get()
    assert (event.actor_user_id, event.actor_name, event.reason) == (
        officer.pk,
        officer.username,
        "Court order",
    )


@pytest.mark.parametrize("count", [3, 30])
def test_hide_runs_the_same_statements_whatever_the_number_of_items(count):
    origin = OriginFactory()
    ItemFactory.create_batch(count, origin=origin)
    with CaptureQueriesContext(connection) as queries:
        assert items_hide(items=Item.objects.filter(origin=origin), actor=JOB, reason="r") == count
    assert len(writes(queries.captured_queries)) == 2  # one INSERT … SELECT, one UPDATE
    assert len(queries.captured_queries) <= 6  # plus savepoints and the content type
    assert AuditEvent.objects.filter(action="item.hidden").count() == count


def test_restore_publishes_hidden_items_again_with_what_readers_saw_before():
    item = ItemFactory()
    frozen = (item.disclaimer, item.disclaimer_sha256, item.republished_at)
    items_hide(items=Item.objects.all(), actor=JOB, reason="hidden")
    removal_request = RemovalRequestFactory(status="completed")

    restored = items_restore(
        items=Item.objects.all(),
        actor=JOB,
        reason="counter-notice",
        case=removal_request.reference,
    )

    assert restored == 1
    item.refresh_from_db()
    assert item.status == "published" and item.status_reason == "counter-notice"
    assert (item.disclaimer, item.disclaimer_sha256, item.republished_at) == frozen
    event = AuditEvent.objects.for_object(item).get(action="item.restored")
    assert (event.before, event.after) == ({"status": "hidden"}, {"status": "published"})
    assert event.case == removal_request.reference
    assert items_restore(items=Item.objects.all(), actor=JOB, reason="again") == 0


def test_restore_freezes_the_texts_of_an_item_that_was_never_published():
    origin = OriginFactory(name="Quillfeather Post")
    item = ItemFactory(
        origin=origin,
        status=Item.Status.WITHHELD,
        disclaimer="",
        disclaimer_sha256="",
        licence_note="",
        licence_note_sha256="",
        republished_at=None,
    )
    assert items_restore(items=Item.objects.all(), actor=JOB, reason="reversed") == 1
    item.refresh_from_db()
    assert item.status == "published" and item.republished_at is not None
    assert "Quillfeather Post" in item.disclaimer and item.disclaimer_sha256
    assert item.licence_note.startswith("Licence:") and item.licence_note_sha256
    event = AuditEvent.objects.for_object(item).get(action="item.restored")
    assert event.after["disclaimer_sha256"] == item.disclaimer_sha256


def test_restore_keeps_an_item_whose_licence_expired_withheld():
    now = timezone.now()
    expired = LicenceBasisFactory(name="Lapsed", expires_at=now - timedelta(days=1))
    hidden = ItemFactory(licence_basis=expired, status=Item.Status.HIDDEN)
    withheld = ItemFactory(
        licence_basis=expired, status=Item.Status.WITHHELD, status_reason="licence expired"
    )
    fine = ItemFactory(status=Item.Status.HIDDEN)

    assert items_restore(items=Item.objects.all(), actor=JOB, reason="reversed") == 1

    assert statuses([hidden, withheld, fine]) == ["withheld", "withheld", "published"]
    hidden.refresh_from_db()
    assert hidden.status_reason == "licence expired"
    event = AuditEvent.objects.for_object(hidden).get()
    assert (event.action, event.reason) == ("item.withheld", "licence expired")
    assert not AuditEvent.objects.for_object(withheld).exists()


def test_restore_runs_a_fixed_number_of_statements():
    origin = OriginFactory()
    ItemFactory.create_batch(25, origin=origin, status=Item.Status.HIDDEN)
    with CaptureQueriesContext(connection) as queries:
        assert items_restore(items=Item.objects.all(), actor=JOB, reason="r") == 25
    assert len(writes(queries.captured_queries)) == 6  # three (INSERT, UPDATE) pairs


def test_expired_licences_withhold_published_items_and_flag_their_origin():
    now = timezone.now()
    lapsed = LicenceBasisFactory(name="Syndication 2025", expires_at=now - timedelta(hours=1))
    later = LicenceBasisFactory(name="Syndication 2027", expires_at=now + timedelta(days=30))
    origin = OriginFactory(licence_basis=lapsed)
    fine_origin = OriginFactory(licence_basis=later)
    expired_items = ItemFactory.create_batch(2, origin=origin)
    hidden = ItemFactory(origin=origin, status=Item.Status.HIDDEN)
    fine = ItemFactory(origin=fine_origin)
    no_basis = ItemFactory(licence_basis=None)

    assert items_withhold_expired_licences(now=now) == 2

    assert statuses(expired_items) == ["withheld", "withheld"]
    assert statuses([hidden, fine, no_basis]) == ["hidden", "published", "published"]
    for item in expired_items:
        event = AuditEvent.objects.for_object(item).get()
        assert (event.action, event.reason) == ("item.withheld", "licence expired")
    origin.refresh_from_db()
    fine_origin.refresh_from_db()
    assert "licence" in origin.attention_needed and not fine_origin.attention_needed
    flagged = AuditEvent.objects.for_object(origin).get()
    assert (flagged.action, flagged.reason) == ("origin.flagged", "licence expired")

    # Done once: a second run finds nothing more.
    assert items_withhold_expired_licences(now=now) == 0
    assert AuditEvent.objects.filter(action="origin.flagged").count() == 1


def test_an_item_withheld_for_its_licence_says_so_on_its_page(client):
    now = timezone.now()
    lapsed = LicenceBasisFactory(expires_at=now - timedelta(minutes=5))
    item = ItemFactory(licence_basis=lapsed)
    items_withhold_expired_licences(now=now)
    response = client.get(f"/items/{item.slug}/")
    assert response.status_code == 451
    assert "licence" in response.content.decode()
    assert item.title not in response.content.decode()
