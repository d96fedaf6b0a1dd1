"""Rule set `tf2015`: Troubled Families expanded programme 2015-20 (local outcome plans).

The rules are in `shared/domain/programme-rules.md` ("tf2015"). A programme's outcome plan
(its configuration's `outcome_plan`) names, for each headline, the criteria that identify it
(`indicators`, judged at attachment) and those that show significant and sustained progress
(`progress`, judged at the as-of date), and whether `all` or `any` of the progress measures
must be met. Only the measures that are relevant to the family count; a headline with none
relevant has not shown progress. Criteria come from plugins: the built-in ones are in
`criteria.py`, and a council's own plugin can add more.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from cf_rulesets.common import employment_route, not_evaluated
from cf_rulesets.criteria import BUILT_IN
from cf_rulesets.wording import TF2012_DESCRIPTIONS, still_needed
from connecting_families.plugin import (
    ConfigProblem,
    CriterionResult,
    Evaluate,
    FamilyEvidence,
    RouteResult,
    RuleContext,
    RuleSet,
    Verdict,
    each_setting_replaced,
    hookimpl,
    months_after,
    one_claim_per_family,
    relevant_not_met,
)

HEADLINES = (
    "crime_asb",
    "education",
    "children_need_help",
    "worklessness",
    "domestic_abuse",
    "health",
)
ROUTES = ("sustained_progress", "continuous_employment")
HEADLINE_NAMES = {
    "crime_asb": "Crime and anti-social behaviour",
    "education": "Education",
    "children_need_help": "Children who need help",
    "worklessness": "Worklessness and financial exclusion",
    "domestic_abuse": "Domestic abuse",
    "health": "Health",
}
# The route and each headline's own result (present, and progressed), in words.
DESCRIPTIONS = {
    "continuous_employment": TF2012_DESCRIPTIONS["continuous_employment"],
    "sustained_progress": "significant and sustained progress on every headline present",
    **{
        headline: f"{name}: present, with significant and sustained progress"
        for headline, name in HEADLINE_NAMES.items()
    },
}


def _need_achieved(headline: str) -> dict[str, Any]:
    return {"criterion": "need_outcome_achieved", "headline": headline}


DEFAULT_PLAN: dict[str, Any] = {
    "crime_asb": {
        "indicators": [
            {"criterion": "offences_in_window", "count": 1, "months": 12},
            {"criterion": "asb_in_window", "count": 1, "months": 12},
        ],
        "progress": [
            {"criterion": "offending_reduced", "percent": 33, "months": 6},
            {"criterion": "asb_reduced", "percent": 60, "months": 6},
        ],
        "progress_rule": "all",
    },
    "education": {
        "indicators": [{"criterion": "unauthorised_absence_at_least", "percent": 15}],
        "progress": [
            {"criterion": "unauthorised_absence_below", "percent": 15, "periods": 3},
            {"criterion": "exclusions_below", "count": 3, "periods": 3},
        ],
        "progress_rule": "all",
    },
    "children_need_help": {
        "indicators": [],
        "progress": [_need_achieved("children_need_help")],
        "progress_rule": "all",
    },
    "worklessness": {
        "indicators": [{"criterion": "on_out_of_work_benefit"}],
        "progress": [{"criterion": "out_of_work_benefit_ended"}],
        "progress_rule": "all",
    },
    "domestic_abuse": {
        "indicators": [],
        "progress": [_need_achieved("domestic_abuse")],
        "progress_rule": "all",
    },
    "health": {"indicators": [], "progress": [_need_achieved("health")], "progress_rule": "all"},
}

DEFAULTS: dict[str, Any] = {
    "outcome_plan": DEFAULT_PLAN,
    "need_grace_months": 3,
    "min_headlines": 2,
    "employment_weeks": 26,
    "employment_weeks_jsa": 13,
    "attachment_fee_gbp": "1000",
    "result_payment_gbp": "800",
}


# The parts of a headline's entry in an outcome plan, each merged on its own (`merge_plan`).
PLAN_PARTS = ("indicators", "progress", "progress_rule")


def merge_plan(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration with a programme's outcome plan merged onto the default plan.

    A plan that names one headline changes that headline only, and within it only the parts
    it names (`indicators`, `progress`, `progress_rule`); every other headline keeps the
    default plan's entry. This is what a programme manager expects: the six headlines are
    the framework's, not the council's, so a council's plan changes how a headline is shown
    and judged, never whether it exists; before version 2 a plan naming one headline replaced
    the whole plan, so the others were never present and no family could be eligible (two
    headlines are needed). Refusing a partial plan instead would make every change restate
    all six headlines, and leave each stored partial plan still judging nobody eligible.
    An empty list is kept as it is: a headline may have no indicators (present by needs only).
    Anything that is not a plan is left as it is for `check_config` to refuse by field.
    """
    config = each_setting_replaced(defaults, overrides)
    plan = overrides.get("outcome_plan")
    default_plan = defaults["outcome_plan"]
    if "outcome_plan" not in overrides or not isinstance(plan, dict):
        return config
    # The headlines the plan names come first, in its order (so a whole plan is judged in the
    # order it was written, as before), then the default plan's others.
    merged: dict[str, Any] = {}
    for headline, entry in plan.items():
        default = default_plan.get(headline)
        if isinstance(default, dict) and isinstance(entry, dict):
            merged[headline] = {**default, **entry}
        else:
            merged[headline] = entry
    for headline, default in default_plan.items():
        merged.setdefault(headline, default)
    # A copy: the rule set's own default plan is never shared with a programme's.
    config["outcome_plan"] = copy.deepcopy(merged)
    return config


def check_config(config: Mapping[str, Any], context: RuleContext) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for name, top in (
        ("need_grace_months", 24),
        ("min_headlines", len(HEADLINES)),
        ("employment_weeks", 520),
        ("employment_weeks_jsa", 520),
    ):
        value = config[name]
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top):
            problems.append((name, f"must be a whole number from 0 to {top}"))
    for name in ("attachment_fee_gbp", "result_payment_gbp"):
        try:
            if Decimal(str(config[name])) < 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append((name, "must be an amount of 0 or more"))
    plan = config["outcome_plan"]
    if not isinstance(plan, dict) or not plan:
        return [*problems, ("outcome_plan", "must map headlines to their indicators and progress")]
    for headline, entry in plan.items():
        where = f"outcome_plan.{headline}"
        if headline not in HEADLINES:
            problems.append((where, f"is not a headline of tf2015 ({', '.join(HEADLINES)})"))
            continue
        if not isinstance(entry, dict):
            problems.append((where, "must have indicators, progress and progress_rule"))
            continue
        if entry.get("progress_rule", "all") not in ("all", "any"):
            problems.append((f"{where}.progress_rule", "must be all or any"))
        for section in ("indicators", "progress"):
            items = entry.get(section, [])
            if not isinstance(items, list):
                problems.append((f"{where}.{section}", "must be a list of criteria"))
                continue
            for number, item in enumerate(items):
                problems += _item_problems(f"{where}.{section}[{number}]", item, context)
    return problems


def _item_problems(where: str, item: Any, context: RuleContext) -> list[ConfigProblem]:
    if not isinstance(item, dict) or not isinstance(item.get("criterion"), str):
        return [(f"{where}.criterion", "must name a criterion")]
    criterion = context.criteria.get(item["criterion"])
    if criterion is None:
        return [(f"{where}.criterion", f"{item['criterion']!r} is not a registered criterion")]
    parameters = {k: v for k, v in item.items() if k != "criterion"}
    return [
        (f"{where}.{field}", message)
        for field, message in criterion.parameter_problems(parameters)
    ]


def _judge(
    item: Mapping[str, Any],
    headline: str,
    evidence: FamilyEvidence,
    attached: dt.date,
    on: dt.date,
    context: RuleContext,
) -> CriterionResult:
    criterion = context.criteria[item["criterion"]]
    parameters = {k: v for k, v in item.items() if k != "criterion"}
    result = criterion.judge(evidence, attached, on, parameters)
    return attrs.evolve(result, name=f"{headline}:{result.name}")


def _not_judged(item: Mapping[str, Any], headline: str) -> CriterionResult:
    """A progress measure of a headline that is not present: not judged at all, so neither
    relevant nor a near miss (programme-rules.md, tf2015's exact readings)."""
    return CriterionResult(
        name=f"{headline}:{item['criterion']}",
        relevant=False,
        met=False,
        thresholds={k: v for k, v in item.items() if k != "criterion"},
        reason="not judged: the headline is not present",
    )


def judged_as(key: str, *, judges_absent_headlines: bool = False) -> Evaluate:
    """The rule set's evaluation, its verdicts naming the rule set by `key` (`id@version`).

    Versions 1 and 2 judged the progress measures of a headline that is not present too (so
    a claim made under them is judged again as it was made); from version 3 they are not.
    """

    def evaluate(
        evidence: FamilyEvidence, as_of: dt.date, config: Mapping[str, Any], context: RuleContext
    ) -> Verdict:
        return _evaluate(key, evidence, as_of, config, context, judges_absent_headlines)

    return evaluate


def _evaluate(
    key: str,
    evidence: FamilyEvidence,
    as_of: dt.date,
    config: Mapping[str, Any],
    context: RuleContext,
    judges_absent_headlines: bool,
) -> Verdict:
    attached = evidence.attached_on
    if attached is None or attached > as_of:
        return not_evaluated(key, evidence, as_of)
    need_deadline = months_after(attached, config["need_grace_months"])
    criteria: list[CriterionResult] = []
    present: dict[str, bool] = {}
    progressed: dict[str, bool] = {}
    for headline, entry in config["outcome_plan"].items():
        indicators = [
            _judge(i, headline, evidence, attached, attached, context)
            for i in entry.get("indicators", [])
        ]
        needs = [
            n.id
            for n in evidence.needs
            if n.headline == headline and n.identified_on <= need_deadline
        ]
        present[headline] = any(r.met for r in indicators) or bool(needs)
        progress = [
            _judge(p, headline, evidence, attached, as_of, context)
            if present[headline] or judges_absent_headlines
            else _not_judged(p, headline)
            for p in entry.get("progress", [])
        ]
        relevant = [r for r in progress if r.relevant]
        rule = entry.get("progress_rule", "all")
        progressed[headline] = bool(relevant) and (all if rule == "all" else any)(
            r.met for r in relevant
        )
        measured: dict[str, Any] = {
            "indicators_met": [r.name for r in indicators if r.met],
            "needs_by": need_deadline.isoformat(),
            "progress_rule": rule,
        }
        if not judges_absent_headlines:
            # Which of its measures a headline present and not progressed waits on, for near
            # misses (`failing`): by name alone an indicator and a measure cannot be told apart.
            measured["progress_not_met"] = [r.name for r in relevant if not r.met]
        criteria.append(
            CriterionResult(
                name=headline,
                relevant=present[headline],
                met=present[headline] and progressed[headline],
                measured=measured,
                evidence={"needs": tuple(needs)},
            )
        )
        criteria += indicators + progress
    children = evidence.children_on(attached)
    headlines_present = [h for h, is_present in present.items() if is_present]
    eligible = len(headlines_present) >= config["min_headlines"] and bool(children)
    sustained = bool(headlines_present) and all(progressed[h] for h in headlines_present)
    employment, _ = employment_route(evidence, attached, as_of, config)
    payment = Decimal(str(config["result_payment_gbp"])).quantize(Decimal("0.01"))
    met = {"sustained_progress": sustained, "continuous_employment": employment.met}
    routes = tuple(
        RouteResult(
            route=route,
            met=met[route],
            amount_gbp=payment if met[route] and eligible else Decimal("0.00"),
            reason="" if eligible else "the family is not eligible",
        )
        for route in ROUTES
    )
    return Verdict(
        ruleset=key,
        family_ref=evidence.family_ref,
        as_of=as_of,
        known_at=evidence.known_at,
        evaluated=True,
        flags=present,
        eligible=eligible,
        criteria=(*criteria, employment),
        routes=routes,
        turned_around=eligible and (sustained or employment.met),
        attachment_fee_gbp=Decimal(str(config["attachment_fee_gbp"])).quantize(Decimal("0.01"))
        if eligible
        else Decimal("0.00"),
    )


def failing(verdict: Verdict) -> list[CriterionResult]:
    """The criteria a result waits on, for near misses: each headline present and not
    progressed stands for the progress measures it waits on (or for itself when none of its
    measures is relevant), and the employment route's criterion for itself. Indicators are
    left out (they identify a family at attachment; no result waits on one), and so are the
    measures of headlines that are not present (not judged)."""
    # The last result of a name: a measure comes after an indicator of the same criterion.
    by_name = {result.name: result for result in verdict.criteria}
    failed: list[CriterionResult] = []
    for result in verdict.criteria:
        if not result.relevant or result.met:
            continue
        if result.name in HEADLINE_NAMES:
            waiting = [by_name[name] for name in result.measured.get("progress_not_met", ())]
            failed += waiting or [result]
        elif ":" not in result.name:
            failed.append(result)
    return failed


def headline_or_employment_needed(result: CriterionResult, names: Mapping[str, str]) -> str:
    """What a headline present but not progressed still needs, or the employment route."""
    if result.name in HEADLINE_NAMES:
        return f"needs significant and sustained progress on {HEADLINE_NAMES[result.name].lower()}"
    return still_needed(result, names)


# Version 2 merges a programme's outcome plan onto the default plan (`merge_plan`); version 3
# judges no progress measure of a headline that is not present, and names the measures a
# headline waits on, so that near misses list a family failing exactly one (`failing`).
RULESET = RuleSet(
    id="tf2015",
    version=3,
    name="Troubled Families expanded programme 2015-20",
    headlines=HEADLINES,
    routes=ROUTES,
    defaults=DEFAULTS,
    evaluate=judged_as("tf2015@3"),
    check_config=check_config,
    claimable=one_claim_per_family,
    descriptions=DESCRIPTIONS,
    route_names={
        "sustained_progress": "Sustained progress",
        "continuous_employment": "Continuous employment",
    },
    route_criteria={
        "sustained_progress": HEADLINES,
        "continuous_employment": ("continuous_employment",),
    },
    still_needed=headline_or_employment_needed,
    configure=merge_plan,
    failing=failing,
    setting_labels={
        "outcome_plan": "Outcome plan",
        "need_grace_months": "Months to identify a need",
        "min_headlines": "Headlines needed to be eligible",
        "employment_weeks": "Weeks in work",
        "employment_weeks_jsa": "Weeks in work after Jobseeker's Allowance",
        "attachment_fee_gbp": "Attachment fee",
        "result_payment_gbp": "Results payment",
    },
    setting_descriptions={
        "outcome_plan": "For each headline, the indicators that identify it at attachment "
        "and the progress measures that show significant and sustained progress",
        "need_grace_months": "A need identified within this many months of attachment makes "
        "its headline present",
        "min_headlines": "How many headlines must be present for a family to be eligible",
        "employment_weeks": "Weeks in work that meet the continuous employment route",
        "employment_weeks_jsa": "Weeks in work that meet it for an adult who was on "
        "Jobseeker's Allowance",
        "attachment_fee_gbp": "The attachment fee for each eligible family, in pounds",
        "result_payment_gbp": "The results payment for the first route met, in pounds",
    },
)
# Versions 1 (where a programme's outcome plan replaced the default plan whole) and 2 stay
# registered so that a claim made under them is re-judged (reversals, verification) exactly
# as it was made; a programme judges its families by the highest version.
RULESET_2 = attrs.evolve(
    RULESET,
    version=2,
    evaluate=judged_as("tf2015@2", judges_absent_headlines=True),
    failing=relevant_not_met,
)
RULESET_1 = attrs.evolve(
    RULESET_2,
    version=1,
    evaluate=judged_as("tf2015@1", judges_absent_headlines=True),
    configure=each_setting_replaced,
)


@hookimpl
def cf_register_rulesets(register: Any) -> None:
    register(RULESET)
    register(RULESET_2)
    register(RULESET_1)


@hookimpl
def cf_register_criteria(register: Any) -> None:
    for criterion in BUILT_IN:
        register(criterion)
