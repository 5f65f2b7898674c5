"""manage.py mailgate: one RFC 822 message on standard input, from the contact address's
pipe. Fixtures are synthetic messages in tests/fixtures/emails/."""

import io
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from compliance.audit.models import AuditEvent
from compliance.messaging.inbound import MAX_MESSAGE_BYTES
from compliance.messaging.models import Message
from compliance.messaging.services import outbox_sweep
from compliance.takedowns.models import RemovalRequest
from tests.workers import ROOT, worker_database_url

EMAILS = Path(__file__).parent / "fixtures" / "emails"


def fixture(name: str, **replace: str) -> bytes:
    raw = (EMAILS / name).read_bytes()
    for marker, value in replace.items():
        raw = raw.replace(marker.encode(), value.encode())
    return raw


def mailgate(raw: bytes) -> str:
    out = io.StringIO()
    call_command("mailgate", stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def inbox(settings, tmp_path) -> Path:
    """Each test keeps unreadable input in a folder of its own."""
    settings.VAR_DIR = tmp_path
    return tmp_path / "inbox"


def incoming() -> list[Message]:
    return list(Message.objects.filter(direction=Message.Direction.IN))


# --- new requests, whatever the encoding ---------------------------------------------------

NEW_REQUESTS = {
    "plain-utf8.eml": (
        "robin@rights.example",
        "Robin Rights",
        "Please remove my articles",
        [
            "https://origin.example/news/the-glimmering-teapot",
            "https://origin.example/news/quiet-harbour-lanterns",
            "https://wiki.example/wiki/Teapot_(vessel)",
        ],
        "Kind regards, Robin \u2013 author of \u201cLanterns\u201d.",
    ),
    "multipart-qp-base64.eml": (
        "ines@rights.example",
        "Ines Ortega",
        "Takedown request",
        [
            # Rejoined across the quoted-printable soft line break.
            "https://origin.example/news/a-very-long-article-slug-about-invented-marmalade-"
            "festivals-2026?ref=feed&utm_source=rss",
            "http://testserver/items/synthetic-slug-kept/",
            "https://origin.example/news/plain-in-html",
        ],
        "please take down https://origin.example/news/a-very-long-article",
    ),
    "encoded-words-latin1.eml": (
        "renee@rights.example",
        "Renée Müller",
        "Löschung meines Artikels über Käse",
        ["https://origin.example/news/kaese-und-gruesse"],
        "bitte entfernen Sie meinen Artikel über Käse und Grüße",
    ),
    "windows-1252.eml": (
        "tomasz@rights.example",
        "Tomasz Nowak",
        "Article copied",
        ["https://origin.example/news/copper-kettles"],
        "cost me \u20ac200 to research \u2013 please remove it.",
    ),
    "shift-jis.eml": (
        "hanako@rights.example",
        "山田 花子",
        "記事の削除のお願い",
        ["https://origin.example/news/sakura-teahouse"],
        "私の記事を削除してください",
    ),
    "html-only.eml": (
        "webmaster@origin.example",
        "",
        "Removal",
        [
            "https://origin.example/news/html-only-one",
            "https://origin.example/news/html-only-two",
        ],
        "Please remove this and that .",
    ),
    # A notice forwarded as an attachment (message/rfc822) and a list of copies attached as
    # text: their URLs count too; a non-text attachment is not read.
    "forwarded-notice.eml": (
        "desk@agency.example",
        "Agency Desk",
        "Fwd: Notice of infringement",
        [
            "https://origin.example/news/forwarded-story",
            "https://origin.example/news/listed-in-attachment",
            "https://origin.example/news/forwarded-linked",
        ],
        "we act for the author. Her notice is attached",
    ),
    # Headers in raw 8-bit Latin-1, not encoded words (old or careless mailers).
    "raw-8bit-latin1-headers.eml": (
        "zoe@rights.example",
        "Zoë Brontë",
        "Retrait de mon récit",
        ["https://origin.example/news/recit-d-hiver"],
        "veuillez retirer mon récit",
    ),
    "unknown-charset.eml": (
        "pat@rights.example",
        "Pat Unknown",
        "Remove please",
        ["https://origin.example/news/mystery-charset"],
        "Please remove https://origin.example/news/mystery-charset",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", NEW_REQUESTS)
def test_a_new_message_opens_an_unverified_email_request_and_is_kept_whole(name):
    email, display_name, subject, urls, explanation = NEW_REQUESTS[name]
    raw = fixture(name)

    output = mailgate(raw)

    removal_request = RemovalRequest.objects.get()
    assert output.startswith(f"opened {removal_request.reference}")
    assert removal_request.channel == RemovalRequest.Channel.EMAIL
    assert removal_request.status == RemovalRequest.Status.RECEIVED
    assert removal_request.verified_at is None
    assert (removal_request.requester_email, removal_request.requester_name) == (
        email,
        display_name,
    )
    assert removal_request.urls == urls
    assert explanation in " ".join(removal_request.explanation.split())
    assert "\x00" not in removal_request.explanation
    (kept,) = incoming()
    assert kept.case == removal_request.reference
    assert bytes(kept.raw) == raw
    assert kept.subject == subject
    assert kept.state == Message.State.RECEIVED
    assert kept.message_id.startswith("<") and kept.message_id in raw.decode("latin-1")
    assert kept.recipients == ["removals@example.org"]


@pytest.mark.django_db
def test_a_request_opened_by_mail_gets_the_acknowledgement_with_both_links():
    mailgate(fixture("plain-utf8.eml"))
    removal_request = RemovalRequest.objects.get()

    assert outbox_sweep() == 1
    (sent,) = mail.outbox
    assert sent.to == ["robin@rights.example"]
    assert removal_request.reference in sent.subject
    assert "http://testserver/takedown/verify/" in sent.body
    assert f"http://testserver/takedown/status/{removal_request.status_token}/" in sent.body
    # Threaded on the requester's message, so a reply finds its way back.
    assert sent.extra_headers["In-Reply-To"] == "<plain-utf8.1@rights.example>"


# --- replies -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reply_with_the_reference_in_its_subject_joins_the_thread():
    mailgate(fixture("plain-utf8.eml"))
    removal_request = RemovalRequest.objects.get()
    outgoing_before = Message.objects.filter(direction=Message.Direction.OUT).count()

    output = mailgate(fixture("reply-with-reference.eml", REFERENCE=removal_request.reference))

    assert output.startswith(f"added to the thread of {removal_request.reference}")
    assert RemovalRequest.objects.count() == 1
    reply = Message.objects.get(message_id="<reply.8@rights.example>")
    assert reply.case == removal_request.reference and reply.kind == "reply"
    assert "forgotten-one" in reply.text_body
    event = AuditEvent.objects.get(action="request.message_received")
    assert event.case == removal_request.reference
    assert event.after["message"] == reply.pk
    # Joining a thread sends nothing: no mail loop, no second acknowledgement.
    assert Message.objects.filter(direction=Message.Direction.OUT).count() == outgoing_before
    # But a person wrote, so a person must read it: the request is flagged for staff.
    removal_request.refresh_from_db()
    assert "A message arrived from robin@rights.example" in removal_request.attention_needed


@pytest.mark.django_db
def test_a_reply_naming_our_message_in_in_reply_to_joins_the_thread():
    mailgate(fixture("plain-utf8.eml"))
    removal_request = RemovalRequest.objects.get()
    acknowledgement = Message.objects.get(kind="acknowledgement")

    mailgate(fixture("reply-in-reply-to.eml", **{"MESSAGE-ID": acknowledgement.message_id}))

    assert RemovalRequest.objects.count() == 1
    reply = Message.objects.get(message_id="<reply.9@rights.example>")
    assert reply.case == removal_request.reference
    assert reply.in_reply_to == acknowledgement.message_id


@pytest.mark.django_db
def test_an_unknown_reference_opens_a_new_request():
    mailgate(fixture("reply-with-reference.eml", REFERENCE="TD-2026-99999"))
    removal_request = RemovalRequest.objects.get()
    assert removal_request.urls == ["https://origin.example/news/forgotten-one"]


@pytest.mark.django_db
def test_the_same_message_delivered_twice_is_recorded_once():
    mailgate(fixture("plain-utf8.eml"))
    output = mailgate(fixture("plain-utf8.eml"))
    assert output.startswith("already received")
    assert RemovalRequest.objects.count() == 1
    assert len(incoming()) == 1


INJECTED = "=?utf-8?q?x=0D=0ABcc:_victim@elsewhere.example?="


@pytest.mark.django_db
def test_threading_headers_keep_only_message_ids_so_our_replies_can_be_sent():
    """Encoded words can hide a line break in Message-ID, In-Reply-To or References. Those
    values go back out in the headers of every mail on the request: kept as they came, each
    send failed ("Header values can't contain newlines") and the requester was never told
    anything. Only well-formed <ids> are kept; the raw message keeps the rest."""
    raw = (
        "From: Robin Rights <robin@rights.example>\n"
        "To: removals@example.org\n"
        f"Message-ID: <first.1@rights.example> {INJECTED}\n"
        f"In-Reply-To: {INJECTED}\n"
        f"References: <older.0@rights.example> {INJECTED}\n"
        "Subject: Please remove\n\n"
        "https://origin.example/news/the-glimmering-teapot\n"
    ).encode()

    mailgate(raw)

    (kept,) = incoming()
    assert kept.message_id == "<first.1@rights.example>"
    assert (kept.in_reply_to, kept.references) == ("", "<older.0@rights.example>")
    assert bytes(kept.raw) == raw
    assert outbox_sweep() == 1
    (sent,) = mail.outbox
    headers = sent.message()
    assert headers["In-Reply-To"] == "<first.1@rights.example>"
    assert headers["References"] == "<older.0@rights.example> <first.1@rights.example>"
    assert headers["Bcc"] is None and sent.bcc == []


@pytest.mark.django_db
def test_a_message_id_without_an_id_is_not_kept_for_threading():
    raw = fixture("plain-utf8.eml").replace(
        b"Message-ID: <plain-utf8.1@rights.example>", f"Message-ID: {INJECTED}".encode()
    )
    assert raw != fixture("plain-utf8.eml")
    mailgate(raw)
    (kept,) = incoming()
    assert kept.message_id == ""
    assert outbox_sweep() == 1


# --- automatic mail ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "reason"),
    [("auto-reply.eml", "Auto-Submitted"), ("bulk.eml", "Precedence: bulk")],
)
def test_automatic_mail_is_recorded_without_opening_a_request(name, reason):
    output = mailgate(fixture(name))
    assert reason in output and "no request opened" in output
    assert not RemovalRequest.objects.exists()
    (kept,) = incoming()
    assert kept.kind == "automatic" and kept.case == ""
    assert bytes(kept.raw) == fixture(name)
    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()


@pytest.mark.django_db
def test_an_auto_reply_to_a_request_joins_its_thread_and_sends_nothing():
    mailgate(fixture("plain-utf8.eml"))
    removal_request = RemovalRequest.objects.get()
    auto = fixture("auto-reply.eml").replace(
        b"Subject: Out of office: Re: something",
        f"Subject: Automatic reply: [{removal_request.reference}] We received".encode(),
    )
    mailgate(auto)
    assert RemovalRequest.objects.count() == 1
    assert (
        Message.objects.get(message_id="<auto.10@rights.example>").case == removal_request.reference
    )
    assert Message.objects.filter(direction=Message.Direction.OUT).count() == 1
    removal_request.refresh_from_db()
    assert removal_request.attention_needed == ""  # an out-of-office needs nobody


@pytest.mark.django_db
def test_mail_from_our_own_address_never_opens_a_request():
    raw = fixture("plain-utf8.eml").replace(
        b"From: Robin Rights <robin@rights.example>", b"From: <removals@example.org>"
    )
    assert "our own address" in mailgate(raw)
    assert not RemovalRequest.objects.exists()


# --- limits --------------------------------------------------------------------------------


def build_mail(body: str, html: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = "Long Writer <long@rights.example>"
    message["To"] = "removals@example.org"
    message["Subject"] = "Many pages"
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return bytes(message)


@pytest.mark.django_db
def test_urls_are_capped_at_100_and_explanations_truncated_with_the_raw_kept():
    urls = [f"https://origin.example/news/page-{n}" for n in range(150)]
    body = "\n".join(urls) + "\n" + "Invented words go on and on. " * 1000
    raw = build_mail(body)
    mailgate(raw)
    removal_request = RemovalRequest.objects.get()
    assert removal_request.urls == urls[:100]
    assert len(removal_request.explanation) <= 10_000
    assert removal_request.explanation.endswith("the whole message is kept with the request]")
    assert bytes(Message.objects.get(direction="in").raw) == raw


@pytest.mark.django_db
def test_links_to_our_own_removal_pages_are_not_taken_for_content():
    raw = build_mail(
        "See https://origin.example/news/real-one and my status page "
        "http://testserver/takedown/status/some-secret-token/",
        html='<a href="http://testserver/takedown/?url=x">form</a>',
    )
    mailgate(raw)
    assert RemovalRequest.objects.get().urls == ["https://origin.example/news/real-one"]


@pytest.mark.django_db
def test_an_oversize_message_is_kept_for_staff_and_refused(inbox):
    raw = b"From: big@rights.example\n\n" + b"x" * MAX_MESSAGE_BYTES
    with pytest.raises(CommandError) as refused:
        mailgate(raw)
    assert refused.value.returncode == 65
    (kept,) = inbox.iterdir()
    assert kept.stat().st_size == len(raw)
    assert not RemovalRequest.objects.exists()


# --- not mail ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["garbage.eml", "no-from.eml", "empty"])
def test_input_that_is_not_mail_exits_non_zero_and_is_kept_for_staff(name, inbox):
    raw = b"" if name == "empty" else fixture(name)
    with pytest.raises(CommandError) as refused:
        mailgate(raw)
    assert refused.value.returncode == 65
    assert "kept as" in str(refused.value)
    (kept_file,) = inbox.iterdir()
    assert kept_file.read_bytes() == raw
    assert kept_file.name.endswith(".eml") and "unparseable" in kept_file.name
    (kept_row,) = incoming()
    assert kept_row.kind == "unparseable" and kept_row.case == ""
    assert bytes(kept_row.raw) == raw and kept_file.name in kept_row.subject
    assert not RemovalRequest.objects.exists()


SIXTY_B = ".".join(["b" * 60] * 3)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sender",
    [
        "a" * 300 + "@rights.example",  # cut to 254 characters, no "@" would be left
        "a" * 64 + f"@{SIXTY_B}.example",  # cut to 254, another domain ("….exampl")
    ],
)
def test_a_from_address_too_long_to_answer_is_kept_for_staff_not_retried(sender, inbox):
    """No address over 254 characters can be mailed (RFC 5321): the message is kept as
    unreadable (65, once), never cut into someone else's address nor failed as temporary
    (75), which would have the mail server deliver it again and again."""
    raw = f"From: {sender}\nSubject: Remove\n\nhttps://origin.example/news/x\n".encode()
    with pytest.raises(CommandError) as refused:
        mailgate(raw)
    assert refused.value.returncode == 65
    (kept_file,) = inbox.iterdir()
    assert kept_file.read_bytes() == raw and "unparseable" in kept_file.name
    assert not RemovalRequest.objects.exists()
    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()


# --- the real pipe -------------------------------------------------------------------------


def run_mailgate(raw: bytes, var_dir: Path, database_url: str):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COURTESY_VAR_DIR": str(var_dir),
        "SITE_URL": "http://testserver",
        # Publishing the acknowledgement's task must not reach anyone's worker.
        "CELERY_BROKER_URL": "filesystem://",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "mailgate"],
        input=raw,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_mailgate_reads_standard_input_and_answers_with_its_exit_status(tmp_path):
    opened = run_mailgate(fixture("shift-jis.eml"), tmp_path, worker_database_url())
    assert opened.returncode == 0, opened.stderr.decode()
    removal_request = RemovalRequest.objects.get()
    assert opened.stdout.decode().startswith(f"opened {removal_request.reference}")
    assert removal_request.requester_name == "山田 花子"

    garbage = run_mailgate(fixture("garbage.eml"), tmp_path, worker_database_url())
    assert garbage.returncode == 65
    assert "not a mail message" in garbage.stderr.decode()
    assert [p.read_bytes() for p in (tmp_path / "inbox").iterdir()] == [fixture("garbage.eml")]


def test_when_the_database_is_down_the_message_is_kept_and_the_server_told_to_retry(tmp_path):
    down = run_mailgate(
        fixture("plain-utf8.eml"), tmp_path, f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"
    )
    assert down.returncode == 75  # EX_TEMPFAIL: the mail server delivers it again later
    (kept,) = (tmp_path / "inbox").iterdir()
    assert "failed" in kept.name and kept.read_bytes() == fixture("plain-utf8.eml")


def test_unreadable_input_is_kept_even_when_the_database_is_down(tmp_path):
    down = run_mailgate(
        fixture("garbage.eml"), tmp_path, f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"
    )
    assert down.returncode == 65
    (kept,) = (tmp_path / "inbox").iterdir()
    assert "unparseable" in kept.name and kept.read_bytes() == fixture("garbage.eml")
