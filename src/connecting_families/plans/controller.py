"""Family plan routes, and the overdue list for a key worker or a team."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from connecting_families.access.policy import FAMILY_LIST, FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.http_params import MAX_ID, RecordId, sent_fields, to_schema
from connecting_families.plans.schemas import (
    ActionCreate,
    ActionUpdate,
    GoalCreate,
    OverdueItem,
    Plan,
    PlanCreate,
    PlanUpdate,
    ReviewCreate,
)
from connecting_families.plans.service import GoalDraft, PlanService, ProgressDraft


def _goal(data: GoalCreate) -> GoalDraft:
    return GoalDraft(
        description=data.description,
        headline=data.headline,
        need_ref=data.need_ref,
        target_on=data.target_on,
    )


class PlanController(Controller):
    path = "/api/v1/families/{family_id:int}/plans"
    tags = ["plans"]

    @get(opt={"access": FAMILY_READ})
    async def list_plans(
        self,
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> list[Plan]:
        """The family's plans with their goals, actions and reviews.

        Args:
            plans: The plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        return to_schema(await plans.list_plans(principal, actor, family_id), list[Plan])

    @post(opt={"access": FAMILY_WRITE})
    async def create_plan(
        self,
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[PlanCreate],
    ) -> Plan:
        """Make a plan, optionally with its first goals.

        Args:
            plans: The plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            data: The plan.
        """
        plan = await plans.create_plan(
            principal,
            actor,
            family_id,
            agreed_on=data.agreed_on,
            next_review_on=data.next_review_on,
            goals=[_goal(goal) for goal in data.goals],
        )
        return to_schema(plan, Plan)

    @patch("/{plan_id:int}", opt={"access": FAMILY_WRITE})
    async def update_plan(
        self,
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        data: JSONBody[PlanUpdate],
    ) -> Plan:
        """Change the plan's status or dates; 409 if `version` is stale.

        Args:
            plans: The plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
            data: The version you read and the fields you change.
        """
        plan = await plans.update_plan(
            principal, actor, family_id, plan_id, data.version, sent_fields(data)
        )
        return to_schema(plan, Plan)

    @post("/{plan_id:int}/goals", opt={"access": FAMILY_WRITE})
    async def add_goal(
        self,
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        data: JSONBody[GoalCreate],
    ) -> Plan:
        """Add a goal to the plan.

        Args:
            plans: The plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
            data: The goal.
        """
        plan = await plans.add_goal(principal, actor, family_id, plan_id, _goal(data))
        return to_schema(plan, Plan)

    @post("/{plan_id:int}/goals/{goal_id:int}/actions", opt={"access": FAMILY_WRITE})
    async def add_action(
        self,
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        goal_id: RecordId,
        data: JSONBody[ActionCreate],
    ) -> Plan:
        """Add an action to a goal, with an owner and a due date.

        Args:
            plans: The plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
            goal_id: The goal.
            data: The action.
        """
        plan = await plans.add_action(
            principal,
            actor,
            family_id,
            plan_id,
            goal_id,
            description=data.description,
            owner=data.owner,
            owner_text=data.owner_text,
            due_on=data.due_on,
        )
        return to_schema(plan, Plan)

    @patch("/{plan_id:int}/actions/{action_id:int}", opt={"access": FAMILY_WRITE})
    async def update_action(
        self,
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        action_id: RecordId,
        data: JSONBody[ActionUpdate],
    ) -> Plan:
        """Change or complete an action; 409 if `version` is stale.

        Args:
            plans: The plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
            action_id: The action.
            data: The version you read and the fields you change.
        """
        plan = await plans.update_action(
            principal, actor, family_id, plan_id, action_id, data.version, sent_fields(data)
        )
        return to_schema(plan, Plan)

    @post("/{plan_id:int}/reviews", opt={"access": FAMILY_WRITE})
    async def add_review(
        self,
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        data: JSONBody[ReviewCreate],
    ) -> Plan:
        """Record a review: progress per goal and the next review date.

        Args:
            plans: The plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
            data: The review.
        """
        plan = await plans.add_review(
            principal,
            actor,
            family_id,
            plan_id,
            reviewed_on=data.reviewed_on,
            summary=data.summary,
            next_review_on=data.next_review_on,
            progress=[ProgressDraft(p.goal_id, p.rating, p.comment) for p in data.progress],
        )
        return to_schema(plan, Plan)


class OverdueController(Controller):
    path = "/api/v1/overdue"
    tags = ["plans"]

    @get(opt={"access": FAMILY_LIST})
    async def list_overdue(
        self,
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        team_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        key_worker: FromQuery[str | None] = None,
    ) -> list[OverdueItem]:
        """Overdue actions and plan reviews in the families you may see.

        Args:
            plans: The plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            team_id: Only families of this team.
            key_worker: Only families of this key worker (username).
        """
        items = await plans.overdue(principal, actor, team_id=team_id, key_worker=key_worker)
        return to_schema(items, list[OverdueItem])
