"""The audit table is append-only at the database: on PostgreSQL a trigger refuses every UPDATE and
DELETE of a row, whoever sends it (the ORM, raw SQL, psql). TRUNCATE (a test database being reset,
a restore into an empty database) is not a row change and is not refused."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused on portal_auditentry', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
CREATE TRIGGER portal_auditentry_append_only
    BEFORE UPDATE OR DELETE ON portal_auditentry
    FOR EACH ROW EXECUTE FUNCTION portal_auditentry_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
DROP FUNCTION IF EXISTS portal_auditentry_refuse_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0004_expert_role"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
