"""A sampled claim line's page, where internal audit checks it: the frozen verdict explained,
the evidence it was decided on, and the auditor's decision (sign it off, or query it with a
reason); the programme manager answers a query here. And a claim's verification page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CLAIM_MANAGE, CLAIM_READ, CLAIM_SIGN_OFF
from connecting_families.claims.line_views import LineView, line_view
from connecting_families.claims.queries import query_of
from connecting_families.claims.querying import QueryService
from connecting_families.claims.service import ClaimService
from connecting_families.domain.claims import gbp
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.evaluation.service import EvaluationService
from connecting_families.families.members import MemberService
from connecting_families.http_params import RecordId
from connecting_families.web.claim_pages import route_namer
from connecting_families.web.explain import Wording, explain
from connecting_families.web.family_summary import names_of
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    refused,
)
from connecting_families.web.line_evidence import evidence_tables
from connecting_families.web.programme_pages import abilities
from connecting_families.web.templating import page

SAVED.update(
    {
        "line-signed-off": "The line was signed off.",
        "line-queried": "The line was queried. The programme manager is asked to answer.",
        "query-answered": "Your answer was sent to internal audit.",
    }
)

DECISION_LABELS = {"decision": "Your decision", "reason": "Why you are querying the line"}
ANSWER_LABELS = {"answer": "Your answer"}
Text = Annotated[str, msgspec.Meta(max_length=500)]


class LineDecision(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["sign_off", "query"] | None = None
    reason: Text | None = None


class QueryAnswerForm(msgspec.Struct, forbid_unknown_fields=True):
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


def read_decision(values: dict[str, str]) -> LineDecision:
    """The decision form: a choice made, and a reason for a query; every problem at once."""
    problems = []
    try:
        data = read(values, LineDecision, DECISION_LABELS)
    except Invalid as error:
        problems += error.errors
        data = LineDecision()
    if not values.get("decision"):
        problems.append(field_error("decision", "Select whether you sign off or query the line"))
    elif values.get("decision") == "query" and not values.get("reason"):
        problems.append(field_error("reason", "Enter why you are querying the line"))
    if problems:
        raise Invalid("The form was refused; see the message beside each field.", errors=problems)
    return data


async def line_context(
    view: LineView, caller: Caller, members: MemberService, evaluation: EvaluationService
) -> dict[str, Any]:
    """What the line page shows: the claim, the line, its frozen verdict in words, the
    evidence it was decided on, its queries, and what the caller may do now."""
    names = names_of(await members.members_of(view.line["family"]))
    verdict = view.verdict
    plugins = evaluation.plugins
    wording = Wording(
        ruleset=plugins.rulesets().get(verdict.ruleset) if verdict else None,
        criteria=plugins.criteria(),
        names=names,
    )
    principal = caller.principal
    assert principal is not None
    can = abilities(principal)
    line, claim = view.line, view.claim
    waiting = claim["status"] == "sampled" and line["sampled"] and not line["signed_off_by"]
    return {
        "view": view,
        "claim": claim,
        "line": line,
        "code": claim["code"],
        "can": can,
        "amount_gbp": gbp(line["amount_pence"]),
        "verdict": verdict,
        "explained": explain(verdict, wording) if verdict else None,
        "route_name": Wording(ruleset=plugins.ruleset(claim["ruleset"])).route_title,
        "tables": evidence_tables(view.evidence, verdict, names) if view.evidence else [],
        "decides": can["sign_off"] and waiting and view.open_query is None,
        "prepared_it": claim["prepared_by"] == principal.user_id,
        "answers": can["manage_claims"] and claim["status"] == "sampled",
        "form": Form(),
        "answer_form": Form(),
    }


def _line_address(claim_id: int, line_id: int) -> str:
    return f"/claims/{claim_id}/lines/{line_id}"


class ClaimLinePages(Controller):
    """A claim line's audit page, its two forms, and a claim's verification."""

    include_in_schema = False

    @get("/claims/{claim_id:int}/lines/{line_id:int}", opt={"access": CLAIM_READ})
    async def line_page(
        self,
        evaluation: NamedDependency[EvaluationService],
        members: NamedDependency[MemberService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
        line_id: RecordId,
    ) -> Template:
        """A claim line: its frozen verdict explained, its evidence, its queries.

        Args:
            evaluation: The evaluation service (the rule sets' words, the evidence again).
            members: The member service (the names the verdict's words use).
            caller: The signed-in caller.
            claim_id: The claim.
            line_id: The line.
        """
        view = await line_view(evaluation, caller, claim_id, line_id)
        context = await line_context(view, caller, members, evaluation)
        return page("programme/claim_line.html", **context)

    @post(
        "/claims/{claim_id:int}/lines/{line_id:int}/audit",
        opt={"access": CLAIM_SIGN_OFF, FORM_LABELS: DECISION_LABELS},
    )
    async def decide_line(
        self,
        request: Request[Any, Any, Any],
        claims: NamedDependency[ClaimService],
        claim_queries: NamedDependency[QueryService],
        evaluation: NamedDependency[EvaluationService],
        members: NamedDependency[MemberService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
        line_id: RecordId,
    ) -> Response[Any]:
        """The auditor signs the line off, or queries it with a reason.

        Args:
            request: The form post: decision, and reason for a query.
            claims: The claim service.
            claim_queries: The query service.
            evaluation: The evaluation service.
            members: The member service.
            caller: The signed-in auditor.
            claim_id: The claim.
            line_id: The line.
        """
        values = await form_values(request)
        principal = caller.principal
        assert principal is not None
        try:
            data = read_decision(values)
            if data.decision == "query":
                await claim_queries.raise_query(caller, claim_id, line_id, data.reason or "")
            else:
                await claims.sign_off(
                    principal, caller.actor, claim_id, line_id, principal.user_id
                )
        except DomainError as error:
            view = await line_view(evaluation, caller, claim_id, line_id)
            context = await line_context(view, caller, members, evaluation)
            return refused(error, values, DECISION_LABELS, "programme/claim_line.html", **context)
        done = "line-queried" if data.decision == "query" else "line-signed-off"
        return accepted(_line_address(claim_id, line_id), done)

    @post(
        "/claims/{claim_id:int}/queries/{query_id:int}/answer",
        opt={"access": CLAIM_MANAGE, FORM_LABELS: ANSWER_LABELS},
    )
    async def answer_query(
        self,
        request: Request[Any, Any, Any],
        claim_queries: NamedDependency[QueryService],
        evaluation: NamedDependency[EvaluationService],
        members: NamedDependency[MemberService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
        query_id: RecordId,
    ) -> Response[Any]:
        """The programme manager answers internal audit's query about a line.

        Args:
            request: The form post: the answer.
            claim_queries: The query service.
            evaluation: The evaluation service.
            members: The member service.
            caller: The signed-in programme manager.
            claim_id: The claim.
            query_id: The query.
        """
        values = await form_values(request)
        try:
            data = read(values, QueryAnswerForm, ANSWER_LABELS)
            answered = await claim_queries.answer(caller, claim_id, query_id, data.answer)
        except DomainError as error:
            line_id = await _line_of_query(claim_id, query_id)
            if line_id is None:
                raise
            view = await line_view(evaluation, caller, claim_id, line_id)
            context = await line_context(view, caller, members, evaluation)
            form = Form.refusing(values, error, ANSWER_LABELS)
            return Template(
                template_name="programme/claim_line.html",
                context={**context, "answer_form": form},
                status_code=error.status_code if error.status_code in (403, 409, 422) else 400,
            )
        return accepted(_line_address(claim_id, answered.line_id), "query-answered")

    @get("/claims/{claim_id:int}/verify", opt={"access": CLAIM_READ})
    async def verify_page(
        self,
        claims: NamedDependency[ClaimService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
    ) -> Template:
        """Every line decided again as it was decided; the lines that now differ, and why.

        Args:
            claims: The claim service.
            caller: The signed-in caller.
            claim_id: The claim.
        """
        principal = caller.principal
        assert principal is not None
        claim = await claims.show(principal, caller.actor, claim_id)
        differences = await claims.verify(principal, caller.actor, claim_id)
        return page(
            "programme/claim_verify.html",
            claim=claim,
            code=claim["programme"],
            route_name=route_namer(claims, claim),
            can=abilities(principal),
            differences=[(d, why(d.what)) for d in differences],
        )


async def _line_of_query(claim_id: int, query_id: int) -> int | None:
    query = await query_of(claim_id, query_id)
    return query.line_id if query else None


# What each difference `ClaimService.verify` finds means, in words.
_PARTS = {
    "verdict": "the verdict decided again is not the one frozen into the line",
    "evidence": "the evidence as known then no longer gives the line's hash",
    "route no longer met": "the route claimed is not met when decided again",
    "reversed route is met": "the route this line gives money back for is met after all",
}


def why(what: str) -> str:
    """A difference `ClaimService.verify` found, as a sentence."""
    parts = [_PARTS.get(part.strip(), part.strip()) for part in what.split(",")]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."
