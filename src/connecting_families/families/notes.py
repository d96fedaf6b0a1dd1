"""Case notes and contacts. Append-only: a correction is a new note pointing at the old one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from piccolo.querystring import QueryString

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import AnyEngine, read_by_key
from connecting_families.errors import Invalid, field_error, refuse_if
from connecting_families.families.scope import require_family, writing_family
from connecting_families.families.service import not_in_future
from connecting_families.families.tables import CaseNote

NOTE_KINDS = ("visit", "phone", "meeting", "taf_meeting", "message", "other")
MAX_NOTE_LENGTH = 20_000


@attrs.frozen
class NoteDraft:
    kind: str
    occurred_on: dt.date
    body: str
    attendees: str | None = None
    corrects: int | None = None


@attrs.frozen
class Note:
    id: int
    family_id: int
    kind: str
    occurred_on: dt.date
    attendees: str | None
    body: str
    author: str
    corrects: int | None
    created_at: dt.datetime


_NOTE_COLUMNS = (
    CaseNote.id,
    CaseNote.family,
    CaseNote.kind,
    CaseNote.occurred_on,
    CaseNote.attendees,
    CaseNote.body,
    CaseNote.author.username.as_alias("author"),
    CaseNote.corrects,
    CaseNote.created_at,
)


def _note(row: dict[str, Any]) -> Note:
    return Note(
        id=row["id"],
        family_id=row["family"],
        kind=row["kind"],
        occurred_on=row["occurred_on"],
        attendees=row["attendees"],
        body=row["body"],
        author=row["author"],
        corrects=row["corrects"],
        created_at=row["created_at"],
    )


class NoteService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def list_notes(self, principal: Principal, actor: Actor, family_id: int) -> list[Note]:
        """The family's notes, newest contact first."""
        await require_family(principal, actor, family_id, "read")
        notes = await notes_of(family_id)
        await record(actor, "family.notes.read", "family", family_id)
        return notes

    async def add_note(
        self, principal: Principal, actor: Actor, family_id: int, draft: NoteDraft
    ) -> Note:
        problems = []
        if draft.kind not in NOTE_KINDS:
            problems.append(field_error("kind", f"must be one of {', '.join(NOTE_KINDS)}"))
        if not draft.body.strip():
            problems.append(field_error("body", "must not be empty"))
        elif len(draft.body) > MAX_NOTE_LENGTH:
            problems.append(field_error("body", f"must be at most {MAX_NOTE_LENGTH} characters"))
        problems += not_in_future("occurred_on", draft.occurred_on)
        refuse_if(problems, "The note")
        async with writing_family(self.engine, principal, actor, family_id):
            if draft.corrects is not None and not await CaseNote.exists().where(
                CaseNote.id == draft.corrects, CaseNote.family == family_id
            ):
                raise Invalid(
                    "corrects: not a note of this family",
                    errors=[field_error("corrects", "unknown note")],
                )
            inserted = await CaseNote.insert(
                CaseNote(
                    family=family_id,
                    author=principal.user_id,
                    kind=draft.kind,
                    occurred_on=draft.occurred_on,
                    attendees=(draft.attendees or "").strip() or None,
                    body=draft.body.strip(),
                    corrects=draft.corrects,
                )
            ).returning(CaseNote.id)
            note_id = inserted[0]["id"]
            await record(
                actor, "family.note.create", "case_note", note_id, detail={"family_id": family_id}
            )
        row = await CaseNote.select(*_NOTE_COLUMNS).where(CaseNote.id == note_id).first()
        assert row is not None
        return _note(row)


# One plain statement: every family page's notes section reads it, and Piccolo's building of
# a select with a join cost more than running it; a read by key runs at once (`read_by_key`).
_NOTES_SQL = """
SELECT n.id, n.family, n.kind, n.occurred_on, n.attendees, n.body, u.username AS author,
       n.corrects, n.created_at
FROM case_note n JOIN app_user u ON u.id = n.author
WHERE n.family = {}
ORDER BY n.occurred_on DESC, n.id DESC
"""


async def notes_of(family_id: int) -> list[Note]:
    """The family's notes, newest contact first, unchecked and unaudited: for a caller that has
    checked and audited its read of the family already."""
    return [_note(row) for row in await read_by_key(QueryString(_NOTES_SQL, family_id))]
