"""Signing off a family's closure, on a page that shows what is signed: the closure's reason,
the plan's state and the needs' outcomes, before the team manager signs it off, or sends it
back to the key worker with a reason (a page of its own). Sent back, the family is open again
and its summary page shows why (`family/summary.html`).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import FAMILY_SIGN_OFF, Principal
from connecting_families.assessments.records import needs_of
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError
from connecting_families.families.closures import ClosureService, closure_of
from connecting_families.families.schemas import ClosureSendBack
from connecting_families.http_params import RecordId
from connecting_families.plans.service import plans_of
from connecting_families.web.family_closure import REASON_WORDS
from connecting_families.web.family_pages import (
    FamilyHeader,
    FamilyPageServices,
    provide_family_page,
)
from connecting_families.web.forms import FORM_LABELS, SAVED, Form, accepted, form_values, refused
from connecting_families.web.sign_off_pages import SEND_BACK_LABELS, read_send_back
from connecting_families.web.templating import headline_words, page

SAVED.update(
    {
        "closure": "The closure was signed off.",
        "closure-sent-back": "The closure was sent back to the key worker. The family is open.",
    }
)

GOAL_WORDS = {
    "open": "Open",
    "achieved": "Achieved",
    "not_achieved": "Not achieved",
    "dropped": "Dropped",
}


async def closure_context(header: FamilyHeader, closure_id: int) -> dict[str, Any]:
    """What the closure's sign-off pages show: the closure, the family's plans, and its needs
    with their outcomes; read unchecked once `header` is open."""
    family_id = header.family.id
    closure = await closure_of(family_id, closure_id)
    needs = await needs_of(family_id)
    plans = await plans_of(family_id)
    open_actions = sum(
        1
        for plan in plans
        for goal in plan.goals
        for action in goal.actions
        if action.completed_on is None
    )
    people = {m.person_id: m.name for m in header.members}
    return {
        **header.context(),
        "closure": closure,
        "reason_words": REASON_WORDS,
        "plans": plans,
        "goal_words": GOAL_WORDS,
        "needs": needs,
        "need_people": {n.need_ref: people.get(n.person_id) for n in needs if n.person_id},
        "headline_words": {n.headline: headline_words(n.headline) for n in needs},
        "without_outcome": sum(1 for need in needs if need.outcome is None),
        "open_actions": open_actions,
        "base": f"/families/{family_id}/closures/{closure_id}",
    }


class ClosureSignOffPages(Controller):
    """A closure's sign-off page, its sign-off, and sending it back."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get(
        "/families/{family_id:int}/closures/{closure_id:int}/sign-off",
        opt={"access": FAMILY_SIGN_OFF},
    )
    async def sign_off_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        closure_id: RecordId,
    ) -> Template:
        """The closure as it would be signed off: why, the plan's state and the needs'
        outcomes, with the buttons to sign it off or send it back.

        Args:
            family_page: What the page reads.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            closure_id: The closure (its status change's id).
        """
        header = await family_page.open(principal, actor, family_id, "closure")
        context = await closure_context(header, closure_id)
        return page("team/closure_sign_off.html", **context, form=Form())

    @post(
        "/families/{family_id:int}/closures/{closure_id:int}/sign-off",
        opt={"access": FAMILY_SIGN_OFF, FORM_LABELS: {}},
    )
    async def sign_off_closure(
        self,
        family_page: NamedDependency[FamilyPageServices],
        closures: NamedDependency[ClosureService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        closure_id: RecordId,
    ) -> Response[Any]:
        """Sign off the family's closure; refused (signed off already, reopened), the page
        again with why.

        Args:
            family_page: What the page reads.
            closures: The closure service.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            closure_id: The closure.
        """
        try:
            await closures.sign_off(principal, actor, family_id, closure_id)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "closure")
            context = await closure_context(header, closure_id)
            return refused(error, {}, {}, "team/closure_sign_off.html", **context)
        return accepted(_team(principal), "closure")

    @get(
        "/families/{family_id:int}/closures/{closure_id:int}/send-back",
        opt={"access": FAMILY_SIGN_OFF},
    )
    async def send_back_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        closure_id: RecordId,
    ) -> Template:
        """The form to send the closure back to the key worker: why.

        Args:
            family_page: What the page reads.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            closure_id: The closure.
        """
        header = await family_page.open(principal, actor, family_id, "closure")
        context = await closure_context(header, closure_id)
        return page("team/closure_send_back.html", **context, form=Form())

    @post(
        "/families/{family_id:int}/closures/{closure_id:int}/send-back",
        opt={"access": FAMILY_SIGN_OFF, FORM_LABELS: SEND_BACK_LABELS},
    )
    async def send_back(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        closures: NamedDependency[ClosureService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        caller: NamedDependency[Caller],
        family_id: RecordId,
        closure_id: RecordId,
    ) -> Response[Any]:
        """Send the closure back, not signed off, with a reason: the family is open again.

        Args:
            request: The form post: the reason.
            family_page: What the page reads.
            closures: The closure service.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            caller: The signed-in team manager, as the service takes them.
            family_id: The family.
            closure_id: The closure.
        """
        values = await form_values(request)
        try:
            data = read_send_back(values, ClosureSendBack)
            await closures.send_back(caller, family_id, closure_id, reason=data.reason)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "closure")
            context = await closure_context(header, closure_id)
            template = "team/closure_send_back.html"
            return refused(error, values, SEND_BACK_LABELS, template, **context)
        return accepted(_team(principal), "closure-sent-back")


def _team(principal: Principal) -> str:
    return f"/team?team={principal.team_id}" if principal.team_id else "/team"
