"""Family meetings: recording one as it was held, listing them, and the next one due.

A family group decision-making (FGDM) meeting or a family network meeting is an event of its
own: who came, the plan the family agreed, and when they meet next. A meeting is never edited
in place; there is no correction yet (a note can say that a meeting was recorded wrongly).

The `…_of` functions are the repository: unchecked and unaudited, for a caller (a page, the
timeline) that has checked and audited its read of the family already.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import AnyEngine
from connecting_families.errors import NotFound, field_error, refuse_if
from connecting_families.families.members import MemberService
from connecting_families.families.scope import require_family, writing_family
from connecting_families.families.service import not_in_future
from connecting_families.meetings.schemas import MAX_ATTENDEES_LENGTH, MAX_PLAN_LENGTH
from connecting_families.meetings.tables import FamilyMeeting

# The kinds of meeting, in the order a form offers them: (code, as a person reads it).
KINDS: tuple[tuple[str, str], ...] = (
    ("fgdm", "Family group decision-making meeting"),
    ("family_network", "Family network meeting"),
)
KIND_NAMES = dict(KINDS)


@attrs.frozen
class MeetingDraft:
    """A meeting as a key worker records it."""

    kind: str
    held_on: dt.date
    attendees: str
    agreed_plan: str
    next_on: dt.date | None = None
    members_present: tuple[int, ...] = ()


@attrs.frozen
class MeetingEvent:
    """A meeting, as one dated entry of the family's timeline."""

    on: dt.date
    kind: str  # fgdm_meeting or family_network_meeting
    id: int
    person_id: int | None
    details: dict[str, Any]
    recorded_at: dt.datetime


@attrs.frozen
class MeetingRecord:
    id: int
    family_id: int
    kind: str
    held_on: dt.date
    attendees: str
    members_present: tuple[int, ...]
    agreed_plan: str
    next_on: dt.date | None
    recorded_by: str
    recorded_at: dt.datetime

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    def event(self) -> MeetingEvent:
        """The meeting as an entry of the timeline: its kind and the next meeting's date; what
        was said stays in the meetings section."""
        return MeetingEvent(
            on=self.held_on,
            kind=f"{self.kind}_meeting",
            id=self.id,
            person_id=None,
            details={"next_meeting": self.next_on},
            recorded_at=self.recorded_at,
        )


_MEETING_COLUMNS = (
    FamilyMeeting.id,
    FamilyMeeting.family,
    FamilyMeeting.kind,
    FamilyMeeting.held_on,
    FamilyMeeting.attendees,
    FamilyMeeting.members_present,
    FamilyMeeting.agreed_plan,
    FamilyMeeting.next_on,
    FamilyMeeting.recorded_by.username.as_alias("recorded_by_name"),
    FamilyMeeting.recorded_at,
)


def _people(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def _meeting(row: dict[str, Any]) -> MeetingRecord:
    return MeetingRecord(
        id=row["id"],
        family_id=row["family"],
        kind=row["kind"],
        held_on=row["held_on"],
        attendees=row["attendees"],
        members_present=_people(row["members_present"]),
        agreed_plan=row["agreed_plan"],
        next_on=row["next_on"],
        recorded_by=row["recorded_by_name"],
        recorded_at=row["recorded_at"],
    )


async def meetings_of(family_id: int, instant: dt.datetime | None = None) -> list[MeetingRecord]:
    """The family's meetings, the most recently held first; as known at `instant` if given."""
    conditions = [FamilyMeeting.family == family_id]
    if instant is not None:
        conditions.append(FamilyMeeting.recorded_at <= instant)
    rows = (
        await FamilyMeeting.select(*_MEETING_COLUMNS)
        .where(*conditions)
        .order_by(FamilyMeeting.held_on, ascending=False)
        .order_by(FamilyMeeting.id, ascending=False)
    )
    return [_meeting(row) for row in rows]


async def next_meeting_of(family_id: int, on: dt.date) -> dt.date | None:
    """The date of the next meeting the family's latest meeting arranged, if it is on or
    after `on`.

    Only the latest meeting counts: a later meeting that arranged none, or another day,
    replaces what an earlier one arranged."""
    latest = (
        await FamilyMeeting.select(FamilyMeeting.next_on)
        .where(FamilyMeeting.family == family_id)
        .order_by(FamilyMeeting.held_on, ascending=False)
        .order_by(FamilyMeeting.id, ascending=False)
        .first()
    )
    next_on: dt.date | None = latest["next_on"] if latest else None
    return next_on if next_on is not None and next_on >= on else None


def _text_problems(name: str, text: str, most: int) -> list[dict[str, str]]:
    if not text.strip():
        return [field_error(name, "must not be empty")]
    if len(text) > most:
        return [field_error(name, f"must be {most:,} characters or fewer")]
    return []


def _draft_problems(draft: MeetingDraft) -> list[dict[str, str]]:
    problems = []
    if draft.kind not in KIND_NAMES:
        kinds = ", ".join(code for code, _ in KINDS)
        problems.append(field_error("kind", f"must be one of {kinds}"))
    problems += not_in_future("held_on", draft.held_on)
    problems += _text_problems("attendees", draft.attendees, MAX_ATTENDEES_LENGTH)
    problems += _text_problems("agreed_plan", draft.agreed_plan, MAX_PLAN_LENGTH)
    if draft.next_on is not None and draft.next_on < draft.held_on:
        problems.append(
            field_error("next_on", "must be the same as or after the date of the meeting")
        )
    if len(set(draft.members_present)) != len(draft.members_present):
        problems.append(field_error("members_present", "Select each person only once"))
    return problems


class MeetingService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def list_meetings(
        self, principal: Principal, actor: Actor, family_id: int
    ) -> list[MeetingRecord]:
        """The family's meetings, the most recently held first."""
        await require_family(principal, actor, family_id, "read")
        meetings = await meetings_of(family_id)
        await record(actor, "family.meetings.read", "family", family_id)
        return meetings

    async def record_meeting(
        self, principal: Principal, actor: Actor, family_id: int, draft: MeetingDraft
    ) -> MeetingRecord:
        """Record a meeting the family held; a closed family takes none."""
        refuse_if(_draft_problems(draft), "The meeting")
        async with writing_family(self.engine, principal, actor, family_id):
            if draft.members_present:
                # Anyone who has been in the household: a meeting may be recorded after
                # someone who came has left.
                members = await MemberService(self.engine).members_of(family_id)
                known = {member.person_id for member in members}
                if any(person not in known for person in draft.members_present):
                    refuse_if(
                        [
                            field_error(
                                "members_present",
                                "Select only people who are members of the household",
                            )
                        ],
                        "The meeting",
                    )
            inserted = await FamilyMeeting.insert(
                FamilyMeeting(
                    family=family_id,
                    kind=draft.kind,
                    held_on=draft.held_on,
                    attendees=draft.attendees.strip(),
                    members_present=",".join(str(p) for p in sorted(draft.members_present)),
                    agreed_plan=draft.agreed_plan.strip(),
                    next_on=draft.next_on,
                    recorded_by=principal.user_id,
                    recorded_at=dt.datetime.now(dt.UTC),
                )
            ).returning(FamilyMeeting.id)
            meeting_id = inserted[0]["id"]
            await record(
                actor,
                "family.meeting.create",
                "family",
                family_id,
                detail={"meeting_id": meeting_id, "kind": draft.kind},
            )
        return await self._meeting(family_id, meeting_id)

    async def _meeting(self, family_id: int, meeting_id: int) -> MeetingRecord:
        row = (
            await FamilyMeeting.select(*_MEETING_COLUMNS)
            .where(FamilyMeeting.id == meeting_id, FamilyMeeting.family == family_id)
            .first()
        )
        if row is None:
            raise NotFound(f"There is no meeting {meeting_id} for this family.")
        return _meeting(row)
