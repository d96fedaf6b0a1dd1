"""Closures a team manager signs off: the queue, and the sign-off itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from piccolo.columns.combination import WhereRaw

from connecting_families.access.policy import Principal, family_scope
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import AnyEngine
from connecting_families.errors import Conflict, NotFound
from connecting_families.families.scope import writing_family
from connecting_families.families.tables import Family, FamilyStatusChange

AWAITING_LIMIT = 200
# Only a family's latest status change can be a closure that stands.
LATEST = WhereRaw(
    "family_status_change.id = (SELECT max(c.id) FROM family_status_change c"
    " WHERE c.family = family_status_change.family)"
)


@attrs.frozen
class Closure:
    """A family's closure, and whether it is signed off."""

    id: int
    family_id: int
    family_ref: str
    closed_on: dt.date
    reason: str | None
    closed_by: str | None
    signed_off_by: str | None
    signed_off_at: dt.datetime | None


_COLUMNS = (
    FamilyStatusChange.id,
    FamilyStatusChange.family,
    FamilyStatusChange.family.family_ref.as_alias("family_ref"),
    FamilyStatusChange.changed_on,
    FamilyStatusChange.reason,
    FamilyStatusChange.changed_by.username.as_alias("closed_by"),
    FamilyStatusChange.signed_off_by.username.as_alias("signed_off_by"),
    FamilyStatusChange.signed_off_at,
)


def _closure(row: dict[str, Any]) -> Closure:
    return Closure(
        id=row["id"],
        family_id=row["family"],
        family_ref=row["family_ref"],
        closed_on=row["changed_on"],
        reason=row["reason"],
        closed_by=row["closed_by"],
        signed_off_by=row["signed_off_by"],
        signed_off_at=row["signed_off_at"],
    )


async def standing_closure_of(family_id: int) -> Closure | None:
    """The family's closure if its latest status change is one (it stands until a
    reopening), signed off or not; None otherwise. Unchecked: the caller has checked the
    family's scope."""
    row = (
        await FamilyStatusChange.select(*_COLUMNS)
        .where(
            FamilyStatusChange.family == family_id,
            FamilyStatusChange.status == "closed",
            LATEST,
        )
        .first()
    )
    return _closure(row) if row else None


class ClosureService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def awaiting_sign_off(self, principal: Principal, actor: Actor) -> list[Closure]:
        """Closures not yet signed off, of the families the caller may write to, oldest
        first. A closure undone by a reopening no longer waits (nor can it be signed off)."""
        rows = await (
            FamilyStatusChange.select(*_COLUMNS)
            .where(
                FamilyStatusChange.status == "closed",
                FamilyStatusChange.signed_off_at.is_null(),
                LATEST,
                FamilyStatusChange.family.id.is_in(
                    Family.select(Family.id).where(family_scope(principal, "write"))
                ),
            )
            .order_by(FamilyStatusChange.changed_on)
            .limit(AWAITING_LIMIT)
        )
        await record(
            actor, "closures.awaiting_sign_off", "family", None, detail={"returned": len(rows)}
        )
        return [_closure(row) for row in rows]

    async def sign_off(
        self, principal: Principal, actor: Actor, family_id: int, closure_id: int
    ) -> Closure:
        """A team manager signs off the family's closure `closure_id`."""
        async with writing_family(self.engine, principal, actor, family_id):
            row = (
                await FamilyStatusChange.select(*_COLUMNS)
                .where(
                    FamilyStatusChange.id == closure_id,
                    FamilyStatusChange.family == family_id,
                    FamilyStatusChange.status == "closed",
                )
                .first()
            )
            if row is None:
                raise NotFound(f"This family has no closure {closure_id}.")
            if not await FamilyStatusChange.exists().where(
                FamilyStatusChange.id == closure_id, LATEST
            ):
                raise Conflict("The family was reopened after this closure; it stands no more.")
            if row["signed_off_at"] is not None:
                raise Conflict(f"The closure was signed off already, by {row['signed_off_by']}.")
            await FamilyStatusChange.update(
                {
                    FamilyStatusChange.signed_off_by: principal.user_id,
                    FamilyStatusChange.signed_off_at: dt.datetime.now(dt.UTC),
                }
            ).where(FamilyStatusChange.id == closure_id)
            await record(
                actor,
                "family.closure.sign_off",
                "family",
                family_id,
                detail={"closure": closure_id},
            )
            signed = (
                await FamilyStatusChange.select(*_COLUMNS)
                .where(FamilyStatusChange.id == closure_id)
                .first()
            )
        assert signed is not None
        return _closure(signed)
