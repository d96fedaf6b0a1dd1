"""Loading `FamilyEvidence` for many families at once, as known at an instant.

A handful of queries per chunk of families, never one per family: the families, their
memberships (with the people), then each kind of evidence of those people and families.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from piccolo.columns.combination import Or
from piccolo.table import Table

from connecting_families.assessments.tables import Need
from connecting_families.domain import evidence as ev
from connecting_families.evidence import tables as t
from connecting_families.evidence.service import known_at
from connecting_families.families.tables import Family, Membership

FAMILY_COLUMNS = (
    Family.id,
    Family.family_ref,
    Family.identified_on,
    Family.attached_on,
    Family.closed_on,
    Family.local_filter,
    Family.expectant_parent,
)

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


async def load_evidence(
    family_ids: Iterable[int], instant: dt.datetime | None
) -> list[ev.FamilyEvidence]:
    """The evidence of each family in `family_ids`, as known at `instant` (live if None)."""
    ids = list(family_ids)
    if not ids:
        return []
    families = await Family.select(*FAMILY_COLUMNS).where(Family.id.is_in(ids)).order_by(Family.id)
    memberships = await Membership.select(
        Membership.family,
        Membership.person,
        Membership.role,
        Membership.joined_on,
        Membership.left_on,
        Membership.person.person_ref.as_alias("person_ref"),
        Membership.person.date_of_birth.as_alias("date_of_birth"),
    ).where(Membership.family.is_in(ids), *known_at(Membership, instant))
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
    people = list(families_of) or [0]
    found: dict[str, dict[int, list[Any]]] = {
        kind: defaultdict(list) for kind in (*KINDS, "needs")
    }
    for kind, (table, make) in KINDS.items():
        person = table._meta.get_column_by_name("person")
        whose: Any = person.is_in(people)
        has_family = "family" in {c._meta.name for c in table._meta.columns}
        if has_family:
            whose = Or(whose, table._meta.get_column_by_name("family").is_in(ids))
        for row in await table.select().where(whose, *known_at(table, instant)):
            value = make(row)
            owners = (
                {row["family"]} if has_family and row["family"] else families_of[row["person"]]
            )
            for family in owners:
                found[kind][family].append(value)
    for row in await Need.select().where(Need.family.is_in(ids), *known_at(Need, instant)):
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
