"""What a row may refer to: the programme's people and families, headlines and measures."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import operator
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import attrs

from connecting_families.domain.measures import Measure
from connecting_families.families.tables import Family, Person
from connecting_families.imports.reader import Problems, Row

# The column a person is found by, for the messages.
PERSON_COLUMNS = ("person_ref", "upn", "ni_number")


@attrs.define(eq=False)
class References:
    """Lookups for one import, loaded once: never one query per row."""

    programme_id: int
    programme_code: str
    today: dt.date
    problems: Problems
    headlines: tuple[str, ...] = ()
    measures: Mapping[str, Measure] = attrs.field(factory=dict)
    people: dict[str, int] = attrs.field(factory=dict)
    by_upn: dict[str, list[int]] = attrs.field(factory=dict)
    by_ni_number: dict[str, list[int]] = attrs.field(factory=dict)
    families: dict[str, int] = attrs.field(factory=dict)

    async def load_people(self, only: Mapping[str, Any] | None = None) -> None:
        """The programme's people; with `only` (one row's values), just those it names."""
        query = Person.select(Person.id, Person.person_ref, Person.upn, Person.ni_number).where(
            Person.programme == self.programme_id
        )
        if only is not None:
            named = [
                column.is_in([only[name]])
                for name, column in (
                    ("person_ref", Person.person_ref),
                    ("subject_person_ref", Person.person_ref),
                    ("upn", Person.upn),
                    ("ni_number", Person.ni_number),
                )
                if only.get(name) is not None
            ]
            if not named:
                return
            query = query.where(functools.reduce(operator.or_, named))
        rows = await query
        by_upn: dict[str, list[int]] = defaultdict(list)
        by_ni: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            self.people[row["person_ref"]] = row["id"]
            if row["upn"]:
                by_upn[row["upn"]].append(row["id"])
            if row["ni_number"]:
                by_ni[row["ni_number"]].append(row["id"])
        self.by_upn = dict(by_upn)
        self.by_ni_number = dict(by_ni)

    async def load_families(self, only: Mapping[str, Any] | None = None) -> None:
        """The programme's families; with `only` (one row's values), just the one it names."""
        query = Family.select(Family.id, Family.family_ref).where(
            Family.programme == self.programme_id
        )
        if only is not None:
            if only.get("family_ref") is None:
                return
            query = query.where(Family.family_ref == only["family_ref"])
        rows = await query
        self.families = {row["family_ref"]: row["id"] for row in rows}

    def in_order(self, row: Row, *columns: str) -> bool:
        """Whether the row's dates in `columns` (those given) never go backwards."""
        given = [(c, row.values[c]) for c in columns if row.values[c] is not None]
        for (earlier, first), (later, second) in itertools.pairwise(given):
            if second < first:
                self.problems.add(row.line, later, f"is before {earlier}")
                return False
        return True

    def not_future(self, row: Row, *columns: str) -> bool:
        """Whether none of the row's dates in `columns` is after today."""
        late = [c for c in columns if row.values[c] is not None and row.values[c] > self.today]
        for column in late:
            self.problems.add(row.line, column, "is in the future")
        return not late

    def _matches(self, column: str, value: str) -> list[int]:
        if column == "upn":
            return self.by_upn.get(value, [])
        if column == "ni_number":
            return self.by_ni_number.get(value, [])
        found = self.people.get(value)
        return [] if found is None else [found]

    def person(self, row: Row, columns: tuple[str, ...], *, required: bool = True) -> int | None:
        """The one person the row's person columns name, or None (with a problem if wrong)."""
        values = row.values
        if len(columns) == 1 or all(values[c] is None for c in columns[1:]):
            # The usual case, by person_ref alone, without the general machinery.
            person = self.people.get(values[columns[0]]) if columns[0] != "upn" else None
            if person is not None:
                return person
        found: int | None = None
        found_by: str | None = None
        for column in columns:
            value = row.values.get(column)
            if value is None:
                continue
            ids = self._matches(column, value)
            if not ids:
                self.problems.add(
                    row.line, column, f"matches no person in programme {self.programme_code}"
                )
                return None
            if len(ids) > 1:
                self.problems.add(
                    row.line, column, "matches more than one person; give person_ref instead"
                )
                return None
            if found is not None and ids[0] != found:
                self.problems.add(
                    row.line, column, f"names a different person from column {found_by}"
                )
                return None
            found, found_by = ids[0], column
        if found is None and required:
            self.problems.add(
                row.line, columns[0], f"is required: give one of {', '.join(columns)}"
            )
        return found

    def family(self, row: Row, column: str = "family_ref") -> int | None:
        value = row.values.get(column)
        if value is None:
            return None
        found = self.families.get(value)
        if found is None:
            self.problems.add(
                row.line, column, f"matches no family in programme {self.programme_code}"
            )
        return found

    def person_or_family(self, row: Row, person_columns: tuple[str, ...]) -> dict[str, Any] | None:
        """A member's record (person set) or the household's (family set): exactly one."""
        named = [c for c in (*person_columns, "family_ref") if row.values.get(c) is not None]
        if not named:
            self.problems.add(
                row.line,
                person_columns[0],
                f"is required: give one of {', '.join((*person_columns, 'family_ref'))}",
            )
            return None
        if "family_ref" in named and len(named) > 1:
            self.problems.add(
                row.line,
                "family_ref",
                "give either a person (a member's record) or family_ref (the household's), "
                "not both",
            )
            return None
        if named == ["family_ref"]:
            family = self.family(row)
            return None if family is None else {"person": None, "family": family}
        person = self.person(row, person_columns)
        return None if person is None else {"person": person, "family": None}
