"""The SQLite engine's kept connections: what runs outside a transaction, and what inside."""

import asyncio

import pytest
from piccolo.querystring import QueryString

from connecting_families.audit.service import Actor, record
from connecting_families.audit.tables import AuditEvent
from connecting_families.database.engine import (
    SQLITE_READERS,
    AnyEngine,
    PooledSQLiteEngine,
    close_database,
    read_by_key,
    write_transaction,
)

pytestmark = pytest.mark.parametrize("database_kind", ["sqlite"])

ACTOR = Actor.operator("test")


async def test_statements_share_a_few_kept_connections(engine: AnyEngine) -> None:
    """Hundreds of statements at once run on the readers, the one writer and the loop's own
    connection, not on a connection each; every write lands."""
    assert isinstance(engine, PooledSQLiteEngine)

    async def read_and_write(number: int) -> None:
        await record(ACTOR, "test.write", "thing", number)
        assert await AuditEvent.count().where(AuditEvent.resource_id == str(number)) == 1
        await read_by_key(QueryString("SELECT id FROM audit_event WHERE id = {}", number))

    await asyncio.gather(*(read_and_write(n) for n in range(300)))
    assert await AuditEvent.count().where(AuditEvent.action == "test.write") == 300
    assert len(engine._connections) <= SQLITE_READERS + 2


async def test_a_transaction_keeps_its_own_connection(engine: AnyEngine) -> None:
    """Inside a transaction every statement, `read_by_key` too, runs on the transaction's
    connection: it sees its own uncommitted rows, and nothing of them is left after a
    rollback."""
    seen = []

    async def write_then_fail() -> None:
        async with write_transaction(engine):
            await record(ACTOR, "test.undone", "thing", 1)
            seen.extend(
                await read_by_key(
                    QueryString("SELECT action FROM audit_event WHERE action = {}", "test.undone")
                )
            )
            raise RuntimeError("undo")

    with pytest.raises(RuntimeError, match="undo"):
        await write_then_fail()
    assert seen == [{"action": "test.undone"}]
    assert await AuditEvent.count().where(AuditEvent.action == "test.undone") == 0


async def test_a_closed_engine_opens_new_connections_when_used_again(engine: AnyEngine) -> None:
    """Closing releases every kept connection; the next statement simply opens new ones."""
    assert isinstance(engine, PooledSQLiteEngine)
    await record(ACTOR, "test.before", "thing", 1)
    assert await read_by_key(QueryString("SELECT 1 AS one")) == [{"one": 1}]
    await close_database(engine)
    assert engine._connections == []
    await record(ACTOR, "test.after", "thing", 1)
    assert await read_by_key(QueryString("SELECT 1 AS one")) == [{"one": 1}]
    assert (
        await AuditEvent.count().where(AuditEvent.action.is_in(["test.before", "test.after"])) == 2
    )


async def test_a_failing_statement_reports_its_error_and_leaves_the_connection_usable(
    engine: AnyEngine,
) -> None:
    """An error in one statement reaches its caller; the kept connection goes on working."""
    with pytest.raises(Exception, match="no such table"):
        await engine.run_querystring(QueryString("INSERT INTO no_such_table VALUES (1)"))
    await record(ACTOR, "test.after_error", "thing", 1)
    assert await AuditEvent.count().where(AuditEvent.action == "test.after_error") == 1
