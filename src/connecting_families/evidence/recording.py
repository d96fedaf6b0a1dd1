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
from connecting_families.database.bulk import Bulk
from connecting_families.database.engine import AnyEngine, take_turns
from connecting_families.domain.dates import today
from connecting_families.domain.evidence import Member, shown_for, span
from connecting_families.errors import Invalid, NotFound
from connecting_families.families.scope import writing_family
from connecting_families.families.tables import Membership
from connecting_families.hooks.host import PluginHost
from connecting_families.imports.kinds import KINDS, RecordedKind, key_of
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


class _Refused(Exception):
    """The item would reach another family's records: the field and message to answer with,
    and the families whose records it reached (to audit the probe against)."""

    def __init__(self, action: str, field: str, message: str, families: list[int]) -> None:
        super().__init__(message)
        self.action, self.field, self.message, self.families = action, field, message, families


# The answer whenever a record's key is another family's (or another person's): the same
# whichever family it is, and never saying that the record exists.
KEY_REFUSED = "cannot be used for this family's records: give the record a new reference"
DATES_REFUSED = "was not a member of this family on the record's dates"
OTHER_MEMBER = (
    "is the reference of another of this family's records (another member's or the "
    "household's): a correction cannot move a record to another person"
)


async def _memberships(person: int) -> dict[int, list[Member]]:
    """The person's live memberships, by family."""
    rows = await Membership.select(
        Membership.family,
        Membership.person.person_ref.as_alias("person_ref"),
        Membership.person.date_of_birth.as_alias("date_of_birth"),
        Membership.role,
        Membership.joined_on,
        Membership.left_on,
    ).where(Membership.person == person, Membership.superseded_at.is_null())
    found: dict[int, list[Member]] = {}
    for row in rows:
        found.setdefault(row["family"], []).append(
            Member(
                person_id=person,
                person_ref=row["person_ref"],
                date_of_birth=row["date_of_birth"],
                role=row["role"],
                joined_on=row["joined_on"],
                left_on=row["left_on"],
            )
        )
    return found


async def _showing(kind: RecordedKind, row: dict[str, Any]) -> list[int]:
    """The families that show `row` (a record's values): the household's own, or those whose
    member the person was on the record's days (see `evidence/service.py`)."""
    if row.get("person") is None:
        return [row["family"]]
    first, last = span(kind.name, row.get)
    return [
        family
        for family, spans in (await _memberships(row["person"])).items()
        if shown_for(spans, first, last)
    ]


async def _not_this_familys(
    kind: RecordedKind, values: dict[str, Any], live: dict[Any, dict[str, Any]], family_id: int
) -> _Refused | None:
    """Why the item may not be recorded through `family_id`, if it may not.

    The item must land in this family's records (a member's record dated in their time in
    the household, unless no other household shows those days either), and a live record it
    corrects (the same natural key, anywhere in the programme) must be of the same person or
    household and shown by this family. An import, made by someone whose scope is the whole
    programme, may move records between people and households; one item may not.
    """
    landing = await _showing(kind, values)
    if landing and family_id not in landing:
        return _Refused("family.evidence.dates_refused", "person_ref", DATES_REFUSED, landing)
    current = live.get(key_of(kind)(values))
    if current is None:
        return None
    showing = await _showing(kind, current)
    if not showing:
        # Shown by no household on its days: the person's, in each household they are in.
        showing = list(await _memberships(current["person"]))
    same = all(current.get(c) == values.get(c) for c in ("person", "family") if c in current)
    field = kind.key[0] if kind.key[0].endswith("_ref") else "person_ref"
    if family_id in showing:
        return None if same else _Refused("family.evidence.key_refused", field, OTHER_MEMBER, [])
    return _Refused("family.evidence.key_refused", field, KEY_REFUSED, showing)


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
        """Record one item on the family; refused when it would correct (or land in)
        another family's records, the probe audited against that family."""
        try:
            return await self._record_one(principal, actor, family_id, kind_name, fields)
        except _Refused as refused:
            for other in refused.families:
                await record(
                    actor,
                    refused.action,
                    "family",
                    other,
                    allowed=False,
                    detail={"kind": kind_name, "from_family": family_id},
                )
            raise Invalid(
                "The record was refused; see errors.",
                errors=[{"field": refused.field, "message": refused.message}],
            ) from None

    async def _record_one(
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
        # Partners' evidence is what happened to the family, not casework: outcomes go on being
        # measured after the case closes (a sustained outcome is proved months later).
        async with writing_family(
            self.engine, principal, actor, family_id, even_if_closed=True
        ) as family:
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
            refused = await _not_this_familys(kind, values, writer.live, family["id"])
            if refused is not None:
                # Rolled back with the write; audited below, once the transaction is over.
                raise refused
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
