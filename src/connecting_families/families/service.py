"""Reading and writing a family's records, always through the access policy and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from connecting_families.access.policy import FamilyAction, Principal, family_scope
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.errors import Invalid, NotFound
from connecting_families.families.tables import Allocation, CaseNote, Family, Membership

MAX_PAGE = 200
NOTE_KINDS = ("visit", "phone", "meeting", "message", "other")


@attrs.frozen
class FamilySummary:
    id: int
    family_ref: str
    programme_code: str
    status: str
    ward: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FamilySummary:
        return cls(
            id=row["id"],
            family_ref=row["family_ref"],
            programme_code=row["programme_code"],
            status=row["status"],
            ward=row["ward"],
        )


@attrs.frozen
class FamilyDetail:
    summary: FamilySummary
    postcode: str | None
    identified_on: dt.date
    attached_on: dt.date | None
    closed_on: dt.date | None
    closure_reason: str | None
    key_worker: str | None
    member_count: int


@attrs.frozen
class NoteDraft:
    kind: str
    occurred_on: dt.date
    body: str


@attrs.frozen
class Note:
    id: int
    family_id: int
    kind: str
    occurred_on: dt.date
    body: str
    author: str


_SUMMARY_COLUMNS = (
    Family.id,
    Family.family_ref,
    Family.programme.code.as_alias("programme_code"),
    Family.status,
    Family.ward,
)


class FamilyService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def _require(
        self, principal: Principal, actor: Actor, family_id: int, action: FamilyAction
    ) -> dict[str, Any]:
        """The family's row if `principal` may `action` it; else audited and not found."""
        row = (
            await Family.select(
                *_SUMMARY_COLUMNS,
                Family.postcode,
                Family.identified_on,
                Family.attached_on,
                Family.closed_on,
                Family.closure_reason,
            )
            .where(Family.id == family_id, family_scope(principal, action))
            .first()
        )
        if row is None:
            await record(actor, f"family.{action}", "family", family_id, allowed=False)
            raise NotFound(f"There is no family {family_id}, or it is not in your caseload.")
        return dict(row)

    async def list_families(
        self, principal: Principal, actor: Actor, *, after_id: int | None = None, limit: int = 50
    ) -> list[FamilySummary]:
        """The families in the caller's scope, by id, `limit` at a time after `after_id`."""
        select = Family.select(*_SUMMARY_COLUMNS).where(family_scope(principal, "read"))
        if after_id is not None:
            select = select.where(Family.id > after_id)
        rows = await select.order_by(Family.id).limit(min(max(limit, 1), MAX_PAGE))
        await record(actor, "family.list", "family", None, detail={"returned": len(rows)})
        return [FamilySummary.from_row(row) for row in rows]

    async def get_family(self, principal: Principal, actor: Actor, family_id: int) -> FamilyDetail:
        row = await self._require(principal, actor, family_id, "read")
        allocation = (
            await Allocation.select(Allocation.key_worker.username.as_alias("username"))
            .where(Allocation.family == family_id, Allocation.ended_at.is_null())
            .first()
        )
        member_count = await Membership.count().where(
            Membership.family == family_id, Membership.superseded_at.is_null()
        )
        await record(actor, "family.read", "family", family_id)
        return FamilyDetail(
            summary=FamilySummary.from_row(row),
            postcode=row["postcode"],
            identified_on=row["identified_on"],
            attached_on=row["attached_on"],
            closed_on=row["closed_on"],
            closure_reason=row["closure_reason"],
            key_worker=allocation["username"] if allocation else None,
            member_count=member_count,
        )

    async def add_note(
        self, principal: Principal, actor: Actor, family_id: int, draft: NoteDraft
    ) -> Note:
        problems = []
        if draft.kind not in NOTE_KINDS:
            problems.append(
                {"field": "kind", "message": f"must be one of {', '.join(NOTE_KINDS)}"}
            )
        if not draft.body.strip():
            problems.append({"field": "body", "message": "must not be empty"})
        if draft.occurred_on > dt.date.today():
            problems.append({"field": "occurred_on", "message": "must not be in the future"})
        if problems:
            raise Invalid("The note was not saved; see errors.", errors=problems)
        async with write_transaction(self.engine):
            await self._require(principal, actor, family_id, "write")
            inserted = await CaseNote.insert(
                CaseNote(
                    family=family_id,
                    author=principal.user_id,
                    kind=draft.kind,
                    occurred_on=draft.occurred_on,
                    body=draft.body.strip(),
                )
            ).returning(CaseNote.id)
            note_id = inserted[0]["id"]
            await record(actor, "family.note.create", "case_note", note_id,
                         detail={"family_id": family_id})  # fmt: skip
        return Note(
            id=note_id,
            family_id=family_id,
            kind=draft.kind,
            occurred_on=draft.occurred_on,
            body=draft.body.strip(),
            author=principal.username,
        )
