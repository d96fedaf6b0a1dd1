"""A family's notes of visits and contacts: the list, and the form to add or correct one.

A correction is a new note that names the one it corrects; both stay in the record.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError
from connecting_families.families.notes import NOTE_KINDS, NoteDraft, notes_of
from connecting_families.families.schemas import NoteCreate
from connecting_families.http_params import RecordId
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
    form_values,
    read,
    refused,
    whole_number,
)
from connecting_families.web.templating import humanise, page

NOTE_LABELS = {
    "kind": "Kind of contact",
    "occurred_on": "Date of the contact",
    "attendees": "Who was there",
    "body": "Note",
}


class NotePages(Controller):
    """The notes section of a family's record."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/notes", opt={"access": FAMILY_READ})
    async def notes_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The family's notes of visits and contacts, newest first.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "notes")
        return page("family/notes.html", **header.context(), notes=await notes_of(family_id))

    @get("/families/{family_id:int}/notes/new", opt={"access": FAMILY_WRITE})
    async def note_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        corrects: FromQuery[str | None] = None,
    ) -> Template:
        """The form to add a note, or to correct one (a correction is a new note).

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            corrects: The note being corrected, if any.
        """
        header = await family_page.open(principal, actor, family_id, "notes")
        context = await note_form_context(header, corrects)
        corrected = context["corrected"]
        values = {"corrects": str(corrected.id), "kind": corrected.kind} if corrected else {}
        if corrected:
            values.update(attendees=corrected.attendees or "", body=corrected.body)
            values["occurred_on"] = corrected.occurred_on.isoformat()
        return page("family/note_form.html", **context, form=Form(values=values))

    @post(
        "/families/{family_id:int}/notes",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(NOTE_LABELS)},
    )
    async def add_note(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Add a note of a visit or contact.

        Args:
            request: The form post.
            family_page: What the page reads, and the note service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = read(values, NoteCreate, NOTE_LABELS)
            draft = NoteDraft(
                kind=data.kind,
                occurred_on=data.occurred_on,
                body=data.body,
                attendees=data.attendees,
                corrects=data.corrects,
            )
            await family_page.notes.add_note(principal, actor, family_id, draft)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "notes")
            context = await note_form_context(header, values.get("corrects"))
            return refused(error, values, NOTE_LABELS, "family/note_form.html", **context)
        return accepted(f"/families/{family_id}/notes", "note")


async def note_form_context(header: FamilyHeader, corrects: str | None) -> dict[str, Any]:
    """The note form's page: the family, the kinds of contact, and the note it corrects."""
    corrected = None
    if wanted := whole_number(corrects):
        corrected = next((n for n in await notes_of(header.family.id) if n.id == wanted), None)
    return {
        **header.context(),
        "note_kinds": [(kind, humanise(kind)) for kind in NOTE_KINDS],
        "corrected": corrected,
    }


SAVED["note"] = "The note was added."
