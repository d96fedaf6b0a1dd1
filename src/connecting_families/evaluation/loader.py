# ruff: noqa: S608 - only "{}" placeholders and fixed table names are formatted into SQL here.
"""Loading `FamilyEvidence` for many families at once, as known at an instant.

A handful of queries per chunk of families, never one per family: the families, their
memberships (with the people), then each kind of evidence of those people and families.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from piccolo.table import Table

from connecting_families.domain import evidence as ev
from connecting_families.evidence import tables as t
from connecting_families.families.tables import Family
from connecting_families.imports.bulk import Bulk

# Evidence kind -> (table, how a row becomes a domain value)
Maker = Callable[[dict[str, Any]], Any]
KINDS: dict[str, tuple[type[Table], Maker]] = {
    "attendance": (
        t.Attendance,
        lambda r: ev.Attendance(
            r["id"],
            r["person"],
            r["period_start"],
            r["period_end"],
            r["possible_sessions"],
            r["unauthorised_absence_sessions"],
            r["authorised_absence_sessions"],
        ),
    ),
    "exclusions": (
        t.Exclusion,
        lambda r: ev.Exclusion(r["id"], r["person"], r["start_date"], r["kind"], r["sessions"]),
    ),
    "offences": (
        t.Offence,
        lambda r: ev.Offence(r["id"], r["person"], r["offence_date"], r["outcome_date"]),
    ),
    "asb": (
        t.AntisocialBehaviour,
        lambda r: ev.AntisocialBehaviour(r["id"], r["incident_date"], r["kind"], r["person"]),
    ),
    "benefits": (
        t.BenefitSpell,
        lambda r: ev.BenefitSpell(
            r["id"], r["person"], r["benefit"], r["start_date"], r["end_date"]
        ),
    ),
    "employment": (
        t.EmploymentSpell,
        lambda r: ev.EmploymentSpell(
            r["id"], r["person"], r["start_date"], r["end_date"], r["hours_per_week"]
        ),
    ),
    "work_programme": (
        t.WorkProgrammeStart,
        lambda r: ev.WorkProgrammeStart(r["id"], r["person"], r["provision"], r["start_date"]),
    ),
    "observations": (
        t.Observation,
        lambda r: ev.Observation(
            r["id"],
            r["measure"],
            r["value"],
            r["numeric_value"],
            r["observed_on"],
            r["period_start"],
            r["period_end"],
            r["person"],
        ),
    ),
}


def _sort_key(value: Any) -> tuple[Any, ...]:
    return (value.id,)


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
    number of families; the rows go through the driver, not Piccolo's row objects.
    """
    ids = list(family_ids)
    if not ids:
        return []
    engine = engine or Family._meta.db
    async with engine.transaction() as transaction:
        return await _load(Bulk(transaction), ids, instant)


async def _load(
    bulk: Bulk, ids: list[int], instant: dt.datetime | None
) -> list[ev.FamilyEvidence]:
    marks = ", ".join("{}" for _ in ids)
    families = await bulk.fetch(
        "SELECT id, family_ref, identified_on, attached_on, closed_on, local_filter,"
        f" expectant_parent FROM family WHERE id IN ({marks}) ORDER BY id",
        *ids,
    )
    known, known_params = _known("m", instant)
    memberships = await bulk.fetch(
        "SELECT m.family, m.person, m.role, m.joined_on, m.left_on, p.person_ref,"
        " p.date_of_birth FROM membership m JOIN person p ON p.id = m.person"
        f" WHERE m.family IN ({marks}) AND {known}",
        *ids,
        *known_params,
    )
    members: dict[int, list[ev.Member]] = defaultdict(list)
    families_of: dict[int, set[int]] = defaultdict(set)
    for row in memberships:
        members[row["family"]].append(
            ev.Member(
                row["person"],
                row["person_ref"],
                row["date_of_birth"],
                row["role"],
                row["joined_on"],
                row["left_on"],
            )
        )
        families_of[row["person"]].add(row["family"])
    people = f"SELECT person FROM membership WHERE family IN ({marks})"
    found: dict[str, dict[int, list[Any]]] = {
        kind: defaultdict(list) for kind in (*KINDS, "needs")
    }
    for kind, (table, make) in KINDS.items():
        name = table._meta.tablename
        has_family = "family" in {c._meta.name for c in table._meta.columns}
        known, known_params = _known("e", instant)
        whose = f"e.person IN ({people})"
        params = list(ids)
        if has_family:
            whose = f"({whose} OR e.family IN ({marks}))"
            params += ids
        rows = await bulk.fetch(
            f'SELECT * FROM "{name}" e WHERE {whose} AND {known}',
            *params,
            *known_params,
        )
        for row in rows:
            value = make(row)
            if has_family and row["family"]:
                owners: Iterable[int] = (row["family"],)
            else:
                owners = families_of[row["person"]]
            for family in owners:
                found[kind][family].append(value)
    known, known_params = _known("e", instant)
    needs = await bulk.fetch(
        f"SELECT * FROM need e WHERE e.family IN ({marks}) AND {known}",
        *ids,
        *known_params,
    )
    for row in needs:
        found["needs"][row["family"]].append(
            ev.Need(
                row["id"],
                row["headline"],
                row["identified_on"],
                row["outcome"],
                row["outcome_on"],
                row["person"],
            )
        )
    return [
        ev.FamilyEvidence(
            family_id=family["id"],
            family_ref=family["family_ref"],
            identified_on=family["identified_on"],
            attached_on=family["attached_on"],
            closed_on=family["closed_on"],
            local_filter=bool(family["local_filter"]),
            expectant_parent=bool(family["expectant_parent"]),
            known_at=instant,
            members=tuple(sorted(members[family["id"]], key=lambda m: m.person_id)),
            **{kind: tuple(sorted(found[kind][family["id"]], key=_sort_key)) for kind in found},
        )
        for family in families
    ]
