"""Allocating families to key workers, with history, and the caseloads that result."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from connecting_families.access.policy import (
    KEY_WORKER,
    PROGRAMME_MANAGER,
    TEAM_MANAGER,
    Principal,
)
from connecting_families.accounts.tables import Team, User, UserProgramme, UserRole
from connecting_families.assessments.tables import Need
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import AnyEngine
from connecting_families.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from connecting_families.families.scope import require_family, writing_family
from connecting_families.families.tables import Allocation


@attrs.frozen
class AllocationRecord:
    id: int
    key_worker: str
    team: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    allocated_by: str | None
    reason: str | None


@attrs.frozen
class WorkerCaseload:
    """One key worker's load: families by status, and open needs as a weight for balancing."""

    username: str
    display_name: str
    families: int
    attached: int
    identified: int
    open_needs: int


@attrs.frozen
class TeamCaseloads:
    team_id: int
    team: str
    workers: tuple[WorkerCaseload, ...]


_ALLOCATION_COLUMNS = (
    Allocation.id,
    Allocation.key_worker.username.as_alias("key_worker"),
    Allocation.team.name.as_alias("team"),
    Allocation.started_at,
    Allocation.ended_at,
    Allocation.allocated_by.username.as_alias("allocated_by"),
    Allocation.reason,
)


def _allocation(row: dict[str, Any]) -> AllocationRecord:
    return AllocationRecord(
        id=row["id"],
        key_worker=row["key_worker"],
        team=row["team"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        allocated_by=row["allocated_by"],
        reason=row["reason"],
    )


async def allocations_of(family_id: int) -> list[AllocationRecord]:
    """Who has been the family's key worker, oldest first; unchecked and unaudited, for a page
    that has checked and audited its read of the family (`FamilyPageServices.open`)."""
    rows = (
        await Allocation.select(*_ALLOCATION_COLUMNS)
        .where(Allocation.family == family_id)
        .order_by(Allocation.started_at)
        .order_by(Allocation.id)
    )
    return [_allocation(row) for row in rows]


class AllocationService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def history(
        self, principal: Principal, actor: Actor, family_id: int
    ) -> list[AllocationRecord]:
        await require_family(principal, actor, family_id, "read")
        await record(actor, "family.allocations.read", "family", family_id)
        return await allocations_of(family_id)

    async def allocate(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        key_worker: str,
        reason: str | None,
    ) -> AllocationRecord:
        """Make `key_worker` the family's key worker, ending the current allocation.

        A team manager allocates within their own team; a programme manager to any key
        worker of the programme. A reallocation (the family has a key worker) needs a reason.
        """
        async with writing_family(
            self.engine, principal, actor, family_id, even_if_closed=True
        ) as family:
            worker = (
                await User.select(User.id, User.team, User.is_active)
                .where(User.username == key_worker)
                .first()
            )
            eligible = worker is not None and worker["is_active"]
            if eligible:
                assert worker is not None
                eligible = await UserRole.exists().where(
                    UserRole.user == worker["id"], UserRole.role == KEY_WORKER
                ) and await UserProgramme.exists().where(
                    UserProgramme.user == worker["id"],
                    UserProgramme.programme == family["programme"],
                )
            if not eligible:
                raise Invalid(
                    "key_worker: not an active key worker of this family's programme",
                    errors=[field_error("key_worker", "not an eligible key worker")],
                )
            assert worker is not None
            if PROGRAMME_MANAGER not in principal.roles and (
                TEAM_MANAGER not in principal.roles
                or principal.team_id is None
                or worker["team"] != principal.team_id
            ):
                raise Forbidden("You can allocate only to key workers of your own team.")
            current = (
                await Allocation.select(Allocation.id, Allocation.key_worker)
                .where(Allocation.family == family_id, Allocation.ended_at.is_null())
                .first()
            )
            if current and current["key_worker"] == worker["id"]:
                raise Conflict(f"The family is already allocated to {key_worker}.")
            reason = (reason or "").strip() or None
            if current and reason is None:
                # A reallocation says why the family changes key worker; a first one need not.
                raise Invalid(
                    "reason: a reallocation needs a reason",
                    errors=[field_error("reason", "must not be empty when reallocating")],
                )
            now = dt.datetime.now(dt.UTC)
            if current:
                await Allocation.update({Allocation.ended_at: now}).where(
                    Allocation.id == current["id"]
                )
            inserted = await Allocation.insert(
                Allocation(
                    family=family_id,
                    key_worker=worker["id"],
                    team=worker["team"],
                    started_at=now,
                    allocated_by=principal.user_id,
                    reason=reason,
                )
            ).returning(Allocation.id)
            await record(
                actor,
                "family.allocate",
                "family",
                family_id,
                detail={"key_worker_id": worker["id"]},
            )
            row = (
                await Allocation.select(*_ALLOCATION_COLUMNS)
                .where(Allocation.id == inserted[0]["id"])
                .first()
            )
        assert row is not None
        return _allocation(row)

    async def team_caseloads(
        self, principal: Principal, actor: Actor, team_id: int
    ) -> TeamCaseloads:
        """Each key worker of the team with their families and open needs."""
        team = (
            await Team.select(Team.id, Team.name, Team.programme).where(Team.id == team_id).first()
        )
        allowed = team is not None and (
            (TEAM_MANAGER in principal.roles and principal.team_id == team_id)
            or (
                PROGRAMME_MANAGER in principal.roles
                and team["programme"] in principal.programme_ids
            )
        )
        if not allowed:
            await record(actor, "team.caseloads", "team", team_id, allowed=False)
            raise NotFound(f"There is no team {team_id}, or it is not yours.")
        assert team is not None
        key_workers = await UserRole.select(UserRole.user).where(
            UserRole.role == KEY_WORKER, UserRole.user.team == team_id
        )
        workers = (
            await User.select(User.id, User.username, User.display_name)
            .where(User.id.is_in([k["user"] for k in key_workers] or [0]), User.is_active.eq(True))
            .order_by(User.username)
        )
        loads = await self._loads([w["id"] for w in workers])
        await record(actor, "team.caseloads", "team", team_id)
        return TeamCaseloads(
            team_id=team_id,
            team=team["name"],
            workers=tuple(
                WorkerCaseload(
                    username=w["username"],
                    display_name=w["display_name"],
                    **loads.get(w["id"], _EMPTY_LOAD),
                )
                for w in workers
            ),
        )

    async def my_caseload(self, principal: Principal, actor: Actor) -> WorkerCaseload:
        if KEY_WORKER not in principal.roles:
            raise Forbidden("Only key workers have a caseload.")
        load = (await self._loads([principal.user_id])).get(principal.user_id, _EMPTY_LOAD)
        user = await User.select(User.display_name).where(User.id == principal.user_id).first()
        await record(actor, "caseload.read", "user", principal.user_id)
        return WorkerCaseload(
            username=principal.username,
            display_name=user["display_name"] if user else principal.username,
            **load,
        )

    async def _loads(self, worker_ids: list[int]) -> dict[int, dict[str, int]]:
        """Worker id -> counts, in two set-based queries for any number of workers."""
        if not worker_ids:
            return {}
        rows = await Allocation.select(
            Allocation.key_worker, Allocation.family, Allocation.family.status.as_alias("status")
        ).where(Allocation.key_worker.is_in(worker_ids), Allocation.ended_at.is_null())
        family_ids = [row["family"] for row in rows]
        open_needs: dict[int, int] = {}
        if family_ids:
            needs = await Need.select(Need.family).where(
                Need.family.is_in(family_ids),
                Need.superseded_at.is_null(),
                Need.outcome.is_null(),
            )
            for need in needs:
                open_needs[need["family"]] = open_needs.get(need["family"], 0) + 1
        loads: dict[int, dict[str, int]] = {}
        for row in rows:
            load = loads.setdefault(row["key_worker"], dict(_EMPTY_LOAD))
            load["families"] += 1
            if row["status"] in ("attached", "identified"):
                load[row["status"]] += 1
            load["open_needs"] += open_needs.get(row["family"], 0)
        return loads


_EMPTY_LOAD = {"families": 0, "attached": 0, "identified": 0, "open_needs": 0}
