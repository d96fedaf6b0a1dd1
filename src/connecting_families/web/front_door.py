"""The front door's pages: the queue of contacts to decide, a contact, and its decision.

The queue is the front door's own (`CONTACT_RECEIVE`); a contact's page is anyone's who may
read it (`CONTACT_READ`): the front door in its programmes, a key worker through the family.
The decision is on the contact's page while it is undecided, and final once sent.
"""

from __future__ import annotations

from typing import Any

import attrs
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CONTACT_READ, CONTACT_RECEIVE, FRONT_DOOR
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError
from connecting_families.families.service import current_allocations
from connecting_families.families.tables import Family
from connecting_families.frontdoor.drafts import DecisionDraft
from connecting_families.frontdoor.records import (
    DECISION_LATE_REASONS,
    DECISIONS,
    ContactRecord,
)
from connecting_families.frontdoor.schemas import DecisionCreate
from connecting_families.frontdoor.service import FrontDoorService
from connecting_families.http_params import RecordId
from connecting_families.web.family_form_labels import typed
from connecting_families.web.forms import FORM_LABELS, Form, form_values, read_choosing, refused
from connecting_families.web.templating import page

DECISION_LABELS = {
    "version": "Version",
    "decision": "Decision",
    "social_care_ref": "Social care reference",
    "family_ref": "Family reference",
    "note": "Reasons for the decision",
    "late_reason_code": "Why the decision is late",
    "late_reason": "Why it is late",
}
CHOICES = ("decision", "late_reason_code")
# The fields a decision's conditional reveal holds: sent only with the decision they are for.
ONLY_WITH = {"social_care_ref": "step_up", "family_ref": "family_help"}


@attrs.frozen
class TimeLeft:
    """The time left to decide a contact, as a GOV.UK tag says it."""

    text: str
    colour: str
    late: bool


def time_left(contact: ContactRecord) -> TimeLeft:
    days = contact.working_days_left(today())
    if days < 0:
        late = -days
        plural = "working day" if late == 1 else "working days"
        return TimeLeft(f"Late: {late} {plural}", "govuk-tag--red", True)
    if days == 0:
        return TimeLeft("Due today", "govuk-tag--yellow", False)
    plural = "working day" if days == 1 else "working days"
    return TimeLeft(f"{days} {plural} left", "govuk-tag--blue", False)


async def family_refs(contacts: list[ContactRecord]) -> dict[int, str]:
    """The references of the contacts' families, which the caller has been shown already."""
    ids = sorted({c.family_id for c in contacts if c.family_id is not None})
    if not ids:
        return {}
    rows = await Family.select(Family.id, Family.family_ref).where(Family.id.is_in(ids))
    return {row["id"]: row["family_ref"] for row in rows}


def _late(contact: ContactRecord) -> bool:
    return today() > contact.decide_by


async def contact_context(
    caller: Caller, contact: ContactRecord, form: Form | None = None
) -> dict[str, Any]:
    """What the contact's page shows: the contact, its family, and the decision form for the
    front door while it is undecided."""
    principal = caller.principal
    refs = await family_refs([contact])
    may_decide = (
        principal is not None
        and FRONT_DOOR in principal.roles
        and contact.programme_id in principal.programme_ids
        and not contact.decided
    )
    waiting = False
    if contact.family_id is not None:
        waiting = contact.family_id not in await current_allocations([contact.family_id])
    return {
        "contact": contact,
        "family_ref": refs.get(contact.family_id or 0),
        "waiting_for_allocation": waiting,
        "time_left": time_left(contact),
        "may_decide": may_decide,
        "late": _late(contact),
        "decisions": list(DECISIONS.items()),
        "late_reasons": list(DECISION_LATE_REASONS.items()),
        "form": form or Form(values={"version": str(contact.version)}),
    }


class FrontDoorPages(Controller):
    """The front door's queue, a contact's page and its decision."""

    include_in_schema = False

    @get("/front-door", opt={"access": CONTACT_RECEIVE})
    async def queue_page(
        self,
        front_door: NamedDependency[FrontDoorService],
        caller: NamedDependency[Caller],
    ) -> Template:
        """The contacts waiting for a decision, the one due first first, and those decided in
        the last 7 days.

        Args:
            front_door: The front-door service.
            caller: The signed-in caller.
        """
        waiting = await front_door.queue(caller)
        decided = await front_door.recently_decided(caller)
        return page(
            "front_door/queue.html",
            waiting=[(c, time_left(c)) for c in waiting],
            decided=decided,
            refs=await family_refs([*waiting, *decided]),
        )

    @get("/front-door/contacts/{contact_id:int}", opt={"access": CONTACT_READ})
    async def contact_page(
        self,
        front_door: NamedDependency[FrontDoorService],
        caller: NamedDependency[Caller],
        contact_id: RecordId,
    ) -> Template:
        """One contact: what came, about whom, and its decision (or the form to decide it).

        Args:
            front_door: The front-door service.
            caller: The signed-in caller.
            contact_id: The contact.
        """
        contact = await front_door.get_contact(caller, contact_id)
        return page("front_door/contact.html", **await contact_context(caller, contact))

    @post(
        "/front-door/contacts/{contact_id:int}/decision",
        opt={"access": CONTACT_RECEIVE, FORM_LABELS: typed(DECISION_LABELS)},
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        front_door: NamedDependency[FrontDoorService],
        caller: NamedDependency[Caller],
        contact_id: RecordId,
    ) -> Response[Any]:
        """Decide the contact; refused, its page again with every problem.

        Args:
            request: The form post.
            front_door: The front-door service.
            caller: The signed-in caller.
            contact_id: The contact.
        """
        values = await form_values(request)
        sent = {
            name: value
            for name, value in values.items()
            if name in DECISION_LABELS
            and (name not in ONLY_WITH or values.get("decision") == ONLY_WITH[name])
        }
        try:
            data = read_choosing(sent, DecisionCreate, DECISION_LABELS, CHOICES)
            draft = DecisionDraft(
                version=data.version,
                decision=data.decision,
                note=data.note,
                late_reason_code=data.late_reason_code,
                late_reason=data.late_reason,
                social_care_ref=data.social_care_ref,
                family_ref=data.family_ref,
            )
            await front_door.decide(caller, contact_id, draft)
        except DomainError as error:
            contact = await front_door.get_contact(caller, contact_id)
            context = await contact_context(caller, contact)
            if error.status_code == 409:
                values["version"] = str(contact.version)
            return refused(error, values, DECISION_LABELS, "front_door/contact.html", **context)
        return Redirect(f"/front-door/contacts/{contact_id}?decided=1", status_code=303)
