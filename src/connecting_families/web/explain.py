"""A verdict in plain English: which rule is met or not, with the numbers and the dates.

The words are built from the verdict alone (what each rule measured, against what, over
which window), so a plugin's own criteria are explained as well as the built-in ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from connecting_families.domain.verdict import CriterionResult, Verdict, Window
from connecting_families.web.templating import day, humanise, money


@attrs.frozen
class Line:
    """One sentence about one rule or route."""

    name: str
    met: bool
    text: str


@attrs.frozen
class Explained:
    summary: str
    routes: tuple[Line, ...]
    criteria: tuple[Line, ...]
    not_relevant: tuple[str, ...]
    flags: tuple[Line, ...]


def explain(verdict: Verdict) -> Explained:
    flags = tuple(
        Line(humanise(name), held, "holds" if held else "does not hold")
        for name, held in verdict.flags.items()
    )
    return Explained(
        summary=_summary(verdict),
        routes=tuple(
            Line(
                humanise(route.route),
                route.met,
                _join(
                    "met" if route.met else "not met",
                    f"worth {money(route.amount_gbp)}" if route.met and route.amount_gbp else "",
                    route.reason,
                ),
            )
            for route in verdict.routes
        ),
        criteria=tuple(
            Line(humanise(c.name), c.met, _criterion(c)) for c in verdict.criteria if c.relevant
        ),
        not_relevant=tuple(humanise(c.name) for c in verdict.criteria if not c.relevant),
        flags=flags,
    )


def _summary(verdict: Verdict) -> str:
    on = day(verdict.as_of)
    if not verdict.evaluated:
        return f"Not evaluated on {on}: {verdict.reason or 'no reason given'}."
    if verdict.turned_around:
        routes = ", ".join(humanise(r).lower() for r in verdict.routes_met)
        return f"Turned around on {on}: the {routes} result is met."
    if not verdict.eligible:
        return f"Not eligible on {on}: the family does not meet the programme's criteria."
    open_routes = [humanise(r.route).lower() for r in verdict.routes]
    if open_routes:
        return f"Not yet turned around on {on}: no route is met yet ({', '.join(open_routes)})."
    return f"Not yet turned around on {on}."


def _criterion(result: CriterionResult) -> str:
    return _join(
        "met" if result.met else "not met",
        _listed("measured", result.measured),
        _listed("needs", result.thresholds),
        _windows(result.windows),
        result.reason,
    )


def _listed(label: str, values: dict[str, Any]) -> str:
    if not values:
        return ""
    return f"{label} " + ", ".join(f"{humanise(k).lower()} {_value(v)}" for k, v in values.items())


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return day(value)
    if isinstance(value, dict):
        inner = "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
        return f"({inner})" if inner else "(none)"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or "none"
    return str(value)


def _windows(windows: dict[str, Window]) -> str:
    if not windows:
        return ""
    return "over " + ", ".join(
        f"{humanise(name).lower()} {day(w.start)} to {day(w.end - dt.timedelta(days=1))}"
        for name, w in windows.items()
    )


def _join(*parts: str) -> str:
    text = "; ".join(part for part in parts if part)
    return text[:1].upper() + text[1:] + "."
