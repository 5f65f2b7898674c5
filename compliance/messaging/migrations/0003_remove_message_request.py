"""The foreign key to takedowns goes (0002 copied each reference into `case`); its own
migration, because PostgreSQL cannot alter a table whose rows were just updated in the
same transaction."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_message_case")]

    operations = [migrations.RemoveField(model_name="message", name="request")]
