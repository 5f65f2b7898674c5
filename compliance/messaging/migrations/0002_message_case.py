"""A message names its removal request by reference (its "case"), not by a foreign key:
messaging sits below takedowns in the apps' layering."""

from django.db import migrations, models

FILL = """
UPDATE messaging_message SET "case" = (
    SELECT r.reference FROM takedowns_removalrequest r WHERE r.id = messaging_message.request_id
) WHERE request_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("takedowns", "0007_counter_notice_forward_message"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="case",
            field=models.CharField(blank=True, db_index=True, default="", max_length=20),
            preserve_default=False,
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
