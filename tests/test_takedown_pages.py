"""The requester's pages behind secret links: /takedown/verify/<token>/ and
/takedown/status/<token>/."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.items.models import Item
from compliance.takedowns.decisions import request_reject, request_withdraw
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.submission import request_submit, request_verify
from compliance.takedowns.tokens import verification_token
from tests.factories import ItemFactory, OriginFactory, UserFactory


def submit(**overrides) -> RemovalRequest:
    fields = {
        "channel": "web",
        "requester_email": "robin@rights.example",
        "requester_name": "Robin Rights",
        "role": "author",
        "urls": ["https://origin.example/news/one"],
        "ground": "copyright",
        "explanation": "My article, republished without my consent.",
        "good_faith": True,
        "accuracy": True,
        "signature": "Robin Rights",
    }
    return request_submit(**{**fields, **overrides})


def visible_text(response) -> str:
    """What a reader sees: tags removed (a space for a block-level tag), white space
    collapsed."""
    content = re.sub(r"</?(a|strong|span|time)\b[^>]*>", "", response.content.decode())
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())


def verify_url(removal_request) -> str:
    return f"/takedown/verify/{verification_token(removal_request)}/"


def status_path(removal_request) -> str:
    return f"/takedown/status/{removal_request.status_token}/"


def assert_secret_page_headers(response):
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


# --- verification --------------------------------------------------------------------------


@pytest.mark.django_db
def test_verification_link_verifies_once_with_the_requester_as_actor(client):
    removal_request = submit()

    response = client.get(verify_url(removal_request))
    assert response.status_code == 200
    assert "Your address is verified" in visible_text(response)
    assert removal_request.reference in visible_text(response)
    assert status_path(removal_request) in response.content.decode()
    assert_secret_page_headers(response)
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.VERIFIED
    assert removal_request.verified_at is not None
    event = removal_request.audit_events.get(action="request.verified")
    assert event.actor_kind == AuditEvent.ActorKind.REQUESTER
    assert "robin@rights.example" in event.actor_name

    again = client.get(verify_url(removal_request))
    assert again.status_code == 200
    assert "Your address is already verified" in visible_text(again)
    assert AuditEvent.objects.filter(action="request.verified").count() == 1


@pytest.mark.django_db
def test_verifying_an_automatically_approved_request_says_it_is_approved(client):
    """The origin's own address: approved on verification, never "waiting for staff"."""
    origin = OriginFactory(domain="daily.example")
    item = ItemFactory(origin=origin)
    removal_request = submit(requester_email="editor@daily.example", urls=[item.original_url])

    text = visible_text(client.get(verify_url(removal_request)))

    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.APPROVED
    assert "Your address is verified" in text
    assert "approved automatically" in text
    assert "staff for review" not in text


@pytest.mark.django_db
def test_expired_verification_link_explains_how_to_get_a_new_one(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        removal_request = submit()
        url = verify_url(removal_request)
    with time_machine.travel(start + timedelta(days=7, minutes=1), tick=False):
        response = client.get(url)
    assert response.status_code == 410
    text = visible_text(response)
    assert "This link has expired" in text
    assert "removals@example.org" in text
    assert status_path(removal_request) in response.content.decode()
    assert_secret_page_headers(response)
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.RECEIVED


@pytest.mark.django_db
def test_status_page_sends_a_new_verification_link_to_the_address_on_file(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        removal_request = submit()
    later = start + timedelta(days=8)
    with time_machine.travel(later, tick=False):
        page = client.get(status_path(removal_request))
        assert "Email me a new link" in visible_text(page)
        response = client.post(f"{status_path(removal_request)}resend/", follow=True)
        assert "A new verification link is on its way" in visible_text(response)
        # Pressed again at once: nothing more is sent.
        again = client.post(f"{status_path(removal_request)}resend/", follow=True)
        assert "No new link was sent" in visible_text(again)
    mails = removal_request.messages.filter(kind="verification")
    assert mails.count() == 1
    new_mail = mails.get()
    assert new_mail.recipients == ["robin@rights.example"]
    new_link = re.search(r"http://testserver(/takedown/verify/\S+/)", new_mail.text_body)[1]
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        verified = client.get(new_link)
    assert "Your address is verified" in visible_text(verified)
    assert removal_request.audit_events.filter(action="request.verification_resent").exists()
    # Once verified, the button is gone and a resend sends nothing.
    assert "Email me a new link" not in visible_text(client.get(status_path(removal_request)))
    client.post(f"{status_path(removal_request)}resend/")
    assert removal_request.messages.filter(kind="verification").count() == 1


@pytest.mark.django_db
def test_resend_needs_a_real_status_token(client):
    assert client.post("/takedown/status/not-a-real-token/resend/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("forge", ["nonsense", "tampered", "other-salt", "nul"])
def test_forged_verification_link_gets_a_clear_not_valid_page(client, forge):
    removal_request = submit()
    token = verification_token(removal_request)
    if forge == "nonsense":
        token = "not-a-token"
    elif forge == "nul":
        token = "%00"
    elif forge == "tampered":
        token = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    else:
        from django.core import signing

        token = signing.dumps({"r": removal_request.pk, "e": "x"}, salt="something-else")
    response = client.get(f"/takedown/verify/{token}/")
    assert response.status_code == 404
    assert "This link is not valid" in visible_text(response)
    assert removal_request.reference not in visible_text(response)
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.RECEIVED


@pytest.mark.django_db
def test_verifying_a_request_closed_before_verification_says_so(client):
    removal_request = submit()
    request_withdraw(removal_request=removal_request, actor=Actor.requester("robin@rights.example"))
    response = client.get(verify_url(removal_request))
    assert response.status_code == 200
    assert "This request is closed" in visible_text(response)
    removal_request.refresh_from_db()
    assert removal_request.status == RemovalRequest.Status.WITHDRAWN


@pytest.mark.django_db
def test_verify_only_answers_get(client):
    removal_request = submit()
    assert client.post(verify_url(removal_request)).status_code == 405


# --- status --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_page_shows_progress_items_and_deadline_but_nothing_private(client):
    origin = OriginFactory(domain="origin.example")
    published = ItemFactory(origin=origin, title="A synthetic piece still shown")
    hidden = ItemFactory(
        origin=origin, title="A synthetic piece taken down", status=Item.Status.HIDDEN
    )
    withheld = ItemFactory(
        origin=origin, title="A synthetic piece never shown", status=Item.Status.WITHHELD
    )
    unknown = "https://origin.example/never/republished?id=7"
    removal_request = submit(
        urls=[published.original_url, hidden.public_url, withheld.original_url, unknown]
    )
    request_verify(removal_request=removal_request)
    staff = UserFactory(username="officer-quintus")
    RemovalRequest.objects.filter(pk=removal_request.pk).update(
        staff_notes="STAFF-ONLY NOTE about the requester", assignee=staff
    )
    someone_else = submit(requester_email="other@elsewhere.example", requester_name="Ola Other")

    response = client.get(status_path(removal_request))

    assert response.status_code == 200
    assert_secret_page_headers(response)
    text = visible_text(response)
    assert removal_request.reference in text
    assert "Status Verified" in text
    received, verified = (
        timezone.localtime(e.at)
        for e in removal_request.audit_events.all().order_by("at", "id")
        if e.action in {"request.received", "request.verified"}
    )
    assert f"Received: {received:%-d %B %Y, %H:%M}" in text
    assert f"Verified: {verified:%-d %B %Y, %H:%M}" in text
    deadline = timezone.localtime(removal_request.due_at)
    assert f"We decide by {deadline:%-d %B %Y, %H:%M}" in text
    # Items: title and public state for published and hidden ones; the URL as given else.
    assert "A synthetic piece still shown: Still online" in text
    assert "A synthetic piece taken down: Removed" in text
    assert "A synthetic piece never shown" not in text
    assert withheld.original_url in text and html.escape(unknown) in response.content.decode()
    # Never staff notes, the assignee, or anyone else's request.
    for private in (
        "STAFF-ONLY NOTE",
        "officer-quintus",
        someone_else.reference,
        "other@elsewhere.example",
        "Ola Other",
    ):
        assert private not in text


@pytest.mark.django_db
def test_status_page_of_a_rejected_request_gives_the_reason_sent_to_the_requester(client):
    removal_request = submit()
    officer = UserFactory(username="olive", officer=True)
    request_reject(
        removal_request=removal_request, user=officer, reason="The page named is not on this site."
    )
    text = visible_text(client.get(status_path(removal_request)))
    assert "Status Rejected" in text
    assert "The page named is not on this site." in text
    assert "We decide by" not in text  # closed: no deadline any more


@pytest.mark.django_db
def test_status_page_counts_everything_a_wider_scope_covers(client):
    origin = OriginFactory(domain="origin.example")
    named = ItemFactory(origin=origin, author="Ada Author")
    ItemFactory(origin=origin, author="Ada Author", status=Item.Status.HIDDEN)
    ItemFactory(origin=origin, author="Ada Author")
    ItemFactory(origin=origin, author="Someone Else")
    removal_request = submit(urls=[named.public_url], scope="author")
    text = visible_text(client.get(status_path(removal_request)))
    assert "Everything the request covers on this site:" in text
    assert "2 still online" in text and "1 removed" in text


@pytest.mark.django_db
def test_status_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    origin = OriginFactory(domain="origin.example")
    few = submit(urls=[ItemFactory(origin=origin).public_url])
    many = submit(urls=[ItemFactory(origin=origin).public_url for _ in range(20)])
    client.get(status_path(few))  # warm the content-type cache
    # The request, its status history, its targets with their items.
    with django_assert_num_queries(3):
        client.get(status_path(few))
    with django_assert_num_queries(3):
        client.get(status_path(many))


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["forged-token", "x" * 65, "%00"])
def test_forged_status_link_gets_a_clear_404_page(client, token):
    removal_request = submit()
    response = client.get(f"/takedown/status/{token}/")
    assert response.status_code == 404
    assert "This link is not valid" in visible_text(response)
    assert removal_request.reference not in visible_text(response)
    assert_secret_page_headers(response)
