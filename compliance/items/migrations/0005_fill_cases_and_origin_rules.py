"""Fills what 0004 added: each rule's and item's case (the reference of the request they
pointed at), each item's article host, an origin rule for every blocked origin, and the
block rule's content type under items."""

from urllib.parse import urlsplit

from django.db import migrations

RULE_CASES = """
UPDATE items_blockrule SET "case" = (
    SELECT r.reference FROM takedowns_removalrequest r WHERE r.id = items_blockrule.request_id
) WHERE request_id IS NOT NULL
"""
ITEM_CASES = """
UPDATE items_item SET status_case = (
    SELECT r.reference FROM takedowns_removalrequest r WHERE r.id = items_item.status_request_id
) WHERE status_request_id IS NOT NULL
"""


def _domain(host: str) -> str:
    host = (host or "").strip().rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def fill_article_hosts(apps, schema_editor):
    Item = apps.get_model("items", "Item")
    batch = []
    items = Item.objects.select_related("origin").only("id", "original_url", "origin__domain")
    for item in items.iterator(chunk_size=2000):
        try:
            host = _domain(urlsplit(item.original_url).hostname or "")
        except ValueError:
            continue
        if host and host != _domain(item.origin.domain):
            item.article_host = host[:253]
            batch.append(item)
        if len(batch) >= 1000:
            Item.objects.bulk_update(batch, ["article_host"])
            batch = []
    Item.objects.bulk_update(batch, ["article_host"])


def origin_blocks_to_rules(apps, schema_editor):
    Origin = apps.get_model("items", "Origin")
    BlockRule = apps.get_model("items", "BlockRule")
    for origin in Origin.objects.filter(blocked_at__isnull=False).select_related(
        "blocked_by_request"
    ):
        case = origin.blocked_by_request.reference if origin.blocked_by_request_id else ""
        rules = BlockRule.objects.filter(kind="origin", domain=origin.domain, case=case)
        if case and rules.exists():
            rules.update(is_active=True, deactivated_at=None)
        elif not rules.filter(is_active=True).exists():
            BlockRule.objects.create(
                kind="origin",
                origin=origin,
                domain=origin.domain,
                case=case,
                created_at=origin.blocked_at,
            )


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old = ContentType.objects.filter(app_label="takedowns", model="blockrule").first()
    if old is None:
        return
    new = ContentType.objects.filter(app_label="items", model="blockrule").first()
    if new is not None:  # made by a post_migrate between 0003 and here: nothing uses it yet
        Permission.objects.filter(content_type=new).delete()
        new.delete()
    old.app_label = "items"
    old.save(update_fields=["app_label"])


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("items", "0004_blockrule_case_article_host"),
    ]

    operations = [
        migrations.RunSQL(RULE_CASES, migrations.RunSQL.noop),
        migrations.RunSQL(ITEM_CASES, migrations.RunSQL.noop),
        migrations.RunPython(fill_article_hosts, migrations.RunPython.noop),
        migrations.RunPython(origin_blocks_to_rules, migrations.RunPython.noop),
        migrations.RunPython(move_content_type, migrations.RunPython.noop),
    ]
