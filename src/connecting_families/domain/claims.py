"""Which of a family's results a new claim may hold, given what earlier claims hold.

A rule set says how its routes combine (`RuleSet.claimable`); these are the common cases. Each
takes the family's verdict at the claim's date and `earlier`, the routes already in live lines
of the programme's earlier claims with the pence each was claimed for, and returns the new
lines as (route, pence), ordered by route.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from connecting_families.domain.verdict import CriterionResult, Verdict

Earlier = Mapping[str, int]
NewLines = list[tuple[str, int]]
Claimable = Callable[[Verdict, Earlier], NewLines]
# A verdict -> the criteria the family fails on its way to a result (`near_miss`).
Failing = Callable[[Verdict], Sequence[CriterionResult]]


def pence(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def gbp(amount_pence: int) -> str:
    """Pence as pounds with two decimals and no sign, as the exports and the API show money."""
    return f"{Decimal(amount_pence) / 100:.2f}"


def payable(verdict: Verdict) -> dict[str, int]:
    """The routes met at the verdict's date that carry a payment, in pence."""
    return {
        route.route: pence(route.amount_gbp)
        for route in verdict.routes
        if route.met and route.amount_gbp > 0
    }


def worth(verdict: Verdict, claimable: Claimable) -> dict[str, int]:
    """What the verdict's results are worth, in pence by route: what its rule set's claim
    rules (`claimable`) would pay for them with no earlier claim.

    Not the sum of the routes' amounts: routes that exclude each other, or a rule set that
    pays once per family (tf2015, sf2022), pay less than that, and a figure counted any other
    way could disagree with the claim it forecasts.
    """
    return dict(claimable(verdict, {}))


def once_per_route(verdict: Verdict, earlier: Earlier) -> NewLines:
    """Every payable route not claimed before."""
    return sorted(
        (route, amount) for route, amount in payable(verdict).items() if route not in earlier
    )


def one_claim_per_family(verdict: Verdict, earlier: Earlier) -> NewLines:
    """The first payable route (in the rule set's order), unless the family was claimed for."""
    if earlier:
        return []
    met = payable(verdict)
    first = next((route for route in (r.route for r in verdict.routes) if route in met), None)
    return [(first, met[first])] if first else []


def relevant_not_met(verdict: Verdict) -> list[CriterionResult]:
    """Every criterion of the verdict that is relevant and not met."""
    return [c for c in verdict.criteria if c.relevant and not c.met]


def near_miss(verdict: Verdict, failing_of: Failing = relevant_not_met) -> dict[str, Any] | None:
    """What a family with no payable result is missing, when it fails exactly one criterion
    (of those its rule set's `failing_of` names)."""
    if not verdict.evaluated or payable(verdict):
        return None
    failing = list(failing_of(verdict))
    if len(failing) != 1:
        return None
    [criterion] = failing
    return {
        "family_ref": verdict.family_ref,
        "criterion": criterion.name,
        "measured": criterion.measured,
        "thresholds": criterion.thresholds,
        "reason": criterion.reason,
    }


@attrs.frozen
class ClaimLineCheck:
    """One line a claim is about to hold, as plugins' `cf_check_claim_line` sees it.

    Attributes:
        family_ref: The family the line claims for.
        route: The route met (a route of the rule set's `routes`).
        amount_pence: What the line claims, in pence.
        as_of: The claim's date: the verdict was decided at it.
        ruleset: The rule set's `id@version` the line was decided by.
    """

    family_ref: str
    route: str
    amount_pence: int
    as_of: dt.date
    ruleset: str

    @property
    def amount_gbp(self) -> Decimal:
        """The amount in pounds, exactly (800.00)."""
        return Decimal(self.amount_pence) / 100
