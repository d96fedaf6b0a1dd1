"""A key worker records one item of evidence (an ASB incident, a job start, a school return).

The item is validated exactly as a row of the matching import file is: it is made into a
one-row file of that kind and read by the same code, so the two can never disagree.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import attrs

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import AnyEngine, take_turns
from connecting_families.domain.dates import today
from connecting_families.errors import Invalid, NotFound
from connecting_families.families.scope import writing_family
from connecting_families.families.tables import Membership
from connecting_families.hooks.host import PluginHost
from connecting_families.imports.bulk import Bulk
from connecting_families.imports.kinds import KINDS, RecordedKind
from connecting_families.imports.reader import CsvFile, Problems
from connecting_families.imports.records import RecordWriter, live_rows
from connecting_families.imports.references import References

# Assessments and needs have routes of their own, with their workflow.
SINGLE_KINDS = (
    "attendance",
    "exclusions",
    "offences",
    "asb",
    "benefits",
    "employment",
    "work_programme",
    "observations",
)


@attrs.frozen
class Recorded:
    kind: str
    # "inserted", "superseded" (a correction of the live record) or "unchanged".
    outcome: str
    record: dict[str, Any]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _subject(kind: RecordedKind, values: dict[str, Any]) -> tuple[str, Any]:
    """The narrowest column that finds the live record this one may correct."""
    first = kind.key[0]
    if first.endswith("_ref") and values.get(first) is not None:
        return first, values[first]
    return ("person", values["person"]) if values.get("person") else ("family", values["family"])


class EvidenceRecorder:
    def __init__(self, engine: AnyEngine, plugins: PluginHost) -> None:
        self.engine = engine
        self.plugins = plugins

    async def record_one(
        self,
        principal: Principal,
        actor: Actor,
        family_id: int,
        kind_name: str,
        fields: dict[str, Any],
    ) -> Recorded:
        if kind_name not in SINGLE_KINDS:
            raise NotFound(
                f"There is no evidence kind {kind_name!r}; "
                f"the kinds are {', '.join(SINGLE_KINDS)}."
            )
        kind = KINDS[kind_name]
        known = {column.name for column in kind.columns}
        unknown = sorted(name for name in fields if name.strip().lower() not in known)
        if unknown:
            raise Invalid(
                "The record has fields this kind does not have.",
                errors=[
                    {"field": name[:64], "message": "is not a field of this kind"}
                    for name in unknown
                ],
            )
        async with writing_family(self.engine, principal, actor, family_id) as family:
            values = await self._validate(kind, fields, family)
            await take_turns(self.engine, f"import:{family['programme_code']}:{kind.name}")
            bulk = Bulk(self.engine.current_transaction.get())
            writer = RecordWriter(
                bulk,
                kind,
                family["programme"],
                run_id=None,
                user_id=principal.user_id,
                write=True,
                progress=lambda *_: None,
            )
            subject = _subject(kind, values)
            await writer.load(subject)
            await writer.add([(2, values)])
            counts = writer.counts
            outcome = (
                "inserted"
                if counts.inserted
                else "superseded"
                if counts.superseded
                else "unchanged"
            )
            live = await live_rows(bulk, kind, family["programme"], subject)
            saved = next(
                row for row in live.values() if all(row[k] == values[k] for k in kind.key)
            )
            await record(
                actor,
                "family.evidence.record",
                "family",
                family_id,
                detail={"kind": kind.name, "outcome": outcome, "id": saved["id"]},
            )
        return Recorded(kind=kind.name, outcome=outcome, record=saved)

    async def _validate(
        self, kind: RecordedKind, fields: dict[str, Any], family: dict[str, Any]
    ) -> dict[str, Any]:
        """The item's table values, or `Invalid` naming each bad field."""
        cells = {name.strip().lower(): _cell(value) for name, value in fields.items()}
        names_a_subject = any(cells.get(c) for c in (*kind.one_of_columns, "person_ref"))
        if kind.family_columns and not names_a_subject:
            # A household's own record: this family.
            cells["family_ref"] = family["family_ref"]
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(cells)
        writer.writerow(cells.values())
        problems = Problems()
        refs = References(
            programme_id=family["programme"],
            programme_code=family["programme_code"],
            today=today(),
            problems=problems,
            headlines=self.plugins.headlines(family["ruleset_id"]),
            measures=self.plugins.measures(),
        )
        rows = list(CsvFile(text.getvalue(), kind.columns, problems).rows())
        values = None
        if rows and not problems:
            # Only the people and family the item names: not the whole programme's.
            await refs.load_people(rows[0].values)
            await refs.load_families(rows[0].values)
            values = kind.build(rows[0], refs)
        if values is not None:
            await self._check_belongs(values, family["id"], problems)
        if problems or values is None:
            raise Invalid(
                "The record was refused; see errors.",
                errors=[{"field": p.column or "", "message": p.message} for p in problems.listed],
            )
        return values

    async def _check_belongs(
        self, values: dict[str, Any], family_id: int, problems: Problems
    ) -> None:
        """The record must be of this family: one of its members, or the household."""
        if values.get("family") is not None and values["family"] != family_id:
            problems.add(2, "family_ref", "is not this family")
        person = values.get("person")
        if person is not None and not await Membership.exists().where(
            Membership.family == family_id,
            Membership.person == person,
            Membership.superseded_at.is_null(),
        ):
            problems.add(2, "person_ref", "is not a member of this family")
