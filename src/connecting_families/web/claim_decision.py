"""The department's decision on a submitted claim, recorded by the programme manager: every
line accepted, or some rejected, each with the department's reason.

One page lists the claim's lines, each with a box to tick when it was rejected and the reason;
every problem is named at once, by its field's label. A rejected line leaves the live set, so
its family and route can be claimed again in a later claim (`ClaimService.decide`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CLAIM_MANAGE
from connecting_families.claims.service import MAX_REASON, ClaimService
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.http_params import RecordId
from connecting_families.web.claim_pages import back_to_claim, claim_context
from connecting_families.web.family_form_labels import NumberedLabels
from connecting_families.web.forms import FORM_LABELS, SAVED, chosen, form_values, refused
from connecting_families.web.templating import page

SAVED.update(
    {
        "claim-accepted": "The department's decision was recorded: every line was accepted.",
        "claim-partly_rejected": (
            "The department's decision was recorded. The rejected lines can be claimed again "
            "in a later claim."
        ),
    }
)

ACCEPTED, REJECTED = "accepted", "rejected"
OUTCOMES = (
    (ACCEPTED, "The department accepted every line"),
    (REJECTED, "The department rejected some lines"),
)
DECISION_LABELS = {"outcome": "What did the department decide?", "rejected": "Rejected lines"}


# A 403 page (before the handler reads the claim) names each line's reason by the line's
# number in the form; the lines' own names are the claim's, which the page has not read.
TYPED_DECISION_LABELS = NumberedLabels(
    DECISION_LABELS,
    (
        (
            re.compile(r"reason-(\d{1,12})"),
            lambda line: f"Reason the department rejected line {line}",
        ),
    ),
)


# A route of the claim's rule set in words (`claim_pages.route_namer`).
RouteName = Callable[[str], str]


def decided_lines(claim: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines the department decides on: those claimed (not left out of the draft)."""
    return [line for line in claim["lines"] if line["is_live"]]


def line_name(line: dict[str, Any], route_name: RouteName) -> str:
    return f"{line['family_ref']}, {route_name(line['route'])}"


def decision_labels(lines: list[dict[str, Any]], route_name: RouteName) -> dict[str, str]:
    """The form's labels: the outcome, the ticked lines, and each line's reason."""
    return DECISION_LABELS | {
        f"reason-{line['id']}": f"Reason the department rejected {line_name(line, route_name)}"
        for line in lines
    }


def read_decision(
    values: dict[str, str], lines: list[dict[str, Any]], route_name: RouteName
) -> dict[int, str]:
    """The rejected lines and their reasons, or `Invalid` naming every problem at once."""
    labels = decision_labels(lines, route_name)
    outcome = values.get("outcome", "")
    ticked = set(chosen(values, "rejected"))
    known = {str(line["id"]) for line in lines}
    problems = []
    if outcome not in (ACCEPTED, REJECTED):
        problems.append(field_error("outcome", "Select what the department decided"))
    if ticked - known:
        problems.append(
            field_error("", "The claim's lines have changed since the page was opened; reload it")
        )
    if outcome == ACCEPTED and ticked:
        problems.append(
            field_error(
                "rejected",
                "You said every line was accepted: untick the rejected lines, or say that "
                "the department rejected some",
            )
        )
    if outcome == REJECTED and not ticked:
        problems.append(field_error("rejected", "Select the lines the department rejected"))
    rejections: dict[int, str] = {}
    for line in lines:
        key = str(line["id"])
        name = f"reason-{key}"
        reason = values.get(name, "")
        label, called = labels[name], line_name(line, route_name)
        if key in ticked and not reason:
            problems.append(
                field_error(name, f"Enter the reason the department rejected {called}")
            )
        elif len(reason) > MAX_REASON:
            problems.append(field_error(name, f"{label} must be {MAX_REASON} characters or fewer"))
        elif reason and key not in ticked:
            problems.append(field_error(name, f"Tick {called} as rejected, or delete its reason"))
        elif key in ticked:
            rejections[line["id"]] = reason
    if problems:
        raise Invalid("The form was refused; see the message beside each field.", errors=problems)
    return rejections


async def decision_context(claims: ClaimService, caller: Caller, claim_id: int) -> dict[str, Any]:
    assert caller.principal is not None
    context = await claim_context(claims, caller.principal, caller.actor, claim_id)
    lines = decided_lines(context["claim"])
    labels = decision_labels(lines, context["route_name"])
    return context | {"lines": lines, "outcomes": OUTCOMES, "field_labels": labels}


class ClaimDecisionPages(Controller):
    """Recording the department's decision on a submitted claim."""

    include_in_schema = False

    @get("/claims/{claim_id:int}/decision", opt={"access": CLAIM_MANAGE})
    async def decision_form(
        self,
        claims: NamedDependency[ClaimService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
    ) -> Template:
        """The claim's lines, to mark those the department rejected and say why.

        Args:
            claims: The claim service.
            caller: The signed-in caller.
            claim_id: The claim.
        """
        context = await decision_context(claims, caller, claim_id)
        return page("programme/claim_decision.html", **context)

    @post(
        "/claims/{claim_id:int}/decision",
        opt={"access": CLAIM_MANAGE, FORM_LABELS: TYPED_DECISION_LABELS},
    )
    async def record_decision(
        self,
        request: Request[Any, Any, Any],
        claims: NamedDependency[ClaimService],
        caller: NamedDependency[Caller],
        claim_id: RecordId,
    ) -> Response[Any]:
        """Record the decision: accepted, or the rejected lines with their reasons.

        Args:
            request: The form post.
            claims: The claim service.
            caller: The signed-in caller.
            claim_id: The claim.
        """
        values = await form_values(request)
        context = await decision_context(claims, caller, claim_id)
        try:
            rejections = read_decision(values, context["lines"], context["route_name"])
            decided = await claims.decide(caller.principal, caller.actor, claim_id, rejections)
        except DomainError as error:
            # A 409 (decided meanwhile) is shown on the claim as it now is.
            if error.status_code == 409:
                context = await decision_context(claims, caller, claim_id)
            template = "programme/claim_decision.html"
            return refused(error, values, context["field_labels"], template, **context)
        return back_to_claim(claim_id, decided["status"])
