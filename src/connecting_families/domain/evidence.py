"""`FamilyEvidence`: one family's records as the service knew them at an instant.

A frozen snapshot, built set-based by `evaluation/loader.py` (or in a few lines by a plugin
author's test, see `connecting_families.testing`). Rule sets read it and nothing else, so a
verdict depends only on it, the date and the configuration: re-running a claim from the stored
snapshot gives the same answer years later.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import attrs
import msgspec


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Age in whole years on `on`; a 29 February birthday comes on 1 March in other years."""
    return (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )


@attrs.frozen
class Member:
    """A person's membership of the household; `left_on` is the first day no longer a member."""

    person_id: int
    person_ref: str
    date_of_birth: dt.date
    role: str
    joined_on: dt.date | None = None
    left_on: dt.date | None = None

    def is_member_on(self, on: dt.date) -> bool:
        return (self.joined_on is None or self.joined_on <= on) and (
            self.left_on is None or on < self.left_on
        )

    def is_child_on(self, on: dt.date) -> bool:
        return age_on(self.date_of_birth, on) < 18

    def is_adult_on(self, on: dt.date) -> bool:
        return not self.is_child_on(on)


@attrs.frozen
class Attendance:
    id: int
    person_id: int
    period_start: dt.date
    period_end: dt.date
    possible_sessions: int
    unauthorised_absence_sessions: int
    authorised_absence_sessions: int | None = None


@attrs.frozen
class Exclusion:
    id: int
    person_id: int
    start_date: dt.date
    kind: str  # fixed or permanent
    sessions: int | None = None


@attrs.frozen
class Offence:
    id: int
    person_id: int
    offence_date: dt.date
    outcome_date: dt.date | None = None


@attrs.frozen
class AntisocialBehaviour:
    id: int
    incident_date: dt.date
    kind: str  # incident or intervention
    person_id: int | None = None  # None: the household's own


@attrs.frozen
class BenefitSpell:
    id: int
    person_id: int
    benefit: str
    start_date: dt.date
    end_date: dt.date | None = None

    def covers(self, on: dt.date) -> bool:
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)


@attrs.frozen
class EmploymentSpell:
    id: int
    person_id: int
    start_date: dt.date
    end_date: dt.date | None = None
    hours_per_week: float | None = None


@attrs.frozen
class WorkProgrammeStart:
    id: int
    person_id: int
    provision: str
    start_date: dt.date


@attrs.frozen
class Need:
    id: int
    headline: str
    identified_on: dt.date
    outcome: str | None = None
    outcome_on: dt.date | None = None
    person_id: int | None = None


@attrs.frozen
class Observation:
    id: int
    measure: str
    value: str
    numeric_value: float | None = None
    observed_on: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    person_id: int | None = None

    @property
    def on(self) -> dt.date:
        """The date it was observed, or the end of the period it covers."""
        date = self.observed_on or self.period_end
        assert date is not None
        return date


@attrs.frozen
class FamilyEvidence:
    """Everything a rule set may look at for one family, as known at `known_at`."""

    family_id: int
    family_ref: str
    identified_on: dt.date
    attached_on: dt.date | None = None
    closed_on: dt.date | None = None
    local_filter: bool = False
    expectant_parent: bool = False
    known_at: dt.datetime | None = None
    members: tuple[Member, ...] = ()
    attendance: tuple[Attendance, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    offences: tuple[Offence, ...] = ()
    asb: tuple[AntisocialBehaviour, ...] = ()
    benefits: tuple[BenefitSpell, ...] = ()
    employment: tuple[EmploymentSpell, ...] = ()
    work_programme: tuple[WorkProgrammeStart, ...] = ()
    needs: tuple[Need, ...] = ()
    observations: tuple[Observation, ...] = ()

    def member(self, person_id: int) -> Member | None:
        return next((m for m in self.members if m.person_id == person_id), None)

    def members_on(self, on: dt.date) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.is_member_on(on))

    def children_on(self, on: dt.date) -> tuple[Member, ...]:
        return tuple(m for m in self.members_on(on) if m.is_child_on(on))

    def adults_on(self, on: dt.date) -> tuple[Member, ...]:
        return tuple(m for m in self.members_on(on) if m.is_adult_on(on))

    def was_member_on(self, person_id: int | None, on: dt.date) -> bool:
        """Whether `person_id` was a member on `on` (no person: the household, always)."""
        if person_id is None:
            return True
        return any(m.is_member_on(on) for m in self.members if m.person_id == person_id)

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> FamilyEvidence:
        return msgspec.json.decode(data, type=cls)

    def sha256(self) -> str:
        return hashlib.sha256(self.to_json()).hexdigest()
