"""Rule set `sf2022`: Supporting Families 2022-25 national outcomes framework.

The rules are in `shared/domain/programme-rules.md` ("sf2022"). The needs that count are those
identified by the case's end: on or before `closed_on` (or `D`, while the case is open).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from cf_rulesets.common import not_evaluated
from connecting_families.plugin import (
    ConfigProblem,
    CriterionResult,
    FamilyEvidence,
    RouteResult,
    RuleContext,
    RuleSet,
    Verdict,
    Window,
    hookimpl,
    months_after,
    one_claim_per_family,
)

HEADLINES = (
    "education",
    "early_years",
    "health",
    "substance_use",
    "family_relationships",
    "children_safe",
    "crime",
    "domestic_abuse",
    "housing",
    "financial_stability",
)
ROUTE = "successful_family_outcome"
DEFAULTS: dict[str, Any] = {"min_headlines": 3, "sustain_months": 6, "payment_gbp": "800"}


def check_config(config: Mapping[str, Any], context: RuleContext) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for name, top in (("min_headlines", len(HEADLINES)), ("sustain_months", 60)):
        value = config[name]
        if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= top):
            problems.append((name, f"must be a whole number from 1 to {top}"))
    try:
        if Decimal(str(config["payment_gbp"])) < 0:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(("payment_gbp", "must be an amount of 0 or more"))
    return problems


def evaluate(
    evidence: FamilyEvidence, as_of: dt.date, config: Mapping[str, Any], context: RuleContext
) -> Verdict:
    key = RULESET.key
    attached = evidence.attached_on
    if attached is None or attached > as_of:
        return not_evaluated(key, evidence, as_of)
    closed = evidence.closed_on if evidence.closed_on and evidence.closed_on <= as_of else None
    end = closed or as_of
    needs = [n for n in evidence.needs if n.identified_on <= end]
    headlines = sorted({n.headline for n in needs})
    children = [m.person_ref for m in evidence.children_on(attached)]
    eligibility = CriterionResult(
        name="eligible",
        relevant=True,
        met=bool(children or evidence.expectant_parent)
        and len(headlines) >= config["min_headlines"],
        measured={
            "children_at_attachment": len(children),
            "expectant_parent": evidence.expectant_parent,
            "headlines": headlines,
        },
        thresholds={"min_headlines": config["min_headlines"]},
        evidence={"needs": tuple(n.id for n in needs)},
    )
    outcome = _sustained_outcome(evidence, as_of, closed, needs, config)
    amount = Decimal(str(config["payment_gbp"])).quantize(Decimal("0.01"))
    route = RouteResult(
        route=ROUTE,
        met=outcome.met,
        amount_gbp=amount if outcome.met and eligibility.met else Decimal("0.00"),
        reason="" if eligibility.met else "the family is not eligible",
    )
    return Verdict(
        ruleset=key,
        family_ref=evidence.family_ref,
        as_of=as_of,
        known_at=evidence.known_at,
        evaluated=True,
        flags={"eligible": eligibility.met},
        eligible=eligibility.met,
        criteria=(eligibility, outcome),
        routes=(route,),
        turned_around=eligibility.met and outcome.met,
    )


def _sustained_outcome(
    evidence: FamilyEvidence,
    as_of: dt.date,
    closed: dt.date | None,
    needs: list[Any],
    config: Mapping[str, Any],
) -> CriterionResult:
    if closed is None:
        return CriterionResult(
            name=ROUTE, relevant=True, met=False, reason="the case is not closed"
        )
    sustained_from = months_after(closed, config["sustain_months"])
    unachieved = [
        n.id
        for n in needs
        if n.outcome != "achieved" or n.outcome_on is None or n.outcome_on > closed
    ]
    headlines = {n.headline for n in needs}
    recurred = [
        n.id
        for n in evidence.needs
        if closed < n.identified_on <= as_of and n.headline in headlines
    ]
    waited = as_of >= sustained_from
    reasons = []
    if not waited:
        reasons.append(f"outcomes must be sustained until {sustained_from.isoformat()}")
    if unachieved:
        reasons.append("a need was not achieved by the closure")
    if recurred:
        reasons.append("a need under the same headline was identified after the closure")
    return CriterionResult(
        name=ROUTE,
        relevant=True,
        met=waited and not unachieved and not recurred and bool(needs),
        measured={"needs": len(needs), "not_achieved": len(unachieved), "recurred": len(recurred)},
        thresholds={"sustain_months": config["sustain_months"]},
        windows={"sustained": Window(closed + dt.timedelta(days=1), as_of + dt.timedelta(days=1))},
        evidence={"needs": tuple(n.id for n in needs) + tuple(recurred)},
        reason="; ".join(reasons),
    )


RULESET = RuleSet(
    id="sf2022",
    version=1,
    name="Supporting Families 2022-25 national outcomes framework",
    headlines=HEADLINES,
    routes=(ROUTE,),
    defaults=DEFAULTS,
    evaluate=evaluate,
    check_config=check_config,
    claimable=one_claim_per_family,
    route_names={"successful_family_outcome": "Successful family outcome"},
    descriptions={
        ROUTE: "every need identified by the case's closure achieved, and none under the same "
        "headline since, for the months the outcomes must be sustained"
    },
    still_needed=lambda result, names: f"needs {result.reason}" if result.reason else "",
    setting_labels={
        "min_headlines": "Headlines needed to be eligible",
        "sustain_months": "Months the outcomes are sustained",
        "payment_gbp": "Payment",
    },
    setting_descriptions={
        "min_headlines": "How many headlines must have needs identified for a family to be "
        "eligible",
        "sustain_months": "How many months after closure the outcomes must be sustained",
        "payment_gbp": "The payment for a successful family outcome, in pounds",
    },
)


@hookimpl
def cf_register_rulesets(register: Any) -> None:
    register(RULESET)
