"""An audit event names its removal request by reference (its "case"), not by a foreign
key: the audit trail sits below every app that writes to it. Existing events get the
reference of the request they pointed at; on PostgreSQL the append-only trigger is held
off for that one statement."""

from django.db import migrations, models

FILL = """
UPDATE audit_auditevent SET "case" = (
    SELECT r.reference FROM takedowns_removalrequest r WHERE r.id = audit_auditevent.request_id
) WHERE request_id IS NOT NULL
"""


def fill_cases(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only"
        )
    schema_editor.execute(FILL)
    if postgres:
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_action_at_index"),
        ("takedowns", "0007_counter_notice_forward_message"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="case",
            field=models.CharField(blank=True, default="", max_length=20),
            preserve_default=False,
        ),
        migrations.RunPython(fill_cases, migrations.RunPython.noop),
    ]
