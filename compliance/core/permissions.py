"""Who may decide: the "Compliance officers" group (and superusers).

Deciding is approving or rejecting a removal request, hiding and restoring items, blocking
and unblocking, and acting on counter-notices and public explanations. The permission is
declared on RemovalRequest (takedowns) for historical reasons; every app checks it through
`user_may_decide`, and every deciding service checks it itself (Actor.check_may_decide).

Migrations create the group on every database (takedowns 0003, reports 0003, items 0004,
destinations 0002: keep OFFICER_PERMISSIONS equal to what they grant); `officers_group()`
recreates it where a database was emptied since (a flushed test database, for instance).
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
        "view_counternotice",
        "view_reasontemplate",
        "add_reasontemplate",
        "change_reasontemplate",
        "delete_reasontemplate",
        # takedowns 0010: the trusted flaggers' list, sender warnings and suspensions.
        "view_trustedflagger",
        "add_trustedflagger",
        "change_trustedflagger",
        "view_sendermeasure",
    ],
    "items": [
        "view_item",
        "change_item",
        "view_origin",
        "add_origin",
        "change_origin",
        "view_feed",
        "add_feed",
        "change_feed",
        "delete_feed",
        "view_licencebasis",
        "add_licencebasis",
        "change_licencebasis",
        "view_blockrule",
    ],
    "audit": ["view_auditevent"],
    # Added by compliance/wordpress/migrations/0002.
    "wordpress": [
        "view_wordpresssite",
        "add_wordpresssite",
        "change_wordpresssite",
        "view_wordpresspost",
    ],
    "messaging": ["view_message"],
    # Added by compliance/reports/migrations/0003 (with view_counternotice above).
    "reports": [
        "view_compliancereport",
        "view_reportrecipient",
        "add_reportrecipient",
        "change_reportrecipient",
        "delete_reportrecipient",
    ],
    # Added by compliance/destinations/migrations/0002.
    "destinations": [
        "view_destination",
        "add_destination",
        "change_destination",
        "view_delivery",
    ],
    "django_celery_beat": [
        "view_periodictask",
        "add_periodictask",
        "change_periodictask",
        "view_crontabschedule",
        "add_crontabschedule",
        "change_crontabschedule",
    ],
}


def user_may_decide(user) -> bool:
    """Only compliance officers (and superusers) decide."""
    return bool(user and user.is_active and user.has_perm(DECIDE_PERMISSION))


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
