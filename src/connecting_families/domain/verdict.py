"""`Verdict`: what a rule set decided about one family at a date, and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import msgspec


@attrs.frozen
class Window:
    """`[start, end)`: includes `start`, excludes `end`."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day < self.end


@attrs.frozen
class CriterionResult:
    """One rule's result, explained: what was measured against what, over which windows."""

    name: str
    relevant: bool
    met: bool
    measured: dict[str, Any] = attrs.Factory(dict)
    thresholds: dict[str, Any] = attrs.Factory(dict)
    windows: dict[str, Window] = attrs.Factory(dict)
    # The ids of the evidence rows used, by kind (attendance, offences, …).
    evidence: dict[str, tuple[int, ...]] = attrs.Factory(dict)
    reason: str = ""


@attrs.frozen
class RouteResult:
    route: str
    met: bool
    amount_gbp: Decimal = Decimal("0.00")
    reason: str = ""


@attrs.frozen
class Verdict:
    ruleset: str  # id@version, e.g. tf2012@1
    family_ref: str
    as_of: dt.date
    known_at: dt.datetime | None
    # False when the family could not be evaluated for results (see `reason`).
    evaluated: bool
    reason: str = ""
    flags: dict[str, bool] = attrs.Factory(dict)
    eligible: bool = False
    criteria: tuple[CriterionResult, ...] = ()
    routes: tuple[RouteResult, ...] = ()
    turned_around: bool = False
    # Programme income for an attached eligible family, by the rule set's schedule.
    attachment_fee_gbp: Decimal = Decimal("0.00")

    @property
    def routes_met(self) -> tuple[str, ...]:
        return tuple(route.route for route in self.routes if route.met)

    def criterion(self, name: str) -> CriterionResult:
        return next(c for c in self.criteria if c.name == name)

    def route(self, name: str) -> RouteResult:
        return next(r for r in self.routes if r.route == name)

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Verdict:
        return msgspec.json.decode(data, type=cls)
