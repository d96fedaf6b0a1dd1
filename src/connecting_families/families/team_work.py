"""What a team manager reads about their team beyond the caseload counts: the teams to choose
from, one key worker of a team, and the assessments out of their timescale, by key worker.

Queries only, returning values; unchecked and unaudited: the caller has checked that the team
is the caller's (`AllocationService.team_caseloads`, which audits the read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import attrs

from connecting_families.access.policy import KEY_WORKER
from connecting_families.accounts.tables import Team, User, UserRole
from connecting_families.assessments.due import AssessmentDue
from connecting_families.assessments.tables import Assessment
from connecting_families.domain import dates
from connecting_families.families.tables import Allocation


@attrs.frozen
class TeamChoice:
    id: int
    name: str


@attrs.frozen
class KeyWorker:
    """An active key worker, and the team they are in."""

    username: str
    display_name: str
    team_id: int | None


@attrs.frozen
class LateAssessment:
    """An assessment not completed by the day it was due, of a family and its key worker."""

    family_id: int
    key_worker: str
    due: AssessmentDue


async def teams_in(programme_ids: Collection[int]) -> list[TeamChoice]:
    """The teams of the programmes, by name."""
    rows = (
        await Team.select(Team.id, Team.name)
        .where(Team.programme.is_in(sorted(programme_ids) or [0]))
        .order_by(Team.name)
    )
    return [TeamChoice(row["id"], row["name"]) for row in rows]


async def key_worker_named(username: str) -> KeyWorker | None:
    """The active key worker called `username`, or None."""
    row = (
        await User.select(User.id, User.username, User.display_name, User.team)
        .where(User.username == username, User.is_active.eq(True))
        .first()
    )
    if row is None:
        return None
    if not await UserRole.exists().where(UserRole.user == row["id"], UserRole.role == KEY_WORKER):
        return None
    return KeyWorker(row["username"], row["display_name"], row["team"])


async def late_assessments(
    key_workers: Collection[str], on: dt.date, family_ids: Collection[int] | None = None
) -> list[LateAssessment]:
    """The open assessments past their timescale on `on` of the families allocated now to
    `key_workers` (of those in `family_ids`, when given), the one due first first: two
    queries whatever the number of families."""
    if not key_workers:
        return []
    allocated = Allocation.select(
        Allocation.family, Allocation.key_worker.username.as_alias("key_worker")
    ).where(
        Allocation.key_worker.username.is_in(sorted(key_workers)),
        Allocation.ended_at.is_null(),
    )
    if family_ids is not None:
        allocated = allocated.where(Allocation.family.is_in(sorted(family_ids) or [0]))
    workers = {row["family"]: row["key_worker"] for row in await allocated}
    if not workers:
        return []
    rows = await Assessment.select(
        Assessment.family,
        Assessment.assessment_ref,
        Assessment.started_on,
        Assessment.programme.assessment_timescale_days.as_alias("timescale"),
    ).where(
        Assessment.family.is_in(sorted(workers)),
        Assessment.superseded_at.is_null(),
        Assessment.completed_on.is_null(),
    )
    late = []
    for row in rows:
        due_by = dates.add_working_days(row["started_on"], row["timescale"])
        if due_by < on:
            due = AssessmentDue(row["assessment_ref"], row["started_on"], due_by)
            late.append(LateAssessment(row["family"], workers[row["family"]], due))
    return sorted(late, key=lambda item: (item.due.due_by, item.due.assessment_ref))
