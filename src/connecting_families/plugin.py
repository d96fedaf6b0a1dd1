"""Everything a plugin may use, in one module: import from here, not from the host's packages.

    from connecting_families.plugin import CriterionResult, FamilyEvidence, hookimpl

What is named here is the promise to plugin authors; the modules it comes from may move.
"""

from __future__ import annotations

from connecting_families.domain.calendar import financial_year_start, months_after, months_before
from connecting_families.domain.claims import (
    Claimable,
    Earlier,
    NewLines,
    once_per_route,
    one_claim_per_family,
    payable,
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
)
from connecting_families.domain.rules import ConfigProblem, Criterion, RuleContext, RuleSet
from connecting_families.domain.verdict import CriterionResult, RouteResult, Verdict, Window
from connecting_families.evidence.measures import Measure
from connecting_families.hooks.hookspecs import hookimpl

__all__ = [
    "AntisocialBehaviour",
    "Attendance",
    "BenefitSpell",
    "Claimable",
    "ConfigProblem",
    "Criterion",
    "CriterionResult",
    "Earlier",
    "EmploymentSpell",
    "Exclusion",
    "FamilyEvidence",
    "Measure",
    "Member",
    "Need",
    "NewLines",
    "Observation",
    "Offence",
    "RouteResult",
    "RuleContext",
    "RuleSet",
    "Verdict",
    "Window",
    "WorkProgrammeStart",
    "financial_year_start",
    "hookimpl",
    "months_after",
    "months_before",
    "once_per_route",
    "one_claim_per_family",
    "payable",
]
