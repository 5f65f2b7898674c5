"""BlockRule now lives in items (see items 0003). State only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("takedowns", "0007_counter_notice_forward_message"),
        ("items", "0003_blockrule_moves_to_items"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="BlockRule")]
        )
    ]
