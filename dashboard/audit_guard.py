"""The database's own refusal to change or delete an audit event, whatever the Python path: triggers on UPDATE and
DELETE, per database vendor. Created by migration 0008; the tests' SQLite flush drops and re-creates them.

On SQLite a migration that alters the audit table rebuilds it and loses its triggers: such a migration must run
`create` again (the tampering tests fail until it does).
"""

TABLE = "dashboard_auditevent"
MESSAGE = "audit events are append-only"

CREATE = {
    "postgresql": [
        f"""CREATE FUNCTION dashboard_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_OP || ' refused', ERRCODE = 'restrict_violation';
        END;
        $$""",
        f"""CREATE TRIGGER dashboard_auditevent_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION dashboard_audit_append_only()""",
    ],
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS dashboard_auditevent_no_{op.lower()} BEFORE {op} ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} refused'); END"""
        for op in ("UPDATE", "DELETE")
    ],
}
DROP = {
    "postgresql": [
        f"DROP TRIGGER IF EXISTS dashboard_auditevent_append_only ON {TABLE}",
        "DROP FUNCTION IF EXISTS dashboard_audit_append_only()",
    ],
    "sqlite": [f"DROP TRIGGER IF EXISTS dashboard_auditevent_no_{op}" for op in ("update", "delete")],
}


def create(schema_editor):
    for sql in CREATE[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


def drop(schema_editor):
    for sql in DROP[schema_editor.connection.vendor]:
        schema_editor.execute(sql)
