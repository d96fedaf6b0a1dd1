"""Column helpers used by every feature's tables."""

from __future__ import annotations

from typing import Any

from piccolo.columns import ForeignKey
from piccolo.columns.base import OnDelete, OnUpdate


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
