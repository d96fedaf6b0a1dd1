"""`plugins/REFERENCE.md`, generated from the code: up to date, and without holes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest

from connecting_families import plugin
from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.hooks import hookspecs, reference

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "plugins" / "REFERENCE.md"


@pytest.fixture(scope="module")
def generated() -> str:
    return reference.reference_markdown()


def test_the_committed_reference_is_up_to_date(generated: str) -> None:
    """A change to a documented value, hook, rule set or criterion regenerates the file."""
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "plugins/REFERENCE.md is out of date: run "
        "`python -m connecting_families.hooks.reference plugins/REFERENCE.md`"
    )


def test_it_names_every_field_of_the_evidence_and_every_public_name(generated: str) -> None:
    """Each field of FamilyEvidence has its row, and each name of the public module is listed."""
    for field in attrs.fields(FamilyEvidence):
        assert f"\n| `{field.name}` | " in generated
    for name in plugin.__all__:
        assert f"`{name}`" in generated
    for hook in (n for n in vars(hookspecs) if n.startswith("cf_")):
        assert f"| `{hook}` | no |" in generated


def test_it_says_windows_are_half_open_and_how_claims_and_configuration_work(
    generated: str,
) -> None:
    assert "- `Window`: `[start, end)`: includes `start`, excludes `end`." in generated
    assert "First-result hooks: none." in generated
    assert "- `tf2012@1`: `claimable`: The claim rules 1-3" in generated
    assert "- `tf2015@2`: `merge_plan`: The configuration with a programme's outcome plan" in (
        generated
    )
    assert (
        "| `offending_reduced` | offences in the latest window fell `percent`% from before "
        "attachment | `percent`: a whole percentage, 0-100; `months`: the window's length in "
        "calendar months |"
    ) in generated


def test_a_first_result_hook_is_shown_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The column follows the hook's spec, so a hook made first-result cannot be missed."""
    spec = dict(hookspecs.cf_verdict_changed.connecting_families_spec)  # type: ignore[attr-defined]
    monkeypatch.setattr(
        hookspecs.cf_verdict_changed, "connecting_families_spec", {**spec, "firstresult": True}
    )
    text = "\n".join(reference.hooks_section())
    assert "First-result hooks: `cf_verdict_changed`." in text
    assert "| `cf_verdict_changed` | yes: stops at the first non-None result |" in text


@attrs.frozen
class Undocumented:
    """A value whose second field is not described.

    Attributes:
        day: A day.
    """

    day: dt.date
    count: int = 0


@attrs.frozen
class Unsaid:
    """A value with a method that says nothing.

    Attributes:
        day: A day.
    """

    day: dt.date

    def later(self) -> dt.date:
        return self.day


@pytest.mark.parametrize(
    ("cls", "missing"), [(Undocumented, "Undocumented.count"), (Unsaid, "Unsaid.later")]
)
def test_a_field_or_method_without_a_description_stops_the_reference(
    cls: type, missing: str
) -> None:
    """The reference cannot be generated with a hole in it."""
    with pytest.raises(reference.Undocumented, match=missing):
        reference.value_section(cls)


def test_the_built_in_host_holds_only_the_built_in_rule_sets() -> None:
    """Whatever else is installed where it is generated (the example plugin here)."""
    host = reference.built_in_host()
    assert "domestic_abuse_incidents_reduced" not in host.criteria()
    assert set(host.ruleset_ids()) == {"tf2012", "tf2015", "sf2022"}
