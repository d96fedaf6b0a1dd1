# ruff: noqa: S608 - only "{}" placeholders and fixed table and column names are formatted.
"""Loading `FamilyEvidence` for many families at once, as known at an instant.

A handful of queries per chunk of families, never one per family: the families, their
memberships (with the people), then each kind of evidence of those people and families.
Rows come back as plain tuples through the driver (`Bulk.rows`), and on SQLite the dates
are parsed here, once per distinct date, instead of by Piccolo's per-value converters.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from connecting_families.database.columns import placeholders
from connecting_families.domain import evidence as ev
from connecting_families.families.tables import Family
from connecting_families.imports.bulk import Bulk


@attrs.frozen
class _Kind:
    """How one kind of evidence is read: its table and, in the order of the domain value's
    fields, the columns that fill them (`person` stands for `person_id`)."""

    table: str
    make: type[Any]
    columns: tuple[str, ...]
    dates: frozenset[str]
    # Rows that may belong to the household rather than a person carry a `family` column.
    has_family: bool = False


KINDS: dict[str, _Kind] = {
    "attendance": _Kind(
        "attendance",
        ev.Attendance,
        (
            "id",
            "person",
            "period_start",
            "period_end",
            "possible_sessions",
            "unauthorised_absence_sessions",
            "authorised_absence_sessions",
        ),
        frozenset({"period_start", "period_end"}),
    ),
    "exclusions": _Kind(
        "exclusion",
        ev.Exclusion,
        ("id", "person", "start_date", "kind", "sessions"),
        frozenset({"start_date"}),
    ),
    "offences": _Kind(
        "offence",
        ev.Offence,
        ("id", "person", "offence_date", "outcome_date"),
        frozenset({"offence_date", "outcome_date"}),
    ),
    "asb": _Kind(
        "antisocial_behaviour",
        ev.AntisocialBehaviour,
        ("id", "incident_date", "kind", "person"),
        frozenset({"incident_date"}),
        has_family=True,
    ),
    "benefits": _Kind(
        "benefit_spell",
        ev.BenefitSpell,
        ("id", "person", "benefit", "start_date", "end_date"),
        frozenset({"start_date", "end_date"}),
    ),
    "employment": _Kind(
        "employment_spell",
        ev.EmploymentSpell,
        ("id", "person", "start_date", "end_date", "hours_per_week"),
        frozenset({"start_date", "end_date"}),
    ),
    "work_programme": _Kind(
        "work_programme_start",
        ev.WorkProgrammeStart,
        ("id", "person", "provision", "start_date"),
        frozenset({"start_date"}),
    ),
    "observations": _Kind(
        "observation",
        ev.Observation,
        (
            "id",
            "measure",
            "value",
            "numeric_value",
            "observed_on",
            "period_start",
            "period_end",
            "person",
        ),
        frozenset({"observed_on", "period_start", "period_end"}),
        has_family=True,
    ),
    "needs": _Kind(
        "need",
        ev.Need,
        ("id", "headline", "identified_on", "outcome", "outcome_on", "person"),
        frozenset({"identified_on", "outcome_on"}),
    ),
}


@functools.lru_cache(maxsize=100_000)
def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _date(value: Any) -> Any:
    """A date column's value as a date: SQLite gives ISO text, PostgreSQL a date."""
    return _parse_date(value) if isinstance(value, str) else value


def _converter(columns: Sequence[str], dates: frozenset[str]) -> Any:
    """A function turning a row of `columns` into the arguments of a domain value."""
    where = [n for n, column in enumerate(columns) if column in dates]

    def convert(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for n in where:
            values[n] = _date(values[n])
        return values

    return convert


def _known(alias: str, instant: dt.datetime | None) -> tuple[str, list[Any]]:
    """SQL selecting the rows known at `instant` (live if None), and its parameters."""
    if instant is None:
        return f"{alias}.superseded_at IS NULL", []
    return (
        f"{alias}.recorded_at <= {{}} AND ({alias}.superseded_at IS NULL"
        f" OR {alias}.superseded_at > {{}})",
        [instant, instant],
    )


async def load_evidence(
    family_ids: Iterable[int], instant: dt.datetime | None, engine: Any = None
) -> list[ev.FamilyEvidence]:
    """The evidence of each family in `family_ids`, as known at `instant` (live if None).

    One read transaction (one connection) and one query per kind of record, whatever the
    number of families.
    """
    ids = list(family_ids)
    if not ids:
        return []
    engine = engine or Family._meta.db
    async with engine.transaction() as transaction:
        return await _load(Bulk(transaction), ids, instant)


async def _status_at(
    bulk: Bulk, ids: list[int], instant: dt.datetime
) -> dict[int, tuple[bool, dt.date | None]]:
    """For the families whose status changed after `instant`: whether they were attached
    by then, and their closure date as it stood (None if not closed).

    The family row holds only the latest attachment and closure; its status history tells
    what they were before a later closure or reopening, so that a claim re-verified after
    the family was closed is judged on the family as it was when the claim was made.
    """
    later = await bulk.rows(
        "SELECT s.family, s.status FROM family_status_change s"
        f" WHERE s.family IN ({placeholders(ids)}) AND s.changed_at > {{}}",
        *ids,
        instant,
    )
    if not later:
        return {}
    changed = sorted({row[0] for row in later})
    attached_later = {row[0] for row in later if row[1] == "attached"}
    earlier = await bulk.rows(
        f"SELECT s.family, s.status, {bulk.plain('s', ('changed_on',))}"
        f" FROM family_status_change s WHERE s.family IN ({placeholders(changed)})"
        " AND s.changed_at <= {} ORDER BY s.family, s.changed_at, s.id",
        *changed,
        instant,
    )
    last: dict[int, tuple[str, Any]] = {}
    for family, status, changed_on in earlier:
        last[family] = (status, changed_on)
    found: dict[int, tuple[bool, dt.date | None]] = {}
    for family in changed:
        status, changed_on = last.get(family, ("", None))
        found[family] = (
            family not in attached_later,
            _date(changed_on) if status == "closed" else None,
        )
    return found


async def _load(
    bulk: Bulk, ids: list[int], instant: dt.datetime | None
) -> list[ev.FamilyEvidence]:
    marks = placeholders(ids)
    family_columns = ("id", "family_ref", "identified_on", "attached_on", "closed_on")
    families = await bulk.rows(
        f"SELECT {bulk.plain('f', family_columns)}, f.local_filter, f.expectant_parent"
        f" FROM family f WHERE f.id IN ({marks}) ORDER BY f.id",
        *ids,
    )
    status_at = {} if instant is None else await _status_at(bulk, ids, instant)
    known, known_params = _known("m", instant)
    member_columns = ("person", "person_ref", "date_of_birth", "role", "joined_on", "left_on")
    memberships = await bulk.rows(
        f"SELECT m.family, {bulk.plain('m', member_columns[:1])},"
        f" {bulk.plain('p', member_columns[1:3])}, {bulk.plain('m', member_columns[3:])}"
        " FROM membership m JOIN person p ON p.id = m.person"
        f" WHERE m.family IN ({marks}) AND {known} ORDER BY m.family, m.person",
        *ids,
        *known_params,
    )
    to_member = _converter(member_columns, frozenset({"date_of_birth", "joined_on", "left_on"}))
    members: dict[int, list[ev.Member]] = defaultdict(list)
    families_of: dict[int, list[int]] = defaultdict(list)
    for row in memberships:
        members[row[0]].append(ev.Member(*to_member(row[1:])))
        if row[0] not in families_of[row[1]][-1:]:
            families_of[row[1]].append(row[0])
    found: dict[str, dict[int, list[Any]]] = {kind: defaultdict(list) for kind in KINDS}
    people = f"SELECT person FROM membership WHERE family IN ({marks})"
    for name, kind in KINDS.items():
        known, known_params = _known("e", instant)
        if kind.table == "need":
            whose, params = f"e.family IN ({marks})", list(ids)
        elif kind.has_family:
            whose, params = f"(e.person IN ({people}) OR e.family IN ({marks}))", ids + ids
        else:
            whose, params = f"e.person IN ({people})", list(ids)
        owner = ", e.family" if kind.table == "need" or kind.has_family else ""
        rows = await bulk.rows(
            f"SELECT {bulk.plain('e', kind.columns)}{owner} FROM {kind.table} e"
            f" WHERE {whose} AND {known} ORDER BY e.id",
            *params,
            *known_params,
        )
        convert, width, person = (
            _converter(kind.columns, kind.dates),
            len(kind.columns),
            kind.columns.index("person"),
        )
        into = found[name]
        for row in rows:
            value = kind.make(*convert(row[:width]))
            owners = (row[width],) if owner and row[width] else families_of[row[person]]
            for family in owners:
                into[family].append(value)
    # (attached, closure date) as known at `instant`: the row's, unless changed since.
    then = {family[0]: status_at.get(family[0], (True, _date(family[4]))) for family in families}
    return [
        ev.FamilyEvidence(
            family_id=family[0],
            family_ref=family[1],
            identified_on=_date(family[2]),
            attached_on=_date(family[3]) if then[family[0]][0] else None,
            closed_on=then[family[0]][1],
            local_filter=bool(family[5]),
            expectant_parent=bool(family[6]),
            known_at=instant,
            members=tuple(members[family[0]]),
            **{name: tuple(found[name][family[0]]) for name in KINDS},
        )
        for family in families
    ]
