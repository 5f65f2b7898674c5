"""Who may decide removal requests: the "Compliance officers" group (and superusers).

Migration 0003 creates the group on every database; `officers_group()` recreates it where
a database was emptied since (a flushed test database, for instance).
"""

from django.contrib.auth.models import Group, Permission

OFFICERS_GROUP = "Compliance officers"
DECIDE_PERMISSION = "takedowns.decide_removalrequest"
OFFICER_PERMISSIONS = {
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


def officers_group() -> Group:
    group, created = Group.objects.get_or_create(name=OFFICERS_GROUP)
    if created:
        for app_label, codenames in OFFICER_PERMISSIONS.items():
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
    return group
