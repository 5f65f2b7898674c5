"""mailgate and mail as it is in the wild: bounces, auto-replies, notices sent by systems,
robots that answer everything, mail filters' wrapped links, web forms, careless senders.
Fixtures are synthetic messages in tests/fixtures/emails/ shaped like real ones."""

from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core import mail
from django.core.management import CommandError
from django.db.models import F

from compliance.messaging.inbound import MAX_MESSAGE_BYTES
from compliance.messaging.models import Message
from compliance.messaging.services import outbox_sweep
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.submission import request_verification_resend
from tests.factories import OriginFactory
from tests.test_mailgate import fixture, incoming, mailgate

HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def inbox(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "inbox"


@pytest.fixture
def origin(db):
    return OriginFactory(domain="origin.example")


def outgoing(kind: str = "acknowledgement") -> list[Message]:
    return list(Message.objects.filter(direction=Message.Direction.OUT, kind=kind))


def open_request(sender: str = "nobody@rights.example") -> RemovalRequest:
    raw = fixture("plain-utf8.eml").replace(
        b"From: Robin Rights <robin@rights.example>", f"From: Nobody <{sender}>".encode()
    )
    mailgate(raw)
    return RemovalRequest.objects.get()


# --- duplicates by content -----------------------------------------------------------------


@pytest.mark.django_db
def test_another_message_under_a_message_id_seen_before_is_kept_and_opens_its_request():
    mailgate(fixture("plain-utf8.eml"))
    other = fixture("plain-utf8.eml").replace(
        b"Please remove my articles", b"And another article, please"
    )
    output = mailgate(other)
    assert output.startswith("opened")
    assert RemovalRequest.objects.count() == 2
    assert [bytes(m.raw) for m in incoming()] == [fixture("plain-utf8.eml"), other]


@pytest.mark.django_db
def test_a_redelivery_through_another_server_is_still_the_same_message():
    raw = fixture("plain-utf8.eml")
    mailgate(b"Received: from mx1.example by mx.example; Fri, 4 Dec 2026 01:00:00 +0000\n" + raw)
    again = b"Received: from mx2.example\n by mx.example; Fri, 4 Dec 2026 01:05:00 +0000\n" + raw
    assert mailgate(again).startswith("already received")
    assert RemovalRequest.objects.count() == 1 and len(incoming()) == 1


# --- a message too large to read -----------------------------------------------------------


@pytest.mark.django_db
def test_an_oversize_message_is_kept_as_a_file_and_a_row_staff_see(inbox):
    head = (
        b"From: Scan Sender <scans@rights.example>\nTo: removals@example.org\n"
        b"Subject: Signed notice (scan attached)\nMessage-ID: <big.30@rights.example>\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/pdf\n\n"
    )
    raw = head + b"J" * (MAX_MESSAGE_BYTES + 1024) + b"\n--b--\n"
    with pytest.raises(CommandError) as refused:
        mailgate(raw)
    assert refused.value.returncode == 65
    (path,) = inbox.iterdir()
    assert path.read_bytes() == raw
    row = Message.objects.get(kind="too_large")
    assert row.kept_as == str(path) and str(path) in str(refused.value)
    assert (row.sender, row.subject) == (
        "Scan Sender <scans@rights.example>",
        "Signed notice (scan attached)",
    )
    assert row.message_id == "<big.30@rights.example>"
    assert str(path) in row.text_body


# --- bounces -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_delivery_report_of_our_acknowledgement_flags_its_request_and_opens_nothing():
    removal_request = open_request()
    (acknowledgement,) = outgoing()

    output = mailgate(
        fixture("dsn-of-our-mail.eml", **{"OUR-MESSAGE-ID": acknowledgement.message_id})
    )

    assert removal_request.reference in output and "flagged" in output
    assert RemovalRequest.objects.count() == 1
    bounce = Message.objects.get(kind="bounce")
    assert bounce.case == removal_request.reference
    removal_request.refresh_from_db()
    assert "acknowledgement to nobody@rights.example bounced" in removal_request.attention_needed
    acknowledgement.refresh_from_db()
    assert acknowledgement.last_error.startswith("bounced")
    assert len(outgoing()) == 1  # nothing answers a bounce


@pytest.mark.django_db
def test_a_bounce_without_a_report_is_joined_by_the_reference_in_its_subject():
    removal_request = open_request()
    mailgate(fixture("bounce-plain.eml", REFERENCE=removal_request.reference))
    assert RemovalRequest.objects.count() == 1
    removal_request.refresh_from_db()
    assert "bounced" in removal_request.attention_needed
    assert Message.objects.get(kind="bounce").case == removal_request.reference


@pytest.mark.django_db
def test_a_bounce_of_nothing_of_ours_is_recorded_only():
    output = mailgate(fixture("dsn-of-our-mail.eml", **{"OUR-MESSAGE-ID": "<someone@else>"}))
    assert "no request's mail" in output
    assert not RemovalRequest.objects.exists()
    assert Message.objects.get(kind="bounce").case == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("MAILER-DAEMON@mx.example", "Returned mail: see transcript for details"),
        ("postmaster@mx.example", "Delivery Status Notification (Failure)"),
        ("bounces+x=y@send.example", "Anything at all"),
    ],
)
def test_bounce_senders_never_open_a_request_nor_get_an_answer(sender, subject, origin):
    raw = fixture("bounce-plain.eml", REFERENCE="none").replace(
        b"From: postmaster@mail.rights.example", f"From: {sender}".encode()
    )
    raw = raw.replace(b"Undeliverable: [none] We received your removal request", subject.encode())
    raw += b"\nhttps://origin.example/news/quiet-harbour-lanterns\n"
    mailgate(raw)
    assert not RemovalRequest.objects.exists()
    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()


# --- auto-replies, and notices that only look automatic ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "subject"),
    [
        ("X-Autoreply: yes", "Re: your mail"),
        ("Precedence: auto_reply", "Re: your mail"),
        ("X-Nothing: 1", "Automatic reply: away"),
        ("Return-Path: <>", "Thanks"),
    ],
)
def test_auto_replies_never_open_a_request_even_when_they_name_our_content(header, subject, origin):
    raw = fixture("out-of-office.eml").replace(b"X-Autoreply: yes", header.encode())
    raw = raw.replace(b"Out of Office: away until Monday", subject.encode())
    assert "no request opened" in mailgate(raw)
    assert not RemovalRequest.objects.exists()
    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()


@pytest.mark.django_db
def test_a_vendor_systems_notice_is_opened_flagged_and_not_answered(origin):
    output = mailgate(fixture("vendor-notice.eml"))
    removal_request = RemovalRequest.objects.get()
    assert output.startswith(f"opened {removal_request.reference}")
    assert removal_request.urls == ["https://origin.example/news/quiet-harbour-lanterns"]
    assert removal_request.requester_email == "notices@takedown-vendor.example"
    assert "Auto-Submitted: auto-generated" in removal_request.attention_needed
    assert "no acknowledgement was sent" in removal_request.attention_needed
    assert not outgoing()  # RFC 3834: never answer a message marked Auto-Submitted


@pytest.mark.django_db
def test_a_systems_mail_that_names_none_of_our_content_opens_nothing(origin):
    raw = fixture("vendor-notice.eml").replace(b"origin.example", b"unrelated.example")
    assert "no request opened" in mailgate(raw)
    assert not RemovalRequest.objects.exists()


@pytest.mark.django_db
def test_a_notice_through_a_mailing_service_is_opened_and_acknowledged(origin):
    mailgate(fixture("mailing-service-notice.eml"))
    removal_request = RemovalRequest.objects.get()
    assert removal_request.requester_email == "ada@rights.example"
    assert removal_request.urls == ["https://origin.example/news/quiet-harbour-lanterns"]
    assert len(outgoing()) == 1


# --- our own mail, and robots that answer everything ---------------------------------------


@pytest.mark.django_db
def test_our_mail_says_it_was_sent_by_a_program(origin):
    removal_request = open_request("robin@rights.example")
    Message.objects.filter(kind="acknowledgement").update(created_at=F("created_at") - HOUR)
    assert request_verification_resend(removal_request=removal_request) is not None
    outbox_sweep()
    headers = {sent.subject: message_from_bytes(sent.message().as_bytes()) for sent in mail.outbox}
    (acknowledgement,) = [h for s, h in headers.items() if "received" in s]
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    others = [h for s, h in headers.items() if "received" not in s]
    assert others and all(h["Auto-Submitted"] == "auto-generated" for h in others)


@pytest.mark.django_db
def test_a_robot_answering_each_of_our_mails_gets_at_most_the_daily_cap(settings):
    settings.MAILGATE_ACKNOWLEDGEMENTS_PER_DAY = 3
    settings.MAILGATE_LIMIT_PER_ADDRESS_PER_HOUR = 0  # the hourly hold has a test of its own
    for number in range(6):
        mailgate(fixture("robot-answers-everything.eml", NUMBER=str(number)))
    assert RemovalRequest.objects.count() == 6  # each kept for staff
    assert len(outgoing()) == 3
    unanswered = RemovalRequest.objects.exclude(attention_needed="")
    assert unanswered.count() == 3
    assert all("limit is 3" in r.attention_needed for r in unanswered)


@pytest.mark.django_db
def test_replies_on_a_thread_are_never_acknowledged_again():
    removal_request = open_request("robin@rights.example")
    for number in range(3):
        raw = fixture("reply-with-reference.eml", REFERENCE=removal_request.reference)
        mailgate(raw.replace(b"<reply.8@", f"<reply.8.{number}@".encode()))
    assert len(outgoing()) == 1


# --- URLs as people (and their mail filters) write them ------------------------------------


@pytest.mark.django_db
def test_wrapped_links_are_unwrapped():
    mailgate(fixture("safe-links.eml"))
    assert RemovalRequest.objects.get().urls == [
        "https://origin.example/news/wrapped-once?page=2",
        "https://origin.example/news/redirected",
        "https://origin.example/news/defended",
    ]


@pytest.mark.django_db
def test_scheme_less_urls_of_our_origins_and_urls_in_the_subject_are_read(origin):
    mailgate(fixture("schemeless-and-subject.eml"))
    assert RemovalRequest.objects.get().urls == [
        "https://origin.example/news/in-the-subject",
        "https://www.origin.example/news/with-www",
        "https://origin.example/news/bare-domain",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("robot", ["wordpress", "noreply"])
def test_a_web_forms_mail_is_answered_to_the_person_in_reply_to(origin, robot):
    mailgate(fixture("web-form.eml").replace(b"<wordpress@", f"<{robot}@".encode()))
    removal_request = RemovalRequest.objects.get()
    assert (removal_request.requester_email, removal_request.requester_name) == (
        "petra@rights.example",
        "Petra Person",
    )
    (acknowledgement,) = outgoing()
    assert acknowledgement.recipients == ["petra@rights.example"]


@pytest.mark.django_db
def test_a_reply_to_naming_a_robot_is_not_used():
    raw = (
        fixture("web-form.eml")
        .replace(
            b"Reply-To: Petra Person <petra@rights.example>",
            b"Reply-To: noreply@forms.rights.example",
        )
        .replace(b"From: Site Forms <wordpress@", b"From: Petra Person <petra@")
    )
    mailgate(raw)
    assert RemovalRequest.objects.get().requester_email == "petra@forms.rights.example"


# --- careless senders ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("from-without-brackets.eml", "https://origin.example/news/bare-sender"),
        ("malformed-header-line.eml", "https://origin.example/news/broken-header"),
    ],
)
def test_a_careless_but_readable_sender_line_still_opens_a_request(name, url):
    output = mailgate(fixture(name))
    removal_request = RemovalRequest.objects.get()
    assert output.startswith(f"opened {removal_request.reference}")
    assert (removal_request.requester_email, removal_request.requester_name) == (
        "robin@rights.example",
        "Robin Rights",
    )
    assert removal_request.urls == [url]
    assert bytes(Message.objects.get(direction="in").raw) == fixture(name)
