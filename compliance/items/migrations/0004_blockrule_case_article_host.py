"""The stay-down matcher's data, in items:

- BlockRule's table becomes items_blockrule; a rule names its removal request by reference
  (its "case") instead of a foreign key, and keeps the article's guid.
- An item records the case behind its status (not a foreign key to takedowns), and the host
  of its original when that is another site than its origin's.
- An origin block becomes what it always meant: an active origin rule (Origin.blocked_at
  and blocked_by_request go).
- The block rule's content type moves with it, so its audit events and permissions (the
  officers' view_blockrule) stay attached.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0003_blockrule_moves_to_items"),
        ("takedowns", "0008_blockrule_moves_to_items"),
    ]

    # Schema, then data (0005), then the old columns go (0006): on PostgreSQL a table whose
    # rows were just updated cannot be altered in the same transaction.
    operations = [
        migrations.AlterModelTable(name="blockrule", table=None),
        migrations.RenameIndex(
            model_name="blockrule",
            new_name="items_block_domain_5fe2cf_idx",
            old_name="takedowns_b_domain_6eb054_idx",
        ),
        migrations.AddField(
            model_name="blockrule",
            name="case",
            field=models.CharField(blank=True, db_index=True, default="", max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="blockrule",
            name="guid",
            field=models.CharField(blank=True, db_index=True, default="", max_length=1000),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="item",
            name="status_case",
            field=models.CharField(blank=True, db_index=True, default="", max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="item",
            name="article_host",
            field=models.CharField(blank=True, default="", max_length=253),
            preserve_default=False,
        ),
    ]
