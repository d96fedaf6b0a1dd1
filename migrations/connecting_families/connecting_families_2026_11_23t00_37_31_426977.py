from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Boolean, Date, ForeignKey, Serial, Timestamptz
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table


class Family(Table, tablename="family", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


FACTS = ("identified_on", "attached_on", "closed_on", "local_filter", "expectant_parent")

ID = "2026-11-23T00:37:31:426977"
VERSION = "1.38.0"
DESCRIPTION = "Family revisions: the facts rule sets read, as they were before each change"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    manager.add_table(
        class_name="FamilyRevision",
        tablename="family_revision",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="FamilyRevision",
        tablename="family_revision",
        column_name="id",
        db_column_name="id",
        column_class_name="Serial",
        column_class=Serial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FamilyRevision",
        tablename="family_revision",
        column_name="family",
        db_column_name="family",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Family,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FamilyRevision",
        tablename="family_revision",
        column_name="identified_on",
        db_column_name="identified_on",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FamilyRevision",
        tablename="family_revision",
        column_name="attached_on",
        db_column_name="attached_on",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FamilyRevision",
        tablename="family_revision",
        column_name="closed_on",
        db_column_name="closed_on",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FamilyRevision",
        tablename="family_revision",
        column_name="local_filter",
        db_column_name="local_filter",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FamilyRevision",
        tablename="family_revision",
        column_name="expectant_parent",
        db_column_name="expectant_parent",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FamilyRevision",
        tablename="family_revision",
        column_name="valid_until",
        db_column_name="valid_until",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    async def keep_revisions():
        # Whatever updates a family (the API, an import, a status change), the values it
        # replaces are kept, valid until the change's `updated_at`.
        engine = engine_finder()
        old = (
            "OLD.id, OLD.identified_on, OLD.attached_on, OLD.closed_on, OLD.local_filter,"
            " OLD.expectant_parent, NEW.updated_at"
        )
        insert = (
            "INSERT INTO family_revision (family, identified_on, attached_on, closed_on,"
            f" local_filter, expectant_parent, valid_until) VALUES ({old})"
        )
        if engine.engine_type == "sqlite":
            changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in FACTS)
            await engine.run_ddl(
                "CREATE TRIGGER family_revision_on_update AFTER UPDATE ON family"
                f" FOR EACH ROW WHEN {changed} BEGIN {insert}; END"
            )
        else:
            await engine.run_ddl(
                "CREATE FUNCTION family_revision_keep() RETURNS trigger LANGUAGE plpgsql"
                f" AS $$ BEGIN {insert}; RETURN NULL; END $$"
            )
            facts = ", ".join(FACTS)
            old_facts = ", ".join(f"OLD.{c}" for c in FACTS)
            new_facts = ", ".join(f"NEW.{c}" for c in FACTS)
            await engine.run_ddl(
                "CREATE TRIGGER family_revision_on_update"
                f" AFTER UPDATE OF {facts} ON family FOR EACH ROW"
                f" WHEN (({old_facts}) IS DISTINCT FROM ({new_facts}))"
                " EXECUTE FUNCTION family_revision_keep()"
            )

    async def drop_revisions():
        engine = engine_finder()
        if engine.engine_type == "sqlite":
            await engine.run_ddl("DROP TRIGGER IF EXISTS family_revision_on_update")
        else:
            await engine.run_ddl("DROP TRIGGER IF EXISTS family_revision_on_update ON family")
            await engine.run_ddl("DROP FUNCTION IF EXISTS family_revision_keep()")

    manager.add_raw(keep_revisions)
    manager.add_raw_backwards(drop_revisions)
    return manager
