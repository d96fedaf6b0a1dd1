"""Raising and answering internal audit's queries about sampled lines (`claims.queries`).

An auditor of the claim's programme queries a sampled line not yet signed off, with a reason,
while the claim is sampled; whoever prepared the claim may not (as for signing off). The
programme manager answers it, with the answer. Both are audited against the claim.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connecting_families.access.caller import Caller
from connecting_families.audit.service import record
from connecting_families.claims.queries import LineQuery, line_words, queries_of, query_of
from connecting_families.claims.service import MAX_REASON, claims_programme
from connecting_families.claims.tables import Claim, ClaimLine, ClaimLineQuery
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.errors import Conflict, Forbidden, Invalid, NotFound, field_error


async def claim_in_reach(caller: Caller, claim_id: int) -> dict[str, Any]:
    """The claim's row (with its programme's `code`) if the caller may reach its claims;
    otherwise `NotFound`, the same as for a claim that does not exist."""
    row = (
        await Claim.select(*Claim.all_columns(), Claim.programme.code.as_alias("code"))
        .where(Claim.id == claim_id)
        .first()
    )
    missing = NotFound(f"There is no claim {claim_id}, or it is not yours.")
    if row is None:
        raise missing
    try:
        await claims_programme(caller.principal, row["code"])
    except NotFound:
        raise missing from None
    return dict(row)


async def line_of(claim_id: int, line_id: int) -> dict[str, Any]:
    """The claim's line `line_id` with its family's ref; `NotFound` if the claim has none."""
    line = (
        await ClaimLine.select(
            *ClaimLine.all_columns(), ClaimLine.family.family_ref.as_alias("family_ref")
        )
        .where(ClaimLine.id == line_id, ClaimLine.claim == claim_id)
        .first()
    )
    if line is None:
        raise NotFound(f"Claim {claim_id} has no line {line_id}.")
    return dict(line)


def _text(value: str, field: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_REASON:
        raise Invalid(
            f"{what} is required.",
            errors=[field_error(field, f"must be 1 to {MAX_REASON} characters")],
        )
    return value


class QueryService:
    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def raise_query(
        self, caller: Caller, claim_id: int, line_id: int, reason: str
    ) -> LineQuery:
        """Query a sampled line of a sampled claim, not yet signed off, with `reason`."""
        reason = _text(reason, "reason", "A reason")
        async with write_transaction(self.engine):
            claim = await claim_in_reach(caller, claim_id)
            if claim["status"] != "sampled":
                raise Conflict(
                    f"Claim {claim['claim_ref']} is {claim['status']}; its lines can be "
                    "queried only while its audit sample is being checked."
                )
            user_id = caller.principal.user_id if caller.principal else None
            if user_id is not None and claim["prepared_by"] == user_id:
                raise Forbidden("Whoever prepared a claim cannot audit its lines.")
            line = await line_of(claim_id, line_id)
            named = line_words(line["family_ref"], line["route"], line_id)
            if not line["sampled"]:
                raise Conflict(f"{named.capitalize()} is not in the audit sample.")
            if line["signed_off_by"] is not None:
                raise Conflict(f"{named.capitalize()} is already signed off.")
            if any(query.open for query in await queries_of(claim_id, line_id)):
                raise Conflict(f"{named.capitalize()} already has a query waiting for an answer.")
            [row] = await ClaimLineQuery.insert(
                ClaimLineQuery(
                    claim=claim_id,
                    line=line_id,
                    raised_by=user_id,
                    raised_at=dt.datetime.now(dt.UTC),
                    reason=reason,
                )
            ).returning(ClaimLineQuery.id)
            await record(
                caller.actor,
                "claim.line.query",
                "claim",
                claim_id,
                detail={"line": line_id, "query": row["id"]},
            )
        query = await query_of(claim_id, row["id"])
        assert query is not None
        return query

    async def answer(self, caller: Caller, claim_id: int, query_id: int, answer: str) -> LineQuery:
        """The programme manager's answer to an open query of a sampled claim."""
        answer = _text(answer, "answer", "An answer")
        async with write_transaction(self.engine):
            claim = await claim_in_reach(caller, claim_id)
            query = await query_of(claim_id, query_id)
            if query is None:
                raise NotFound(f"Claim {claim_id} has no query {query_id}.")
            if claim["status"] != "sampled":
                raise Conflict(
                    f"Claim {claim['claim_ref']} is {claim['status']}; its queries can be "
                    "answered only while its audit sample is being checked."
                )
            if not query.open:
                raise Conflict(f"Query {query_id} is already answered.")
            await ClaimLineQuery.update(
                {
                    ClaimLineQuery.answer: answer,
                    ClaimLineQuery.answered_at: dt.datetime.now(dt.UTC),
                    ClaimLineQuery.answered_by: (
                        caller.principal.user_id if caller.principal else None
                    ),
                }
            ).where(ClaimLineQuery.id == query_id)
            await record(
                caller.actor,
                "claim.line.query.answer",
                "claim",
                claim_id,
                detail={"line": query.line_id, "query": query_id},
            )
        answered = await query_of(claim_id, query_id)
        assert answered is not None
        return answered

    async def list_queries(self, caller: Caller, claim_id: int) -> list[LineQuery]:
        """The claim's queries, open and answered, oldest first; audited as a read."""
        await claim_in_reach(caller, claim_id)
        await record(caller.actor, "claim.queries.read", "claim", claim_id)
        return await queries_of(claim_id)
