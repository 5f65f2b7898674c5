"""/takedown/mine/: a single-use sign-in link, valid for an hour, listing an address's
requests and counter-notices."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from compliance.messaging.models import Message
from compliance.takedowns.models import CounterNoticeSubmission
from tests.factories import ItemFactory, RemovalRequestFactory

MINE = "/takedown/mine/"


def sign_in_link(mail: Message) -> str:
    return re.search(r"http://testserver(/takedown/mine/[^\s/]+/)", mail.text_body)[1]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.mark.django_db
def test_the_link_lists_every_request_and_counter_notice_of_the_address(client):
    mine = RemovalRequestFactory(requester_email="Robin@Rights.example", reference="TD-2026-00007")
    older = RemovalRequestFactory(
        requester_email="robin@rights.example",
        reference="TD-2026-00003",
        status="completed",
        received_at=timezone.now() - timedelta(days=9),
    )
    RemovalRequestFactory(requester_email="someone@else.example", reference="TD-2026-00009")
    CounterNoticeSubmission.objects.create(
        request=older,
        item=ItemFactory(),
        name="Robin",
        address="1 Lane",
        phone="0",
        email="robin@rights.example",
        material="x",
        explanation="y",
        signature="Robin",
        token="t" * 20,
    )
    response = client.post(
        MINE, {"email": "robin@rights.example"}, headers={"accept-language": "de"}
    )
    assert (
        response.status_code == 200 and "Ein Anmeldelink ist unterwegs" in response.content.decode()
    )
    mail = Message.objects.get(kind="mine_link")
    assert mail.recipients == ["robin@rights.example"] and "Ihre Entfernungsanträge" in mail.subject

    visitor = Client()
    page = visitor.get(sign_in_link(mail), follow=True)
    text = page.content.decode()
    assert page.status_code == 200
    assert text.index("TD-2026-00007") < text.index("TD-2026-00003")  # newest first
    assert "TD-2026-00009" not in text
    assert f"/takedown/status/{mine.status_token}/" in text
    assert 'About <span class="reference">TD-2026-00003</span>' in text
    assert "no-store" in page["Cache-Control"]

    # Single use: the same link again, from anywhere, signs nobody in.
    again = Client().get(sign_in_link(mail))
    assert again.status_code == 410 and "TD-2026-00007" not in again.content.decode()
    # Signing out ends it.
    visitor.post("/takedown/mine/sign-out/")
    assert "TD-2026-00007" not in visitor.get(MINE).content.decode()


@pytest.mark.django_db
def test_the_link_expires_after_an_hour(client):
    RemovalRequestFactory(requester_email="robin@rights.example")
    client.post(MINE, {"email": "robin@rights.example"})
    link = sign_in_link(Message.objects.get(kind="mine_link"))
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert Client().get(link).status_code == 410


@pytest.mark.django_db
def test_the_page_never_says_whether_an_address_has_requests(client):
    RemovalRequestFactory(requester_email="robin@rights.example")
    known = client.post(MINE, {"email": "robin@rights.example"}).content.decode()
    unknown = client.post(MINE, {"email": "nobody@nowhere.example"}).content.decode()
    # Each answer has its own CSRF token and CSP nonce; nothing else may differ.
    strip = lambda page: re.sub(  # noqa: E731
        r'(name="csrfmiddlewaretoken" value|nonce)="[^"]+"', "", page
    )
    assert strip(known) == strip(unknown)
    nobody = Message.objects.get(recipients=["nobody@nowhere.example"])
    assert "/takedown/mine/" not in nobody.text_body and "nothing to see" in nobody.text_body


@pytest.mark.django_db
def test_bad_address_is_refused_and_links_per_address_are_limited(client):
    response = client.post(MINE, {"email": "not-an-address"})
    assert response.status_code == 200 and 'href="#id_email"' in response.content.decode()
    for _ in range(3):
        assert client.post(MINE, {"email": "robin@rights.example"}).status_code == 200
    assert client.post(MINE, {"email": "ROBIN@rights.example"}).status_code == 429
    assert Message.objects.filter(kind="mine_link").count() == 3
