"""Chain the audit entries written before the chain existed, and give each its programme.

The entries are chained in id order, from the first, as `audit.chain` chains a new one; the
programme of each is found from the record it is about, as `record()` finds it. The log's
triggers refuse updates, so they are lifted for this migration's own transaction only.
Backwards there is nothing to undo: rolling the previous migration back drops the columns.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from connecting_families.audit.chain import chain_existing

ID = "2026-12-03T07:42:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "chain the audit entries already written"

MESSAGE = "the audit log is append-only"
# The programme of what an entry is about, as `audit.chain.PROGRAMME_OF` finds it.
SQLITE_PROGRAMMES = [
    "UPDATE audit_event SET programme = (SELECT programme FROM family"
    " WHERE family.id = CAST(audit_event.resource_id AS INTEGER))"
    " WHERE resource_type = 'family' AND resource_id GLOB '[0-9]*'",
    "UPDATE audit_event SET programme = (SELECT programme FROM claim"
    " WHERE claim.id = CAST(audit_event.resource_id AS INTEGER))"
    " WHERE resource_type = 'claim' AND resource_id GLOB '[0-9]*'",
    "UPDATE audit_event SET programme = (SELECT programme FROM team"
    " WHERE team.id = CAST(audit_event.resource_id AS INTEGER))"
    " WHERE resource_type = 'team' AND resource_id GLOB '[0-9]*'",
    "UPDATE audit_event SET programme = (SELECT id FROM programme"
    " WHERE programme.code = audit_event.resource_id) WHERE resource_type = 'programme'",
]
POSTGRES_PROGRAMMES = [
    f"UPDATE audit_event a SET programme = r.{column} FROM {table} r"
    f" WHERE a.resource_type = '{table}' AND r.{key}::text = a.resource_id"
    for table, column, key in (
        ("family", "programme", "id"),
        ("claim", "programme", "id"),
        ("team", "programme", "id"),
        ("programme", "id", "code"),
    )
]
SQLITE_TRIGGER_OFF = "DROP TRIGGER audit_event_no_update"
SQLITE_TRIGGER_ON = f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
POSTGRES_TRIGGER_OFF = "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"
POSTGRES_TRIGGER_ON = "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    async def chain():
        engine = engine_finder()
        sqlite = engine.engine_type == "sqlite"
        await engine.run_ddl(SQLITE_TRIGGER_OFF if sqlite else POSTGRES_TRIGGER_OFF)
        for statement in SQLITE_PROGRAMMES if sqlite else POSTGRES_PROGRAMMES:
            await engine.run_ddl(statement)
        await chain_existing(engine)
        await engine.run_ddl(SQLITE_TRIGGER_ON if sqlite else POSTGRES_TRIGGER_ON)

    manager.add_raw(chain)
    return manager
