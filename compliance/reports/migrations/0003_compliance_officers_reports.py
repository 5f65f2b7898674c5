"""Compliance officers also run what came after their group was made: reports and their
recipients and schedules, feeds and licence bases, counter-notices."""

from django.db import migrations

GROUP = "Compliance officers"
PERMISSIONS = {
    "reports": [
        "view_compliancereport",
        "view_reportrecipient",
        "add_reportrecipient",
        "change_reportrecipient",
        "delete_reportrecipient",
    ],
    "django_celery_beat": [
        "view_periodictask",
        "add_periodictask",
        "change_periodictask",
        "view_crontabschedule",
        "add_crontabschedule",
        "change_crontabschedule",
    ],
    "items": [
        "add_feed",
        "change_feed",
        "delete_feed",
        "add_origin",
        "add_licencebasis",
        "change_licencebasis",
    ],
    "takedowns": ["view_counternotice"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codenames in PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:
        return
    for app_label, codenames in PERMISSIONS.items():
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_weekly_report_schedule"),
        ("takedowns", "0007_counter_notice_forward_message"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
