"""A family's evidence and its outcome timeline, as the service knew them at any instant.

A row was known at `T` when it was recorded by then and not yet superseded:
`recorded_at <= T AND (superseded_at IS NULL OR superseded_at > T)`. With no `T`, the live rows.
A family's evidence is the household's own rows (family-level ASB and observations) and its
members' rows of their time in the household (memberships as known at `T`): a record of a
person spanning `[first, last]` shows when they were a member on one of those days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from piccolo.columns.combination import Or
from piccolo.table import Table

from connecting_families.access.policy import Principal
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.audit.service import Actor, record
from connecting_families.consent.service import consents_of
from connecting_families.database.engine import AnyEngine
from connecting_families.domain.evidence import SPANS, Member, shown_for, span
from connecting_families.evidence.tables import (
    AntisocialBehaviour,
    Attendance,
    BenefitSpell,
    EmploymentSpell,
    Exclusion,
    Observation,
    Offence,
    WorkProgrammeStart,
)
from connecting_families.families.scope import require_family
from connecting_families.families.tables import CaseNote, Membership
from connecting_families.meetings.service import meetings_of

# Each kind of record of a family: its table, and the date it is placed at on the timeline.
EVIDENCE_TABLES: dict[str, tuple[type[Table], str]] = {
    "attendance": (Attendance, "period_end"),
    "exclusions": (Exclusion, "start_date"),
    "offences": (Offence, "offence_date"),
    "asb": (AntisocialBehaviour, "incident_date"),
    "benefits": (BenefitSpell, "start_date"),
    "employment": (EmploymentSpell, "start_date"),
    "work_programme": (WorkProgrammeStart, "start_date"),
    "observations": (Observation, "observed_on"),
    "assessments": (Assessment, "started_on"),
    "needs": (Need, "identified_on"),
}
PROVENANCE = ("id", "version", "recorded_at", "superseded_at", "import_run", "recorded_by")
HIDDEN = ("programme",)


@attrs.frozen
class TimelineEntry:
    """One dated thing that happened to the family."""

    on: dt.date
    kind: str
    id: int
    person_id: int | None
    person_ref: str | None
    details: dict[str, Any]
    recorded_at: dt.datetime


def known_at(table: type[Table], instant: dt.datetime | None) -> list[Any]:
    """The where clauses selecting the rows of `table` known at `instant` (live if None)."""
    superseded = table._meta.get_column_by_name("superseded_at")
    if instant is None:
        return [superseded.is_null()]
    recorded = table._meta.get_column_by_name("recorded_at")
    return [recorded <= instant, Or(superseded.is_null(), superseded > instant)]


class EvidenceService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def _memberships(
        self, family_id: int, instant: dt.datetime | None
    ) -> dict[int, list[Member]]:
        """Each member's spans in the household, as known at `instant`."""
        rows = await Membership.select(
            Membership.person,
            Membership.person.person_ref.as_alias("person_ref"),
            Membership.person.date_of_birth.as_alias("date_of_birth"),
            Membership.role,
            Membership.joined_on,
            Membership.left_on,
        ).where(Membership.family == family_id, *known_at(Membership, instant))
        found: dict[int, list[Member]] = {}
        for row in rows:
            found.setdefault(row["person"], []).append(
                Member(
                    person_id=row["person"],
                    person_ref=row["person_ref"],
                    date_of_birth=row["date_of_birth"],
                    role=row["role"],
                    joined_on=row["joined_on"],
                    left_on=row["left_on"],
                )
            )
        return found

    async def family_records(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        instant: dt.datetime | None,
        kinds: tuple[str, ...] = tuple(EVIDENCE_TABLES),
    ) -> dict[str, list[dict[str, Any]]]:
        """The family's records of each kind, as known at `instant`, oldest first."""
        await require_family(principal, actor, family_id, "read")
        await record(
            actor,
            "family.evidence.read",
            "family",
            family_id,
            detail={"known_at": instant.isoformat() if instant else None},
        )
        return await self.records(family_id, instant, kinds)

    async def records(
        self, family_id: int, instant: dt.datetime | None, kinds: tuple[str, ...]
    ) -> dict[str, list[dict[str, Any]]]:
        """The family's records, unaudited: for callers that checked access and audited."""
        memberships = await self._memberships(family_id, instant)
        members = list(memberships)
        refs = {person: spans[0].person_ref for person, spans in memberships.items()}
        found: dict[str, list[dict[str, Any]]] = {}
        for kind in kinds:
            table, on = EVIDENCE_TABLES[kind]
            names = {column._meta.name for column in table._meta.columns}
            whose = _whose(table, names, family_id, members)
            rows = (
                await table.select()
                .where(whose, *known_at(table, instant))
                .order_by(table._meta.get_column_by_name(on), table._meta.primary_key)
            )
            if kind in SPANS:
                # A member's records of their time in the household, not the rest of
                # their life (a former member's new household has its own record).
                rows = [
                    row
                    for row in rows
                    if row.get("family") == family_id
                    or shown_for(memberships.get(row["person"], ()), *span(kind, row.get))
                ]
            found[kind] = [
                {
                    **{k: v for k, v in row.items() if k not in HIDDEN},
                    **({"person_ref": refs.get(row["person"])} if "person" in row else {}),
                }
                for row in rows
            ]
        return found

    async def timeline(
        self, principal: Principal, actor: Actor, family_id: int, instant: dt.datetime | None
    ) -> list[TimelineEntry]:
        """Evidence, assessments, needs, notes, consent given or withdrawn, and family meetings
        by date, newest first, as known at `instant`."""
        await require_family(principal, actor, family_id, "read")
        await record(
            actor,
            "family.timeline.read",
            "family",
            family_id,
            detail={"known_at": instant.isoformat() if instant else None},
        )
        return await self.timeline_of(family_id, instant)

    async def timeline_of(
        self, family_id: int, instant: dt.datetime | None = None
    ) -> list[TimelineEntry]:
        """`timeline`, unchecked and unaudited: for a caller that has checked and audited its
        read of the family (`FamilyPageServices.open` for a page)."""
        records = await self.records(family_id, instant, tuple(EVIDENCE_TABLES))
        entries = []
        for kind, rows in records.items():
            _, on = EVIDENCE_TABLES[kind]
            for row in rows:
                details = {k: v for k, v in row.items() if k not in (*PROVENANCE, "person")}
                entries.append(
                    TimelineEntry(
                        on=row[on] or row["period_end"],
                        kind=kind,
                        id=row["id"],
                        person_id=row.get("person") or row.get("subject_person"),
                        person_ref=row.get("person_ref"),
                        details=details,
                        recorded_at=row["recorded_at"],
                    )
                )
        note_conditions = [CaseNote.family == family_id]
        if instant is not None:
            note_conditions.append(CaseNote.created_at <= instant)
        for note in await CaseNote.select().where(*note_conditions):
            entries.append(
                TimelineEntry(
                    on=note["occurred_on"],
                    kind="note",
                    id=note["id"],
                    person_id=note["person"],
                    person_ref=None,
                    details={
                        "note_kind": note["kind"],
                        "body": note["body"],
                        "attendees": note["attendees"],
                        "author": note["author"],
                        "corrects": note["corrects"],
                    },
                    recorded_at=note["created_at"],
                )
            )
        for consent in await consents_of(family_id):
            entries += [
                TimelineEntry(person_ref=None, **attrs.asdict(e)) for e in consent.events(instant)
            ]
        for meeting in await meetings_of(family_id, instant):
            entries.append(TimelineEntry(person_ref=None, **attrs.asdict(meeting.event())))
        entries.sort(key=lambda entry: (entry.on, entry.recorded_at, entry.id), reverse=True)
        return entries


def _whose(table: type[Table], names: set[str], family_id: int, members: list[int]) -> Any:
    """The family's rows of `table`: by family, by member, or either."""
    if "person" not in names or table in (Assessment, Need):
        return table._meta.get_column_by_name("family") == family_id
    by_member = table._meta.get_column_by_name("person").is_in(members or [0])
    if "family" in names:
        return Or(by_member, table._meta.get_column_by_name("family") == family_id)
    return by_member
