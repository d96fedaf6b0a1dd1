"""Everything a plugin may use, in one module: import from here, not from the host's packages.

    from connecting_families.plugin import CriterionResult, FamilyEvidence, hookimpl

What is named here is the promise to plugin authors; the modules it comes from may move.
Left out on purpose: the plugin host, services, repositories, tables and the web layer. A plugin
judges the values it is given and reaches nothing else, so judging stays pure and re-runnable.
Its tests build evidence with `connecting_families.testing`.
"""

from __future__ import annotations

from connecting_families.domain.calendar import financial_year_start, months_after, months_before
from connecting_families.domain.claims import (
    Claimable,
    ClaimLineCheck,
    Earlier,
    Failing,
    NewLines,
    once_per_route,
    one_claim_per_family,
    payable,
    pence,
    relevant_not_met,
)
from connecting_families.domain.evidence import (
    AntisocialBehaviour,
    Attendance,
    BenefitSpell,
    EmploymentSpell,
    Exclusion,
    FamilyEvidence,
    Member,
    Need,
    Observation,
    Offence,
    WorkProgrammeStart,
    age_on,
)
from connecting_families.domain.measures import Measure, MeasureType

# The callables' types, so that an author's functions can be annotated (and checked) as the
# host calls them; `each_setting_replaced` is the default merge a rule set may build on.
from connecting_families.domain.rules import (
    CheckConfig,
    CheckParameters,
    ConfigProblem,
    Configure,
    Criterion,
    Evaluate,
    Judge,
    RuleContext,
    RuleSet,
    StillNeeded,
    each_setting_replaced,
)
from connecting_families.domain.verdict import (
    CriterionResult,
    RouteResult,
    Undecided,
    Verdict,
    Window,
)
from connecting_families.hooks.hookspecs import hookimpl

__all__ = [
    "AntisocialBehaviour",
    "Attendance",
    "BenefitSpell",
    "CheckConfig",
    "CheckParameters",
    "ClaimLineCheck",
    "Claimable",
    "ConfigProblem",
    "Configure",
    "Criterion",
    "CriterionResult",
    "Earlier",
    "EmploymentSpell",
    "Evaluate",
    "Exclusion",
    "Failing",
    "FamilyEvidence",
    "Judge",
    "Measure",
    "MeasureType",
    "Member",
    "Need",
    "NewLines",
    "Observation",
    "Offence",
    "RouteResult",
    "RuleContext",
    "RuleSet",
    "StillNeeded",
    "Undecided",
    "Verdict",
    "Window",
    "WorkProgrammeStart",
    "age_on",
    "each_setting_replaced",
    "financial_year_start",
    "hookimpl",
    "months_after",
    "months_before",
    "once_per_route",
    "one_claim_per_family",
    "payable",
    "pence",
    "relevant_not_met",
]
