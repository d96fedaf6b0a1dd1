"""Family meeting routes: a family's meetings, and recording one."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.http_params import RecordId, to_schema
from connecting_families.meetings import service
from connecting_families.meetings.schemas import FamilyMeeting, FamilyMeetingCreate


class MeetingController(Controller):
    path = "/api/v1/families/{family_id:int}/meetings"
    tags = ["families"]

    @get(opt={"access": FAMILY_READ})
    async def list_meetings(
        self,
        meetings: NamedDependency[service.MeetingService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> list[FamilyMeeting]:
        """The family's group decision-making and network meetings, the most recently held
        first.

        Args:
            meetings: The meeting service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        listed = await meetings.list_meetings(principal, actor, family_id)
        return to_schema(listed, list[FamilyMeeting])

    @post(opt={"access": FAMILY_WRITE})
    async def record_meeting(
        self,
        meetings: NamedDependency[service.MeetingService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[FamilyMeetingCreate],
    ) -> FamilyMeeting:
        """Record a meeting the family held: its kind, the day, who came, the plan the family
        agreed and, optionally, the date of the next; a closed family takes none (409).

        Args:
            meetings: The meeting service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            data: The meeting as it was held.
        """
        draft = service.MeetingDraft(
            kind=data.kind,
            held_on=data.held_on,
            attendees=data.attendees,
            agreed_plan=data.agreed_plan,
            next_on=data.next_on,
            members_present=tuple(data.members_present),
        )
        recorded = await meetings.record_meeting(principal, actor, family_id, draft)
        return to_schema(recorded, FamilyMeeting)
