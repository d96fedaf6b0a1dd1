"""Queries about sampled claim lines in the API: an auditor raises one, the manager answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CLAIM_MANAGE, CLAIM_READ, CLAIM_SIGN_OFF
from connecting_families.claims.queries import LineQuery
from connecting_families.claims.querying import QueryService
from connecting_families.http_params import RecordId

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class QueryCreate(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text


class QueryAnswer(msgspec.Struct, forbid_unknown_fields=True):
    answer: Text


class Query(msgspec.Struct):
    """A query about a sampled line; `open` until the programme manager answers it."""

    id: int
    claim_id: int
    line_id: int
    family_ref: str
    route: str
    reason: str
    raised_by: str | None
    raised_at: dt.datetime
    open: bool
    answer: str | None
    answered_by: str | None
    answered_at: dt.datetime | None

    @classmethod
    def of(cls, query: LineQuery) -> Query:
        return cls(
            id=query.id,
            claim_id=query.claim_id,
            line_id=query.line_id,
            family_ref=query.family_ref,
            route=query.route,
            reason=query.reason,
            raised_by=query.raised_by,
            raised_at=query.raised_at,
            open=query.open,
            answer=query.answer,
            answered_by=query.answered_by,
            answered_at=query.answered_at,
        )


class QueryList(msgspec.Struct):
    queries: list[Query]


class ClaimQueryController(Controller):
    path = "/api/v1/claims/{claim_id:int}"
    tags = ["claims"]

    @get("/queries", opt={"access": CLAIM_READ})
    async def list_queries(
        self,
        claim_queries: NamedDependency[QueryService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
    ) -> QueryList:
        """The claim's queries about its sampled lines, open and answered, oldest first.

        Args:
            claim_queries: The query service.
            caller: The signed-in caller.
            claim_id: The claim.
        """
        found = await claim_queries.list_queries(caller, claim_id)
        return QueryList(queries=[Query.of(query) for query in found])

    @post("/lines/{line_id:int}/queries", opt={"access": CLAIM_SIGN_OFF})
    async def raise_query(
        self,
        claim_queries: NamedDependency[QueryService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
        line_id: RecordId,
        data: JSONBody[QueryCreate],
    ) -> Query:
        """An auditor queries a sampled line instead of signing it off; the claim cannot be
        submitted until the programme manager answers.

        Args:
            claim_queries: The query service.
            caller: The signed-in auditor.
            claim_id: The claim.
            line_id: The sampled line.
            data: Why the line is queried.
        """
        return Query.of(await claim_queries.raise_query(caller, claim_id, line_id, data.reason))

    @post("/queries/{query_id:int}/answer", opt={"access": CLAIM_MANAGE}, status_code=200)
    async def answer_query(
        self,
        claim_queries: NamedDependency[QueryService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
        query_id: RecordId,
        data: JSONBody[QueryAnswer],
    ) -> Query:
        """The programme manager answers internal audit's query about a line.

        Args:
            claim_queries: The query service.
            caller: The signed-in programme manager.
            claim_id: The claim.
            query_id: The query.
            data: The answer.
        """
        return Query.of(await claim_queries.answer(caller, claim_id, query_id, data.answer))
