"""The foreign key to takedowns goes (0005 copied each reference into `case`), in a
migration of its own: PostgreSQL cannot alter a table whose rows were just updated in the
same transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_auditevent_case")]

    operations = [
        migrations.RemoveField(model_name="auditevent", name="request"),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["case", "at"], name="audit_audit_case_627864_idx"),
        ),
    ]
