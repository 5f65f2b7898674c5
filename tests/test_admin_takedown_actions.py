"""Staff decisions in the admin that change what is shown: hide and restore items, block
and unblock origins, record or cancel a counter-notice, restore a request now. Each needs
a reason (or the counter-notice's elements), calls its service, and is for compliance
officers only: plain staff may read, not decide."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.items.models import Item
from compliance.items.staydown import origin_block
from compliance.takedowns.models import CounterNotice, RemovalRequest
from tests.factories import ItemFactory, OriginFactory, RemovalRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

ITEMS = reverse("admin:items_item_changelist")
ORIGINS = reverse("admin:items_origin_changelist")
REQUESTS = reverse("admin:takedowns_removalrequest_changelist") + "?queue=all"


@pytest.fixture
def officer(db):
    return UserFactory(username="olive", officer=True)


@pytest.fixture
def clerk(db):
    """Plain staff who may see items and origins, but are no compliance officer."""
    user = UserFactory(username="clerk")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_item", "change_item", "view_origin", "change_origin"]
        )
    )
    return user


def act(client, url, action, objects, **data):
    return client.post(
        url,
        {"action": action, "_selected_action": [o.pk for o in objects], "index": 0, **data},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_officer_hides_and_restores_items_with_a_reason(client, officer):
    items = ItemFactory.create_batch(2)
    bystander = ItemFactory()
    client.force_login(officer)

    page = act(client, ITEMS, "hide_items", items)
    assert page.status_code == 200 and "Hide items" in page.content.decode()
    assert Item.objects.filter(status="hidden").count() == 0  # nothing before the reason

    missing = act(client, ITEMS, "hide_items", items, apply="1", reason="")
    assert "This field is required" in missing.content.decode()
    response = act(client, ITEMS, "hide_items", items, apply="1", reason="Court order 17/2026")
    assert "Hide items: 2 done." in messages_of(response)
    assert set(
        Item.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)
    ) == {"hidden"}
    assert Item.objects.get(pk=bystander.pk).status == "published"
    event = AuditEvent.objects.filter(action="item.hidden").first()
    assert (event.actor_user, event.reason) == (officer, "Court order 17/2026")
    assert client.get(f"/items/{items[0].slug}/").status_code == 451

    response = act(client, ITEMS, "restore_items", items, apply="1", reason="Order lifted")
    assert "Restore items: 2 done." in messages_of(response)
    assert client.get(f"/items/{items[0].slug}/").status_code == 200
    assert AuditEvent.objects.filter(action="item.restored", actor_user=officer).count() == 2


def test_an_officer_blocks_and_unblocks_an_origin(client, officer):
    origin = OriginFactory()
    client.force_login(officer)
    act(client, ORIGINS, "block_origins", [origin], apply="1", reason="Site asked by letter")
    origin.refresh_from_db()
    assert origin_block(origin.domain).case == ""
    act(client, ORIGINS, "unblock_origins", [origin], apply="1", reason="Licence signed")
    origin.refresh_from_db()
    assert origin_block(origin.domain) is None
    assert list(
        AuditEvent.objects.for_object(origin).order_by("id").values_list("action", "reason")
    ) == [("origin.blocked", "Site asked by letter"), ("origin.unblocked", "Licence signed")]


def test_plain_staff_may_not_hide_restore_block_or_unblock(client, clerk):
    item = ItemFactory()
    client.force_login(clerk)
    for url in (ITEMS, ORIGINS):
        page = client.get(url)
        assert page.status_code == 200  # they may read
        form = page.context["action_form"]
        choices = dict(form.fields["action"].choices) if form else {}
        assert not {"hide_items", "restore_items", "block_origins", "unblock_origins"} & set(
            choices
        )
    act(client, ITEMS, "hide_items", [item], apply="1", reason="no")
    act(client, ORIGINS, "block_origins", [item.origin], apply="1", reason="no")
    assert Item.objects.get(pk=item.pk).status == "published"
    item.origin.refresh_from_db()
    assert origin_block(item.origin.domain) is None
    assert not AuditEvent.objects.exists()


COUNTER_NOTICE = {
    "name": "Casey Example",
    "address": "1 Invented Lane",
    "phone": "+44 0000 000000",
    "email": "casey@author.example",
    "mistake_statement": "on",
    "jurisdiction_consent": "on",
    "signature": "Casey Example",
    "explanation": "It is mine and licensed.",
}


def test_an_officer_records_then_cancels_a_counter_notice_from_the_request_page(client, officer):
    removal_request = RemovalRequestFactory(status="completed")
    client.force_login(officer)
    change = reverse("admin:takedowns_removalrequest_change", args=[removal_request.pk])
    assert 'value="record_counter_notice"' in client.get(change).content.decode()

    form = act(client, REQUESTS, "record_counter_notice", [removal_request], _return_to=change)
    assert "penalty of perjury" in form.content.decode()
    # Without the statement the form is shown again; nothing is recorded or sent.
    act(
        client,
        REQUESTS,
        "record_counter_notice",
        [removal_request],
        apply="1",
        **{**COUNTER_NOTICE, "mistake_statement": ""},
    )
    assert not CounterNotice.objects.exists()
    response = act(
        client,
        REQUESTS,
        "record_counter_notice",
        [removal_request],
        apply="1",
        _return_to=change,
        **COUNTER_NOTICE,
    )
    assert response.redirect_chain[-1][0] == change
    notice = CounterNotice.objects.get()
    assert notice.recorded_by == officer and notice.restore_at
    assert removal_request.messages.filter(kind="counter_notice").count() == 1
    page = response.content.decode()
    assert "restoration due" in page and 'value="cancel_restoration"' in page

    act(
        client,
        REQUESTS,
        "cancel_restoration",
        [removal_request],
        apply="1",
        note="Claim filed at the Quarrow County Court",
    )
    notice.refresh_from_db()
    assert notice.cancelled_at and "Quarrow" in notice.legal_action_note


def test_an_officer_restores_a_request_now(client, officer):
    removal_request = RemovalRequestFactory(status="completed")
    item = ItemFactory(status=Item.Status.HIDDEN, status_request=removal_request)
    client.force_login(officer)
    act(client, REQUESTS, "restore_now", [removal_request], apply="1", reason="Mistaken identity")
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.REVERSED
    assert Item.objects.get(pk=item.pk).status == "published"
    assert removal_request.messages.filter(kind="reversal").count() == 1
    # A second attempt is an error message, not a crash.
    response = act(client, REQUESTS, "restore_now", [removal_request], apply="1", reason="again")
    assert any("cannot reverse" in m for m in messages_of(response))


def test_plain_staff_may_not_record_counter_notices_or_restore(client):
    removal_request = RemovalRequestFactory(status="completed")
    clerk = UserFactory(username="reader")
    client.force_login(clerk)
    change = reverse("admin:takedowns_removalrequest_change", args=[removal_request.pk])
    page = client.get(change).content.decode()
    assert 'value="record_counter_notice"' not in page and 'value="restore_now"' not in page
    act(client, REQUESTS, "record_counter_notice", [removal_request], apply="1", **COUNTER_NOTICE)
    act(client, REQUESTS, "restore_now", [removal_request], apply="1", reason="no")
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.COMPLETED
    assert not CounterNotice.objects.exists()
