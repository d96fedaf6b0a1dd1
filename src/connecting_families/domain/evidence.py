"""`FamilyEvidence`: one family's records as the service knew them at an instant.

A frozen snapshot, built set-based by `evaluation/loader.py` (or in a few lines by a plugin
author's test, see `connecting_families.testing`). Rule sets read it and nothing else, so a
verdict depends only on it, the date and the configuration: re-running a claim from the stored
snapshot gives the same answer years later.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

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
    """A person's membership of the household; `left_on` is the first day no longer a member.

    Attributes:
        person_id: The person, as every other record of them names them.
        person_ref: The authority's reference for the person (shown, never judged).
        date_of_birth: For age on a date: a child is under 18 on it, an adult 18 or over.
        role: The person's role in the household as recorded: ``adult`` or ``child``
            (rules judge age on a date instead).
        joined_on: The first day a member; None: a member from the start.
        left_on: The first day no longer a member; None: still a member.
    """

    person_id: int
    person_ref: str
    date_of_birth: dt.date
    role: str
    joined_on: dt.date | None = None
    left_on: dt.date | None = None

    def is_member_on(self, on: dt.date) -> bool:
        """Whether a member on `on`: `joined_on <= on < left_on` (either open)."""
        return (self.joined_on is None or self.joined_on <= on) and (
            self.left_on is None or on < self.left_on
        )

    def overlaps(self, first: dt.date, last: dt.date | None) -> bool:
        """Whether the person was a member on some day of `[first, last]` (None: open)."""
        return (self.joined_on is None or last is None or self.joined_on <= last) and (
            self.left_on is None or first < self.left_on
        )

    def is_child_on(self, on: dt.date) -> bool:
        """Under 18 on `on`."""
        return age_on(self.date_of_birth, on) < 18

    def is_adult_on(self, on: dt.date) -> bool:
        """18 or over on `on`."""
        return not self.is_child_on(on)


@attrs.frozen
class Attendance:
    """A child's school attendance over one period (a term, or half-term).

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        person_id: The child.
        period_start: The period's first day.
        period_end: The period's last day (included).
        possible_sessions: The sessions the child could attend (two a school day).
        unauthorised_absence_sessions: The sessions missed without the school's leave.
        authorised_absence_sessions: The sessions missed with it, where the school says.
    """

    id: int
    person_id: int
    period_start: dt.date
    period_end: dt.date
    possible_sessions: int
    unauthorised_absence_sessions: int
    authorised_absence_sessions: int | None = None


@attrs.frozen
class Exclusion:
    """A child's exclusion from school.

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        person_id: The child.
        start_date: The exclusion's first day.
        kind: ``fixed`` (for a number of sessions) or ``permanent``.
        sessions: How many sessions a fixed exclusion lasts, where known.
    """

    id: int
    person_id: int
    start_date: dt.date
    kind: str  # fixed or permanent
    sessions: int | None = None


@attrs.frozen
class Offence:
    """A proven offence (police or youth offending service data).

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        person_id: The offender.
        offence_date: The day of the offence: rules count it by this day.
        outcome_date: The day of its outcome (caution, conviction), where known.
    """

    id: int
    person_id: int
    offence_date: dt.date
    outcome_date: dt.date | None = None


@attrs.frozen
class AntisocialBehaviour:
    """An anti-social behaviour incident or intervention (police, council, landlord).

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        incident_date: The day of the incident or intervention.
        kind: ``incident`` or ``intervention``.
        person_id: The person, or None for the household's own (it always counts).
    """

    id: int
    incident_date: dt.date
    kind: str  # incident or intervention
    person_id: int | None = None  # None: the household's own


@attrs.frozen
class BenefitSpell:
    """A spell on an out-of-work benefit (DWP data); both of its days are included.

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        person_id: The claimant.
        benefit: The benefit's code (``JSA``, ``ESA``, ``IS``, ``IB``, ``CA``, ``SDA``,
            ``UC_NOT_WORKING``).
        start_date: The first day claimed.
        end_date: The last day claimed (included); None: still claiming.
    """

    id: int
    person_id: int
    benefit: str
    start_date: dt.date
    end_date: dt.date | None = None

    def covers(self, on: dt.date) -> bool:
        """Whether claiming on `on`: `start_date <= on <= end_date` (an open end: still)."""
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)


@attrs.frozen
class EmploymentSpell:
    """A spell in work (DWP or HMRC data); both of its days are included.

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        person_id: The worker.
        start_date: The first day in work.
        end_date: The last day in work (included); None: still in work.
        hours_per_week: The contracted hours, where known.
    """

    id: int
    person_id: int
    start_date: dt.date
    end_date: dt.date | None = None
    hours_per_week: float | None = None


@attrs.frozen
class WorkProgrammeStart:
    """A start on provision that leads to work (the Work Programme, ESF provision, …).

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        person_id: The adult who started.
        provision: Which provision (``work_programme``, ``esf``).
        start_date: The day they started.
    """

    id: int
    person_id: int
    provision: str
    start_date: dt.date


@attrs.frozen
class Need:
    """A need the key worker recorded under one of the rule set's headlines.

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        headline: The headline it is recorded under (one of the rule set's `headlines`).
        identified_on: The day the need was identified.
        outcome: What came of it (``achieved``, ``not_achieved``); None: still open.
        outcome_on: The day of the outcome.
        person_id: The member it is about, or None for the whole family.
    """

    id: int
    headline: str
    identified_on: dt.date
    outcome: str | None = None
    outcome_on: dt.date | None = None
    person_id: int | None = None


@attrs.frozen
class Observation:
    """A value of a measure a plugin declared (`observations.csv`): on a day, or over a period.

    Attributes:
        id: The row's id, for a verdict's `evidence`.
        measure: The measure's key (`Measure.key`).
        value: The value as stored: canonical text (``12``, ``true``, a code).
        numeric_value: The value as a number, for number and boolean measures (else None).
        observed_on: The day it was observed; None when it covers a period instead.
        period_start: The first day of the period it covers.
        period_end: The last day of the period it covers.
        person_id: The member it is about, or None for the household.
    """

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


# The days each kind of a person's record spans, by its columns (and the domain values'
# fields, named alike): the first day and the last (an empty last day: still open).
SPANS: dict[str, tuple[str, str]] = {
    "attendance": ("period_start", "period_end"),
    "exclusions": ("start_date", "start_date"),
    "offences": ("offence_date", "offence_date"),
    "asb": ("incident_date", "incident_date"),
    "benefits": ("start_date", "end_date"),
    "employment": ("start_date", "end_date"),
    "work_programme": ("start_date", "start_date"),
    "observations": ("observed_on", "observed_on"),
}
# What a rule set may read of a person's records beyond their membership of the household
# (`shared/domain/programme-rules.md`, "Conventions"): education looks at the children who are
# members on A or D, school records from before they joined included; employment and
# progress-to-work at the adults who were members on A, whether or not they still are later.
BEFORE_JOINING = frozenset({"attendance", "exclusions"})
AFTER_LEAVING = frozenset({"benefits", "employment", "work_programme"})


def span(kind: str, value: Callable[[str], Any]) -> tuple[dt.date, dt.date | None]:
    """The first and last day of a record of `kind`, `value` giving its columns by name."""
    if kind == "observations" and value("observed_on") is None:
        return value("period_start"), value("period_end")
    first, last = SPANS[kind]
    return value(first), value(last)


def shown_for(memberships: Iterable[Member], first: dt.date, last: dt.date | None) -> bool:
    """Whether a family shows a person's record spanning `[first, last]`: only what falls in
    the person's time in the household (`memberships`, theirs in that family)."""
    return any(m.overlaps(first, last) for m in memberships)


def read_for(
    kind: str,
    memberships: Iterable[Member],
    attached_on: dt.date | None,
    first: dt.date,
    last: dt.date | None,
) -> bool:
    """Whether a family's evidence holds a person's record: what it shows of them, and what
    its rule set may read further (`BEFORE_JOINING`, `AFTER_LEAVING`)."""
    spans = tuple(memberships)
    if shown_for(spans, first, last):
        return True
    if kind in BEFORE_JOINING:
        return any(m.left_on is None or first < m.left_on for m in spans)
    if kind in AFTER_LEAVING and attached_on is not None:
        return (last is None or attached_on <= last) and any(
            m.is_member_on(attached_on) for m in spans
        )
    return False


@attrs.frozen
class FamilyEvidence:
    """Everything a rule set may look at for one family, as known at `known_at`.

    Each record kind is a tuple of frozen values: the family's rows that the host decided its
    rule set may read (a member's records while in the household, and school records from
    before they joined, employment and progress-to-work records from after they left).

    Attributes:
        family_id: The family, as the database knows it.
        family_ref: The authority's reference for the family.
        identified_on: The day the family was identified for the programme.
        attached_on: The day the family was attached (work with it began); None: not yet,
            so not evaluated for results.
        closed_on: The day the family's case was closed; None: open.
        local_filter: The authority's own identification criterion holds for the family.
        expectant_parent: A member is expecting a child.
        known_at: The instant the evidence is as known at; None: as known now.
        members: The household's members, with their time in it.
        attendance: School attendance periods.
        exclusions: School exclusions.
        offences: Proven offences.
        asb: Anti-social behaviour incidents and interventions.
        benefits: Out-of-work benefit spells.
        employment: Spells in work.
        work_programme: Starts on provision towards work.
        needs: Needs recorded under the rule set's headlines.
        observations: Values of measures plugins declared.
    """

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
        """The person's membership, or None for someone not in the household."""
        return next((m for m in self.members if m.person_id == person_id), None)

    def members_on(self, on: dt.date) -> tuple[Member, ...]:
        """The members on `on`."""
        return tuple(m for m in self.members if m.is_member_on(on))

    def children_on(self, on: dt.date) -> tuple[Member, ...]:
        """The members under 18 on `on`."""
        return tuple(m for m in self.members_on(on) if m.is_child_on(on))

    def adults_on(self, on: dt.date) -> tuple[Member, ...]:
        """The members 18 or over on `on`."""
        return tuple(m for m in self.members_on(on) if m.is_adult_on(on))

    def was_member_on(self, person_id: int | None, on: dt.date) -> bool:
        """Whether `person_id` was a member on `on` (no person: the household, always)."""
        if person_id is None:
            return True
        return any(m.is_member_on(on) for m in self.members if m.person_id == person_id)

    def outside_membership(self, kind: str, ids: Iterable[int]) -> list[str]:
        """Of the records of `kind` with `ids`, those of a member from outside their time in
        the household, each as `person_ref: kind first to last day` (for a verdict to say
        that its rule set read them)."""
        wanted = set(ids)
        found = []
        for row in getattr(self, kind):
            person = getattr(row, "person_id", None)
            if person is None or row.id not in wanted:
                continue
            spans = [m for m in self.members if m.person_id == person]
            first, last = span(kind, functools.partial(getattr, row))
            if spans and not shown_for(spans, first, last):
                ends = f"{first.isoformat()} to {last.isoformat() if last else 'now'}"
                found.append(f"{spans[0].person_ref}: {kind} {ends}")
        return found

    def to_json(self) -> bytes:
        """The snapshot as JSON, as a claim line stores it."""
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> FamilyEvidence:
        """The snapshot from its JSON (an auditor's re-run)."""
        return msgspec.json.decode(data, type=cls)

    def sha256(self) -> str:
        """The hash of its JSON: a claim line records it, so a re-run can show it unchanged."""
        return hashlib.sha256(self.to_json()).hexdigest()
