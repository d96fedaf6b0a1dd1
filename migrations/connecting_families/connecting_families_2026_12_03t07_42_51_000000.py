"""Chain the audit entries written before the chain existed, and give each its programme;
on PostgreSQL, the function that appends an entry to the chain.

The entries are chained in id order, from the first, as `audit.chain` chains a new one; the
programme of each is found from the record it is about, as `record()` finds it. The log's
triggers refuse updates, so they are lifted for this migration's own transaction only.
Backwards only the function goes: rolling the previous migration back drops the columns.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from connecting_families.audit.verification import chain_existing

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
# `audit.chain.append` on PostgreSQL, in one statement: the chain's advisory lock first, then
# the head (each statement of a function sees what was committed when it began, so it is the
# last appended), then the entry, hashed as `audit.chain.link_hash` hashes it.
POSTGRES_APPEND = """CREATE FUNCTION cf_audit_append(
    p_occurred_at timestamptz, p_actor integer, p_actor_name varchar, p_actor_role varchar,
    p_source varchar, p_action varchar, p_resource_type varchar, p_resource_id varchar,
    p_allowed boolean, p_detail json, p_programme integer, p_content varchar
) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_id bigint;
    v_seq bigint;
    v_prev varchar;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('audit_event chain'));
    SELECT seq, hash INTO v_seq, v_prev FROM audit_event ORDER BY id DESC LIMIT 1;
    v_seq := coalesce(v_seq, 0) + 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    v_id := nextval(pg_get_serial_sequence('audit_event', 'id'));
    INSERT INTO audit_event (id, seq, prev_hash, occurred_at, actor, actor_name, actor_role,
        source, action, resource_type, resource_id, allowed, detail, programme, hash)
    VALUES (v_id, v_seq, v_prev, p_occurred_at, p_actor, p_actor_name, p_actor_role,
        p_source, p_action, p_resource_type, p_resource_id, p_allowed, p_detail, p_programme,
        encode(sha256(convert_to(v_id::text || '|' || v_seq::text || '|' || v_prev || '|'
            || coalesce(p_programme::text, '') || '|' || p_content, 'UTF8')), 'hex'));
END $$"""
POSTGRES_DROP_APPEND = (
    "DROP FUNCTION IF EXISTS cf_audit_append(timestamptz, integer, varchar, varchar, varchar,"
    " varchar, varchar, varchar, boolean, json, integer, varchar)"
)


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
        if not sqlite:
            await engine.run_ddl(POSTGRES_APPEND)

    async def unchain():
        engine = engine_finder()
        if engine.engine_type != "sqlite":
            await engine.run_ddl(POSTGRES_DROP_APPEND)

    manager.add_raw(chain)
    manager.add_raw_backwards(unchain)
    return manager
