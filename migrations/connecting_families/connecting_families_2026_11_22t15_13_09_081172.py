"""The audit log is append-only, enforced by the database; login attempts are quick to count.

Triggers refuse UPDATE and DELETE on `audit_event` (and TRUNCATE on PostgreSQL) for every
database role, the application's own included. Dropping the table, as rolling this migration
and the first one back does, is still possible for whoever owns the schema.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T15:13:09:081172"
VERSION = "1.38.0"
DESCRIPTION = "append-only audit log"

MESSAGE = "the audit log is append-only"

SQLITE_FORWARDS = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]
POSTGRES_FORWARDS = [
    f"""CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()""",
]
POSTGRES_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_refuse_change()",
]
INDEXES_FORWARDS = [
    'CREATE INDEX "ix_login_attempt_username" ON "login_attempt" ("username", "attempted_at")',
    'CREATE INDEX "ix_login_attempt_address" ON "login_attempt" ("address", "attempted_at")',
    'CREATE INDEX "ix_auth_token_user" ON "auth_token" ("user", "kind")',
]
INDEXES_BACKWARDS = [
    'DROP INDEX IF EXISTS "ix_login_attempt_username"',
    'DROP INDEX IF EXISTS "ix_login_attempt_address"',
    'DROP INDEX IF EXISTS "ix_auth_token_user"',
]


async def _run_all(statements):
    engine = engine_finder()
    for statement in statements:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    async def apply():
        engine = engine_finder()
        triggers = SQLITE_FORWARDS if engine.engine_type == "sqlite" else POSTGRES_FORWARDS
        await _run_all(triggers + INDEXES_FORWARDS)

    async def reverse():
        engine = engine_finder()
        triggers = SQLITE_BACKWARDS if engine.engine_type == "sqlite" else POSTGRES_BACKWARDS
        await _run_all(triggers + INDEXES_BACKWARDS)

    manager.add_raw(apply)
    manager.add_raw_backwards(reverse)
    return manager
