"""Family plans: goals linked to needs, actions with owners and due dates, and reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from connecting_families.access.policy import Principal, family_scope
from connecting_families.accounts.tables import User, UserProgramme
from connecting_families.assessments.records import needs_of
from connecting_families.audit.service import Actor, record
from connecting_families.database.columns import next_version_values
from connecting_families.database.engine import AnyEngine
from connecting_families.domain import dates
from connecting_families.errors import (
    Conflict,
    NotFound,
    check_version,
    field_error,
    refuse_if,
)
from connecting_families.families.scope import require_family, writing_family
from connecting_families.families.service import (
    FamilyFilters,
    FamilyService,
    current_allocations,
    not_in_future,
)
from connecting_families.families.tables import Family
from connecting_families.plans.tables import (
    FamilyPlan,
    PlanAction,
    PlanGoal,
    PlanReview,
    PlanReviewProgress,
)

PLAN_STATUSES = ("draft", "active", "closed")
GOAL_STATUSES = ("open", "achieved", "not_achieved", "dropped")
RATINGS = ("none", "some", "good", "achieved")


@attrs.frozen
class ActionRecord:
    id: int
    goal_id: int
    description: str
    owner: str | None
    owner_text: str | None
    due_on: dt.date | None
    completed_on: dt.date | None
    overdue: bool
    version: int


@attrs.frozen
class GoalRecord:
    id: int
    description: str
    headline: str | None
    need_ref: str | None
    target_on: dt.date | None
    achieved_on: dt.date | None
    status: str
    version: int
    actions: tuple[ActionRecord, ...]


@attrs.frozen
class ProgressRecord:
    goal_id: int
    rating: str
    comment: str


@attrs.frozen
class ReviewRecord:
    id: int
    reviewed_on: dt.date
    reviewed_by: str
    summary: str
    next_review_on: dt.date | None
    progress: tuple[ProgressRecord, ...]


@attrs.frozen
class PlanRecord:
    id: int
    family_id: int
    status: str
    agreed_on: dt.date | None
    next_review_on: dt.date | None
    review_overdue: bool
    version: int
    goals: tuple[GoalRecord, ...]
    reviews: tuple[ReviewRecord, ...]


@attrs.frozen
class GoalDraft:
    description: str
    headline: str | None = None
    need_ref: str | None = None
    target_on: dt.date | None = None


@attrs.frozen
class ProgressDraft:
    goal_id: int
    rating: str
    comment: str = ""


@attrs.frozen
class OverdueItem:
    """An action past its due date, or a plan past its review date."""

    kind: str  # 'action' or 'review'
    family_id: int
    family_ref: str
    plan_id: int
    action_id: int | None
    description: str
    due_on: dt.date
    key_worker: str | None


def _action(row: dict[str, Any], today: dt.date) -> ActionRecord:
    return ActionRecord(
        id=row["id"],
        goal_id=row["goal"],
        description=row["description"],
        owner=row["owner_username"],
        owner_text=row["owner_text"],
        due_on=row["due_on"],
        completed_on=row["completed_on"],
        overdue=bool(row["due_on"] and not row["completed_on"] and row["due_on"] < today),
        version=row["version"],
    )


_ACTION_COLUMNS = (
    PlanAction.id,
    PlanAction.goal,
    PlanAction.description,
    PlanAction.owner.username.as_alias("owner_username"),
    PlanAction.owner_text,
    PlanAction.due_on,
    PlanAction.completed_on,
    PlanAction.version,
)


def _may_own(programmes: Any) -> list[Any]:
    """Who may own an action of a family in one of `programmes` (ids, or a query giving
    them): an active user of the programme."""
    users = UserProgramme.select(UserProgramme.user).where(
        UserProgramme.programme.is_in(programmes)
    )
    return [User.is_active.eq(True), User.id.is_in(users)]


async def _owner_id(username: str, programme_id: int) -> int:
    """The id of `username` as an action's owner: an active user of the family's programme.

    Anyone else, known or not, gets the same refusal, so an owner cannot be used to learn
    which usernames exist, here or in another programme.
    """
    row = (
        await User.select(User.id)
        .where(User.username == username, *_may_own([programme_id]))
        .first()
    )
    if row is None:
        refuse_if(
            [field_error("owner", "Select a worker in this family's programme")],
            "The action",
        )
    assert row is not None
    return int(row["id"])


@attrs.frozen
class Owner:
    """Someone who may own an action of a family: a worker of its programme."""

    username: str
    display_name: str


async def action_owners_of(family_id: int) -> list[Owner]:
    """The workers who may own an action of the family, by name. Unchecked: the caller has
    checked the family's scope."""
    programme = Family.select(Family.programme).where(Family.id == family_id)
    rows = (
        await User.select(User.username, User.display_name)
        .where(*_may_own(programme))
        .order_by(User.display_name)
    )
    return [Owner(row["username"], row["display_name"] or row["username"]) for row in rows]


async def plans_of(family_id: int, plan_id: int | None = None) -> list[PlanRecord]:
    """The family's plans (or its plan `plan_id`) with goals, actions and reviews, in five
    queries however many there are. Unchecked: the caller has checked the family's scope
    (a service method, or `FamilyPageServices.open` for a page)."""
    plan_select = FamilyPlan.select().where(FamilyPlan.family == family_id)
    if plan_id is not None:
        plan_select = plan_select.where(FamilyPlan.id == plan_id)
    plans = await plan_select.order_by(FamilyPlan.id)
    plan_ids = [p["id"] for p in plans] or [0]
    goals = await PlanGoal.select().where(PlanGoal.plan.is_in(plan_ids)).order_by(PlanGoal.id)
    goal_ids = [g["id"] for g in goals] or [0]
    actions = (
        await PlanAction.select(*_ACTION_COLUMNS)
        .where(PlanAction.goal.is_in(goal_ids))
        .order_by(PlanAction.id)
    )
    reviews = (
        await PlanReview.select(
            PlanReview.id,
            PlanReview.plan,
            PlanReview.reviewed_on,
            PlanReview.summary,
            PlanReview.next_review_on,
            PlanReview.reviewed_by.username.as_alias("reviewer"),
        )
        .where(PlanReview.plan.is_in(plan_ids))
        .order_by(PlanReview.reviewed_on)
    )
    review_ids = [r["id"] for r in reviews] or [0]
    progress = (
        await PlanReviewProgress.select()
        .where(PlanReviewProgress.review.is_in(review_ids))
        .order_by(PlanReviewProgress.id)
    )
    today = dates.today()
    return [
        PlanRecord(
            id=plan["id"],
            family_id=family_id,
            status=plan["status"],
            agreed_on=plan["agreed_on"],
            next_review_on=plan["next_review_on"],
            review_overdue=bool(
                plan["status"] != "closed"
                and plan["next_review_on"]
                and plan["next_review_on"] < today
            ),
            version=plan["version"],
            goals=tuple(
                GoalRecord(
                    id=goal["id"],
                    description=goal["description"],
                    headline=goal["headline"],
                    need_ref=goal["need_ref"],
                    target_on=goal["target_on"],
                    achieved_on=goal["achieved_on"],
                    status=goal["status"],
                    version=goal["version"],
                    actions=tuple(_action(a, today) for a in actions if a["goal"] == goal["id"]),
                )
                for goal in goals
                if goal["plan"] == plan["id"]
            ),
            reviews=tuple(
                ReviewRecord(
                    id=review["id"],
                    reviewed_on=review["reviewed_on"],
                    reviewed_by=review["reviewer"],
                    summary=review["summary"],
                    next_review_on=review["next_review_on"],
                    progress=tuple(
                        ProgressRecord(p["goal"], p["rating"], p["comment"])
                        for p in progress
                        if p["review"] == review["id"]
                    ),
                )
                for review in reviews
                if review["plan"] == plan["id"]
            ),
        )
        for plan in plans
    ]


class PlanService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def list_plans(
        self, principal: Principal, actor: Actor, family_id: int
    ) -> list[PlanRecord]:
        await require_family(principal, actor, family_id, "read")
        await record(actor, "family.plans.read", "family", family_id)
        return await self._plans(family_id)

    async def next_reviews(
        self, principal: Principal, actor: Actor, family_ids: list[int]
    ) -> dict[int, dt.date]:
        """The next review date of each family's open plans, for the families in `family_ids`
        the caller may read, in one query."""
        rows = await FamilyPlan.select(FamilyPlan.family, FamilyPlan.next_review_on).where(
            FamilyPlan.family.is_in(
                Family.select(Family.id).where(
                    Family.id.is_in(family_ids or [0]), family_scope(principal, "read")
                )
            ),
            FamilyPlan.status != "closed",
            FamilyPlan.next_review_on.is_not_null(),
        )
        await record(actor, "plans.next_reviews", "family", None, detail={"returned": len(rows)})
        reviews: dict[int, dt.date] = {}
        for row in rows:
            family, on = row["family"], row["next_review_on"]
            reviews[family] = min(on, reviews.get(family, on))
        return reviews

    async def _plans(self, family_id: int, plan_id: int | None = None) -> list[PlanRecord]:
        return await plans_of(family_id, plan_id)

    async def _plan(self, family_id: int, plan_id: int) -> PlanRecord:
        plans = await self._plans(family_id, plan_id)
        if not plans:
            raise NotFound(f"This family has no plan {plan_id}.")
        return plans[0]

    async def create_plan(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        *,
        agreed_on: dt.date | None,
        next_review_on: dt.date | None,
        goals: list[GoalDraft],
    ) -> PlanRecord:
        refuse_if(not_in_future("agreed_on", agreed_on), "The plan")
        async with writing_family(self.engine, principal, actor, family_id):
            inserted = await FamilyPlan.insert(
                FamilyPlan(
                    family=family_id,
                    status="active" if agreed_on else "draft",
                    agreed_on=agreed_on,
                    next_review_on=next_review_on,
                    created_by=principal.user_id,
                )
            ).returning(FamilyPlan.id)
            plan_id = inserted[0]["id"]
            for goal in goals:
                await self._insert_goal(family_id, plan_id, goal)
            await record(actor, "plan.create", "family", family_id, detail={"plan_id": plan_id})
            return await self._plan(family_id, plan_id)

    async def _insert_goal(self, family_id: int, plan_id: int, goal: GoalDraft) -> int:
        """A goal of the plan; one linked to a need takes that need's headline, and the need
        must be one of the family's own."""
        problems = []
        if not goal.description.strip():
            problems.append(field_error("description", "must not be empty"))
        headline = goal.headline
        if goal.need_ref is not None:
            needs = {need.need_ref: need for need in await needs_of(family_id)}
            if goal.need_ref not in needs:
                problems.append(field_error("need_ref", "Select one of this family's needs"))
            else:
                headline = needs[goal.need_ref].headline
        refuse_if(problems, "The goal")
        inserted = await PlanGoal.insert(
            PlanGoal(
                plan=plan_id,
                description=goal.description.strip(),
                headline=headline,
                need_ref=goal.need_ref,
                target_on=goal.target_on,
            )
        ).returning(PlanGoal.id)
        return int(inserted[0]["id"])

    async def update_plan(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        plan_id: int,
        version: int,
        changes: dict[str, Any],
    ) -> PlanRecord:
        problems = not_in_future("agreed_on", changes.get("agreed_on"))
        if changes.get("status", "active") not in PLAN_STATUSES:
            problems.append(field_error("status", f"must be one of {', '.join(PLAN_STATUSES)}"))
        refuse_if(problems, "The change")
        async with writing_family(self.engine, principal, actor, family_id):
            current = await self._plan(family_id, plan_id)
            check_version(version, current.version, current, "The plan")
            values = next_version_values(FamilyPlan, changes, current.version)
            await FamilyPlan.update(values).where(FamilyPlan.id == plan_id)
            await record(actor, "plan.update", "family", family_id, detail={"plan_id": plan_id})
            return await self._plan(family_id, plan_id)

    async def add_goal(
        self, principal: Principal, actor: Actor, family_id: int, plan_id: int, goal: GoalDraft
    ) -> PlanRecord:
        async with writing_family(self.engine, principal, actor, family_id):
            await self._plan(family_id, plan_id)
            await self._insert_goal(family_id, plan_id, goal)
            await record(actor, "plan.goal.add", "family", family_id, detail={"plan_id": plan_id})
            return await self._plan(family_id, plan_id)

    async def add_action(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        plan_id: int,
        goal_id: int,
        *,
        description: str,
        owner: str | None,
        owner_text: str | None,
        due_on: dt.date | None,
    ) -> PlanRecord:
        """An action for a goal, owned by a worker (username) or someone else (owner_text)."""
        if not description.strip():
            refuse_if([field_error("description", "must not be empty")], "The action")
        async with writing_family(self.engine, principal, actor, family_id) as family:
            plan = await self._plan(family_id, plan_id)
            if goal_id not in {goal.id for goal in plan.goals}:
                raise NotFound(f"Plan {plan_id} has no goal {goal_id}.")
            owner_id = await _owner_id(owner, family["programme"]) if owner else None
            await PlanAction.insert(
                PlanAction(
                    goal=goal_id,
                    description=description.strip(),
                    owner=owner_id,
                    owner_text=owner_text,
                    due_on=due_on,
                )
            )
            await record(
                actor, "plan.action.add", "family", family_id, detail={"plan_id": plan_id}
            )
            return await self._plan(family_id, plan_id)

    async def update_action(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        plan_id: int,
        action_id: int,
        version: int,
        changes: dict[str, Any],
    ) -> PlanRecord:
        refuse_if(not_in_future("completed_on", changes.get("completed_on")), "The change")
        async with writing_family(self.engine, principal, actor, family_id):
            plan = await self._plan(family_id, plan_id)
            actions = {a.id: a for goal in plan.goals for a in goal.actions}
            if action_id not in actions:
                raise NotFound(f"Plan {plan_id} has no action {action_id}.")
            check_version(version, actions[action_id].version, actions[action_id], "The action")
            values = next_version_values(PlanAction, changes, version)
            await PlanAction.update(values).where(PlanAction.id == action_id)
            await record(
                actor, "plan.action.update", "family", family_id, detail={"action_id": action_id}
            )
            return await self._plan(family_id, plan_id)

    async def add_review(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        plan_id: int,
        *,
        reviewed_on: dt.date,
        summary: str,
        next_review_on: dt.date | None,
        progress: list[ProgressDraft],
    ) -> PlanRecord:
        """Review the plan: progress per goal; a goal rated achieved is marked achieved."""
        problems = not_in_future("reviewed_on", reviewed_on)
        if not summary.strip():
            problems.append(field_error("summary", "must not be empty"))
        if next_review_on is not None and next_review_on <= reviewed_on:
            problems.append(field_error("next_review_on", "must be after the date of the review"))
        for index, item in enumerate(progress):
            if item.rating not in RATINGS:
                problems.append(
                    field_error(
                        f"progress[{index}].rating", f"must be one of {', '.join(RATINGS)}"
                    )
                )
        refuse_if(problems, "The review")
        async with writing_family(self.engine, principal, actor, family_id):
            plan = await self._plan(family_id, plan_id)
            if plan.status == "closed":
                raise Conflict("A closed plan cannot be reviewed.")
            goal_ids = {goal.id for goal in plan.goals}
            unknown = [i for i, item in enumerate(progress) if item.goal_id not in goal_ids]
            refuse_if(
                [
                    field_error(f"progress[{i}].goal_id", "must be a goal of this plan")
                    for i in unknown
                ],
                "The review",
            )
            inserted = await PlanReview.insert(
                PlanReview(
                    plan=plan_id,
                    reviewed_on=reviewed_on,
                    reviewed_by=principal.user_id,
                    summary=summary.strip(),
                    next_review_on=next_review_on,
                )
            ).returning(PlanReview.id)
            for item in progress:
                await PlanReviewProgress.insert(
                    PlanReviewProgress(
                        review=inserted[0]["id"],
                        goal=item.goal_id,
                        rating=item.rating,
                        comment=item.comment,
                    )
                )
                if item.rating == "achieved":
                    await PlanGoal.update(
                        {
                            PlanGoal.status: "achieved",
                            PlanGoal.achieved_on: reviewed_on,
                            PlanGoal.version: PlanGoal.version + 1,
                        }
                    ).where(PlanGoal.id == item.goal_id, PlanGoal.status == "open")
            await FamilyPlan.update(
                {
                    FamilyPlan.next_review_on: next_review_on,
                    FamilyPlan.version: FamilyPlan.version + 1,
                    FamilyPlan.updated_at: dt.datetime.now(dt.UTC),
                }
            ).where(FamilyPlan.id == plan_id)
            await record(actor, "plan.review", "family", family_id, detail={"plan_id": plan_id})
            return await self._plan(family_id, plan_id)

    async def overdue(
        self,
        principal: Principal,
        actor: Actor,
        team_id: int | None = None,
        key_worker: str | None = None,
    ) -> list[OverdueItem]:
        """Overdue actions and reviews across the families the caller may see."""
        today = dates.today()
        scope = family_scope(principal, "read")
        family_select = Family.select(Family.id, Family.family_ref).where(scope)
        filters = FamilyFilters(team_id=team_id, key_worker=key_worker)
        for condition in FamilyService.filter_conditions(filters):
            family_select = family_select.where(condition)
        families = {f["id"]: f["family_ref"] for f in await family_select}
        ids = list(families) or [0]
        plans = await FamilyPlan.select(
            FamilyPlan.id, FamilyPlan.family, FamilyPlan.next_review_on
        ).where(FamilyPlan.family.is_in(ids), FamilyPlan.status != "closed")
        plan_family = {p["id"]: p["family"] for p in plans}
        actions = await PlanAction.select(
            PlanAction.id,
            PlanAction.description,
            PlanAction.due_on,
            PlanAction.goal.plan.as_alias("plan"),
        ).where(
            PlanAction.goal.plan.is_in(list(plan_family) or [0]),
            PlanAction.completed_on.is_null(),
            PlanAction.due_on < today,
        )
        workers = await current_allocations(list(families))
        items = [
            OverdueItem(
                "review",
                p["family"],
                families[p["family"]],
                p["id"],
                None,
                "plan review",
                p["next_review_on"],
                workers.get(p["family"], (None,))[0],
            )
            for p in plans
            if p["next_review_on"] and p["next_review_on"] < today
        ] + [
            OverdueItem(
                "action",
                plan_family[a["plan"]],
                families[plan_family[a["plan"]]],
                a["plan"],
                a["id"],
                a["description"],
                a["due_on"],
                workers.get(plan_family[a["plan"]], (None,))[0],
            )
            for a in actions
        ]
        await record(actor, "plans.overdue", "family", None, detail={"returned": len(items)})
        return sorted(items, key=lambda item: (item.due_on, item.family_ref))
