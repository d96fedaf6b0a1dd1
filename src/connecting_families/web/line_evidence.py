"""A claim line's evidence as tables a person reads: one table per kind of record the family
had when the claim was prepared, each row marked where the frozen verdict used it, people by
name, dates as dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.domain.verdict import Verdict
from connecting_families.web.templating import day, humanise

# The kinds of evidence, as `FamilyEvidence` holds them and verdicts name them, in words.
KINDS = (
    ("attendance", "School attendance"),
    ("exclusions", "Exclusions from school"),
    ("offences", "Offences"),
    ("asb", "Anti-social behaviour"),
    ("benefits", "Out-of-work benefits"),
    ("employment", "Employment"),
    ("work_programme", "Work programme starts"),
    ("needs", "Needs"),
    ("observations", "Other measures"),
)
HIDDEN = frozenset({"id", "person_id"})


@attrs.frozen
class EvidenceTable:
    kind: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], bool], ...]  # (cells, used by the verdict)

    @property
    def used(self) -> int:
        return sum(1 for _, used in self.rows if used)


def used_ids(verdict: Verdict | None) -> dict[str, set[int]]:
    """The ids of the evidence rows the verdict's criteria used, by kind."""
    found: dict[str, set[int]] = {}
    for criterion in verdict.criteria if verdict else ():
        for kind, ids in criterion.evidence.items():
            found.setdefault(kind, set()).update(ids)
    return found


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return day(value)
    return humanise(value) if isinstance(value, str) and "_" in value else str(value)


def evidence_tables(
    evidence: FamilyEvidence, verdict: Verdict | None, names: dict[str, str]
) -> list[EvidenceTable]:
    """A table per kind of evidence the family has, in `KINDS` order."""
    used = used_ids(verdict)

    def person(person_id: int | None) -> str:
        if person_id is None:
            return "The household"
        member = evidence.member(person_id)
        return names.get(member.person_ref, member.person_ref) if member else "Not a member"

    tables = []
    for kind, title in KINDS:
        records = getattr(evidence, kind)
        if not records:
            continue
        fields = [f.name for f in attrs.fields(type(records[0])) if f.name not in HIDDEN]
        has_person = any(f.name == "person_id" for f in attrs.fields(type(records[0])))
        headers = (("Person",) if has_person else ()) + tuple(humanise(f) for f in fields)
        rows = tuple(
            (
                ((person(record.person_id),) if has_person else ())
                + tuple(_cell(getattr(record, f)) for f in fields),
                record.id in used.get(kind, set()),
            )
            for record in records
        )
        tables.append(EvidenceTable(kind, title, headers, rows))
    return tables
