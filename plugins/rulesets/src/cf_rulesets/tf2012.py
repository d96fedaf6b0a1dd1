"""Rule set `tf2012`: Troubled Families 2012-15 financial framework.

The rules are in `shared/domain/programme-rules.md` ("tf2012"); every threshold marked there as
a configurable default is a setting here. Names below follow that text: `A` attached on, `D` as
of, `P` the pre-window, `Q` the post-window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from cf_rulesets.common import employment_route, not_evaluated, out_of_work_adults, read_further
from cf_rulesets.wording import TF2012_DESCRIPTIONS, TF2012_ROUTES, still_needed
from connecting_families.plugin import (
    ConfigProblem,
    CriterionResult,
    Earlier,
    FamilyEvidence,
    Member,
    NewLines,
    RouteResult,
    RuleContext,
    RuleSet,
    Verdict,
    Window,
    financial_year_start,
    hookimpl,
    months_before,
    payable,
)

ROUTES = ("crime_asb_education", "continuous_employment", "progress_to_work")
RESULTS = ("youth_crime", "asb", "education")

DEFAULTS: dict[str, Any] = {
    "identification_window_months": 12,
    "result_window_months": 6,
    "youth_crime_reduction_percent": 33,
    "asb_reduction_percent": 60,
    "unauthorised_absence_percent": 15,
    "fixed_exclusions": 3,
    "attendance_periods": 3,
    "employment_weeks": 26,
    "employment_weeks_jsa": 13,
    # Payments by the financial year (starting in April of the year given) containing A.
    "payments": {
        "2012": {
            "attachment_fee": "3200",
            "crime_asb_education": "700",
            "progress_to_work": "100",
            "continuous_employment": "800",
        },
        "2013": {
            "attachment_fee": "2400",
            "crime_asb_education": "1500",
            "progress_to_work": "100",
            "continuous_employment": "1600",
        },
        "2014": {
            "attachment_fee": "1600",
            "crime_asb_education": "2300",
            "progress_to_work": "100",
            "continuous_employment": "2400",
        },
    },
}
PERCENTS = (
    "youth_crime_reduction_percent",
    "asb_reduction_percent",
    "unauthorised_absence_percent",
)
COUNTS = (
    "identification_window_months",
    "result_window_months",
    "fixed_exclusions",
    "attendance_periods",
    "employment_weeks",
    "employment_weeks_jsa",
)


def check_config(config: Mapping[str, Any], context: RuleContext) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for name in PERCENTS:
        value = config[name]
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100):
            problems.append((name, "must be a whole percentage from 0 to 100"))
    for name in COUNTS:
        value = config[name]
        if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 120):
            problems.append((name, "must be a whole number from 1 to 120"))
    payments = config["payments"]
    if not isinstance(payments, dict) or not payments:
        return [*problems, ("payments", "must map financial years to amounts")]
    for year, table in payments.items():
        if not (isinstance(year, str) and year.isdigit() and len(year) == 4):
            problems.append((f"payments.{year}", "must be a year such as 2012"))
            continue
        if not isinstance(table, dict):
            problems.append((f"payments.{year}", "must map each route to an amount"))
            continue
        for route in ("attachment_fee", *ROUTES):
            try:
                amount = Decimal(str(table[route]))
                if amount < 0:
                    raise InvalidOperation
            except (KeyError, InvalidOperation):
                problems.append((f"payments.{year}.{route}", "must be an amount of 0 or more"))
    return problems


def _minor_offences(evidence: FamilyEvidence, window: Window) -> list[int]:
    """Members' offences committed under 18, while a member, with offence_date in `window`."""
    found = []
    for offence in evidence.offences:
        member = evidence.member(offence.person_id)
        if (
            member is not None
            and offence.offence_date in window
            and member.is_member_on(offence.offence_date)
            and member.is_child_on(offence.offence_date)
        ):
            found.append(offence.id)
    return found


def _asb_rows(evidence: FamilyEvidence, window: Window) -> list[int]:
    """The household's ASB rows and members' (while members) with incident_date in `window`."""
    return [
        row.id
        for row in evidence.asb
        if row.incident_date in window and evidence.was_member_on(row.person_id, row.incident_date)
    ]


def _education_need(
    evidence: FamilyEvidence, child: Member, window: Window, config: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Why `child` had an education problem in `window`, or None."""
    exclusions = [e for e in evidence.exclusions if e.person_id == child.person_id]
    permanent = [e.id for e in exclusions if e.kind == "permanent" and e.start_date in window]
    fixed = [e.id for e in exclusions if e.kind == "fixed" and e.start_date in window]
    periods = [
        a for a in evidence.attendance if a.person_id == child.person_id and a.period_end in window
    ]
    possible = sum(a.possible_sessions for a in periods)
    unauthorised = sum(a.unauthorised_absence_sessions for a in periods)
    absent = (
        possible > 0 and 100 * unauthorised >= config["unauthorised_absence_percent"] * possible
    )
    if not (permanent or len(fixed) >= config["fixed_exclusions"] or absent):
        return None
    return {
        "person_ref": child.person_ref,
        "permanent_exclusions": permanent,
        "fixed_exclusions": fixed,
        "attendance": [a.id for a in periods],
        "possible_sessions": possible,
        "unauthorised_absence_sessions": unauthorised,
    }


def identify(
    evidence: FamilyEvidence, attached: dt.date, config: Mapping[str, Any]
) -> list[CriterionResult]:
    window = Window(months_before(attached, config["identification_window_months"]), attached)
    offences = _minor_offences(evidence, window)
    asb = _asb_rows(evidence, window)
    crime = CriterionResult(
        name="identify_crime_asb",
        relevant=True,
        met=bool(offences or asb),
        measured={"minor_offences": len(offences), "asb": len(asb)},
        windows={"identification": window},
        evidence={"offences": tuple(offences), "asb": tuple(asb)},
    )
    needs = [
        need
        for child in evidence.children_on(attached)
        if (need := _education_need(evidence, child, window, config)) is not None
    ]
    used = {
        "exclusions": tuple(
            i for n in needs for i in n["permanent_exclusions"] + n["fixed_exclusions"]
        ),
        "attendance": tuple(i for n in needs for i in n["attendance"]),
    }
    education = CriterionResult(
        name="identify_education",
        relevant=True,
        met=bool(needs),
        measured={"children": [n["person_ref"] for n in needs]},
        thresholds={
            "unauthorised_absence_percent": config["unauthorised_absence_percent"],
            "fixed_exclusions": config["fixed_exclusions"],
        },
        windows={"identification": window},
        evidence=used,
        reason=read_further(evidence, used),
    )
    claimants = out_of_work_adults(evidence, attached)
    work = CriterionResult(
        name="identify_work",
        relevant=True,
        met=bool(claimants),
        measured={"adults_on_benefits": [m.person_ref for m, _ in claimants]},
        evidence={"benefits": tuple(s.id for _, spells in claimants for s in spells)},
    )
    return [crime, education, work]


def _reduction(
    name: str,
    counts: tuple[list[int], list[int]],
    windows: tuple[Window, Window],
    measurable: bool,
    percent: int,
    kind: str,
) -> CriterionResult:
    before, after = counts
    relevant = len(before) > 0
    met = relevant and measurable and 100 * len(after) <= (100 - percent) * len(before)
    reason = "" if measurable or not relevant else "not measurable yet: too soon after attachment"
    return CriterionResult(
        name=name,
        relevant=relevant,
        met=met,
        measured={"before": len(before), "after": len(after)},
        thresholds={"reduction_percent": percent},
        windows={"before": windows[0], "after": windows[1]},
        evidence={kind: tuple(before + after)},
        reason=reason,
    )


def _education_result(
    evidence: FamilyEvidence,
    attached: dt.date,
    as_of: dt.date,
    relevant: bool,
    config: Mapping[str, Any],
) -> CriterionResult:
    needed = config["attendance_periods"]
    children: dict[str, Any] = {}
    used: list[int] = []
    school: dict[str, list[int]] = {"attendance": [], "exclusions": []}
    all_pass = True
    assessed = 0
    for child in evidence.children_on(as_of):
        periods = [
            a
            for a in evidence.attendance
            if a.person_id == child.person_id
            and a.period_start >= attached
            and a.period_end <= as_of
        ]
        if not periods:
            continue
        if len(periods) < needed:
            all_pass = False
            children[child.person_ref] = {"periods": len(periods), "met": False}
            used += [a.id for a in periods]
            school["attendance"] += [a.id for a in periods]
            continue
        assessed += 1
        latest = sorted(periods, key=lambda a: (a.period_end, a.period_start))[-needed:]
        possible = sum(a.possible_sessions for a in latest)
        unauthorised = sum(a.unauthorised_absence_sessions for a in latest)
        first_start = min(a.period_start for a in latest)
        exclusions = [e for e in evidence.exclusions if e.person_id == child.person_id]
        fixed = [
            e.id for e in exclusions if e.kind == "fixed" and first_start <= e.start_date <= as_of
        ]
        permanent = [
            e.id for e in exclusions if e.kind == "permanent" and attached <= e.start_date <= as_of
        ]
        met = (
            100 * unauthorised < config["unauthorised_absence_percent"] * possible
            and len(fixed) < config["fixed_exclusions"]
            and not permanent
        )
        all_pass = all_pass and met
        children[child.person_ref] = {
            "periods": len(periods),
            "possible_sessions": possible,
            "unauthorised_absence_sessions": unauthorised,
            "fixed_exclusions": len(fixed),
            "permanent_exclusions": len(permanent),
            "met": met,
        }
        used += [a.id for a in latest] + fixed + permanent
        school["attendance"] += [a.id for a in latest]
        school["exclusions"] += fixed + permanent
    met = relevant and all_pass and assessed > 0
    return CriterionResult(
        name="education",
        relevant=relevant,
        met=met,
        measured={"children": children, "assessed": assessed},
        thresholds={
            "unauthorised_absence_percent": config["unauthorised_absence_percent"],
            "fixed_exclusions": config["fixed_exclusions"],
            "attendance_periods": needed,
        },
        windows={"results": Window(attached, as_of + dt.timedelta(days=1))},
        evidence={"attendance_and_exclusions": tuple(used)},
        reason=read_further(
            evidence,
            school,
            "" if assessed or not relevant else "no child has enough attendance periods yet",
        ),
    )


def payment_table(attached: dt.date, config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The payment row for the financial year of `attached`; None when not payable."""
    payments = config["payments"]
    years = sorted(int(year) for year in payments)
    year = max(financial_year_start(attached), years[0])
    table: Mapping[str, Any] | None = payments.get(str(year))
    return table


def evaluate(
    evidence: FamilyEvidence, as_of: dt.date, config: Mapping[str, Any], context: RuleContext
) -> Verdict:
    key = RULESET.key
    attached = evidence.attached_on
    if attached is None or attached > as_of:
        return not_evaluated(key, evidence, as_of)
    identification = identify(evidence, attached, config)
    flags = {c.name.removeprefix("identify_"): c.met for c in identification}
    held = sum(flags.values())
    eligible = held == 3 or (held == 2 and evidence.local_filter)

    months = config["result_window_months"]
    before = Window(months_before(attached, months), attached)
    after = Window(months_before(as_of, months), as_of)
    measurable = months_before(as_of, months) >= attached
    youth_crime = _reduction(
        "youth_crime",
        (_minor_offences(evidence, before), _minor_offences(evidence, after)),
        (before, after),
        measurable,
        config["youth_crime_reduction_percent"],
        "offences",
    )
    asb = _reduction(
        "asb",
        (_asb_rows(evidence, before), _asb_rows(evidence, after)),
        (before, after),
        measurable,
        config["asb_reduction_percent"],
        "asb",
    )
    education = _education_result(evidence, attached, as_of, flags["education"], config)
    results = [youth_crime, asb, education]
    relevant = [r for r in results if r.relevant]
    crime_asb_education = bool(relevant) and all(r.met for r in relevant)
    employment, progress = employment_route(evidence, attached, as_of, config)

    table = payment_table(attached, config)
    met = {
        "crime_asb_education": crime_asb_education,
        "continuous_employment": employment.met,
        "progress_to_work": progress.met,
    }
    routes = []
    for route in ROUTES:
        reason = ""
        amount = Decimal("0.00")
        if not eligible:
            reason = "the family is not eligible"
        elif table is None:
            reason = "attached after the last financial year of the programme: not payable"
        elif met[route]:
            amount = Decimal(str(table[route])).quantize(Decimal("0.01"))
        routes.append(RouteResult(route=route, met=met[route], amount_gbp=amount, reason=reason))
    fee = Decimal(str(table["attachment_fee"])) if eligible and table else Decimal("0.00")
    return Verdict(
        ruleset=key,
        family_ref=evidence.family_ref,
        as_of=as_of,
        known_at=evidence.known_at,
        evaluated=True,
        flags=flags,
        eligible=eligible,
        criteria=(*identification, *results, employment, progress),
        routes=tuple(routes),
        turned_around=eligible and (crime_asb_education or employment.met),
        attachment_fee_gbp=fee.quantize(Decimal("0.01")),
    )


def claimable(verdict: Verdict, earlier: Earlier) -> NewLines:
    """The claim rules 1-3: each route once; crime_asb_education and continuous_employment
    exclude each other (crime_asb_education first); progress_to_work never with or after
    continuous_employment, whose later amount is netted of the progress_to_work claimed."""
    met = payable(verdict)
    lines: NewLines = []
    exclusive = None
    if "crime_asb_education" not in earlier and "continuous_employment" not in earlier:
        exclusive = next(
            (r for r in ("crime_asb_education", "continuous_employment") if r in met), None
        )
    if exclusive == "crime_asb_education":
        lines.append((exclusive, met[exclusive]))
    if (
        "progress_to_work" in met
        and "progress_to_work" not in earlier
        and "continuous_employment" not in earlier
        and exclusive != "continuous_employment"
    ):
        lines.append(("progress_to_work", met["progress_to_work"]))
    if exclusive == "continuous_employment":
        netted = met[exclusive] - earlier.get("progress_to_work", 0)
        lines.append((exclusive, netted))
    return sorted(lines)


RULESET = RuleSet(
    id="tf2012",
    version=1,
    name="Troubled Families 2012-15 financial framework",
    headlines=("crime_asb", "education", "worklessness"),
    routes=ROUTES,
    defaults=DEFAULTS,
    evaluate=evaluate,
    check_config=check_config,
    claimable=claimable,
    descriptions=TF2012_DESCRIPTIONS,
    route_names={
        "crime_asb_education": "Crime, anti-social behaviour and school",
        "continuous_employment": "Continuous employment",
        "progress_to_work": "Progress to work",
    },
    route_criteria=TF2012_ROUTES,
    still_needed=still_needed,
    setting_labels={
        "identification_window_months": "Months before attachment that identify a family",
        "result_window_months": "Months compared for crime and anti-social behaviour",
        "youth_crime_reduction_percent": "Fall in youth crime",
        "asb_reduction_percent": "Fall in anti-social behaviour",
        "unauthorised_absence_percent": "Unauthorised absence",
        "fixed_exclusions": "Fixed exclusions",
        "attendance_periods": "Attendance periods",
        "employment_weeks": "Weeks in work",
        "employment_weeks_jsa": "Weeks in work after Jobseeker's Allowance",
        "payments": "Payments by financial year",
    },
    setting_descriptions={
        "identification_window_months": "Months before attachment in which offences, "
        "anti-social behaviour and school records identify a family",
        "result_window_months": "Months of the windows before attachment and before the "
        "result date that crime and anti-social behaviour are compared over",
        "youth_crime_reduction_percent": "The fall in offending that meets the youth crime "
        "result, in percent",
        "asb_reduction_percent": "The fall in anti-social behaviour that meets its result, "
        "in percent",
        "unauthorised_absence_percent": "Unauthorised absence at or above this percentage "
        "identifies a child; below it over the latest periods is a result",
        "fixed_exclusions": "Fixed exclusions that identify a child; fewer is a result",
        "attendance_periods": "How many of the latest attendance periods the education "
        "result looks at",
        "employment_weeks": "Weeks in work that meet the continuous employment route",
        "employment_weeks_jsa": "Weeks in work that meet it for an adult who was on "
        "Jobseeker's Allowance",
        "payments": "The attachment fee and each route's payment, by the financial year of "
        "attachment, in pounds",
    },
)


@hookimpl
def cf_register_rulesets(register: Any) -> None:
    register(RULESET)
