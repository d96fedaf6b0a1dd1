# ruff: noqa: S608 - only "{}" placeholders and fixed table and column names are formatted.
"""Loading `FamilyEvidence` for many families at once, as known at an instant.

A handful of queries per chunk of families, never one per family: the families, their
memberships (with the people), then each kind of evidence of those people and families. A
family holds a person's records of their time in the household, and those its rule set may
read further (`domain.evidence.read_for`); not the rest of their life.
Rows come back as plain tuples through the driver (`Bulk.rows`), and on SQLite the dates
are parsed here, once per distinct date, instead of by Piccolo's per-value converters.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from connecting_families.database.bulk import Bulk
from connecting_families.database.columns import placeholders
from connecting_families.domain import evidence as ev
from connecting_families.families.tables import Family


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


def _span(name: str) -> Callable[[Any], tuple[dt.date, dt.date | None]]:
    """A function giving the first and last day of a domain value of the kind `name`
    (every kind with a person has its days in `ev.SPANS`; needs are the family's)."""
    return lambda value: ev.span(name, functools.partial(getattr, value))


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


async def _as_they_were(bulk: Bulk, ids: list[int], instant: dt.datetime) -> dict[int, Any]:
    """For each family changed after `instant`, the facts of its row as they were then:
    `(identified_on, attached_on, closed_on, local_filter, expectant_parent)`.

    The family row holds only the latest values; a trigger keeps every replaced set in
    `family_revision` (see the table), so a claim re-verified after the family was
    corrected, closed or reopened is judged on the family as it stood when it was made.
    """
    rows = await bulk.rows(
        f"SELECT r.family, {bulk.plain('r', ('identified_on', 'attached_on', 'closed_on'))},"
        " r.local_filter, r.expectant_parent FROM family_revision r"
        f" WHERE r.family IN ({placeholders(ids)}) AND r.valid_until > {{}}"
        " ORDER BY r.family, r.valid_until DESC, r.id DESC",
        *ids,
        instant,
    )
    # The earliest revision after `instant` holds what the row said at `instant`.
    return {row[0]: row[1:] for row in rows}


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
    if instant is not None:
        then = await _as_they_were(bulk, ids, instant)
        families = [(f[0], f[1], *then[f[0]]) if f[0] in then else f for f in families]
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
    # A person's memberships of a family, where one has dates: the rest are members always.
    bounded: dict[tuple[int, int], list[ev.Member]] = {}
    for row in memberships:
        member = ev.Member(*to_member(row[1:]))
        members[row[0]].append(member)
        if row[0] not in families_of[row[1]][-1:]:
            families_of[row[1]].append(row[0])
        if member.joined_on is not None or member.left_on is not None:
            bounded.setdefault((row[0], row[1]), [])
    for family, person in bounded:
        bounded[family, person] = [m for m in members[family] if m.person_id == person]
    attached = {family[0]: _date(family[3]) for family in families}
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
        span = _span(name)
        for row in rows:
            value = kind.make(*convert(row[:width]))
            if owner and row[width]:
                into[row[width]].append(value)
                continue
            for family in families_of[row[person]]:
                spans = bounded.get((family, row[person]))
                if spans is None or ev.read_for(name, spans, attached[family], *span(value)):
                    into[family].append(value)
    return [
        ev.FamilyEvidence(
            family_id=family[0],
            family_ref=family[1],
            identified_on=_date(family[2]),
            attached_on=_date(family[3]),
            closed_on=_date(family[4]),
            local_filter=bool(family[5]),
            expectant_parent=bool(family[6]),
            known_at=instant,
            members=tuple(members[family[0]]),
            **{name: tuple(found[name][family[0]]) for name in KINDS},
        )
        for family in families
    ]
