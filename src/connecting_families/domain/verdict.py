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
    """`[start, end)`: includes `start`, excludes `end`.

    Half-open, so that windows meet without overlapping: the six months before attachment
    `A` are `Window(months_before(A, 6), A)`, and `A` itself falls in the window after.
    `day in window` is the test.

    Attributes:
        start: The first day in the window.
        end: The first day after it.
    """

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        """`day in window`: `start <= day < end`."""
        return self.start <= day < self.end


@attrs.frozen
class CriterionResult:
    """One rule's result, explained: what was measured against what, over which windows.

    Attributes:
        name: The criterion's name (in tf2015 plans, prefixed ``headline:``).
        relevant: Whether it applies to the family (a family with no children is not judged
            on school attendance); only relevant results count.
        met: Whether it is met; read only with `relevant` (a result that is not relevant
            counts neither way).
        measured: What was measured, by name (numbers, counts, dates as text).
        thresholds: What it was measured against, by name (the parameters used).
        windows: The windows it looked at, by name (``before``, ``after``).
        evidence: The ids of the evidence rows used, by kind (``attendance``, ``offences``, …).
        reason: Why it is not met or not relevant, in words; empty when there is nothing to add.
    """

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
    """One route to a result payment, met or not.

    Attributes:
        route: The route (one of the rule set's `routes`).
        met: Whether the family meets it at the verdict's date.
        amount_gbp: What the route pays when met, in pounds (0.00 for a route that pays
            nothing, or is not met).
        reason: Why it is or is not met, in words.
    """

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
    """What a rule set decided about one family at a date, and why.

    Attributes:
        ruleset: The rule set's ``id@version`` that decided it (``tf2012@1``).
        family_ref: The family.
        as_of: The date it is decided at (``D``).
        known_at: The instant the evidence was as known at; None: as known at evaluation.
        evaluated: False when the family could not be evaluated for results (see `reason`):
            not attached, or attached after `as_of`.
        reason: Why it was not evaluated, in words.
        flags: The identification flags, by name (``crime_asb``: True).
        eligible: Whether the family is eligible for payment by results.
        criteria: Every criterion's result, explained.
        routes: Every route's result, in the rule set's order.
        turned_around: Eligible, and a route that makes a family turned around is met.
        attachment_fee_gbp: Programme income for an attached eligible family, by the rule
            set's schedule, in pounds.
        undecided: None for a decided family; else why it could not be decided (a plugin
            failed while judging it): neither met nor not met, held back from claims.
    """

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
        """Whether the rule set and its criteria decided the family (no plugin failed)."""
        return self.undecided is None

    @property
    def routes_met(self) -> tuple[str, ...]:
        """The routes met, in the rule set's order."""
        return tuple(route.route for route in self.routes if route.met)

    def criterion(self, name: str) -> CriterionResult:
        """The result of the criterion `name` (StopIteration when there is none)."""
        return next(c for c in self.criteria if c.name == name)

    def route(self, name: str) -> RouteResult:
        """The result of the route `name` (StopIteration when there is none)."""
        return next(r for r in self.routes if r.route == name)

    def to_json(self) -> bytes:
        """The verdict as JSON, as stored with each evaluation and claim line."""
        encoded = msgspec.json.encode(self)
        # A decided verdict encodes as it did before `undecided` existed: claim lines hash
        # their verdict's JSON (`claims.service.line_sha256`), and an auditor's re-run of an
        # older line must still match it.
        if self.undecided is None and encoded.endswith(_NOT_UNDECIDED):
            return encoded[: -len(_NOT_UNDECIDED)] + b"}"
        return encoded

    @classmethod
    def from_json(cls, data: bytes | str) -> Verdict:
        """The verdict from its JSON."""
        return msgspec.json.decode(data, type=cls)
