"""A family's meetings: the section listing them, and recording one.

Family group decision-making and family network meetings are events of their own: who came
(as typed, and the household members who came, ticked), the plan the family agreed, and when
the family meets next, which the summary page shows while it is still to come. A meeting is
never changed once recorded, like a note; there is no correction yet.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.http_params import RecordId
from connecting_families.meetings.schemas import FamilyMeetingCreate
from connecting_families.meetings.service import KINDS, MeetingDraft, MeetingService, meetings_of
from connecting_families.web.family_form_labels import typed
from connecting_families.web.family_pages import (
    FamilyHeader,
    FamilyPageServices,
    provide_family_page,
)
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    chosen,
    form_values,
    read,
    refused,
)
from connecting_families.web.templating import page

MEETING_LABELS = {
    "kind": "Kind of meeting",
    "held_on": "Date of the meeting",
    "attendees": "Who came",
    "members_present": "Members of the household who came",
    "agreed_plan": "The plan the family agreed",
    "next_on": "Date of the next meeting",
}
# Fields chosen from a list: left blank, GOV.UK asks to "Select" them, not to "Enter" them.
CHOICES = ("kind",)
NOT_A_MEMBER = "Select only people who are members of the household"


class MeetingPages(Controller):
    """The family meetings section of a family's record."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/meetings", opt={"access": FAMILY_READ})
    async def meetings_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The family's meetings, the most recently held first.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "meetings")
        meetings = await meetings_of(family_id)
        return page("family/meetings.html", **_context(header), meetings=meetings)

    @get("/families/{family_id:int}/meetings/new", opt={"access": FAMILY_WRITE})
    async def meeting_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The form to record a meeting: its kind, the day, who came, the plan agreed and the
        date of the next.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "meetings")
        return page("family/meeting_form.html", **_context(header), form=Form())

    @post(
        "/families/{family_id:int}/meetings/new",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(MEETING_LABELS)},
    )
    async def record_meeting(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        meetings: NamedDependency[MeetingService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Record a meeting the family held.

        Args:
            request: The form post.
            family_page: What the page reads.
            meetings: The meeting service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = _read_meeting(values)
            draft = MeetingDraft(
                kind=data.kind,
                held_on=data.held_on,
                attendees=data.attendees,
                agreed_plan=data.agreed_plan,
                next_on=data.next_on,
                members_present=tuple(data.members_present),
            )
            await meetings.record_meeting(principal, actor, family_id, draft)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "meetings")
            return refused(
                error, values, MEETING_LABELS, "family/meeting_form.html", **_context(header)
            )
        return accepted(f"/families/{family_id}/meetings", "meeting")


def _context(header: FamilyHeader) -> dict[str, Any]:
    """A meetings page's context: the family, the kinds of meeting, and the household by
    person (a meeting names the members who came by person)."""
    return {
        **header.context(),
        "people": {member.person_id: member for member in header.members},
        "kinds": KINDS,
        "household": [
            (str(m.person_id), f"{m.given_name} {m.family_name} ({m.role})")
            for m in header.current_members
        ],
    }


def _read_meeting(values: dict[str, str]) -> FamilyMeetingCreate:
    """The meeting form as the API's type, every field that is wrong named at once: a kind
    left unchosen asks to be selected, and a household member not known says so."""
    present = chosen(values, "members_present")
    try:
        return read(values, FamilyMeetingCreate, MEETING_LABELS, members_present=present)
    except Invalid as error:
        problems = []
        for problem in error.errors:
            field, message = problem["field"], problem["message"]
            if field in CHOICES and message.startswith("Enter "):
                message = "Select " + message.removeprefix("Enter ")
            elif field.startswith("members_present"):
                # A value that is no person id (the form offers only the household's).
                field, message = "members_present", NOT_A_MEMBER
            problems.append(field_error(field, message))
        raise Invalid(error.detail, errors=problems) from None


SAVED["meeting"] = "The meeting was recorded."
