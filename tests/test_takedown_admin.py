"""The staff queue in the admin: what officers and plain staff see and may do, and that
every decision goes through the state machine."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.messaging.models import Message
from compliance.messaging.services import outbox_sweep
from compliance.takedowns.models import ReasonTemplate, RemovalRequest
from compliance.takedowns.submission import request_submit
from tests.factories import (
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)

Status = RemovalRequest.Status
QUEUE = reverse("admin:takedowns_removalrequest_changelist")


def change_url(removal_request):
    return reverse("admin:takedowns_removalrequest_change", args=[removal_request.pk])


@pytest.fixture
def officer(db):
    return UserFactory(username="olive", officer=True)


@pytest.fixture
def clerk(db):
    """Staff without the officers' group: may read, not decide."""
    return UserFactory(username="clerk")


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def run_action(client, action, *removal_requests, follow=True, **extra):
    data = {
        "action": action,
        "_selected_action": [r.pk for r in removal_requests],
        "index": 0,
        **extra,
    }
    return client.post(QUEUE, data, follow=follow)


def page_messages(response):
    return [str(m) for m in response.context["messages"]]


def submit(**fields):
    return request_submit(
        **{
            "channel": "web",
            "requester_email": "robin@rights.example",
            "requester_name": "Robin Rights",
            "ground": "copyright",
            "explanation": "Mine.",
            **fields,
        }
    )


# --- the group -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_creates_the_compliance_officers_group():
    group = Group.objects.get(name="Compliance officers")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"decide_removalrequest", "view_removalrequest", "view_auditevent"} <= codenames


# --- the queue -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_shows_open_requests_by_deadline_with_overdue_marked(officer_client):
    with time_machine.travel("2026-06-01 12:00Z", tick=False):
        now = timezone.now()
        later = RemovalRequestFactory(status="verified", due_at=now + timedelta(hours=30))
        overdue = RemovalRequestFactory(status="received", due_at=now - timedelta(hours=2))
        soon = RemovalRequestFactory(status="approved", due_at=now + timedelta(hours=1))
        closed = RemovalRequestFactory(status="rejected", due_at=now - timedelta(hours=5))
        response = officer_client.get(QUEUE)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [overdue, soon, later]
    assert closed.reference not in response.content.decode()
    html = response.content.decode()
    # Time left in words, red when overdue.
    assert html.count('class="overdue"') == 1
    row = html[html.index(overdue.reference) :]
    assert row.index("overdue 2\xa0hours") < row.index("</tr>")
    soon_row = html[html.index(soon.reference) :]
    assert soon_row.index("1\xa0hour") < soon_row.index("</tr>")


@pytest.mark.django_db
def test_queue_can_show_all_and_filter(officer_client, officer):
    origin = OriginFactory(domain="daily.example")
    email_request = RemovalRequestFactory(status="received", channel="email", origin=origin)
    mine = RemovalRequestFactory(status="verified", assignee=officer)
    rejected = RemovalRequestFactory(status="rejected")
    overdue = RemovalRequestFactory(status="received", due_at=timezone.now() - timedelta(hours=1))

    def listed(query):
        return set(officer_client.get(QUEUE, query).context["cl"].result_list)

    assert rejected in listed({"queue": "all"})
    assert rejected not in listed({})
    assert listed({"status__exact": "rejected"}) == {rejected}
    assert listed({"channel__exact": "email"}) == {email_request}
    assert listed({"origin__id__exact": origin.pk}) == {email_request}
    assert listed({"assignee__id__exact": officer.pk}) == {mine}
    assert listed({"overdue": "yes"}) == {overdue}
    assert overdue not in listed({"overdue": "no"})
    flagged = RemovalRequestFactory(status="processing", attention_needed="Self-check failed.")
    assert listed({"attention": "yes"}) == {flagged}


@pytest.mark.django_db
def test_queue_costs_the_same_number_of_queries_for_many_requests(officer_client, officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_queue():
        with CaptureQueriesContext(connection) as captured:
            assert officer_client.get(QUEUE).status_code == 200
        return len(captured)

    origin = OriginFactory()
    RemovalRequestFactory.create_batch(2, status="received", origin=origin, assignee=officer)
    few = queries_for_queue()
    RemovalRequestFactory.create_batch(
        20, status="verified", origin=OriginFactory(), assignee=UserFactory()
    )
    assert queries_for_queue() == few


# --- actions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_officer_approves_through_the_state_machine(officer_client, officer):
    removal_request = RemovalRequestFactory(status="verified")
    response = run_action(officer_client, "approve", removal_request, apply="1")
    assert response.status_code == 200
    removal_request.refresh_from_db()
    assert removal_request.status == Status.APPROVED
    assert removal_request.decided_by == officer
    event = removal_request.audit_events.get(action="request.approved")
    assert event.actor_user == officer
    assert any("Approved 1" in m for m in page_messages(response))


@pytest.mark.django_db
def test_an_illegal_transition_is_an_error_message_not_a_crash(officer_client):
    unverified = RemovalRequestFactory(status="received", reference="TD-2026-00007")
    fine = RemovalRequestFactory(status="verified")
    response = run_action(officer_client, "approve", unverified, fine, apply="1")
    assert response.status_code == 200
    assert "cannot approve TD-2026-00007: it is received" in page_messages(response)
    unverified.refresh_from_db()
    fine.refresh_from_db()
    assert (unverified.status, fine.status) == (Status.RECEIVED, Status.APPROVED)


@pytest.mark.django_db
def test_assign_to_me_and_mark_withdrawn(officer_client, officer):
    removal_request = submit()
    run_action(officer_client, "assign_to_me", removal_request)
    removal_request.refresh_from_db()
    assert removal_request.assignee == officer
    run_action(officer_client, "mark_withdrawn", removal_request)
    removal_request.refresh_from_db()
    assert removal_request.status == Status.WITHDRAWN
    assert removal_request.messages.filter(kind="withdrawal").exists()
    assert list(removal_request.audit_events.order_by("id").values_list("action", flat=True)) == [
        "request.received",
        "request.assigned",
        "request.withdrawn",
    ]


@pytest.mark.django_db
def test_plain_staff_may_read_but_not_decide(clerk_client):
    removal_request = RemovalRequestFactory(status="verified")
    queue = clerk_client.get(QUEUE)
    assert queue.status_code == 200
    assert removal_request in queue.context["cl"].result_list
    action_form = queue.context["action_form"]
    choices = dict(action_form.fields["action"].choices) if action_form else {}
    assert "approve" not in choices and "reject" not in choices
    detail = clerk_client.get(change_url(removal_request))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # read-only
    assert 'value="approve"' not in detail.content.decode()
    for action in ("approve", "reject"):
        response = run_action(clerk_client, action, removal_request, apply="1", reason="No.")
        assert response.status_code == 200
    removal_request.refresh_from_db()
    assert removal_request.status == Status.VERIFIED
    assert not removal_request.audit_events.exists()


@pytest.mark.django_db
def test_superuser_may_decide_without_the_group(client):
    admin = UserFactory(username="root", is_superuser=True)
    client.force_login(admin)
    removal_request = RemovalRequestFactory(status="verified")
    run_action(client, "approve", removal_request, apply="1")
    removal_request.refresh_from_db()
    assert removal_request.status == Status.APPROVED


@pytest.mark.django_db
def test_reject_with_a_template_edit_and_mail_the_reason(officer_client):
    template = ReasonTemplate.objects.create(
        title="Not the rights holder",
        text="We could not confirm that you hold the rights to this article.",
    )
    removal_request = submit()
    # Step 1: the action opens the reason page.
    page = run_action(officer_client, "reject", removal_request, follow=False)
    assert page.status_code == 200
    assert "Not the rights holder" in page.content.decode()
    # Step 2: load the template's text into the editable reason.
    loaded = run_action(
        officer_client, "reject", removal_request, follow=False, template=template.pk, load="1"
    )
    assert loaded.context["form"]["reason"].value() == template.text
    # An empty reason is refused and nothing changes.
    empty = run_action(officer_client, "reject", removal_request, follow=False, apply="1")
    assert empty.status_code == 200 and empty.context["form"].errors
    removal_request.refresh_from_db()
    assert removal_request.status == Status.RECEIVED
    # Step 3: edit and send.
    edited = template.text + " Please send proof of ownership."
    response = run_action(officer_client, "reject", removal_request, apply="1", reason=edited)
    assert response.status_code == 200
    removal_request.refresh_from_db()
    assert removal_request.status == Status.REJECTED
    assert removal_request.decision_reason == edited
    outbox_sweep()
    [rejection] = [m for m in mail.outbox if "not granted" in m.subject]
    assert rejection.to == ["robin@rights.example"]
    assert "Please send proof of ownership." in rejection.body
    assert f"[{removal_request.reference}]" in rejection.subject


@pytest.mark.django_db
def test_buttons_on_the_request_page_act_and_come_back(officer_client):
    removal_request = RemovalRequestFactory(status="verified")
    page = officer_client.get(change_url(removal_request)).content.decode()
    assert 'value="approve"' in page and 'value="reject"' in page
    response = run_action(
        officer_client,
        "approve",
        removal_request,
        follow=False,
        apply="1",
        _return_to=change_url(removal_request),
    )
    assert response.status_code == 302 and response.url == change_url(removal_request)
    removal_request.refresh_from_db()
    assert removal_request.status == Status.APPROVED
    page = officer_client.get(change_url(removal_request)).content.decode()
    assert 'value="reject"' not in page  # no longer a legal move


@pytest.mark.django_db
def test_approve_first_shows_what_would_come_down_then_bulk_approves_with_one_note(
    officer_client, officer
):
    origin = OriginFactory()
    items = [ItemFactory(origin=origin, title=f"Synthetic river story {n}") for n in range(12)]
    whole = RemovalRequestFactory(status="verified", scope="origin", origin=origin)
    RemovalTargetFactory(request=whole, item=items[0])
    one = RemovalRequestFactory(status="verified")
    RemovalTargetFactory(request=one, item=ItemFactory(title="Lone synthetic story"))
    page = run_action(officer_client, "approve", whole, one)
    html = page.content.decode()
    assert "Approving takes down <strong>13 items</strong>" in html
    assert html.count("Synthetic river story") == 10  # the first ten of twelve
    assert "the first 10" in html and "Lone synthetic story" in html
    whole.refresh_from_db()
    assert whole.status == Status.VERIFIED  # nothing happened yet
    run_action(officer_client, "approve", whole, one, apply="1", reason="Checked both.")
    for removal_request in (whole, one):
        event = removal_request.audit_events.get(action="request.approved")
        assert (event.actor_user, event.reason) == (officer, "Checked both.")


@pytest.mark.django_db
def test_bulk_reject_sends_one_reason_to_each_with_its_own_event(officer_client):
    first, second = RemovalRequestFactory(status="verified"), RemovalRequestFactory()
    run_action(officer_client, "reject", first, second, apply="1", reason="Not ours.")
    for removal_request in (first, second):
        removal_request.refresh_from_db()
        assert removal_request.status == Status.REJECTED
        assert removal_request.audit_events.filter(action="request.rejected").count() == 1
        assert removal_request.messages.filter(kind="rejection").count() == 1


# --- the request's page --------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_page_shows_targets_thread_and_history(officer_client):
    item = ItemFactory(title="A synthetic headline about rivers")
    removal_request = submit(urls=[item.original_url, "https://nowhere.example/gone"])
    Message.objects.create(
        case=removal_request.reference,
        direction=Message.Direction.IN,
        state=Message.State.RECEIVED,
        sender="robin@rights.example",
        recipients=["removals@example.org"],
        subject=f"Re: [{removal_request.reference}] more details",
        text_body="Here is the proof you asked for.",
    )
    html = officer_client.get(change_url(removal_request)).content.decode()
    assert "A synthetic headline about rivers" in html and "Published" in html
    assert "https://nowhere.example/gone" in html and "unknown URL" in html
    assert "We received your removal request" in html  # the acknowledgement, out
    assert "Here is the proof you asked for." in html  # the reply, in
    assert "request.received" in html


@pytest.mark.django_db
def test_staff_complete_a_mailed_request_and_targets_are_resolved_again(officer_client):
    item = ItemFactory()
    removal_request = submit(channel="email", requester_name="", ground="")
    response = officer_client.post(
        change_url(removal_request),
        {
            "requester_name": "Robin Rights",
            "organisation": "",
            "role": "author",
            "urls": f"{item.original_url}\nhttps://nowhere.example/x\n",
            "scope": "items",
            "ground": "copyright",
            "explanation": "Completed from the mail.",
            "staff_notes": "Phoned to confirm.",
            "public_explanation": "",
            "assignee": "",
            # A status in the post is ignored: it moves only through the actions.
            "status": "approved",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    removal_request.refresh_from_db()
    assert removal_request.status == Status.RECEIVED
    assert removal_request.requester_name == "Robin Rights"
    assert [t.item for t in removal_request.targets.order_by("id")] == [item, None]
    assert removal_request.origin == item.origin
    assert removal_request.audit_events.filter(action="request.updated").exists()


@pytest.mark.django_db
def test_decided_requests_keep_their_targets_read_only(officer_client):
    removal_request = RemovalRequestFactory(status="completed")
    html = officer_client.get(change_url(removal_request)).content.decode()
    assert 'name="urls"' not in html and 'name="scope"' not in html
    assert 'name="staff_notes"' in html


# --- audit and messages are read-only ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["officer", "superuser"])
def test_audit_events_cannot_be_added_changed_or_deleted_in_the_admin(client, who):
    user = UserFactory(username=who, officer=who == "officer", is_superuser=who == "superuser")
    client.force_login(user)
    removal_request = submit()
    event = removal_request.audit_events.get()
    listing = client.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200 and "request.received" in listing.content.decode()
    assert "delete_selected" not in listing.content.decode()
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert client.get(change).status_code == 200
    assert 'name="_save"' not in client.get(change).content.decode()
    client.post(change, {"action": "request.approved", "reason": "edited"})
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert (event.action, event.reason) == ("request.received", "")
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_messages_are_read_only_in_the_admin(officer_client):
    removal_request = submit()
    message = removal_request.messages.get()
    assert officer_client.get(reverse("admin:messaging_message_add")).status_code == 403
    page = officer_client.get(reverse("admin:messaging_message_change", args=[message.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert removal_request.reference in page.content.decode()


@pytest.mark.django_db
def test_block_rules_are_read_only_in_the_admin(officer_client):
    assert officer_client.get(reverse("admin:items_blockrule_changelist")).status_code == 200
    assert officer_client.get(reverse("admin:items_blockrule_add")).status_code == 403


@pytest.mark.django_db
def test_request_page_links_the_decision_record_once_carried_out(officer_client):
    open_request = RemovalRequestFactory(status="verified")
    page = officer_client.get(change_url(open_request)).content.decode()
    assert reverse("reports:export-lumen", args=[open_request.pk]) in page
    assert reverse("reports:export-dsa", args=[open_request.pk]) not in page

    done = RemovalRequestFactory(status="completed", completed_at=timezone.now())
    page = officer_client.get(change_url(done)).content.decode()
    for name in ("export-dsa", "export-lumen", "publish-explanation"):
        url = reverse(f"reports:{name}", args=[done.pk])
        assert url in page
        assert officer_client.get(url).status_code == 200


@pytest.mark.django_db
def test_an_action_page_never_links_back_to_another_site(officer_client):
    removal_request = RemovalRequestFactory(status="verified")
    for evil in ("https://evil.example/", "javascript:alert(1)", "//evil.example/x"):
        page = run_action(officer_client, "reject", removal_request, _return_to=evil)
        html = page.content.decode()
        assert "evil.example" not in html and "javascript:" not in html
    page = run_action(
        officer_client, "reject", removal_request, _return_to=change_url(removal_request)
    )
    assert f'href="{change_url(removal_request)}"' in page.content.decode()


@pytest.mark.django_db
def test_a_closed_request_that_needs_attention_stays_in_the_queue_until_handled(
    officer_client,
):
    from compliance.takedowns.casework import request_flag

    done = RemovalRequestFactory(status="completed", completed_at=timezone.now())
    quiet = RemovalRequestFactory(status="completed", completed_at=timezone.now())
    request_flag(removal_request=done, reason="A message arrived from the requester.")
    request_flag(removal_request=done, reason="Mail could not be sent.")
    done.refresh_from_db()
    assert "A message arrived" in done.attention_needed  # reasons add up
    assert "could not be sent" in done.attention_needed
    queue = officer_client.get(QUEUE).content.decode()
    assert done.reference in queue and quiet.reference not in queue

    page = officer_client.get(change_url(done)).content.decode()
    assert 'value="clear_attention"' in page
    run_action(officer_client, "clear_attention", done, apply="1", reason="Answered by mail.")
    done.refresh_from_db()
    assert done.attention_needed == ""
    assert done.reference not in officer_client.get(QUEUE).content.decode()


@pytest.mark.django_db
def test_a_mailed_request_without_the_notice_elements_is_shown_and_approved_as_such(
    officer_client,
):
    complete = RemovalRequestFactory(status="verified")
    mailed = RemovalRequestFactory(
        status="verified", channel="email", good_faith=False, accuracy=False, signature=""
    )
    assert "complete: every element" in officer_client.get(change_url(complete)).content.decode()
    page = officer_client.get(change_url(mailed)).content.decode()
    assert "incomplete, missing the good-faith statement" in page and "the signature" in page

    run_action(officer_client, "approve", complete, mailed, apply="1")
    mailed.refresh_from_db()
    assert mailed.status == Status.APPROVED
    assert "Approved on an incomplete notice, without the good-faith" in mailed.decision_reason
    event = mailed.audit_events.get(action="request.approved")
    assert "the signature" in event.after["notice_missing"]
    assert complete.audit_events.get(action="request.approved").after["notice_missing"] == []


@pytest.mark.django_db
def test_the_group_recreated_at_runtime_has_what_the_migrations_granted():
    from compliance.core.permissions import OFFICER_PERMISSIONS, officers_group

    migrated = set(
        Group.objects.get(name="Compliance officers").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    listed = {(app, codename) for app, names in OFFICER_PERMISSIONS.items() for codename in names}
    assert migrated == listed
    Group.objects.filter(name="Compliance officers").delete()
    recreated = set(officers_group().permissions.values_list("content_type__app_label", "codename"))
    assert recreated == migrated
