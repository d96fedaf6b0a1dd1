"""A claim line, once written, never changes what it claims; claims and lines are never deleted.

Triggers refuse an UPDATE that changes a line's claim, family, route, amount, rule set, verdict
or evidence hash, or a claim's reference, programme, date, rule set or configuration, and any
DELETE of either. The lifecycle (status, sample, sign-off, exclusion, rejection) still moves;
a correction is a new line in a later claim.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T17:58:25:528191"
VERSION = "1.38.0"
DESCRIPTION = "frozen claim lines"

MESSAGE = "a claim line never changes what it claims, and claims are never deleted"
LINE_COLUMNS = (
    "claim",
    "family",
    "route",
    "amount_pence",
    "ruleset",
    "verdict",
    "evidence_sha256",
)
CLAIM_COLUMNS = ("programme", "claim_ref", "as_of", "ruleset", "ruleset_config", "prepared_at")


def _sqlite_changed(columns):
    # SQLite compares with IS NOT, which treats NULLs as equal values.
    return " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns)


def _postgres_changed(columns):
    # json has no equality operator: compare those columns as text.
    return " OR ".join(f'NEW."{c}"::text IS DISTINCT FROM OLD."{c}"::text' for c in columns)


SQLITE_FORWARDS = [
    f"""CREATE TRIGGER claim_line_frozen BEFORE UPDATE ON claim_line
    WHEN {_sqlite_changed(LINE_COLUMNS)}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER claim_frozen BEFORE UPDATE ON claim
    WHEN {_sqlite_changed(CLAIM_COLUMNS)}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER claim_line_no_delete BEFORE DELETE ON claim_line
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER claim_no_delete BEFORE DELETE ON claim
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS claim_line_frozen",
    "DROP TRIGGER IF EXISTS claim_frozen",
    "DROP TRIGGER IF EXISTS claim_line_no_delete",
    "DROP TRIGGER IF EXISTS claim_no_delete",
]
POSTGRES_FORWARDS = [
    f"""CREATE FUNCTION claim_line_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR {_postgres_changed(LINE_COLUMNS)} THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION claim_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR {_postgres_changed(CLAIM_COLUMNS)} THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER claim_line_frozen BEFORE UPDATE OR DELETE ON claim_line
    FOR EACH ROW EXECUTE FUNCTION claim_line_refuse_change()""",
    """CREATE TRIGGER claim_frozen BEFORE UPDATE OR DELETE ON claim
    FOR EACH ROW EXECUTE FUNCTION claim_refuse_change()""",
]
POSTGRES_BACKWARDS = [
    "DROP TRIGGER IF EXISTS claim_line_frozen ON claim_line",
    "DROP TRIGGER IF EXISTS claim_frozen ON claim",
    "DROP FUNCTION IF EXISTS claim_line_refuse_change()",
    "DROP FUNCTION IF EXISTS claim_refuse_change()",
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
        await _run_all(SQLITE_FORWARDS if engine.engine_type == "sqlite" else POSTGRES_FORWARDS)

    async def reverse():
        engine = engine_finder()
        await _run_all(SQLITE_BACKWARDS if engine.engine_type == "sqlite" else POSTGRES_BACKWARDS)

    manager.add_raw(apply)
    manager.add_raw_backwards(reverse)
    return manager
