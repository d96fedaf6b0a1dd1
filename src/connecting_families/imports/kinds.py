"""The append-and-supersede import files: their columns, natural keys and row rules.

Each kind turns a parsed row into the values of its table's row (`build`), or reports why it
cannot. The engine in `service.py` does the rest the same way for every kind: duplicates in the
file, comparison with the live rows by natural key, and the bulk write.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import attrs

from connecting_families.imports.cells import (
    one_of,
    parse_count,
    parse_date,
    parse_hours,
    parse_ni_number,
    parse_ref,
    parse_upn,
    ref_up_to,
    text_up_to,
)
from connecting_families.imports.reader import Column, Row
from connecting_families.imports.references import References

Build = Callable[[Row, References], dict[str, Any] | None]

BENEFITS = ("JSA", "ESA", "IS", "IB", "CA", "SDA", "UC_NOT_WORKING")
PROVISIONS = ("work_programme", "esf")
NEED_OUTCOMES = ("achieved", "not_achieved")


@attrs.frozen
class RecordedKind:
    """An import file whose rows are append-and-supersede records of one table."""

    name: str
    table: str
    columns: tuple[Column, ...]
    # Columns of the table that make the natural key (within the programme), and the others
    # the file sets; a row whose values differ from the live row's supersedes it.
    key: tuple[str, ...]
    values: tuple[str, ...]
    build: Build
    # A header must have at least one of these columns (the ways to name the subject).
    one_of_columns: tuple[str, ...] = ()
    # Columns the file does not set, kept from the earlier version when a row is corrected.
    carried: tuple[str, ...] = ()
    # What a repeated key is, for the message.
    key_label: str = ""
    # Records of one family (single-item API): the columns that name a family directly.
    family_columns: tuple[str, ...] = ()


def _attendance(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    person = refs.person(row, ("person_ref", "upn"))
    good = refs.in_order(row, "period_start", "period_end")
    possible = v["possible_sessions"]
    absent = (v["authorised_absence_sessions"] or 0) + v["unauthorised_absence_sessions"]
    if absent > possible:
        refs.problems.add(
            row.line,
            "unauthorised_absence_sessions",
            "authorised and unauthorised absence add up to more than possible_sessions",
        )
        good = False
    if person is None or not good:
        return None
    return {
        "person": person,
        "period_start": v["period_start"],
        "period_end": v["period_end"],
        "possible_sessions": possible,
        "authorised_absence_sessions": v["authorised_absence_sessions"],
        "unauthorised_absence_sessions": v["unauthorised_absence_sessions"],
        "school_urn": v["school_urn"],
    }


def _exclusion(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    person = refs.person(row, ("person_ref", "upn"))
    if not refs.not_future(row, "start_date") or person is None:
        return None
    return {
        "exclusion_ref": v["exclusion_ref"],
        "person": person,
        "start_date": v["start_date"],
        "kind": v["kind"],
        "sessions": v["sessions"],
    }


def _offence(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    person = refs.person(row, ("person_ref",))
    good = refs.not_future(row, "offence_date", "outcome_date")
    good = refs.in_order(row, "offence_date", "outcome_date") and good
    if person is None or not good:
        return None
    return {
        "offence_ref": v["offence_ref"],
        "person": person,
        "offence_date": v["offence_date"],
        "outcome_date": v["outcome_date"],
        "category": v["category"],
    }


def _asb(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    subject = refs.person_or_family(row, ("person_ref",))
    if not refs.not_future(row, "incident_date") or subject is None:
        return None
    return {
        "asb_ref": v["asb_ref"],
        **subject,
        "incident_date": v["incident_date"],
        "kind": v["kind"],
    }


def _spell(row: Row, refs: References) -> tuple[int | None, bool]:
    person = refs.person(row, ("person_ref", "ni_number"))
    good = refs.not_future(row, "start_date")
    good = refs.in_order(row, "start_date", "end_date") and good
    return person, good


def _benefit(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    person, good = _spell(row, refs)
    if person is None or not good:
        return None
    return {
        "person": person,
        "benefit": v["benefit"],
        "start_date": v["start_date"],
        "end_date": v["end_date"],
    }


def _employment(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    person, good = _spell(row, refs)
    if person is None or not good:
        return None
    return {
        "person": person,
        "start_date": v["start_date"],
        "end_date": v["end_date"],
        "hours_per_week": v["hours_per_week"],
    }


def _work_programme(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    person = refs.person(row, ("person_ref", "ni_number"))
    if not refs.not_future(row, "start_date") or person is None:
        return None
    return {"person": person, "provision": v["provision"], "start_date": v["start_date"]}


def _assessment(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    family = refs.family(row)
    subject = refs.person(row, ("subject_person_ref",), required=False)
    good = refs.not_future(row, "started_on", "completed_on")
    good = refs.in_order(row, "started_on", "completed_on") and good
    if family is None or not good or (v["subject_person_ref"] is not None and subject is None):
        return None
    return {
        "assessment_ref": v["assessment_ref"],
        "family": family,
        "subject_person": subject,
        "started_on": v["started_on"],
        "completed_on": v["completed_on"],
        "lead_professional": v["lead_professional"],
        "agency": v["agency"],
    }


def _need(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    family = refs.family(row)
    person = refs.person(row, ("person_ref",), required=False)
    good = refs.not_future(row, "identified_on", "outcome_on")
    good = refs.in_order(row, "identified_on", "outcome_on") and good
    if v["headline"] not in refs.headlines:
        refs.problems.add(
            row.line,
            "headline",
            f"is not a headline of this programme's rule set ({', '.join(refs.headlines)})",
        )
        good = False
    if v["outcome_on"] is not None and v["outcome"] is None:
        refs.problems.add(row.line, "outcome_on", "is given but outcome is empty")
        good = False
    if family is None or not good or (v["person_ref"] is not None and person is None):
        return None
    return {
        "need_ref": v["need_ref"],
        "family": family,
        "person": person,
        "headline": v["headline"],
        "identified_on": v["identified_on"],
        "evidence": v["evidence"],
        "outcome": v["outcome"],
        "outcome_on": v["outcome_on"],
    }


def _observation(row: Row, refs: References) -> dict[str, Any] | None:
    v = row.values
    subject = refs.person_or_family(row, ("person_ref",))
    good = True
    observed_on, start, end = v["observed_on"], v["period_start"], v["period_end"]
    if observed_on is None and (start is None or end is None):
        refs.problems.add(
            row.line, "observed_on", "is required, or period_start and period_end instead"
        )
        good = False
    elif observed_on is not None and (start is not None or end is not None):
        refs.problems.add(
            row.line, "observed_on", "give observed_on or period_start and period_end, not both"
        )
        good = False
    good = refs.in_order(row, "period_start", "period_end") and good
    good = refs.not_future(row, "observed_on", "period_start") and good
    measure = refs.measures.get(v["measure"])
    stored: tuple[str, float | None] | None = None
    if measure is None:
        refs.problems.add(row.line, "measure", "is not a measure declared by an installed plugin")
        good = False
    else:
        try:
            stored = measure.parse(v["value"])
        except ValueError as error:
            refs.problems.add(row.line, "value", str(error))
            good = False
    if subject is None or not good or stored is None:
        return None
    return {
        # Without an observation_ref, the observation is known by what and when it measured.
        "observation_ref": v["observation_ref"],
        **subject,
        "measure": v["measure"],
        "observed_on": observed_on,
        "period_start": start,
        "period_end": end,
        "value": stored[0],
        "numeric_value": stored[1],
    }


PERSON_REF = Column("person_ref", parse_ref)
UPN_COLUMN = Column("upn", parse_upn)
NI_COLUMN = Column("ni_number", parse_ni_number)

KINDS: dict[str, RecordedKind] = {
    kind.name: kind
    for kind in (
        RecordedKind(
            name="attendance",
            table="attendance",
            columns=(
                PERSON_REF,
                UPN_COLUMN,
                Column("period_start", parse_date, required=True),
                Column("period_end", parse_date, required=True),
                Column("possible_sessions", parse_count, required=True),
                Column("authorised_absence_sessions", parse_count),
                Column("unauthorised_absence_sessions", parse_count, required=True),
                Column("school_urn", ref_up_to(16)),
            ),
            key=("person", "period_start", "period_end"),
            values=(
                "possible_sessions",
                "authorised_absence_sessions",
                "unauthorised_absence_sessions",
                "school_urn",
            ),
            build=_attendance,
            one_of_columns=("person_ref", "upn"),
            key_label="person, period_start and period_end",
        ),
        RecordedKind(
            name="exclusions",
            table="exclusion",
            columns=(
                PERSON_REF,
                UPN_COLUMN,
                Column("exclusion_ref", parse_ref, required=True),
                Column("start_date", parse_date, required=True),
                Column("kind", one_of("fixed", "permanent"), required=True),
                Column("sessions", parse_count),
            ),
            key=("exclusion_ref",),
            values=("person", "start_date", "kind", "sessions"),
            build=_exclusion,
            one_of_columns=("person_ref", "upn"),
            key_label="exclusion_ref",
        ),
        RecordedKind(
            name="offences",
            table="offence",
            columns=(
                Column("person_ref", parse_ref, required=True),
                Column("offence_ref", parse_ref, required=True),
                Column("offence_date", parse_date, required=True),
                Column("outcome_date", parse_date),
                Column("category", text_up_to(64)),
            ),
            key=("offence_ref",),
            values=("person", "offence_date", "outcome_date", "category"),
            build=_offence,
            key_label="offence_ref",
        ),
        RecordedKind(
            name="asb",
            table="antisocial_behaviour",
            columns=(
                PERSON_REF,
                Column("family_ref", parse_ref),
                Column("asb_ref", parse_ref, required=True),
                Column("incident_date", parse_date, required=True),
                Column("kind", one_of("incident", "intervention"), required=True),
            ),
            key=("asb_ref",),
            values=("person", "family", "incident_date", "kind"),
            build=_asb,
            one_of_columns=("person_ref", "family_ref"),
            key_label="asb_ref",
            family_columns=("family_ref",),
        ),
        RecordedKind(
            name="benefits",
            table="benefit_spell",
            columns=(
                PERSON_REF,
                NI_COLUMN,
                Column("benefit", one_of(*BENEFITS), required=True),
                Column("start_date", parse_date, required=True),
                Column("end_date", parse_date),
            ),
            key=("person", "benefit", "start_date"),
            values=("end_date",),
            build=_benefit,
            one_of_columns=("person_ref", "ni_number"),
            key_label="person, benefit and start_date",
        ),
        RecordedKind(
            name="employment",
            table="employment_spell",
            columns=(
                PERSON_REF,
                NI_COLUMN,
                Column("start_date", parse_date, required=True),
                Column("end_date", parse_date),
                Column("hours_per_week", parse_hours),
            ),
            key=("person", "start_date"),
            values=("end_date", "hours_per_week"),
            build=_employment,
            one_of_columns=("person_ref", "ni_number"),
            key_label="person and start_date",
        ),
        RecordedKind(
            name="work_programme",
            table="work_programme_start",
            columns=(
                PERSON_REF,
                NI_COLUMN,
                Column("provision", one_of(*PROVISIONS), required=True),
                Column("start_date", parse_date, required=True),
            ),
            key=("person", "provision", "start_date"),
            values=(),
            build=_work_programme,
            one_of_columns=("person_ref", "ni_number"),
            key_label="person, provision and start_date",
        ),
        RecordedKind(
            name="assessments",
            table="assessment",
            columns=(
                Column("assessment_ref", parse_ref, required=True),
                Column("family_ref", parse_ref, required=True),
                Column("subject_person_ref", parse_ref),
                Column("started_on", parse_date, required=True),
                Column("completed_on", parse_date),
                Column("lead_professional", text_up_to(200)),
                Column("agency", text_up_to(200)),
            ),
            key=("assessment_ref",),
            values=(
                "family",
                "subject_person",
                "started_on",
                "completed_on",
                "lead_professional",
                "agency",
            ),
            build=_assessment,
            # What only the service writes: an import's row keeps it.
            carried=(
                "signed_off_by",
                "signed_off_at",
                "late_reason_code",
                "late_reason",
                "family_view",
                "strengths",
                "headline_needs",
                "child_voice",
                "analysis",
            ),
            key_label="assessment_ref",
            family_columns=("family_ref",),
        ),
        RecordedKind(
            name="needs",
            table="need",
            columns=(
                Column("need_ref", parse_ref, required=True),
                Column("family_ref", parse_ref, required=True),
                PERSON_REF,
                Column("headline", text_up_to(64), required=True),
                Column("identified_on", parse_date, required=True),
                Column("evidence", text_up_to(4000)),
                Column("outcome", one_of(*NEED_OUTCOMES)),
                Column("outcome_on", parse_date),
            ),
            key=("need_ref",),
            values=(
                "family",
                "person",
                "headline",
                "identified_on",
                "evidence",
                "outcome",
                "outcome_on",
            ),
            build=_need,
            key_label="need_ref",
            family_columns=("family_ref",),
        ),
        RecordedKind(
            name="observations",
            table="observation",
            columns=(
                PERSON_REF,
                Column("family_ref", parse_ref),
                Column("measure", text_up_to(64), required=True),
                Column("observed_on", parse_date),
                Column("period_start", parse_date),
                Column("period_end", parse_date),
                Column("value", text_up_to(255), required=True),
                Column("observation_ref", parse_ref),
            ),
            key=("observation_ref",),
            values=(
                "person",
                "family",
                "measure",
                "observed_on",
                "period_start",
                "period_end",
                "value",
                "numeric_value",
            ),
            build=_observation,
            one_of_columns=("person_ref", "family_ref"),
            key_label="observation",
            family_columns=("family_ref",),
        ),
    )
}


def key_of(kind: RecordedKind) -> Callable[[dict[str, Any]], Any]:
    """A function giving a row's natural key, from its table values (or a database row)."""
    by_key = operator.itemgetter(*kind.key)
    if kind.name != "observations":
        return by_key
    by_values = operator.itemgetter(*kind.values)

    def observation_key(record: dict[str, Any]) -> Any:
        # Without a reference, an observation is known by everything it says.
        if record["observation_ref"] is None:
            return ("", *by_values(record))
        return by_key(record)

    return observation_key
