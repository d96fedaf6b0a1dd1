"""Contacts as values, the fixed lists their forms choose from, and the unchecked reads.

The `…_of` functions read without a scope check or an audit entry: they are for a caller that
has checked and audited its read already (the service's own checked methods, a family's page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import attrs

from connecting_families.assessments.records import LATE_REASONS
from connecting_families.domain.dates import day_in_england, working_days_between
from connecting_families.frontdoor.tables import Contact, ContactPerson

KINDS: dict[str, str] = {
    "contact": "Contact or request for support",
    "step_down": "Step down from children's social care",
}
# How a contact arrived.
CHANNELS: dict[str, str] = {
    "phone": "Phone",
    "email": "Email",
    "online": "Online form",
    "in_person": "In person",
    "letter": "Letter",
}
# From whom.
SOURCES: dict[str, str] = {
    "school": "School or education",
    "police": "Police",
    "health": "Health",
    "family": "The family itself",
    "other_council": "Another council",
    "social_care": "Children's social care",
    "other": "Other",
}
CONSENT_TO_SHARE: dict[str, str] = {
    "yes": "Yes, the family agreed to this being shared",
    "no": "No, the family did not agree",
    "not_known": "Not known",
}
# The decisions, in the order a form offers them. Family help and step up are referrals:
# the report's conversion counts them.
DECISIONS: dict[str, str] = {
    "no_further_action": "No further action",
    "advice": "Information, advice or signposting",
    "universal_services": "Universal services",
    "family_help": "Family help",
    "step_up": "Step up to children's social care",
}
REFERRALS = frozenset({"family_help", "step_up"})
# Why a family came back within 12 months of its involvement ending. "other" needs words.
REPEAT_REASONS: dict[str, str] = {
    "significant_change": "A significant change in the family's situation",
    "new_information": "New information since the case closed",
    "incident": "An incident, such as one the police attended",
    "other": "Other",
}
# A late decision's reasons are an assessment's (the issue asks for the same fixed list).
DECISION_LATE_REASONS = LATE_REASONS
SUMMARY_LIMIT = 5000
NAME_LIMIT = 200


@attrs.frozen
class ContactPersonRecord:
    given_name: str
    family_name: str
    date_of_birth: dt.date
    role: str
    # Someone the programme knew already, if the contact named them.
    person_id: int | None = None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@attrs.frozen
class Decision:
    decision: str
    decided_at: dt.datetime
    decided_by: str
    note: str | None
    late_reason_code: str | None
    late_reason: str | None
    within_timescale: bool

    @property
    def name(self) -> str:
        return DECISIONS.get(self.decision, self.decision)

    @property
    def late_reason_words(self) -> str | None:
        if self.late_reason_code is None:
            return None
        if self.late_reason_code == "other":
            return self.late_reason
        return DECISION_LATE_REASONS.get(self.late_reason_code, self.late_reason_code)


@attrs.frozen
class ContactRecord:
    id: int
    programme_id: int
    kind: str
    received_at: dt.datetime
    channel: str
    source: str
    source_name: str | None
    family_id: int | None
    concerns: tuple[str, ...]
    consent_to_share: str
    summary: str
    social_care_ref: str | None
    repeat: bool
    repeat_reason: str | None
    repeat_detail: str | None
    decide_by: dt.date
    recorded_by: str
    recorded_at: dt.datetime
    people: tuple[ContactPersonRecord, ...]
    decision: Decision | None
    version: int

    @property
    def decided(self) -> bool:
        return self.decision is not None

    @property
    def kind_name(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def channel_name(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

    @property
    def source_words(self) -> str:
        words = SOURCES.get(self.source, self.source)
        return f"{words}: {self.source_name}" if self.source_name else words

    @property
    def consent_words(self) -> str:
        return CONSENT_TO_SHARE.get(self.consent_to_share, self.consent_to_share)

    @property
    def repeat_words(self) -> str | None:
        if not self.repeat:
            return None
        if self.repeat_reason == "other":
            return self.repeat_detail
        words = REPEAT_REASONS.get(self.repeat_reason or "", self.repeat_reason)
        return f"{words}: {self.repeat_detail}" if self.repeat_detail else words

    def working_days_left(self, on: dt.date) -> int:
        """Working days left to decide on `on`: 0 on the last day, negative once late."""
        if on <= self.decide_by:
            return working_days_between(on, self.decide_by)
        return -working_days_between(self.decide_by, on)


_COLUMNS = (
    Contact.id,
    Contact.programme,
    Contact.kind,
    Contact.received_at,
    Contact.channel,
    Contact.source,
    Contact.source_name,
    Contact.family,
    Contact.concerns,
    Contact.consent_to_share,
    Contact.summary,
    Contact.social_care_ref,
    Contact.is_repeat,
    Contact.repeat_reason,
    Contact.repeat_detail,
    Contact.decide_by,
    Contact.recorded_by.username.as_alias("recorded_by_name"),
    Contact.recorded_at,
    Contact.decision,
    Contact.decided_at,
    Contact.decided_by.username.as_alias("decided_by_name"),
    Contact.decision_note,
    Contact.late_reason_code,
    Contact.late_reason,
    Contact.version,
)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(code for code in text.split(",") if code)


def _as_instant(value: Any) -> dt.datetime:
    instant = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _contact(row: dict[str, Any], people: list[ContactPersonRecord]) -> ContactRecord:
    decision = None
    if row["decision"] is not None:
        decided_at = _as_instant(row["decided_at"])
        decision = Decision(
            decision=row["decision"],
            decided_at=decided_at,
            decided_by=row["decided_by_name"],
            note=row["decision_note"],
            late_reason_code=row["late_reason_code"],
            late_reason=row["late_reason"],
            within_timescale=day_in_england(decided_at) <= row["decide_by"],
        )
    return ContactRecord(
        id=row["id"],
        programme_id=row["programme"],
        kind=row["kind"],
        received_at=_as_instant(row["received_at"]),
        channel=row["channel"],
        source=row["source"],
        source_name=row["source_name"],
        family_id=row["family"],
        concerns=_codes(row["concerns"]),
        consent_to_share=row["consent_to_share"],
        summary=row["summary"],
        social_care_ref=row["social_care_ref"],
        repeat=bool(row["is_repeat"]),
        repeat_reason=row["repeat_reason"],
        repeat_detail=row["repeat_detail"],
        decide_by=row["decide_by"],
        recorded_by=row["recorded_by_name"],
        recorded_at=_as_instant(row["recorded_at"]),
        people=tuple(people),
        decision=decision,
        version=row["version"],
    )


async def _people_of(contact_ids: Collection[int]) -> dict[int, list[ContactPersonRecord]]:
    people: dict[int, list[ContactPersonRecord]] = {i: [] for i in contact_ids}
    if not contact_ids:
        return people
    rows = (
        await ContactPerson.select()
        .where(ContactPerson.contact.is_in(list(contact_ids)))
        .order_by(ContactPerson.id)
    )
    for row in rows:
        people[row["contact"]].append(
            ContactPersonRecord(
                given_name=row["given_name"],
                family_name=row["family_name"],
                date_of_birth=row["date_of_birth"],
                role=row["role"],
                person_id=row["person"],
            )
        )
    return people


async def contacts_where(*where: Any, newest_first: bool = True) -> list[ContactRecord]:
    """Contacts matching `where` (Piccolo conditions), with their people, in two queries."""
    query = Contact.select(*_COLUMNS).where(*where) if where else Contact.select(*_COLUMNS)
    rows = await query.order_by(Contact.received_at, ascending=not newest_first).order_by(
        Contact.id, ascending=not newest_first
    )
    people = await _people_of([row["id"] for row in rows])
    return [_contact(row, people[row["id"]]) for row in rows]


async def contact_of(contact_id: int) -> ContactRecord | None:
    found = await contacts_where(Contact.id == contact_id)
    return found[0] if found else None


async def contacts_of_family(family_id: int) -> list[ContactRecord]:
    """The contacts about the family, the latest first: the ones that brought it in."""
    return await contacts_where(Contact.family == family_id)
