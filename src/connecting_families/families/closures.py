"""Closures a team manager signs off: the queue, and the sign-off itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from piccolo.columns.combination import WhereRaw

from connecting_families.access.caller import Caller
from connecting_families.access.policy import Principal, family_scope
from connecting_families.assessments.service import sending_back
from connecting_families.audit.service import Actor, record
from connecting_families.database.columns import next_version_values
from connecting_families.database.engine import AnyEngine
from connecting_families.domain import dates
from connecting_families.errors import Conflict, NotFound, field_error, refuse_if
from connecting_families.families.scope import writing_family
from connecting_families.families.tables import Family, FamilyStatusChange
from connecting_families.plans.closing import reopen_plans_closed_with

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
    # Or sent back by a team manager, with why: the family was opened again.
    sent_back_by: str | None = None
    sent_back_at: dt.datetime | None = None
    sent_back_reason: str | None = None


_COLUMNS = (
    FamilyStatusChange.id,
    FamilyStatusChange.family,
    FamilyStatusChange.family.family_ref.as_alias("family_ref"),
    FamilyStatusChange.changed_on,
    FamilyStatusChange.reason,
    FamilyStatusChange.changed_by.username.as_alias("closed_by"),
    FamilyStatusChange.signed_off_by.username.as_alias("signed_off_by"),
    FamilyStatusChange.signed_off_at,
    FamilyStatusChange.sent_back_by.username.as_alias("sent_back_by"),
    FamilyStatusChange.sent_back_at,
    FamilyStatusChange.sent_back_reason,
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
        sent_back_by=row["sent_back_by"],
        sent_back_at=row["sent_back_at"],
        sent_back_reason=row["sent_back_reason"],
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
        async with writing_family(self.engine, principal, actor, family_id, even_if_closed=True):
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

    async def send_back(
        self, caller: Caller, family_id: int, closure_id: int, *, reason: str
    ) -> Closure:
        """A team manager sends the family's closure `closure_id` back, not signed off, with a
        reason: the family is open again as it was before (attached, or identified), which is
        not a reopening (nor a re-referral), and the closure keeps who sent it back and why,
        for the family's page (`sent_back_closure_of`)."""
        principal = sending_back(caller)
        words = reason.strip()
        refuse_if([] if words else [field_error("reason", "must not be empty")], "Sending back")
        async with writing_family(
            self.engine, principal, caller.actor, family_id, even_if_closed=True
        ) as family:
            row = await _closure_of(family_id, closure_id)
            if row["signed_off_at"] is not None:
                raise Conflict(
                    "The closure was signed off already; reopen the family's case instead."
                )
            now = dt.datetime.now(dt.UTC)
            await FamilyStatusChange.update(
                {
                    FamilyStatusChange.sent_back_by: principal.user_id,
                    FamilyStatusChange.sent_back_at: now,
                    FamilyStatusChange.sent_back_reason: words,
                }
            ).where(FamilyStatusChange.id == closure_id)
            opened = {
                "status": "attached" if family["attached_on"] else "identified",
                "closed_on": None,
                "closure_reason": None,
            }
            await Family.update(next_version_values(Family, opened, family["version"])).where(
                Family.id == family_id
            )
            await reopen_plans_closed_with(family_id, closure_id)
            await FamilyStatusChange.insert(
                FamilyStatusChange(
                    family=family_id,
                    status=SENT_BACK,
                    changed_on=dates.today(),
                    changed_by=principal.user_id,
                    changed_at=now,
                )
            )
            await record(
                caller.actor,
                "family.closure.send_back",
                "family",
                family_id,
                detail={"closure": closure_id},
            )
            sent = await FamilyStatusChange.select(*_COLUMNS).where(
                FamilyStatusChange.id == closure_id
            )
        return _closure(sent[0])


# The status change that opens a family again when its closure is sent back.
SENT_BACK = "sent_back"


async def _closure_of(family_id: int, closure_id: int) -> dict[str, Any]:
    """The family's closure `closure_id` if it stands (the family's latest status change);
    not found, or a conflict once the family was reopened after it."""
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
    if not await FamilyStatusChange.exists().where(FamilyStatusChange.id == closure_id, LATEST):
        raise Conflict("The family was opened again after this closure; it stands no more.")
    return dict(row)


async def closure_of(family_id: int, closure_id: int) -> Closure:
    """The family's standing closure `closure_id`, for its sign-off page; unchecked (the
    page has checked and audited its read of the family)."""
    return _closure(await _closure_of(family_id, closure_id))


async def sent_back_closure_of(family_id: int) -> Closure | None:
    """The closure sent back, if the family's latest status change is its sending back; for
    the family's page, which shows why. Unchecked: the caller has checked the scope."""
    latest = (
        await FamilyStatusChange.select(FamilyStatusChange.status)
        .where(FamilyStatusChange.family == family_id, LATEST)
        .first()
    )
    if latest is None or latest["status"] != SENT_BACK:
        return None
    row = (
        await FamilyStatusChange.select(*_COLUMNS)
        .where(
            FamilyStatusChange.family == family_id,
            FamilyStatusChange.status == "closed",
            FamilyStatusChange.sent_back_at.is_not_null(),
        )
        .order_by(FamilyStatusChange.id, ascending=False)
        .first()
    )
    return _closure(row) if row else None
