"""Finding a family by a member's name, a reference, a date of birth or a postcode.

Only families in the caller's scope are searched (`family_scope`), so a search never says that
a family exists elsewhere; each search is audited as the list of the families it showed
(`record_listed`), as a page of the family list is. Three queries whatever the number found:
the families, their current members, their key workers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from connecting_families.access.policy import Principal, family_scope
from connecting_families.audit.service import Actor
from connecting_families.database.engine import read_by_key
from connecting_families.families.members import (
    KnownPerson,
    Member,
    PossibleMatch,
    current_members_of,
    known_people,
)
from connecting_families.families.service import (
    FamilySummary,
    current_allocations,
    postcode_of,
    record_listed,
)
from connecting_families.families.tables import Family

# As many as a page can show; a search finding more asks for more to narrow it by.
MOST_FOUND = 50


@attrs.frozen
class FamilySearch:
    """What to look for; every part is optional, and the parts given must all match. A name
    is words, each the start of the same member's given or family name."""

    name: str = ""
    ref: str = ""
    date_of_birth: dt.date | None = None
    postcode: str = ""

    @property
    def empty(self) -> bool:
        return not (self.name.strip() or self.ref.strip() or self.postcode.strip()) and (
            self.date_of_birth is None
        )


@attrs.frozen
class FoundFamily:
    """A family found, with its current members."""

    family: FamilySummary
    members: tuple[Member, ...]


@attrs.frozen
class SearchResult:
    families: tuple[FoundFamily, ...]
    # More matched than are shown (MOST_FOUND).
    more: bool


def _like(text: str) -> str:
    """`text` as the start of a LIKE pattern, its own wildcards taken out."""
    return text.lower().replace("%", "").replace("_", "").replace("\\", "") + "%"


def search_conditions(search: FamilySearch) -> list[WhereRaw]:
    """Where clauses on `family` for the parts of `search` given (the caller adds the scope).

    The name's words and the date of birth are about one person: "Amy Smith 1 Apr 2005"
    finds the family with an Amy Smith born then, not one with an Amy and a Smith.
    """
    conditions = []
    person: list[str] = []
    values: list[Any] = []
    for word in search.name.split()[:5]:
        if _like(word) == "%":
            continue
        person.append("(lower(p.given_name) LIKE {} OR lower(p.family_name) LIKE {})")
        values += [_like(word), _like(word)]
    if search.date_of_birth is not None:
        person.append("p.date_of_birth = {}")
        values.append(search.date_of_birth)
    if person:
        # Only the fixed clauses above are joined in; what was typed goes as parameters.
        clauses = " AND ".join(person)
        sql = (
            "(EXISTS (SELECT 1 FROM membership m JOIN person p ON p.id = m.person"  # noqa: S608
            f" WHERE m.family = family.id AND m.superseded_at IS NULL AND {clauses}))"
        )
        conditions.append(WhereRaw(sql, *values))
    if ref := search.ref.strip().lower():
        conditions.append(
            WhereRaw(
                "(lower(family.family_ref) = {} OR EXISTS (SELECT 1 FROM membership m"
                " JOIN person p ON p.id = m.person WHERE m.family = family.id"
                " AND m.superseded_at IS NULL AND lower(p.person_ref) = {}))",
                ref,
                ref,
            )
        )
    if postcode := postcode_of(search.postcode):
        # Upper case in the column (`postcode_of`), so a prefix needs no lower().
        pattern = postcode.replace("%", "").replace("_", "").replace("\\", "") + "%"
        conditions.append(WhereRaw("(family.postcode LIKE {})", pattern))
    return conditions


async def search_families(
    principal: Principal, actor: Actor, search: FamilySearch
) -> SearchResult:
    """The families in `principal`'s scope that match `search`, by reference, audited as a
    list of those shown. An empty search finds nothing (it is not a list of everyone)."""
    if search.empty:
        return SearchResult((), False)
    rows = (
        await Family.select(
            Family.id,
            Family.family_ref,
            Family.programme.code.as_alias("programme_code"),
            Family.programme.as_alias("programme_id"),
            Family.status,
            Family.ward,
            Family.postcode,
            Family.identified_on,
        )
        .where(family_scope(principal, "read"), *search_conditions(search))
        .order_by(Family.family_ref)
        .order_by(Family.id)
        .limit(MOST_FOUND + 1)
    )
    shown, more = rows[:MOST_FOUND], len(rows) > MOST_FOUND
    ids = [row["id"] for row in shown]
    members = await current_members_of(ids)
    allocated = await current_allocations(ids)
    await record_listed(actor, shown)
    found = tuple(
        FoundFamily(
            family=FamilySummary(
                id=row["id"],
                family_ref=row["family_ref"],
                programme=row["programme_code"],
                status=row["status"],
                ward=row["ward"],
                postcode=row["postcode"],
                identified_on=row["identified_on"],
                key_worker=allocated.get(row["id"], (None, None))[0],
            ),
            members=tuple(members[row["id"]]),
        )
        for row in shown
    )
    return SearchResult(found, more)


# As many people as the add-member page offers from one search.
MOST_PEOPLE = 20


async def search_people(
    principal: Principal, actor: Actor, programme_id: int, name: str
) -> tuple[KnownPerson, ...]:
    """People of the programme in households `principal` may write whose given and family
    names start with the words of `name`: those who can be added to another household from
    there. Audited as a list of the families whose people are shown."""
    words = [_like(word) for word in name.split()[:5] if _like(word) != "%"]
    if not words:
        return ()
    scope = family_scope(principal, "write")
    named = " AND ".join(
        "(lower(p.given_name) LIKE {} OR lower(p.family_name) LIKE {})" for _ in words
    )
    # Only the fixed clauses are joined in; what was typed goes as parameters.
    sql = (
        "SELECT DISTINCT p.id AS person, family.id AS family, family.programme AS programme_id"  # noqa: S608
        " FROM person p JOIN membership m ON m.person = p.id"
        " JOIN family ON family.id = m.family"
        f" WHERE m.superseded_at IS NULL AND p.programme = {{}} AND {{}} AND {named}"
        " ORDER BY p.id LIMIT {}"
    )
    values = [value for word in words for value in (word, word)]
    rows = await read_by_key(
        QueryString(sql, programme_id, scope.querystring, *values, MOST_PEOPLE * 4)
    )
    people = list(dict.fromkeys(row["person"] for row in rows))[:MOST_PEOPLE]
    shown = {row["family"]: row for row in rows if row["person"] in people}
    listed = [{"id": f, "programme_id": row["programme_id"]} for f, row in shown.items()]
    await record_listed(actor, listed)
    return await known_people(principal, [PossibleMatch(p, "", ("name",)) for p in people])
