"""Finding stored refs and codes that break the one grammar (`domain/refs.py`).

Rows written before the grammar was enforced may hold a ref with `/`, `..`, a control
character or a formula's first character. They are listed for the programme team to decide
on, never rewritten here: a ref is the authority's own key, known to its partners' systems,
and a silent rename would break the next file they send.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import attrs
from piccolo.columns import Column
from piccolo.table import Table

from connecting_families.assessments.tables import Assessment, Need
from connecting_families.claims.tables import Claim
from connecting_families.domain.refs import CODE_MAX_LENGTH, REF_MAX_LENGTH, is_ref
from connecting_families.evidence.tables import (
    AntisocialBehaviour,
    Attendance,
    Exclusion,
    Observation,
    Offence,
)
from connecting_families.families.tables import Family, Person
from connecting_families.plans.tables import PlanGoal
from connecting_families.programmes.tables import Programme

# Rows read at a time, by id: memory stays bounded on a national database.
BATCH = 5_000


@attrs.frozen
class BadRef:
    kind: str
    table: str
    row_id: int
    programme: str
    ref: str
    # False for a row a later correction superseded (history), True otherwise.
    live: bool


@attrs.frozen
class _Checked:
    kind: str
    table: type[Table]
    ref: Column
    programme: Column
    max_length: int = REF_MAX_LENGTH


def _checked() -> tuple[_Checked, ...]:
    # Two joins deep, which Piccolo's types do not follow.
    plan: Any = PlanGoal.plan
    return (
        _Checked("programme code", Programme, Programme.code, Programme.code, CODE_MAX_LENGTH),
        _Checked("family_ref", Family, Family.family_ref, Family.programme.code),
        _Checked("person_ref", Person, Person.person_ref, Person.programme.code),
        _Checked(
            "assessment_ref",
            Assessment,
            Assessment.assessment_ref,
            Assessment.programme.code,
        ),
        _Checked("need_ref", Need, Need.need_ref, Need.programme.code),
        _Checked("need_ref", PlanGoal, PlanGoal.need_ref, plan.family.programme.code),
        _Checked("exclusion_ref", Exclusion, Exclusion.exclusion_ref, Exclusion.programme.code),
        _Checked("offence_ref", Offence, Offence.offence_ref, Offence.programme.code),
        _Checked(
            "asb_ref",
            AntisocialBehaviour,
            AntisocialBehaviour.asb_ref,
            AntisocialBehaviour.programme.code,
        ),
        _Checked(
            "observation_ref",
            Observation,
            Observation.observation_ref,
            Observation.programme.code,
        ),
        _Checked("school_urn", Attendance, Attendance.school_urn, Attendance.programme.code, 16),
        _Checked("claim_ref", Claim, Claim.claim_ref, Claim.programme.code),
    )


async def _rows(checked: _Checked) -> AsyncIterator[dict[str, Any]]:
    table = checked.table
    id_column = table._meta.primary_key
    superseded = getattr(table, "superseded_at", None)
    columns = [id_column, checked.ref, checked.programme.as_alias("programme_code")]
    if superseded is not None:
        columns.append(superseded)
    last = 0
    while True:
        batch = (
            await table.select(*columns)
            .where(id_column > last, checked.ref.is_not_null())
            .order_by(id_column)
            .limit(BATCH)
        )
        for row in batch:
            yield row
        if len(batch) < BATCH:
            return
        last = batch[-1][id_column._meta.name]


async def bad_refs() -> list[BadRef]:
    """Every stored ref and programme code outside the grammar, table by table, by id."""
    found = []
    for checked in _checked():
        name = checked.ref._meta.name
        async for row in _rows(checked):
            if not is_ref(row[name], checked.max_length):
                found.append(
                    BadRef(
                        kind=checked.kind,
                        table=checked.table._meta.tablename,
                        row_id=row["id"],
                        programme=row["programme_code"],
                        ref=row[name],
                        live=row.get("superseded_at") is None,
                    )
                )
    return found
