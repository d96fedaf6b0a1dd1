"""sf2022, rule by rule (`shared/domain/programme-rules.md`)."""

from __future__ import annotations

from datetime import date as d
from decimal import Decimal

import pytest

from connecting_families.domain.verdict import Verdict
from connecting_families.hooks.host import PluginHost
from connecting_families.testing import FamilyBuilder, verdict_of

A = d(2023, 1, 10)
CLOSED = d(2023, 8, 31)
HOST = PluginHost()


def verdict(family: FamilyBuilder, as_of: d, **config: object) -> Verdict:
    return verdict_of("sf2022", family.build(), as_of, config, HOST)


def closed_family(headlines: int = 3, **options: object) -> FamilyBuilder:
    family = FamilyBuilder(attached_on=A, closed_on=CLOSED, **options)  # type: ignore[arg-type]
    family.child("C1", born=d(2015, 1, 1))
    for headline in ("education", "health", "housing", "crime")[:headlines]:
        family.need(headline, d(2023, 1, 20), outcome="achieved", outcome_on=d(2023, 8, 1))
    return family


@pytest.mark.parametrize(("headlines", "eligible"), [(3, True), (2, False)])
def test_eligible_with_needs_under_three_headlines(headlines: int, eligible: bool) -> None:
    assert verdict(closed_family(headlines), d(2024, 3, 1)).eligible is eligible


def test_an_expectant_parent_family_without_children_is_eligible() -> None:
    family = FamilyBuilder(attached_on=A, closed_on=CLOSED, expectant_parent=True)
    family.adult("A1", born=d(1995, 1, 1))
    for headline in ("education", "health", "housing"):
        family.need(headline, d(2023, 1, 20), outcome="achieved", outcome_on=d(2023, 8, 1))
    assert verdict(family, d(2024, 3, 1)).eligible is True
    family.family["expectant_parent"] = False
    assert verdict(family, d(2024, 3, 1)).eligible is False


@pytest.mark.parametrize(
    ("as_of", "met"), [(d(2024, 2, 28), False), (d(2024, 2, 29), True)]
)  # closed 2023-08-31 + 6 months = 2024-02-29 (leap year)
def test_the_outcome_must_be_sustained_six_months(as_of: d, met: bool) -> None:
    result = verdict(closed_family(), as_of)
    assert result.route("successful_family_outcome").met is met
    assert result.turned_around is met


def test_an_open_case_has_no_outcome() -> None:
    family = closed_family()
    family.family["closed_on"] = None
    result = verdict(family, d(2025, 1, 1))
    assert result.criterion("successful_family_outcome").reason == "the case is not closed"


def test_every_need_must_be_achieved_by_the_closure() -> None:
    family = closed_family()
    family.need("crime", d(2023, 2, 1), outcome="achieved", outcome_on=d(2023, 9, 1))
    result = verdict(family, d(2024, 6, 1))
    assert result.route("successful_family_outcome").met is False
    assert "not achieved by the closure" in result.criterion("successful_family_outcome").reason


@pytest.mark.parametrize(("headline", "met"), [("health", False), ("domestic_abuse", True)])
def test_a_need_recurring_after_closure_breaks_the_outcome(headline: str, met: bool) -> None:
    """A new need under one of the same headlines in (closed_on, D] fails; another does not."""
    family = closed_family()
    family.need(headline, d(2023, 12, 1))
    assert verdict(family, d(2024, 6, 1)).route("successful_family_outcome").met is met


def test_the_payment_is_800_and_configurable() -> None:
    family = closed_family()
    assert verdict(family, d(2024, 6, 1)).route("successful_family_outcome").amount_gbp == Decimal(
        "800.00"
    )
    changed = verdict(family, d(2024, 6, 1), payment_gbp="950", sustain_months=12)
    assert changed.route("successful_family_outcome").met is False  # 12 months not yet passed


def test_a_bad_configuration_names_the_field() -> None:
    with pytest.raises(ValueError, match="min_headlines: must be a whole number"):
        verdict(closed_family(), d(2024, 6, 1), min_headlines=0)
