"""Compliance reports delivered: stored once per period, mailed with the CSV attached to
each recipient once, on beat's schedule, and managed in the admin."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django_celery_beat.models import PeriodicTask

from compliance.messaging.models import Message
from compliance.messaging.services import message_send
from compliance.reports import selectors, services
from compliance.reports.models import ComplianceReport, ReportRecipient
from tests.factories import (
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)
from tests.reporttools import BERLIN, WEEK, berlin, item
from tests.workers import wait_until

# --- storing, mailing, sending once -----------------------------------------------------------


@pytest.fixture
def recipients(db):
    ReportRecipient.objects.create(name="Editor", email="editor@paper.example")
    ReportRecipient.objects.create(name="Counsel", email="counsel@paper.example", monthly=False)
    ReportRecipient.objects.create(name="Former", email="former@paper.example", active=False)
    ReportRecipient.objects.create(
        name="Night desk", email="night@paper.example", daily=True, weekly=False
    )


def test_the_report_is_stored_and_mailed_with_the_csv_attached(week_data, recipients):
    report, sent = services.report_run(period=WEEK)
    assert sent == ["counsel@paper.example", "editor@paper.example"]
    report.refresh_from_db()
    assert (report.kind, report.start, report.end) == ("weekly", WEEK.start, WEEK.end)
    assert report.time_zone == "Europe/Berlin"
    assert report.figures["requests"]["received"] == 7
    assert report.recipients == ["counsel@paper.example", "editor@paper.example"]
    assert report.delivered_at is not None and report.message is not None

    assert message_send(message_id=report.message_id) is True
    (sent_mail,) = mail.outbox
    assert sorted(sent_mail.to) == ["counsel@paper.example", "editor@paper.example"]
    assert sent_mail.subject == (
        "[courtesy] Weekly compliance report, 2026-03-23 to 2026-03-29 (Europe/Berlin)"
    )
    html, mimetype = sent_mail.alternatives[0]
    assert mimetype == "text/html" and html.strip() == report.html.strip()
    assert html.count("<svg") == 2
    assert "Requests received: 7" in sent_mail.body
    ((filename, content, content_type),) = sent_mail.attachments
    assert filename == "compliance-report-weekly-20260323-20260329.csv"
    assert content_type == "text/csv"
    assert content == report.csv and content.startswith("reference,status,")


def test_the_same_period_run_twice_sends_once(week_data, recipients):
    first, sent_first = services.report_run(period=WEEK)
    second, sent_second = services.report_run(period=WEEK)
    assert (sent_first, sent_second) == (["counsel@paper.example", "editor@paper.example"], [])
    assert first.pk == second.pk
    assert ComplianceReport.objects.count() == 1
    assert Message.objects.filter(kind="compliance_report").count() == 1
    # The delivered report stays exactly what was sent, even if the data changes.
    RemovalRequestFactory(received_at=berlin(24, 12))
    third, _ = services.report_run(period=WEEK)
    assert third.figures["requests"]["received"] == 7
    assert Message.objects.filter(kind="compliance_report").count() == 1


def test_a_report_nobody_receives_is_kept_and_sent_once_someone_does(week_data):
    report, sent = services.report_run(period=WEEK)
    assert sent == [] and report.delivered_at is None
    ReportRecipient.objects.create(name="Editor", email="editor@paper.example")
    RemovalRequestFactory(received_at=berlin(24, 12))  # undelivered: computed afresh
    again, sent = services.report_run(period=WEEK)
    assert sent == ["editor@paper.example"] and again.pk == report.pk
    assert again.figures["requests"]["received"] == 8


def test_recipients_given_to_the_schedule_replace_the_list(week_data, recipients):
    report, sent = services.report_run(period=WEEK, recipients=["auditor@firm.example"])
    assert sent and report.recipients == ["auditor@firm.example"]


def test_a_second_schedule_s_own_recipients_get_the_report_as_first_sent(week_data, recipients):
    """A second weekly schedule for the board: the period already went to the list, yet
    the board gets it too, unchanged, and nobody receives it twice."""
    first, _ = services.report_run(period=WEEK)
    RemovalRequestFactory(received_at=berlin(24, 12))  # after delivery: not in the report
    board = ["board@paper.example", "EDITOR@paper.example"]
    again, sent = services.report_run(period=WEEK, recipients=board)
    assert sent == ["board@paper.example"]  # the editor had it already
    assert again.html == first.html and again.figures["requests"]["received"] == 7
    assert again.recipients == [
        "counsel@paper.example",
        "editor@paper.example",
        "board@paper.example",
    ]
    assert again.message_id == first.message_id  # the first delivery's mail
    mails = Message.objects.filter(kind="compliance_report").order_by("pk")
    assert [m.recipients for m in mails] == [
        ["counsel@paper.example", "editor@paper.example"],
        ["board@paper.example"],
    ]
    assert services.report_run(period=WEEK, recipients=board)[1] == []
    assert services.report_run(period=WEEK)[1] == []
    assert mails.count() == 2


def test_a_recipient_added_later_gets_the_period_on_the_next_run(week_data, recipients):
    services.report_run(period=WEEK)
    ReportRecipient.objects.create(name="Auditor", email="auditor@firm.example")
    _, sent = services.report_run(period=WEEK)
    assert sent == ["auditor@firm.example"]
    assert Message.objects.filter(kind="compliance_report").count() == 2


def test_a_report_is_never_marked_sent_to_something_that_is_not_an_address(week_data):
    report = services.report_generate(period=WEEK)
    with pytest.raises(ValueError, match="not an e-mail address"):
        services.report_send(report_id=report.pk, recipients=["editor@paper.example", "e"])
    report.refresh_from_db()
    assert report.delivered_at is None and report.recipients == []
    assert not Message.objects.exists()


def test_the_schedule_s_recipients_may_be_one_address_written_as_text(db):
    # Typed into the periodic task's kwargs as {"recipients": "auditor@firm.example"}: one
    # address, not the list of its characters.
    from compliance.reports.tasks import send_compliance_report

    with time_machine.travel(datetime(2026, 3, 30, 7, tzinfo=UTC), tick=False):
        send_compliance_report("weekly", "auditor@firm.example")
    report = ComplianceReport.objects.get()
    assert report.recipients == ["auditor@firm.example"]
    assert Message.objects.get(kind="compliance_report").recipients == ["auditor@firm.example"]


def test_an_alert_in_the_subject_when_an_invariant_is_broken(db, recipients):
    done = RemovalRequestFactory(status="completed", completed_at=berlin(24, 9))
    RemovalTargetFactory(request=done, item=item(OriginFactory(), republished=berlin(20, 9)))
    report, _ = services.report_run(period=WEEK)
    message = Message.objects.get(pk=report.message_id)
    assert message.subject.startswith("[ALERT: 1 invariant breach] Weekly compliance report")
    assert "ALERT: 1 broken promise" in message.text_body


# --- the schedule -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_weekly_schedule_exists_by_default_and_names_a_real_task():
    task = PeriodicTask.objects.get(name="Weekly compliance report")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "7", "1")
    assert json.loads(task.kwargs) == {"period": "weekly"}
    from compliance.celery import app

    app.loader.import_default_modules()
    assert task.task in app.tasks


@pytest.mark.django_db
def test_a_report_missed_while_beat_was_down_goes_out_when_it_returns(settings):
    """Beat was down on Monday at 07:00 and is back at 11:00: the schedule is due at once
    (django-celery-beat compares with the last run it recorded), and the run sends the
    week that has just ended."""
    from django_celery_beat.schedulers import ModelEntry

    from compliance.celery import app
    from compliance.reports.tasks import send_compliance_report

    settings.REPORT_TIME_ZONE = "Europe/Berlin"
    ReportRecipient.objects.create(name="Editor", email="editor@paper.example")
    task = PeriodicTask.objects.get(name="Weekly compliance report")
    task.crontab.timezone = "Europe/Berlin"  # as the migration makes it in such a deployment
    task.crontab.save()
    task.last_run_at = datetime(2026, 3, 23, 7, tzinfo=BERLIN)  # the previous Monday
    task.save()
    with time_machine.travel(datetime(2026, 3, 30, 10, 59, tzinfo=BERLIN), tick=False):
        assert ModelEntry(task, app=app).is_due().is_due
        send_compliance_report(**json.loads(task.kwargs))
    report = ComplianceReport.objects.get()
    assert (report.first_day, report.last_day) == (date(2026, 3, 23), date(2026, 3, 29))
    assert report.delivered_at is not None
    # Had it run on time, it would not be due again until next Monday.
    task.last_run_at = datetime(2026, 3, 30, 7, tzinfo=BERLIN)
    with time_machine.travel(datetime(2026, 3, 30, 11, tzinfo=BERLIN), tick=False):
        assert not ModelEntry(task, app=app).is_due().is_due


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_scheduled_task_mails_yesterday_s_report_through_a_real_worker(
    celery_worker, worker_mail, settings
):
    from compliance.reports.tasks import send_compliance_report

    ReportRecipient.objects.create(name="Editor", email="editor@paper.example", daily=True)
    RemovalRequestFactory(received_at=datetime.now(UTC) - timedelta(days=1))
    send_compliance_report.delay("daily")
    sent = wait_until(worker_mail, timeout=60, message="the worker mailed no report")
    assert sent[0]["To"] == "editor@paper.example"
    assert "Daily compliance report" in sent[0]["Subject"]
    attachments = [part.get_filename() for part in sent[0].iter_attachments()]
    assert any(name and name.endswith(".csv") for name in attachments)
    assert ComplianceReport.objects.get().delivered_at is not None


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_lists_reports_with_view_and_download_and_sends_on_request(
    week_data, recipients, client
):
    report = services.report_generate(period=WEEK)
    client.force_login(UserFactory(username="chief", is_superuser=True))
    page = client.get("/admin/reports/compliancereport/").content.decode()
    assert "Weekly report 2026-03-23 to 2026-03-29" in page
    for link in (
        f"/reports/{report.pk}/",
        f"/reports/{report.pk}/csv/",
        f"/reports/{report.pk}/json/",
    ):
        assert f'href="{link}"' in page
    view = client.get(f"/reports/{report.pk}/")
    assert view.status_code == 200 and view.content.decode() == report.html
    assert "default-src 'none'" in view["Content-Security-Policy"]
    download = client.get(f"/reports/{report.pk}/csv/")
    assert download["Content-Type"].startswith("text/csv")
    assert download.content.decode() == report.csv
    assert (
        json.loads(client.get(f"/reports/{report.pk}/json/").content)["requests"]["received"] == 7
    )
    assert client.get(f"/admin/reports/compliancereport/{report.pk}/change/").status_code == 200
    for _ in range(2):
        client.post(
            "/admin/reports/compliancereport/", {"action": "send", "_selected_action": [report.pk]}
        )
    assert Message.objects.filter(kind="compliance_report").count() == 1


def test_recipients_are_managed_in_the_admin_and_reports_are_for_staff_only(db, client):
    assert client.get("/reports/1/").status_code == 302  # to the login page
    client.force_login(UserFactory(username="chief", is_superuser=True))
    response = client.post(
        "/admin/reports/reportrecipient/add/",
        {
            "name": "Legal counsel",
            "email": "counsel@paper.example",
            "active": "on",
            "weekly": "on",
            "monthly": "on",
        },
    )
    assert response.status_code == 302
    assert selectors.report_recipient_emails(kind="weekly") == ["counsel@paper.example"]
    assert selectors.report_recipient_emails(kind="daily") == []
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200


def test_plain_staff_read_stored_reports_but_nobody_changes_or_deletes_them(
    week_data, recipients, client
):
    report = services.report_generate(period=WEEK)
    client.force_login(UserFactory(username="clerk"))  # staff, no model permissions
    assert (
        "Weekly report 2026-03-23"
        in client.get("/admin/reports/compliancereport/").content.decode()
    )
    change = f"/admin/reports/compliancereport/{report.pk}/change/"
    assert client.get(change).status_code == 200
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert client.get(f"/admin/reports/compliancereport/{report.pk}/delete/").status_code == 403
    assert client.post(change, {"kind": "daily"}).status_code == 403
    report.refresh_from_db()
    assert report.kind == "weekly"


def test_compliance_officers_manage_recipients_and_schedules_plain_staff_only_read(db, client):
    client.force_login(UserFactory(username="olive", officer=True))
    added = client.post(
        "/admin/reports/reportrecipient/add/",
        {"name": "Editor", "email": "editor@paper.example", "active": "on", "weekly": "on"},
    )
    assert added.status_code == 302
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
    client.force_login(UserFactory(username="clerk"))
    refused = client.post(
        "/admin/reports/reportrecipient/add/",
        {"name": "Intruder", "email": "x@paper.example", "active": "on", "weekly": "on"},
    )
    assert refused.status_code == 403
    assert selectors.report_recipient_emails(kind="weekly") == ["editor@paper.example"]
