"""Abuse of the notice procedure (DSA Art. 23) and trusted flaggers (Art. 22): duplicate
notices join their open request, each sender has a history, manifestly unfounded
rejections warn and then suspend the sender (liftable by an officer), trusted flaggers'
notices come first with a shorter deadline, and mailgate limits each sender."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.messaging.models import Message
from compliance.takedowns import abuse
from compliance.takedowns.abuse import SenderSuspended, sender_history, sender_measure_lift
from compliance.takedowns.decisions import request_approve, request_reject
from compliance.takedowns.models import RemovalRequest, SenderMeasure, TrustedFlagger
from compliance.takedowns.submission import request_submit, request_verify
from tests.factories import ItemFactory, RemovalRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


def submit(email="robin@rights.example", urls=("https://elsewhere.example/a",), **fields):
    return request_submit(
        channel=RemovalRequest.Channel.WEB,
        requester_email=email,
        requester_name="Robin Rights",
        urls=list(urls),
        ground="copyright",
        explanation="Mine.",
        good_faith=True,
        accuracy=True,
        signature="Robin Rights",
        **fields,
    )


def mails(kind):
    return list(Message.objects.filter(kind=kind, direction=Message.Direction.OUT))


def reject_unfounded(removal_request, officer):
    return request_reject(
        removal_request=removal_request,
        user=officer,
        reason="Not our content at all.",
        manifestly_unfounded=True,
    )


@pytest.fixture
def officer():
    return UserFactory(officer=True)


# --- duplicate notices --------------------------------------------------------------------


def test_a_verified_senders_same_notice_joins_its_open_request():
    item = ItemFactory()
    first = submit(urls=[item.original_url, "https://elsewhere.example/b"])
    request_verify(removal_request=first)
    # The same URLs, spelled differently (tracking parameter, upper-case address).
    again = submit(email="Robin@Rights.example", urls=[item.original_url + "?utm_source=x"])
    assert again.pk == first.pk and again.joined_existing
    assert RemovalRequest.objects.count() == 1
    assert len(mails("acknowledgement")) == 1  # no second mail to the sender
    assert (
        AuditEvent.objects.filter(case=first.reference, action="request.duplicate_joined").count()
        == 1
    )


def test_a_notice_opens_its_own_request_when_unverified_new_urls_or_closed():
    item = ItemFactory()
    first = submit(urls=[item.original_url])
    assert submit(urls=[item.original_url]).pk != first.pk  # first one never verified
    request_verify(removal_request=first)
    assert submit(urls=[item.original_url, "https://elsewhere.example/new"]).pk != first.pk
    assert submit(email="other@rights.example", urls=[item.original_url]).pk != first.pk


def test_a_mailed_duplicate_joins_the_thread_of_the_open_request():
    item = ItemFactory()
    first = submit(urls=[item.original_url])
    request_verify(removal_request=first)
    raw = (
        f"From: Robin Rights <robin@rights.example>\r\nTo: removals@example.org\r\n"
        f"Subject: Remove this\r\nMessage-ID: <dup-1@rights.example>\r\n\r\n"
        f"Please remove {item.original_url}\r\n"
    ).encode()
    out = io.StringIO()
    call_command("mailgate", stdin=io.BytesIO(raw), stdout=out)
    assert out.getvalue().startswith(f"added to the thread of {first.reference}")
    assert RemovalRequest.objects.count() == 1
    assert Message.objects.get(message_id="<dup-1@rights.example>").case == first.reference


# --- sender history -----------------------------------------------------------------------


def test_sender_history_counts_the_address_and_its_domain(officer):
    RemovalRequestFactory(requester_email="a@spam.example", status="completed")
    RemovalRequestFactory(requester_email="a@spam.example", status="rejected")
    RemovalRequestFactory(
        requester_email="A@spam.example", status="rejected", manifestly_unfounded=True
    )
    RemovalRequestFactory(requester_email="b@spam.example", status="received")
    RemovalRequestFactory(requester_email="c@news.spam.example", status="approved")
    RemovalRequestFactory(requester_email="a@other.example", status="rejected")
    history = sender_history("a@spam.example")
    assert history["address"] == {
        "sender": "a@spam.example",
        "requests": 3,
        "approved": 1,
        "rejected": 2,
        "unfounded": 1,
    }
    assert history["domain"] == {
        "sender": "spam.example",
        "requests": 5,
        "approved": 2,
        "rejected": 2,
        "unfounded": 1,
    }


# --- warning, suspension, lifting ---------------------------------------------------------


def test_unfounded_rejections_warn_then_suspend_and_an_officer_lifts(settings, officer):
    settings.ABUSE_UNFOUNDED_LIMIT = 2
    settings.ABUSE_SUSPENSION_DAYS = 30
    email = "flood@spam.example"
    reject_unfounded(submit(email=email), officer)
    # An ordinary rejection does not count.
    request_reject(removal_request=submit(email=email), user=officer, reason="Not enough.")
    assert not SenderMeasure.objects.exists()
    reject_unfounded(submit(email=email), officer)
    warning = SenderMeasure.objects.get()
    assert (warning.kind, warning.sender) == ("warning", email)
    assert [m.recipients for m in mails("sender_warning")] == [[email]]
    assert AuditEvent.objects.filter(action="sender.warning", object_id=warning.pk).exists()
    # Warned, the sender may still file; the next unfounded notice suspends.
    reject_unfounded(submit(email=email), officer)
    suspension = SenderMeasure.objects.get(kind="suspension")
    assert suspension.ends_at - suspension.issued_at == timedelta(days=30)
    assert len(mails("sender_suspension")) == 1
    count = RemovalRequest.objects.count()
    with pytest.raises(SenderSuspended):
        submit(email=email)
    assert RemovalRequest.objects.count() == count

    with pytest.raises(PermissionDenied):
        sender_measure_lift(measure=suspension, user=UserFactory(), reason="Looks fine")
    with pytest.raises(ValueError):
        sender_measure_lift(measure=suspension, user=officer, reason=" ")
    sender_measure_lift(measure=suspension, user=officer, reason="They explained the mix-up.")
    event = AuditEvent.objects.get(action="sender.lifted")
    assert (event.actor_user, event.reason) == (officer, "They explained the mix-up.")
    submit(email=email)  # may file again


def test_the_suspension_ends_by_itself(settings, officer):
    settings.ABUSE_UNFOUNDED_LIMIT = 1
    reject_unfounded(submit(email="x@spam.example"), officer)
    reject_unfounded(submit(email="x@spam.example"), officer)
    with pytest.raises(SenderSuspended):
        submit(email="x@spam.example")
    with time_machine.travel(
        timezone.now() + timedelta(days=settings.ABUSE_SUSPENSION_DAYS, hours=1)
    ):
        submit(email="x@spam.example")


def test_unfounded_rejections_outside_the_window_do_not_count(settings, officer):
    settings.ABUSE_UNFOUNDED_LIMIT = 2
    settings.ABUSE_WINDOW_DAYS = 30
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        reject_unfounded(submit(email="old@spam.example"), officer)
    reject_unfounded(submit(email="old@spam.example"), officer)
    assert not SenderMeasure.objects.exists()


def test_a_domains_unfounded_notices_suspend_the_whole_domain(settings, officer):
    settings.ABUSE_UNFOUNDED_LIMIT = 0  # addresses never
    settings.ABUSE_DOMAIN_UNFOUNDED_LIMIT = 2
    for n in range(3):
        reject_unfounded(submit(email=f"bot{n}@spam.example"), officer)
    assert set(SenderMeasure.objects.values_list("sender", "kind")) == {
        ("spam.example", "warning"),
        ("spam.example", "suspension"),
    }
    with pytest.raises(SenderSuspended):
        submit(email="new-bot@spam.example")
    submit(email="someone@other.example")


def test_a_suspended_sender_is_refused_by_the_form_and_the_api(settings, officer, client):
    SenderMeasure.objects.create(
        sender="s@spam.example", kind="suspension", ends_at=timezone.now() + timedelta(days=3)
    )
    data = {
        "requester_name": "S",
        "requester_email": "s@spam.example",
        "role": "author",
        "urls": "https://elsewhere.example/a",
        "scope": "items",
        "ground": "copyright",
        "explanation": "x",
        "good_faith": "on",
        "accuracy": "on",
        "signature": "S",
    }
    response = client.post(reverse("takedowns:form"), data)
    assert response.status_code == 403
    assert "suspended from filing" in response.content.decode()
    api = client.post(
        "/api/v1/removal-requests/",
        {**data, "urls": [data["urls"]], "good_faith": True, "accuracy": True},
        content_type="application/json",
    )
    assert api.status_code == 403 and "suspended" in api.json()["detail"]
    assert not RemovalRequest.objects.exists()


# --- trusted flaggers ---------------------------------------------------------------------


def test_trusted_flaggers_notices_get_the_shorter_deadline(settings):
    settings.TRUSTED_FLAGGER_TIME_LIMIT_HOURS = 6
    settings.TAKEDOWN_TIME_LIMIT_HOURS = 48
    flagger = TrustedFlagger.objects.create(
        organisation="Rights Alliance", addresses="desk@alliance.example", domains="hotline.example"
    )
    TrustedFlagger.objects.create(organisation="Gone", domains="gone.example", active=False)
    for email in ("desk@alliance.example", "ana@eu.hotline.example"):
        removal_request = submit(email=email)
        assert removal_request.trusted_flagger == flagger
        assert removal_request.due_at - removal_request.received_at == timedelta(hours=6)
    for email in ("other@alliance.example", "x@gone.example", "x@nothotline.example"):
        removal_request = submit(email=email)
        assert removal_request.trusted_flagger is None
        assert removal_request.due_at - removal_request.received_at == timedelta(hours=48)


def test_trusted_flaggers_notices_top_the_queue_marked(client):
    flagger = TrustedFlagger.objects.create(
        organisation="Rights Alliance", domains="alliance.example"
    )
    soon = RemovalRequestFactory(due_at=timezone.now() + timedelta(hours=1))
    trusted = RemovalRequestFactory(
        trusted_flagger=flagger, due_at=timezone.now() + timedelta(hours=10)
    )
    client.force_login(UserFactory())
    page = client.get(reverse("admin:takedowns_removalrequest_changelist")).content.decode()
    assert page.index(trusted.reference) < page.index(soon.reference)
    assert "Rights Alliance" in page


# --- mailgate's limits --------------------------------------------------------------------


def mail_from(address, n):
    return (
        f"From: <{address}>\r\nTo: removals@example.org\r\nSubject: Remove {n}\r\n"
        f"Message-ID: <m{n}-{address}>\r\n\r\nPlease remove https://elsewhere.example/{n}\r\n"
    ).encode()


def mailgate(raw):
    out = io.StringIO()
    call_command("mailgate", stdin=io.BytesIO(raw), stdout=out)  # exit 0: no CommandError
    return out.getvalue()


def test_mailgate_limits_each_sender_address_and_domain(settings):
    settings.MAILGATE_LIMIT_PER_ADDRESS_PER_HOUR = 2
    settings.MAILGATE_LIMIT_PER_DOMAIN_PER_HOUR = 3
    outputs = [mailgate(mail_from("forged@victim.example", n)) for n in range(5)]
    assert [o.startswith("opened") for o in outputs] == [True, True, False, False, False]
    assert "kept for staff, not acknowledged" in outputs[2]
    outputs = [mailgate(mail_from(f"other{n}@victim.example", 10 + n)) for n in range(3)]
    assert [o.startswith("opened") for o in outputs] == [True, False, False]
    assert RemovalRequest.objects.count() == 3
    assert len(mails("acknowledgement")) == 3
    assert Message.objects.filter(kind="held").count() == 5
    # An hour later the sender may write again.
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert mailgate(mail_from("forged@victim.example", 99)).startswith("opened")


def test_mailgate_keeps_a_suspended_senders_mail_unanswered():
    SenderMeasure.objects.create(
        sender="spam.example", kind="suspension", ends_at=timezone.now() + timedelta(days=3)
    )
    assert "suspended" in mailgate(mail_from("a@spam.example", 1))
    assert not RemovalRequest.objects.exists() and not mails("acknowledgement")


def test_a_lifted_warning_no_longer_leads_to_suspension(settings, officer):
    settings.ABUSE_UNFOUNDED_LIMIT = 1
    reject_unfounded(submit(email="w@spam.example"), officer)
    sender_measure_lift(measure=SenderMeasure.objects.get(), user=officer, reason="Mistake")
    reject_unfounded(submit(email="w@spam.example"), officer)
    # Limit reached again: a fresh warning, not a suspension.
    assert list(SenderMeasure.objects.in_force().values_list("kind", flat=True)) == ["warning"]
    assert abuse.suspension_in_force("w@spam.example") is None


def test_an_approval_is_not_held_against_the_sender(officer):
    removal_request = submit(email="fine@rights.example")
    request_verify(removal_request=removal_request)
    request_approve(removal_request=removal_request, user=officer)
    assert sender_history("fine@rights.example")["address"]["approved"] == 1


# --- the queue and the request's page in words ---------------------------------------------


def test_the_request_page_shows_urls_as_links_history_in_sentences_and_sender_record(client):
    officer = UserFactory(officer=True)
    removal_request = submit(urls=["https://elsewhere.example/a", "https://elsewhere.example/b_c"])
    request_reject(
        removal_request=removal_request, user=officer, reason="No.", manifestly_unfounded=True
    )
    client.force_login(officer)
    page = client.get(
        reverse("admin:takedowns_removalrequest_change", args=[removal_request.pk])
    ).content.decode()
    assert (
        '<a href="https://elsewhere.example/a" rel="noreferrer noopener" target="_blank">'
        "https://elsewhere.example/a</a><br>"
    ) in page
    assert '["https://' not in page
    assert "Request rejected" in page and "request.rejected" not in page.replace(
        'title="request.rejected"', ""
    )
    assert "Status changed from received to rejected." in page
    assert "Manifestly unfounded: yes." in page
    # The sender's record: one request, rejected as manifestly unfounded.
    assert "sender-history" in page
