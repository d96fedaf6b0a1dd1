"""`Verdict`: what a rule set decided about one family at a date, and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import msgspec

_NOT_UNDECIDED = b',"undecided":null}'


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
class Undecided:
    """Why a family could not be decided: a plugin failed while judging it.

    Only what names the fault is kept, never an error's message: a message may quote the
    evidence it choked on (a name, a date of birth), and this travels to pages, logs and claims.
    """

    plugin: str  # the plugin's entry-point name
    part: str  # the rule set (id@version) or the criterion's name
    problem: str  # what went wrong, in words: "raised", "returned the wrong type", ...
    error: str  # the error's class, the type returned, or the routes not declared

    def __str__(self) -> str:
        return f"plugin {self.plugin}: {self.part} {self.problem} ({self.error})"


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
    # Set when a plugin failed while judging: the family is then neither met nor not met
    # (`evaluated` is False), and nothing may be paid, reversed or counted on it. Last, so
    # that `to_json` can leave it out when unset (see there).
    undecided: Undecided | None = None

    @property
    def decided(self) -> bool:
        return self.undecided is None

    @property
    def routes_met(self) -> tuple[str, ...]:
        return tuple(route.route for route in self.routes if route.met)

    def criterion(self, name: str) -> CriterionResult:
        return next(c for c in self.criteria if c.name == name)

    def route(self, name: str) -> RouteResult:
        return next(r for r in self.routes if r.route == name)

    def to_json(self) -> bytes:
        encoded = msgspec.json.encode(self)
        # A decided verdict encodes as it did before `undecided` existed: claim lines hash
        # their verdict's JSON (`claims.service.line_sha256`), and an auditor's re-run of an
        # older line must still match it.
        if self.undecided is None and encoded.endswith(_NOT_UNDECIDED):
            return encoded[: -len(_NOT_UNDECIDED)] + b"}"
        return encoded

    @classmethod
    def from_json(cls, data: bytes | str) -> Verdict:
        return msgspec.json.decode(data, type=cls)
