"""Internal audit's queries about sampled claim lines: the values and the reads.

An auditor who cannot sign off a sampled line as it stands queries it with a reason; the
programme manager answers. A query is open until answered, and a claim with an open query
cannot be submitted (`refuse_open_queries`, which `ClaimService.submit` asks). The writes
are `claims.querying.QueryService`'s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from connecting_families.claims.tables import ClaimLineQuery
from connecting_families.errors import Conflict


@attrs.frozen
class LineQuery:
    """One query about one line, and its answer once there is one."""

    id: int
    claim_id: int
    line_id: int
    family_ref: str
    route: str
    reason: str
    raised_by: str | None
    raised_at: dt.datetime
    answer: str | None = None
    answered_by: str | None = None
    answered_at: dt.datetime | None = None

    @property
    def open(self) -> bool:
        return self.answered_at is None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LineQuery:
        return cls(
            id=row["id"],
            claim_id=row["claim"],
            line_id=row["line"],
            family_ref=row["family_ref"],
            route=row["route"],
            reason=row["reason"],
            raised_by=row["raised_by_name"],
            raised_at=row["raised_at"],
            answer=row["answer"],
            answered_by=row["answered_by_name"],
            answered_at=row["answered_at"],
        )


def _select() -> Any:
    line: Any = ClaimLineQuery.line  # a join through two tables, which Piccolo's types miss
    return ClaimLineQuery.select(
        ClaimLineQuery.id,
        ClaimLineQuery.claim,
        ClaimLineQuery.line,
        ClaimLineQuery.reason,
        ClaimLineQuery.raised_at,
        ClaimLineQuery.answer,
        ClaimLineQuery.answered_at,
        line.family.family_ref.as_alias("family_ref"),
        line.route.as_alias("route"),
        ClaimLineQuery.raised_by.username.as_alias("raised_by_name"),
        ClaimLineQuery.answered_by.username.as_alias("answered_by_name"),
    )


async def queries_of(claim_id: int, line_id: int | None = None) -> list[LineQuery]:
    """The claim's queries (or one line's), oldest first; unchecked and unaudited, for a
    caller who has already read the claim through its scope check."""
    conditions = [ClaimLineQuery.claim == claim_id]
    if line_id is not None:
        conditions.append(ClaimLineQuery.line == line_id)
    rows = await _select().where(*conditions).order_by(ClaimLineQuery.id)
    return [LineQuery.from_row(row) for row in rows]


async def open_queries_of(claim_id: int) -> list[LineQuery]:
    """The claim's queries not yet answered, oldest first (unchecked, as `queries_of`)."""
    return [query for query in await queries_of(claim_id) if query.open]


async def query_of(claim_id: int, query_id: int) -> LineQuery | None:
    rows = await _select().where(ClaimLineQuery.claim == claim_id, ClaimLineQuery.id == query_id)
    return LineQuery.from_row(rows[0]) if rows else None


def line_words(family_ref: str, route: str, line_id: int) -> str:
    """A line as a refusal names it: its family, its route in words, and its number."""
    return f"the line of {family_ref} for {route.replace('_', ' ')} (line {line_id})"


async def open_queries_words(claim_id: int) -> tuple[str, list[int]] | None:
    """Why the claim cannot be submitted while internal audit's queries are open, in words,
    with the queried lines' ids; None when no query is open."""
    waiting = await open_queries_of(claim_id)
    if not waiting:
        return None
    lines = sorted({(q.family_ref, q.route, q.line_id) for q in waiting})
    named = "; ".join(line_words(*line) for line in lines)
    words = f"Internal audit has queried {named}. Answer the query before submitting the claim."
    return words, [line_id for _, _, line_id in lines]


async def refuse_open_queries(claim_id: int) -> None:
    """`Conflict` naming each line of the claim with an open query: such a claim cannot be
    submitted until the programme manager has answered internal audit."""
    queried = await open_queries_words(claim_id)
    if queried is not None:
        raise Conflict(queried[0], extra={"queried_lines": queried[1]})
