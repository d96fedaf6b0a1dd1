"""Family routes. Every one goes through `FamilyService`, which applies the caseload scope."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from connecting_families.access.policy import FAMILY_LIST, FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.families.schemas import Family, FamilySummary, Note, NoteCreate
from connecting_families.families.service import MAX_PAGE, FamilyService, NoteDraft


def _families(state: State) -> FamilyService:
    service: FamilyService = state.families
    return service


class FamilyController(Controller):
    path = "/api/v1/families"
    tags = ["families"]

    @get(opt={"access": FAMILY_LIST})
    async def list_families(
        self,
        state: State,
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        after_id: FromQuery[int | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> list[FamilySummary]:
        """The families you may see, by id; page with `after_id` (the last id you saw).

        Args:
            state: Application state.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            after_id: Only families with a greater id (the next page).
            limit: At most this many families.
        """
        values = await _families(state).list_families(
            principal, actor, after_id=after_id, limit=limit
        )
        return [FamilySummary.from_value(value) for value in values]

    @get("/{family_id:int}", opt={"access": FAMILY_READ})
    async def get_family(
        self,
        state: State,
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: FromPath[int],
    ) -> Family:
        """One family, with its key worker and how many members it has.

        Args:
            state: Application state.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        return Family.from_value(await _families(state).get_family(principal, actor, family_id))

    @post("/{family_id:int}/notes", opt={"access": FAMILY_WRITE})
    async def create_note(
        self,
        state: State,
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: FromPath[int],
        data: JSONBody[NoteCreate],
    ) -> Note:
        """Add a case note to the family's record.

        Args:
            state: Application state.
            principal: The signed-in caller, who writes the note.
            actor: The caller, for the audit log.
            family_id: The family.
            data: The note.
        """
        draft = NoteDraft(kind=data.kind, occurred_on=data.occurred_on, body=data.body)
        note = await _families(state).add_note(principal, actor, family_id, draft)
        return Note.from_value(note)
