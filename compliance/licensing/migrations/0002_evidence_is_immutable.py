"""On PostgreSQL, the database itself refuses to change or delete licence evidence (the
models refuse it too, everywhere)."""

from django.db import migrations

TABLES = ("licensing_licencecheck", "licensing_licencesnapshot")
CREATE = """
CREATE OR REPLACE FUNCTION licence_evidence_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'licence evidence is never changed or deleted';
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_immutable
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION licence_evidence_immutable();
"""
    for table in TABLES
)
DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS licence_evidence_immutable();"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
