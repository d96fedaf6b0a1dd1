"""Unique natural keys, and one live row per key in append-and-supersede tables.

Piccolo cannot add table constraints on SQLite after a table exists, so the keys are unique
indexes; partial ones (`WHERE …`) make a key unique among live rows only, which lets history
keep every superseded version. Both SQLite and PostgreSQL accept this SQL unchanged.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T15:13:07:972350"
VERSION = "1.38.0"
DESCRIPTION = "unique natural keys"

LIVE = "superseded_at IS NULL"

# (index name, table, columns, condition or None)
UNIQUE_INDEXES = [
    ("uq_child_population_year", "child_population", ["programme", "year"], None),
    ("uq_user_role", "user_role", ["user", "role"], None),
    ("uq_user_programme", "user_programme", ["user", "programme"], None),
    ("uq_family_ref", "family", ["programme", "family_ref"], None),
    ("uq_person_ref", "person", ["programme", "person_ref"], None),
    ("uq_membership_live", "membership", ["person", "family"], LIVE),
    ("uq_allocation_current", "allocation", ["family"], "ended_at IS NULL"),
    ("uq_family_share_active", "family_share", ["family", "user"], "revoked_at IS NULL"),
    ("uq_assessment_ref_live", "assessment", ["programme", "assessment_ref"], LIVE),
    ("uq_need_ref_live", "need", ["programme", "need_ref"], LIVE),
    ("uq_attendance_live", "attendance", ["person", "period_start", "period_end"], LIVE),
    ("uq_exclusion_ref_live", "exclusion", ["programme", "exclusion_ref"], LIVE),
    ("uq_offence_ref_live", "offence", ["programme", "offence_ref"], LIVE),
    ("uq_asb_ref_live", "antisocial_behaviour", ["programme", "asb_ref"], LIVE),
    ("uq_benefit_spell_live", "benefit_spell", ["person", "benefit", "start_date"], LIVE),
    ("uq_employment_spell_live", "employment_spell", ["person", "start_date"], LIVE),
    (
        "uq_work_programme_start_live",
        "work_programme_start",
        ["person", "provision", "start_date"],
        LIVE,
    ),
    (
        "uq_observation_ref_live",
        "observation",
        ["programme", "observation_ref"],
        f"{LIVE} AND observation_ref IS NOT NULL",
    ),
    ("uq_claim_window_name", "claim_window", ["programme", "name"], None),
    ("uq_claim_line", "claim_line", ["claim", "family", "route"], None),
    # No family is ever paid twice for the same result.
    ("uq_claim_line_live", "claim_line", ["family", "route"], "is_live = TRUE"),
]


def create_index_sql(name, table, columns, condition):
    column_list = ", ".join(f'"{c}"' for c in columns)
    where = f" WHERE {condition}" if condition else ""
    return f'CREATE UNIQUE INDEX "{name}" ON "{table}" ({column_list}){where}'


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    async def create_indexes():
        engine = engine_finder()
        for index in UNIQUE_INDEXES:
            await engine.run_ddl(create_index_sql(*index))

    async def drop_indexes():
        engine = engine_finder()
        for name, *_ in UNIQUE_INDEXES:
            await engine.run_ddl(f'DROP INDEX IF EXISTS "{name}"')

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
