"""Counter-notices and reversal: the business-day clock (weekends, holidays, time frozen),
recording and forwarding a counter-notice, the beat job's restoration after 10 business
days, legal action cancelling it, and staff restoring at once."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.items.models import Item
from compliance.items.rules import block_rule_create, origin_block_create
from compliance.items.staydown import origin_block
from compliance.messaging.models import Message
from compliance.messaging.services import message_send
from compliance.takedowns import reversal
from compliance.takedowns.business_days import (
    add_business_days,
    business_days_between,
    is_business_day,
)
from compliance.takedowns.casework import request_attention_clear, request_flag
from compliance.takedowns.models import CounterNotice, RemovalRequest
from compliance.takedowns.state import TransitionError
from tests.factories import (
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)

Status = RemovalRequest.Status
UTC = ZoneInfo("UTC")
# 2026-12-21 is a Monday; 25 December is a Friday, 1 January 2027 a Friday.
MONDAY = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
HOLIDAYS = [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)]


# --- the business-day clock ----------------------------------------------------------------


def test_weekends_and_holidays_are_not_business_days():
    assert is_business_day(date(2026, 12, 7))  # Monday
    assert not is_business_day(date(2026, 12, 12))  # Saturday
    assert not is_business_day(date(2026, 12, 13))  # Sunday
    assert not is_business_day(date(2026, 12, 25), HOLIDAYS)
    assert is_business_day(date(2026, 12, 25))  # not a holiday unless configured


@pytest.mark.parametrize(
    "start, expected",
    [
        # Monday + 10 business days: two full weeks later, same time.
        (datetime(2026, 12, 7, 15, 30, tzinfo=UTC), datetime(2026, 12, 21, 15, 30, tzinfo=UTC)),
        # Friday evening: the clock starts on Monday; ends on the Friday two weeks on.
        (datetime(2026, 11, 27, 22, 0, tzinfo=UTC), datetime(2026, 12, 11, 22, 0, tzinfo=UTC)),
        # Saturday: the same as from Friday.
        (datetime(2026, 11, 28, 9, 0, tzinfo=UTC), datetime(2026, 12, 11, 9, 0, tzinfo=UTC)),
        # Across Christmas and New Year: 25 Dec, 28 Dec and 1 Jan are skipped too.
        (datetime(2026, 12, 18, 12, 0, tzinfo=UTC), datetime(2027, 1, 6, 12, 0, tzinfo=UTC)),
    ],
)
def test_ten_business_days_later(start, expected):
    restore_at = add_business_days(start, 10, HOLIDAYS)
    assert restore_at == expected
    assert business_days_between(start, restore_at, HOLIDAYS) == 10


def test_the_window_is_never_less_than_10_nor_more_than_14_business_days():
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    for offset in range(0, 400, 7):  # every weekday, all year, with holidays around
        for hours in (0, 13, 27, 50, 75, 100, 130):
            received = start + timedelta(days=offset, hours=hours)
            restore_at = add_business_days(received, 10, HOLIDAYS)
            assert 10 <= business_days_between(received, restore_at, HOLIDAYS) <= 14
            assert is_business_day(timezone.localtime(restore_at).date(), HOLIDAYS)


def test_days_count_on_the_local_calendar(settings):
    settings.TIME_ZONE = "America/New_York"
    # Saturday 01:00 UTC is still Friday evening in New York: the clock starts on Monday.
    start = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    restore_at = add_business_days(start, 10)
    local = timezone.localtime(restore_at)
    assert (local.date(), local.hour) == (date(2026, 12, 11), 20)


def test_holidays_come_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from compliance.settings import env_dates

    monkeypatch.setenv("TAKEDOWN_HOLIDAYS", "2026-12-25, 2027-01-01")
    assert env_dates("TAKEDOWN_HOLIDAYS") == [date(2026, 12, 25), date(2027, 1, 1)]
    monkeypatch.setenv("TAKEDOWN_HOLIDAYS", "25/12/2026")
    with pytest.raises(ImproperlyConfigured, match="not a date"):
        env_dates("TAKEDOWN_HOLIDAYS")


# --- counter-notices -----------------------------------------------------------------------


@pytest.fixture
def officer(db):
    return UserFactory(username="olive", officer=True)


@pytest.fixture
def completed(db):
    """A completed items-scope request that hid one item, kept it down with a URL rule,
    and blocked its origin; a copy arrived later and was withheld by the rule."""
    origin = OriginFactory(domain="quarrow-post.example", name="Quarrow Post")
    removal_request = RemovalRequestFactory(
        status=Status.COMPLETED, origin=origin, future=True, completed_at=timezone.now()
    )
    hidden = ItemFactory(origin=origin, status=Item.Status.HIDDEN, status_request=removal_request)
    job = Actor.system("process_takedown")
    rule = block_rule_create(
        kind="url",
        origin=origin,
        url=hidden.original_url,
        text_fingerprint=hidden.text_fingerprint,
        actor=job,
        case=removal_request.reference,
    )
    withheld = ItemFactory(
        origin=origin,
        status=Item.Status.WITHHELD,
        status_rule=rule,
        status_request=removal_request,
        disclaimer="",
        licence_note="",
        republished_at=None,
    )
    origin_block_create(origin=origin, actor=job, reason="scope", case=removal_request.reference)
    other_hidden = ItemFactory(origin=origin, status=Item.Status.HIDDEN)  # not this request's
    return removal_request, hidden, withheld, other_hidden


ELEMENTS = {
    "name": "Casey Example",
    "address": "1 Invented Lane\nQuarrow",
    "phone": "+44 0000 000000",
    "email": "casey@author.example",
    "mistake_statement": True,
    "jurisdiction_consent": True,
    "signature": "Casey Example",
    "explanation": "I wrote it and licensed it to the Quarrow Post under CC BY.",
}


def record(removal_request, officer, **overrides):
    return reversal.counter_notice_record(
        removal_request=removal_request, user=officer, **{**ELEMENTS, **overrides}
    )


@time_machine.travel(MONDAY, tick=False)
def test_recording_forwards_it_and_schedules_the_restoration(completed, officer, settings):
    settings.TAKEDOWN_HOLIDAYS = HOLIDAYS
    removal_request = completed[0]
    notice = record(removal_request, officer)
    assert notice.forwarded_at is None  # set when its mail is sent
    assert notice.restore_at == datetime(2026, 12, 21, 15, 30, tzinfo=UTC)
    assert notice.recorded_by == officer and notice.is_pending
    mail = removal_request.messages.get(kind="counter_notice")
    assert mail.recipients == [removal_request.requester_email]
    assert removal_request.reference in mail.subject
    for element in ("Casey Example", "1 Invented Lane", "+44 0000 000000", "casey@author.example"):
        assert element in mail.text_body
    assert "penalty of perjury" in mail.text_body and "jurisdiction" in mail.text_body
    assert "21 December 2026" in mail.text_body
    event = AuditEvent.objects.get(action="counter_notice.recorded")
    assert event.case == removal_request.reference and event.actor_user == officer


@pytest.mark.parametrize(
    "missing, message",
    [
        ({"address": " "}, "the postal address"),
        ({"phone": ""}, "the telephone number"),
        ({"mistake_statement": False}, "penalty of perjury"),
        ({"jurisdiction_consent": False}, "consent to jurisdiction"),
        ({"signature": ""}, "signature"),
        ({"email": "not-an-address"}, "not an email address"),
    ],
)
def test_a_counter_notice_without_its_elements_is_refused(completed, officer, missing, message):
    with pytest.raises(ValueError, match=message):
        record(completed[0], officer, **missing)
    assert not CounterNotice.objects.exists() and not Message.objects.exists()


def test_only_officers_record_and_only_on_completed_requests(completed, officer):
    with pytest.raises(PermissionDenied):
        record(completed[0], UserFactory(username="clerk"))
    open_request = RemovalRequestFactory(status=Status.PROCESSING)
    with pytest.raises(TransitionError, match="completed"):
        record(open_request, officer)
    record(completed[0], officer)
    with pytest.raises(TransitionError, match="already has a counter-notice"):
        record(completed[0], officer)
    assert CounterNotice.objects.count() == 1


def test_the_beat_job_restores_after_ten_business_days(completed, officer, settings):
    settings.TAKEDOWN_HOLIDAYS = HOLIDAYS
    removal_request, hidden, withheld, other_hidden = completed
    with time_machine.travel(MONDAY, tick=False):
        notice = record(removal_request, officer)
        assert message_send(message_id=notice.forward_message_id)
    # Nine business days on (and the weekend between): nothing yet.
    with time_machine.travel(datetime(2026, 12, 18, 23, 0, tzinfo=UTC), tick=False):
        assert reversal.counter_notices_restore_due(now=timezone.now()) == []
    with time_machine.travel(datetime(2026, 12, 21, 15, 29, tzinfo=UTC), tick=False):
        assert reversal.counter_notices_restore_due(now=timezone.now()) == []
    with time_machine.travel(datetime(2026, 12, 21, 15, 30, tzinfo=UTC), tick=False):
        assert reversal.counter_notices_restore_due(now=timezone.now()) == [removal_request.pk]
        # The next run finds nothing left to do.
        assert reversal.counter_notices_restore_due(now=timezone.now()) == []

    removal_request.refresh_from_db()
    assert removal_request.status == Status.REVERSED
    assert Item.objects.get(pk=hidden.pk).status == "published"
    restored_copy = Item.objects.get(pk=withheld.pk)
    assert restored_copy.status == "published" and restored_copy.disclaimer  # frozen now
    assert Item.objects.get(pk=other_hidden.pk).status == "hidden"
    assert not removal_request.block_rules.filter(is_active=True).exists()
    origin = removal_request.origin
    origin.refresh_from_db()
    assert origin_block(origin.domain) is None
    notice = CounterNotice.objects.get()
    assert notice.restored_at and not notice.is_pending
    actions = set(removal_request.audit_events.all().values_list("action", flat=True))
    assert {"request.reversed", "item.restored", "rule.deactivated", "origin.unblocked"} <= actions
    reversed_event = AuditEvent.objects.get(
        case=removal_request.reference, action="request.reversed"
    )
    assert reversed_event.actor_name == "restore_counter_notices"
    assert "10 business days" in reversed_event.reason
    mail = removal_request.messages.get(kind="reversal")
    assert "published again" in mail.text_body


def test_the_clock_starts_when_the_counter_notice_reaches_the_requester(
    completed, officer, settings
):
    settings.TAKEDOWN_HOLIDAYS = HOLIDAYS
    removal_request = completed[0]
    with time_machine.travel(MONDAY, tick=False):
        notice = record(removal_request, officer)
    ten_days_after_recording = datetime(2026, 12, 21, 15, 30, tzinfo=UTC)
    with time_machine.travel(ten_days_after_recording, tick=False):
        # The forward never went out (the mail server refused it so far): no clock.
        assert reversal.counter_notices_restore_due(now=timezone.now()) == []
    sent = MONDAY + timedelta(days=2)  # Wednesday
    with time_machine.travel(sent, tick=False):
        assert message_send(message_id=notice.forward_message_id)
    with time_machine.travel(ten_days_after_recording, tick=False):
        assert reversal.counter_notices_restore_due(now=timezone.now()) == []
    notice.refresh_from_db()
    assert notice.forwarded_at == sent
    assert notice.restore_at == add_business_days(sent, 10, HOLIDAYS)
    with time_machine.travel(notice.restore_at, tick=False):
        assert reversal.counter_notices_restore_due(now=timezone.now()) == [removal_request.pk]


def test_no_restoration_by_the_clock_while_the_request_waits_for_staff(
    completed, officer, settings
):
    """The requester replied during the wait (perhaps: "we filed suit"): the content stays
    down until staff have read it and cleared the flag."""
    settings.TAKEDOWN_HOLIDAYS = HOLIDAYS
    removal_request = completed[0]
    with time_machine.travel(MONDAY, tick=False):
        notice = record(removal_request, officer)
        assert message_send(message_id=notice.forward_message_id)
    request_flag(
        removal_request=removal_request,
        reason="A message arrived from the requester: read the thread and reply.",
    )
    late = MONDAY + timedelta(days=30)
    with time_machine.travel(late, tick=False):
        assert reversal.counter_notices_restore_due(now=timezone.now()) == []
        removal_request.refresh_from_db()
        assert removal_request.status == Status.COMPLETED
        request_attention_clear(
            removal_request=removal_request, user=officer, note="Read: no court action yet."
        )
        assert reversal.counter_notices_restore_due(now=timezone.now()) == [removal_request.pk]
    cleared = AuditEvent.objects.get(action="request.attention_cleared")
    assert cleared.reason == "Read: no court action yet." and cleared.actor_user == officer
    assert "A message arrived" in cleared.before["attention_needed"]


def test_reversing_one_request_keeps_down_what_another_standing_request_covers(completed, officer):
    """Request A hid the item; request B (completed, naming the same article) covers it
    too. Reversing A must not bring back what B still asks to keep down."""
    removal_request, hidden, withheld, _ = completed
    second_request = RemovalRequestFactory(
        status=Status.COMPLETED,
        scope="items",
        origin=removal_request.origin,
        completed_at=timezone.now(),
    )
    RemovalTargetFactory(request=second_request, item=hidden)

    reversal.request_restore(
        removal_request=removal_request, actor=Actor.staff(officer), reason="Counter-notice."
    )

    hidden.refresh_from_db()
    assert hidden.status == "hidden" and hidden.status_case == second_request.reference
    assert Item.objects.get(pk=withheld.pk).status == "published"  # A's alone
    handed = AuditEvent.objects.get(action="item.reattributed", object_id=hidden.pk)
    assert handed.case == second_request.reference
    assert handed.before == {"request": removal_request.reference}
    assert second_request.reference in handed.reason


def test_legal_action_cancels_the_restoration(completed, officer):
    removal_request = completed[0]
    with time_machine.travel(MONDAY, tick=False):
        notice = record(removal_request, officer)
        reversal.counter_notice_cancel(
            counter_notice=notice, user=officer, note="Claim filed, Quarrow County Court, QC-17"
        )
    with pytest.raises(TransitionError):
        reversal.counter_notice_cancel(counter_notice=notice, user=officer, note="again")
    with pytest.raises(ValueError):
        reversal.counter_notice_cancel(counter_notice=notice, user=officer, note=" ")
    with time_machine.travel(MONDAY + timedelta(days=30), tick=False):
        assert reversal.counter_notices_restore_due(now=timezone.now()) == []
    removal_request.refresh_from_db()
    assert removal_request.status == Status.COMPLETED
    assert Item.objects.get(pk=completed[1].pk).status == "hidden"
    notice.refresh_from_db()
    assert notice.legal_action_filed_at and notice.cancelled_at
    assert notice.legal_action_note == "Claim filed, Quarrow County Court, QC-17"
    event = AuditEvent.objects.get(action="counter_notice.cancelled")
    assert "QC-17" in event.reason and event.actor_user == officer


def test_staff_restore_at_once_with_a_reason(completed, officer):
    removal_request, hidden, *_ = completed
    record(removal_request, officer)
    reversal.request_restore(
        removal_request=removal_request,
        actor=Actor.staff(officer),
        reason="The requester withdrew their claim.",
    )
    removal_request.refresh_from_db()
    assert removal_request.status == Status.REVERSED
    assert Item.objects.get(pk=hidden.pk).status == "published"
    assert CounterNotice.objects.get().restored_at  # the clock stops: nothing left to do
    event = removal_request.audit_events.get(action="request.reversed")
    assert (event.actor_user, event.reason) == (officer, "The requester withdrew their claim.")
    with pytest.raises(TransitionError):
        reversal.request_restore(
            removal_request=removal_request, actor=Actor.staff(officer), reason="twice"
        )
    with pytest.raises(ValueError):
        reversal.request_restore(
            removal_request=RemovalRequestFactory(status=Status.COMPLETED),
            actor=Actor.staff(officer),
            reason="",
        )
    assert Message.objects.filter(kind="reversal").count() == 1


def test_reversing_a_request_keeps_down_what_another_request_s_rule_still_covers(officer):
    """Request one took the article down; request two, later, blocked its text at the
    origin. Reversing request one must not publish what request two's rule covers: it stays
    down, handed over to that rule and its request."""
    origin = OriginFactory(domain="harbour-gazette.example")
    first = RemovalRequestFactory(status=RemovalRequest.Status.COMPLETED, origin=origin)
    item = ItemFactory(origin=origin, status=Item.Status.HIDDEN, status_request=first)
    second = RemovalRequestFactory(status=RemovalRequest.Status.COMPLETED)
    rule = block_rule_create(
        kind="url",
        url=f"https://{origin.domain}/elsewhere/the-same-text",
        origin=origin,
        text_fingerprint=item.text_fingerprint,
        actor=Actor.system("process_takedown"),
        case=second.reference,
    )
    reversal.request_restore(
        removal_request=first, actor=Actor.staff(officer), reason="Counter-notice upheld."
    )
    item.refresh_from_db()
    assert item.status == Item.Status.HIDDEN
    assert (item.status_case, item.status_rule) == (second.reference, rule)
    handed = AuditEvent.objects.for_object(item).get(action="item.reattributed")
    assert handed.case == second.reference and str(rule) in handed.reason
