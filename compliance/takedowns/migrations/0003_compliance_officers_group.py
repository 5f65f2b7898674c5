"""The "Compliance officers" group: the staff who may decide removal requests.

Permissions are normally created after `migrate` finishes; they are created here first so
that the group gets them on a fresh database too.
"""

from django.db import migrations

GROUP = "Compliance officers"
PERMISSIONS = {
    "takedowns": [
        "view_removalrequest",
        "change_removalrequest",
        "decide_removalrequest",
        "view_removaltarget",
        "view_blockrule",
        "view_reasontemplate",
        "add_reasontemplate",
        "change_reasontemplate",
        "delete_reasontemplate",
    ],
    "items": [
        "view_item",
        "change_item",
        "view_origin",
        "change_origin",
        "view_feed",
        "view_licencebasis",
    ],
    "audit": ["view_auditevent"],
    "messaging": ["view_message"],
}


def create_group(apps, schema_editor):
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


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("takedowns", "0002_decide_permission_reason_templates"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("items", "0002_initial"),
        ("audit", "0003_append_only_trigger"),
        ("messaging", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_group, delete_group)]
