"""Household routes: members, people, allocation and case notes of one family."""

from __future__ import annotations

from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.policy import (
    FAMILY_ALLOCATE,
    FAMILY_READ,
    FAMILY_WRITE,
    Principal,
)
from connecting_families.audit.service import Actor
from connecting_families.families.allocation import AllocationService
from connecting_families.families.members import MemberService, PersonDraft
from connecting_families.families.notes import NoteDraft, NoteService
from connecting_families.families.schemas import (
    Allocation,
    AllocationCreate,
    Member,
    MemberCreate,
    MembershipEnd,
    Note,
    NoteCreate,
    PersonUpdate,
)
from connecting_families.http_params import RecordId, sent_fields, to_schema


class HouseholdController(Controller):
    path = "/api/v1/families/{family_id:int}"
    tags = ["families"]

    @get("/members", opt={"access": FAMILY_READ})
    async def list_members(
        self,
        members: NamedDependency[MemberService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> list[Member]:
        """The household's members, past and present.

        Args:
            members: The member service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        return to_schema(await members.list_members(principal, actor, family_id), list[Member])

    @post("/members", opt={"access": FAMILY_WRITE})
    async def add_member(
        self,
        members: NamedDependency[MemberService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[MemberCreate],
    ) -> Member:
        """Add a person to the household; 409 when they may be someone already known.

        The people it offers are only those of families you may read; a match anywhere else
        is answered with the same words whatever matched, and written to the audit log.

        Args:
            members: The member service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            data: The person (known or new), their role and when they joined.
        """
        person = (
            PersonDraft(
                given_name=data.person.given_name,
                family_name=data.person.family_name,
                date_of_birth=data.person.date_of_birth,
                person_ref=data.person.person_ref,
                sex=data.person.sex,
                upn=data.person.upn,
                ni_number=data.person.ni_number,
            )
            if data.person
            else None
        )
        member = await members.add_member(
            principal,
            actor,
            family_id,
            role=data.role,
            joined_on=data.joined_on,
            person_id=data.person_id,
            person=person,
            create_anyway=data.create_anyway,
        )
        return to_schema(member, Member)

    @post("/members/{membership_id:int}/leave", opt={"access": FAMILY_WRITE}, status_code=200)
    async def end_membership(
        self,
        members: NamedDependency[MemberService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        membership_id: RecordId,
        data: JSONBody[MembershipEnd],
    ) -> Member:
        """Record that a member left the household on a date.

        Args:
            members: The member service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            membership_id: The membership that ends.
            data: The membership's version and the date they left.
        """
        member = await members.end_membership(
            principal, actor, family_id, membership_id, version=data.version, left_on=data.left_on
        )
        return to_schema(member, Member)

    @patch("/people/{person_id:int}", opt={"access": FAMILY_WRITE})
    async def update_person(
        self,
        members: NamedDependency[MemberService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        person_id: RecordId,
        data: JSONBody[PersonUpdate],
    ) -> Member:
        """Correct a member's details; 409 with the current state if `version` is stale.

        Args:
            members: The member service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family the person is a member of.
            person_id: The person.
            data: The person's version and the fields you change.
        """
        member = await members.update_person(
            principal, actor, family_id, person_id, data.version, sent_fields(data)
        )
        return to_schema(member, Member)

    @get("/allocations", opt={"access": FAMILY_READ})
    async def list_allocations(
        self,
        allocations: NamedDependency[AllocationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> list[Allocation]:
        """Who has been the family's key worker, oldest first.

        Args:
            allocations: The allocation service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        history = await allocations.history(principal, actor, family_id)
        return to_schema(history, list[Allocation])

    @put("/allocation", opt={"access": FAMILY_ALLOCATE})
    async def allocate_family(
        self,
        allocations: NamedDependency[AllocationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[AllocationCreate],
    ) -> Allocation:
        """Allocate or reallocate the family to a key worker; a reallocation needs a reason (422).

        Args:
            allocations: The allocation service.
            principal: The signed-in caller (a team or programme manager).
            actor: The caller, for the audit log.
            family_id: The family.
            data: The key worker's username and why.
        """
        allocation = await allocations.allocate(
            principal, actor, family_id, data.key_worker, data.reason
        )
        return to_schema(allocation, Allocation)

    @get("/notes", opt={"access": FAMILY_READ})
    async def list_notes(
        self,
        notes: NamedDependency[NoteService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> list[Note]:
        """The family's notes and contacts, newest first.

        Args:
            notes: The note service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        return to_schema(await notes.list_notes(principal, actor, family_id), list[Note])

    @post("/notes", opt={"access": FAMILY_WRITE})
    async def create_note(
        self,
        notes: NamedDependency[NoteService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[NoteCreate],
    ) -> Note:
        """Add a note; notes are never edited, a correction is a new note that `corrects` one.

        Args:
            notes: The note service.
            principal: The signed-in caller, who writes the note.
            actor: The caller, for the audit log.
            family_id: The family.
            data: The note.
        """
        draft = NoteDraft(
            kind=data.kind,
            occurred_on=data.occurred_on,
            body=data.body,
            attendees=data.attendees,
            corrects=data.corrects,
        )
        return to_schema(await notes.add_note(principal, actor, family_id, draft), Note)
