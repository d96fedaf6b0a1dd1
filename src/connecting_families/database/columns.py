"""Column helpers used by every feature's tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

from piccolo.columns import ForeignKey
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.table import Table

T = TypeVar("T")
# A statement takes at most 32,767 values, fewer than a national-scale cohort's ids: long
# `IN (…)` lists go this many to a statement.
IDS_A_STATEMENT = 10_000


def refers_to(table: Any, *, null: bool = False) -> ForeignKey[Any]:
    """An indexed foreign key that refuses to delete a row that is still referred to.

    Piccolo cascades deletes by default; this service keeps history, so nothing referred to
    may vanish underneath the rows that refer to it.
    """
    return ForeignKey(
        references=table,
        null=null,
        index=True,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
    )


def next_version_values(
    table: type[Table], changes: dict[str, Any], version: int
) -> dict[Any, Any]:
    """UPDATE values applying `changes` (by column name) to a row at `version`: the version
    goes up by one, and `updated_at` (where the table has it) becomes now."""
    values: dict[Any, Any] = {table._meta.get_column_by_name(n): v for n, v in changes.items()}
    values[table._meta.get_column_by_name("version")] = version + 1
    if "updated_at" in {column._meta.name for column in table._meta.columns}:
        values[table._meta.get_column_by_name("updated_at")] = dt.datetime.now(dt.UTC)
    return values


def placeholders(values: Collection[object]) -> str:
    """`{}, {}, …`, one for each of `values`, for an `IN (…)` list of a raw `QueryString`."""
    return ", ".join("{}" for _ in values)


def in_parts(values: Sequence[T]) -> list[Sequence[T]]:
    """`values` in parts of at most `IDS_A_STATEMENT`, each for one statement's `IN (…)`."""
    return [
        values[start : start + IDS_A_STATEMENT] for start in range(0, len(values), IDS_A_STATEMENT)
    ]
