"""Reversal lines: live beside the line they reverse, at most one live reversal per line.

`uq_claim_line_live` held one live line per family and route; a reversal line shares its
original's family and route and is live beside it until its claim is decided, so the index now
covers claimed results only (`reverses IS NULL`), and `uq_claim_line_reversal_live` lets a
line be reversed by one live line at most. The frozen-line trigger also guards `reverses`.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T18:19:41:592633"
VERSION = "1.38.0"
DESCRIPTION = "reversal lines"

MESSAGE = "a claim line never changes what it claims, and claims are never deleted"
LINE_COLUMNS = (
    "claim",
    "family",
    "route",
    "amount_pence",
    "ruleset",
    "verdict",
    "evidence_sha256",
    "reverses",
)
OLD_LINE_COLUMNS = LINE_COLUMNS[:-1]

INDEXES_FORWARDS = [
    'DROP INDEX IF EXISTS "uq_claim_line_live"',
    'CREATE UNIQUE INDEX "uq_claim_line_live" ON "claim_line" ("family", "route") '
    "WHERE is_live = TRUE AND reverses IS NULL",
    'CREATE UNIQUE INDEX "uq_claim_line_reversal_live" ON "claim_line" ("reverses") '
    "WHERE is_live = TRUE",
]
INDEXES_BACKWARDS = [
    'DROP INDEX IF EXISTS "uq_claim_line_reversal_live"',
    'DROP INDEX IF EXISTS "uq_claim_line_live"',
    'CREATE UNIQUE INDEX "uq_claim_line_live" ON "claim_line" ("family", "route") '
    "WHERE is_live = TRUE",
]


def _sqlite_trigger(columns):
    # SQLite compares with IS NOT, which treats NULLs as equal values.
    changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns)
    return [
        "DROP TRIGGER IF EXISTS claim_line_frozen",
        f"""CREATE TRIGGER claim_line_frozen BEFORE UPDATE ON claim_line
        WHEN {changed}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    ]


def _postgres_function(columns):
    # json has no equality operator: compare those columns as text.
    changed = " OR ".join(f'NEW."{c}"::text IS DISTINCT FROM OLD."{c}"::text' for c in columns)
    return [
        f"""CREATE OR REPLACE FUNCTION claim_line_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR {changed} THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$"""
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
        trigger = _sqlite_trigger if engine.engine_type == "sqlite" else _postgres_function
        await _run_all(INDEXES_FORWARDS + trigger(LINE_COLUMNS))

    async def reverse():
        engine = engine_finder()
        trigger = _sqlite_trigger if engine.engine_type == "sqlite" else _postgres_function
        await _run_all(INDEXES_BACKWARDS + trigger(OLD_LINE_COLUMNS))

    manager.add_raw(apply)
    manager.add_raw_backwards(reverse)
    return manager
