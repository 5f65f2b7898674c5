"""Compliance officers keep the trusted flaggers' list and see (and lift) sender measures."""

from django.db import migrations

GROUP = "Compliance officers"
CODENAMES = [
    "view_trustedflagger",
    "add_trustedflagger",
    "change_trustedflagger",
    "view_sendermeasure",
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="takedowns", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="takedowns", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [("takedowns", "0011_abuse_trusted_flaggers")]

    operations = [migrations.RunPython(grant, revoke)]
