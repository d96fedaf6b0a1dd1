"""Rules the built-in rule sets share (`shared/domain/programme-rules.md`, "Conventions")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connecting_families.plugin import (
    BenefitSpell,
    CriterionResult,
    FamilyEvidence,
    Member,
    Verdict,
    Window,
)


def read_further(evidence: FamilyEvidence, used: Mapping[str, Any], reason: str = "") -> str:
    """`reason`, and, when the records `used` (ids by kind) include a member's from outside
    their time in the household, a sentence saying so: what a family shows of a person is
    bounded by their membership, and a rule set that reads further says where."""
    outside = [
        text for kind, ids in used.items() for text in evidence.outside_membership(kind, ids)
    ]
    if not outside:
        return reason
    said = "reads records from outside a member's time in the household, as the rule set "
    said += "provides (" + "; ".join(outside) + ")"
    return f"{reason}; {said}" if reason else said


def not_evaluated(key: str, evidence: FamilyEvidence, as_of: dt.date) -> Verdict:
    """The verdict of a family with no attachment date, or attached after `as_of`."""
    attached = evidence.attached_on
    reason = (
        "the family has no attached_on date, so it is not evaluated for results"
        if attached is None
        else f"the family was attached on {attached.isoformat()}, after {as_of.isoformat()}"
    )
    return Verdict(
        ruleset=key,
        family_ref=evidence.family_ref,
        as_of=as_of,
        known_at=evidence.known_at,
        evaluated=False,
        reason=reason,
    )


def out_of_work_adults(
    evidence: FamilyEvidence, attached: dt.date
) -> list[tuple[Member, list[BenefitSpell]]]:
    """Adult members at `attached` with an out-of-work benefit spell covering it."""
    found = []
    for adult in evidence.adults_on(attached):
        spells = [
            s for s in evidence.benefits if s.person_id == adult.person_id and s.covers(attached)
        ]
        if spells:
            found.append((adult, spells))
    return found


def employment_route(
    evidence: FamilyEvidence, attached: dt.date, as_of: dt.date, config: Mapping[str, Any]
) -> tuple[CriterionResult, CriterionResult]:
    """`continuous_employment` and `progress_to_work`, as tf2012 defines them."""
    claimants = out_of_work_adults(evidence, attached)
    lasting: dict[str, Any] = {}
    employment_ids: list[int] = []
    starts: list[int] = []
    for adult, spells in claimants:
        on_jsa = any(s.benefit == "JSA" for s in spells)
        weeks = config["employment_weeks_jsa"] if on_jsa else config["employment_weeks"]
        for job in evidence.employment:
            if job.person_id != adult.person_id or not attached <= job.start_date <= as_of:
                continue
            end = min(job.end_date or as_of, as_of)
            days = (end - job.start_date).days + 1
            lasting[f"{adult.person_ref}:{job.start_date.isoformat()}"] = {
                "days": days,
                "weeks_needed": weeks,
                "met": days >= 7 * weeks,
            }
            employment_ids.append(job.id)
        starts += [
            w.id
            for w in evidence.work_programme
            if w.person_id == adult.person_id and attached <= w.start_date <= as_of
        ]
    period = Window(attached, as_of + dt.timedelta(days=1))
    benefit_ids = tuple(s.id for _, spells in claimants for s in spells)
    employment = CriterionResult(
        name="continuous_employment",
        relevant=bool(claimants),
        met=any(job["met"] for job in lasting.values()),
        measured={"spells": lasting},
        thresholds={
            "employment_weeks": config["employment_weeks"],
            "employment_weeks_jsa": config["employment_weeks_jsa"],
        },
        windows={"after_attachment": period},
        evidence={"benefits": benefit_ids, "employment": tuple(employment_ids)},
        reason=read_further(
            evidence,
            {"employment": employment_ids},
            "" if claimants else "no adult member was on an out-of-work benefit at attachment",
        ),
    )
    progress = CriterionResult(
        name="progress_to_work",
        relevant=bool(claimants),
        met=bool(starts),
        measured={"starts": len(starts)},
        windows={"after_attachment": period},
        evidence={"benefits": benefit_ids, "work_programme": tuple(starts)},
        reason=read_further(evidence, {"work_programme": starts}),
    )
    return employment, progress
