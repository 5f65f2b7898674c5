"""The staff's admin index: a dashboard whose every count is a link to the queue showing
exactly that many requests; the domain's apps first, the scheduler under "Advanced"."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.destinations.models import Delivery, Destination
from compliance.takedowns.models import SenderMeasure
from compliance.takedowns.processing import SELF_CHECK_FAILED
from tests.factories import RemovalRequestFactory, UserFactory

pytestmark = pytest.mark.django_db
FIGURE = re.compile(r'<a class="count" data-figure="([^"]+)" href="([^"]+)">(\d+)</a>')


def make_queue(officer, now):
    hours = lambda h: now + timedelta(hours=h)  # noqa: E731
    RemovalRequestFactory(status="received", due_at=hours(-3))  # overdue
    RemovalRequestFactory(status="received", due_at=hours(5), assignee=officer)  # due soon
    RemovalRequestFactory(status="verified", due_at=hours(30))
    RemovalRequestFactory(status="verified", due_at=hours(-1), assignee=officer)  # overdue
    RemovalRequestFactory(status="approved", due_at=hours(20))  # due soon
    RemovalRequestFactory(
        status="processing",
        due_at=hours(40),
        attention_needed=f"{SELF_CHECK_FAILED} (1 problem(s)): /items/x/ answered 200.",
    )
    RemovalRequestFactory(status="completed", due_at=hours(-50), attention_needed="A reply")
    RemovalRequestFactory(status="rejected", due_at=hours(-50))
    SenderMeasure.objects.create(sender="x@spam.example", kind="suspension", ends_at=hours(48))
    SenderMeasure.objects.create(
        sender="y@spam.example", kind="warning", ends_at=hours(48), lifted_at=now
    )
    SenderMeasure.objects.create(sender="z@spam.example", kind="warning", ends_at=hours(-1))


def make_deliveries():
    """Two requests with failed deliveries (one at two destinations, one closed), one whose
    failure staff retried, one acknowledged; and a failed notification of no request."""
    cache, _ = Destination.objects.get_or_create(
        name="Cache", kind="varnish-xkey", url="http://c.example/"
    )
    hook, _ = Destination.objects.get_or_create(
        name="Hook", kind="webhook", url="http://h.example/"
    )

    def delivery(removal_request, destination, state, event="takedown"):
        case = removal_request.reference if removal_request else ""
        Delivery.objects.create(
            destination=destination,
            event=event,
            case=case,
            state=state,
            change=f"{event}-{Delivery.objects.count()}",
        )

    twice = RemovalRequestFactory(status="processing")
    delivery(twice, cache, "failed")
    delivery(twice, hook, "failed", event="request.status")
    closed = RemovalRequestFactory(status="completed")
    delivery(closed, cache, "failed")
    delivery(closed, hook, "acknowledged", event="request.status")
    delivery(RemovalRequestFactory(status="completed"), cache, "pending")  # retried by staff
    delivery(RemovalRequestFactory(status="completed"), cache, "acknowledged")
    delivery(None, hook, "failed", event="item.status")
    return {twice.reference, closed.reference}


def test_every_count_is_a_link_to_a_list_of_that_many(client):
    officer = UserFactory(officer=True)
    make_queue(officer, timezone.now())
    make_deliveries()
    client.force_login(officer)
    page = client.get(reverse("admin:index")).content.decode()
    figures = {
        label: (href.replace("&amp;", "&"), int(n)) for label, href, n in FIGURE.findall(page)
    }
    expected = {
        "Queue": 8,  # the open ones and the flagged completed one
        "Received": 2,
        "Verified": 2,
        "Approved": 1,
        "Processing": 2,
        "Overdue": 2,
        "Due within 24 hours": 2,
        "Flagged for attention": 2,
        "Assigned to me": 2,
        "Unassigned": 6,  # the flagged completed one too: it needs a person
        "Failed self-checks": 1,
        "Requests with failed deliveries": 2,
        "Failed deliveries": 4,
        "Sender measures": 1,
    }
    assert {label: n for label, (_, n) in figures.items()} == expected
    for label, (href, count) in figures.items():
        listed = client.get(href)
        assert listed.status_code == 200, label
        assert listed.context["cl"].result_count == count, label
    assert "Failed self-checks" in page and "Recent activity" in page


def test_requests_with_failed_deliveries_link_to_exactly_those(client):
    officer = UserFactory(officer=True)
    failed = make_deliveries()
    client.force_login(officer)
    page = client.get(reverse("admin:index")).content.decode()
    figures = {label: (h, int(n)) for label, h, n in FIGURE.findall(page)}
    href, count = figures["Requests with failed deliveries"]
    assert count == 2
    listed = client.get(href.replace("&amp;", "&")).context["cl"]
    assert {r.reference for r in listed.queryset} == failed
    Delivery.objects.filter(case__in=failed, state="failed").update(state="pending")  # retried
    page = client.get(reverse("admin:index")).content.decode()
    assert {label: n for label, _, n in FIGURE.findall(page)}[
        "Requests with failed deliveries"
    ] == "0"


def test_recent_activity_in_words_and_branding(client):
    officer = UserFactory(officer=True)
    removal_request = RemovalRequestFactory()
    audit_record(
        actor=Actor.staff(officer),
        action="request.assigned",
        obj=removal_request,
        case=removal_request.reference,
    )
    client.force_login(officer)
    page = client.get(reverse("admin:index")).content.decode()
    assert "<title>Dashboard | courtesy staff</title>" in page
    assert "Django administration" not in page
    recent = page[page.index("Recent activity") :]
    assert "Assigned" in recent and removal_request.reference in recent


def test_domain_apps_come_first_and_the_scheduler_under_advanced(client):
    client.force_login(UserFactory(is_superuser=True))
    page = client.get(reverse("admin:index")).content.decode()
    advanced = page.index('id="advanced"')
    assert page.index("Removal requests") < page.index("Items") < advanced
    assert page.index("Solar events") > advanced and page.index("Crontabs") > advanced


def test_the_dashboard_runs_a_fixed_number_of_queries(client):
    officer = UserFactory(officer=True)
    client.force_login(officer)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("admin:index"))
        return len(captured)

    make_queue(officer, timezone.now())
    make_deliveries()
    few = queries()
    for _ in range(3):
        make_queue(officer, timezone.now())
        make_deliveries()
    assert queries() == few
