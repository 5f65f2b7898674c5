"""The default schedule: the weekly compliance report, Mondays at 07:00 in the report time
zone, for the week (Monday to Sunday) that has just ended. Staff change or add schedules
(daily, monthly, other recipients) under Periodic tasks in the admin."""

import json

from django.conf import settings
from django.db import migrations
from django.utils import timezone

TASK_NAME = "Weekly compliance report"
TASK = "compliance.reports.tasks.send_compliance_report"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="7",
        day_of_week="1",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.REPORT_TIME_ZONE,
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "kwargs": json.dumps({"period": "weekly"}),
            "description": "Mails the compliance report for the last full week to the active "
            "report recipients. Kwargs: period (daily, weekly or monthly) and, optionally, "
            "recipients (a list of addresses that replaces the recipient list).",
            "enabled": True,
        },
    )
    # Tell a running DatabaseScheduler that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
