"""The public removal form /takedown/: fields of the contract, validation, abuse protection."""

import contextlib
import html
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.test import Client
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.messaging.models import Message
from compliance.takedowns import intake
from compliance.takedowns.forms import ACCURACY_STATEMENT, GOOD_FAITH_STATEMENT
from compliance.takedowns.models import RemovalRequest
from tests.factories import ItemFactory

FORM = "/takedown/"


def valid_data(**overrides) -> dict:
    data = {
        "requester_name": "Robin Rights",
        "requester_email": "robin@rights.example",
        "organisation": "",
        "role": "author",
        "urls": "https://origin.example/news/one\n\n  http://origin.example/news/two  \n",
        "scope": "items",
        "future": "on",
        "ground": "copyright",
        "explanation": "I wrote both articles and never agreed to their republication.",
        "good_faith": "on",
        "accuracy": "on",
        "signature": "Robin Rights",
        "website": "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def visible_text(response) -> str:
    """What a reader sees: tags removed, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def field_block(response, name: str) -> str:
    """The HTML of one field's block: its label, input and errors, up to the next field."""
    content = response.content.decode()
    start = content.index(f'id="field-{name}"')
    following = content.find('id="field-', start + 1)
    return content[start : following if following != -1 else len(content)]


# --- the page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_form_offers_the_contract_fields_and_values_without_javascript(client):
    response = client.get(FORM)
    assert response.status_code == 200
    content = response.content.decode()
    # A plain HTML form: works without JavaScript; the one script is an external file
    # that only adds the URL check and focuses the error summary.
    assert re.findall(r"<script[^>]*>", content) == [
        '<script src="/static/takedowns/form.js" defer>'
    ]
    assert 'method="post"' in content and "csrfmiddlewaretoken" in content
    for name in (
        "requester_name",
        "requester_email",
        "organisation",
        "urls",
        "explanation",
        "signature",
    ):
        assert f'name="{name}"' in content
    for name, values in {
        "role": ["author", "rights_holder", "agent", "other"],
        "scope": ["items", "author", "origin"],
        "ground": ["copyright", "licence_withdrawn", "privacy", "defamation", "other"],
    }.items():
        offered = re.findall(rf'name="{name}" value="([^"]+)"', content)
        assert offered == values
    for name in ("future", "good_faith", "accuracy"):
        # No value attribute: a ticked box is sent as "on".
        assert re.search(rf'<input type="checkbox" name="{name}"(?![^>]*value=)', content)
    text = page_text(response)
    assert str(GOOD_FAITH_STATEMENT) in text and str(ACCURACY_STATEMENT) in text
    assert "not authorised by the copyright owner, its agent, or the law" in text
    assert "under penalty of perjury" in text and "accurate" in text
    # The honeypot: present, labelled for screen readers, hidden by CSS.
    assert re.search(r'<label for="id_website">Leave this field empty</label>', content)
    assert '<div class="hp">' in content and ".hp { position: absolute; left: -10000px" in content


@pytest.mark.django_db
def test_url_parameter_prefills_the_urls_field(client):
    item = ItemFactory()
    response = client.get(FORM, {"url": item.public_url})
    assert re.search(
        r'<textarea name="urls"[^>]*>\s*' + re.escape(item.public_url), page_text(response)
    )


# --- a valid submission --------------------------------------------------------------------


@pytest.mark.django_db
def test_valid_submission_is_stored_as_received_and_shows_reference_and_status_link(client):
    item = ItemFactory()
    urls = f"{item.public_url}\nhttps://elsewhere.example/unknown-page"
    response = client.post(
        FORM, valid_data(urls=urls, organisation="Rights Ltd"), REMOTE_ADDR="198.51.100.23"
    )

    removal_request = RemovalRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/takedown/sent/{removal_request.status_token}/"
    assert removal_request.status == RemovalRequest.Status.RECEIVED
    assert removal_request.channel == RemovalRequest.Channel.WEB
    assert removal_request.urls == [item.public_url, "https://elsewhere.example/unknown-page"]
    assert (removal_request.requester_name, removal_request.requester_email) == (
        "Robin Rights",
        "robin@rights.example",
    )
    assert removal_request.organisation == "Rights Ltd"
    assert (removal_request.role, removal_request.scope, removal_request.ground) == (
        "author",
        "items",
        "copyright",
    )
    assert removal_request.future and removal_request.good_faith and removal_request.accuracy
    assert removal_request.signature == "Robin Rights"
    # The client is known by a keyed hash only; the address itself is stored nowhere.
    assert len(removal_request.client_key) == 64
    assert "198.51.100.23" not in str(RemovalRequest.objects.values().get())
    assert AuditEvent.objects.filter(
        action="request.received", case=removal_request.reference
    ).exists()
    acknowledgement = removal_request.messages.get(kind="acknowledgement")
    assert acknowledgement.recipients == ["robin@rights.example"]

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    text = page_text(thanks)
    assert removal_request.reference in text
    assert f"http://testserver/takedown/status/{removal_request.status_token}/" in text
    assert "no-store" in thanks["Cache-Control"]
    assert thanks["Referrer-Policy"] == "no-referrer"


@pytest.mark.django_db
def test_unticked_future_box_means_now_only(client):
    client.post(FORM, valid_data(future=None))
    assert RemovalRequest.objects.get().future is False


@pytest.mark.django_db
def test_thank_you_page_needs_the_secret_token(client):
    client.post(FORM, valid_data())
    response = client.get("/takedown/sent/not-the-token/")
    assert response.status_code == 404
    assert RemovalRequest.objects.get().reference not in page_text(response)


# --- validation ----------------------------------------------------------------------------

REQUIRED = [
    "requester_name",
    "requester_email",
    "role",
    "urls",
    "scope",
    "ground",
    "explanation",
    "good_faith",
    "accuracy",
    "signature",
]


@pytest.mark.django_db
@pytest.mark.parametrize("missing", REQUIRED)
def test_each_required_element_missing_is_refused_beside_its_field_keeping_input(client, missing):
    response = client.post(FORM, valid_data(**{missing: None}))

    assert response.status_code == 200
    assert not RemovalRequest.objects.exists()
    assert 'class="errorlist' in field_block(response, missing)
    others = [name for name in REQUIRED if name != missing]
    assert all('class="errorlist' not in field_block(response, name) for name in others)
    text = page_text(response)
    assert "Your request was not sent yet" in text
    # What was typed is still there.
    if missing != "explanation":
        assert "I wrote both articles and never agreed to their republication." in text
    if missing != "urls":
        assert "https://origin.example/news/one" in text
    if missing != "good_faith":
        assert re.search(r'name="good_faith"[^>]*checked', text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("requester_email", "robin-at-rights", "valid email"),
        ("role", "owner", "Select a valid choice"),
        ("scope", "everything", "Select a valid choice"),
        ("ground", "dislike", "Select a valid choice"),
        ("urls", "ftp://origin.example/file", "is not a web address"),
        ("urls", "javascript:alert(1)", "is not a web address"),
        ("urls", "https://", "is not a web address"),
        ("urls", "https://origin.example:99999/a", "is not a web address"),
        ("urls", "https://origin.example/a\tb", "is not a web address"),
        ("urls", "https://origin.example/a\nnot a url", "“not a url” is not a web address"),
        (
            "urls",
            "\n".join(f"https://origin.example/{n}" for n in range(101)),
            "At most 100 addresses",
        ),
        ("urls", "https://origin.example/" + "a" * 2000, "longer than 2000 characters"),
        ("urls", "  \n \n", "This field is required"),
        ("explanation", "x" * 10_001, "at most 10000 characters"),
        ("requester_name", "N" * 201, "at most 200 characters"),
        ("organisation", "O" * 201, "at most 200 characters"),
        ("signature", "S" * 201, "at most 200 characters"),
        ("requester_email", "r" * 250 + "@x.example", "at most 254 characters"),
    ],
)
def test_invalid_values_are_refused_beside_their_field(client, field, value, message):
    response = client.post(FORM, valid_data(**{field: value}))
    assert response.status_code == 200
    assert not RemovalRequest.objects.exists()
    block = html.unescape(field_block(response, field))
    assert 'class="errorlist' in block and message in block


@pytest.mark.django_db
def test_one_hundred_urls_are_accepted_and_repeats_counted_once(client):
    urls = [f"https://origin.example/news/{n}" for n in range(100)]
    # The same page again, spelled differently: not a 101st address.
    response = client.post(
        FORM, valid_data(urls="\n".join([*urls, "http://www.origin.example/news/0/"]))
    )
    assert response.status_code == 302
    assert RemovalRequest.objects.get().urls == urls


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    from urllib.parse import urlencode

    body = urlencode(valid_data(explanation="x" * (intake.MAX_BODY_BYTES + 1)))
    response = client.post(FORM, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "too large" in page_text(response)
    assert not RemovalRequest.objects.exists()
    # A form with files may be larger, by the evidence's total limit, and no more.
    limit = intake.form_body_limit("multipart/form-data")
    response = client.post(FORM, valid_data(explanation="x" * (limit + 1)))
    assert response.status_code == 413
    assert not RemovalRequest.objects.exists()


# --- abuse ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csrf_is_enforced():
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(FORM, valid_data()).status_code == 403
    assert not RemovalRequest.objects.exists()

    browser.get(FORM)
    token = browser.cookies["csrftoken"].value
    response = browser.post(FORM, valid_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert RemovalRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_filled_honeypot_discards_the_submission_behind_a_neutral_page(client):
    response = client.post(FORM, valid_data(website="https://spam.example"))
    assert response.status_code == 200
    text = page_text(response)
    assert "Thank you" in text and "If no email arrives" in text
    assert "TD-" not in text and "/takedown/status/" not in text
    assert not RemovalRequest.objects.exists()
    assert not Message.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_rate_limit_per_client_address_answers_429_with_when_to_retry(client, settings):
    settings.TAKEDOWN_RATE_LIMIT_PER_HOUR = 5
    start = timezone.now().replace(microsecond=0)
    address = {"REMOTE_ADDR": "203.0.113.7"}
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            assert client.post(FORM, valid_data(), **address).status_code == 302
        refused = client.post(FORM, valid_data(signature="Robin Q. Rights"), **address)
        # Another client is not affected.
        assert client.post(FORM, valid_data(), REMOTE_ADDR="203.0.113.8").status_code == 302

    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    retry_at = timezone.localtime(start + timedelta(hours=1))
    assert f"Please send this one again after {retry_at:%-d %B %Y, %H:%M}" in visible_text(refused)
    assert 'value="Robin Q. Rights"' in page_text(refused)  # the input is kept for the retry
    assert RemovalRequest.objects.count() == 6

    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert client.post(FORM, valid_data(), **address).status_code == 429
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert client.post(FORM, valid_data(), **address).status_code == 302


@pytest.mark.django_db
def test_invalid_or_robot_submissions_do_not_use_up_the_rate_limit(client, settings):
    settings.TAKEDOWN_RATE_LIMIT_PER_HOUR = 1
    client.post(FORM, valid_data(explanation=""))
    client.post(FORM, valid_data(website="filled"))
    assert client.post(FORM, valid_data()).status_code == 302
    assert client.post(FORM, valid_data()).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_from_one_address_cannot_all_slip_under_the_limit(
    settings, monkeypatch
):
    """Two submissions at once from a client with one request left: one is stored, the
    other refused. Each thread pauses after counting; if counting were not serialised,
    both would count 0 there and both be stored."""
    settings.TAKEDOWN_RATE_LIMIT_PER_HOUR = 1
    barrier = threading.Barrier(2)
    count = intake.submission_allowed

    def count_then_pause(client_key, now):
        answer = count(client_key, now)
        # With the lock, the other thread is queued behind this one and the wait times out.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return answer

    monkeypatch.setattr(intake, "submission_allowed", count_then_pause)
    outcomes = []

    def submit():
        try:
            client = Client(REMOTE_ADDR="198.51.100.9")
            outcomes.append(client.post(FORM, valid_data()).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == [302, 429]
    assert RemovalRequest.objects.count() == 1
    assert Message.objects.filter(kind="acknowledgement").count() == 1


# --- intake helpers (the API reuses them) --------------------------------------------------


class FakeRequest:
    def __init__(self, address):
        self.META = {"REMOTE_ADDR": address}


def test_client_key_is_a_keyed_hash_of_the_address(settings):
    key = intake.client_key_for(FakeRequest("192.0.2.1"))
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == intake.client_key_for(FakeRequest("192.0.2.1"))
    assert key != intake.client_key_for(FakeRequest("192.0.2.2"))
    # Mapped IPv4 is the same client; one IPv6 /64 is one subscriber.
    assert key == intake.client_key_for(FakeRequest("::ffff:192.0.2.1"))
    assert intake.client_key_for(FakeRequest("2001:db8:1:2::1")) == intake.client_key_for(
        FakeRequest("2001:db8:1:2:aaaa::9")
    )
    assert intake.client_key_for(FakeRequest("2001:db8:1:2::1")) != intake.client_key_for(
        FakeRequest("2001:db8:1:3::1")
    )
    settings.SECRET_KEY = "another-secret"
    assert intake.client_key_for(FakeRequest("192.0.2.1")) != key


@pytest.mark.django_db
def test_submission_allowed_counts_the_last_hour_and_says_when_to_retry(settings):
    from tests.factories import RemovalRequestFactory

    settings.TAKEDOWN_RATE_LIMIT_PER_HOUR = 2
    now = timezone.now()
    RemovalRequestFactory(client_key="k", received_at=now - timedelta(minutes=70))
    assert intake.submission_allowed("k", now) == (True, None)
    RemovalRequestFactory(client_key="k", received_at=now - timedelta(minutes=50))
    RemovalRequestFactory(client_key="k", received_at=now - timedelta(minutes=20))
    RemovalRequestFactory(client_key="other", received_at=now)
    assert intake.submission_allowed("k", now) == (False, now + timedelta(minutes=10))
    settings.TAKEDOWN_RATE_LIMIT_PER_HOUR = 0  # no limit
    assert intake.submission_allowed("k", now) == (True, None)
