"""Judging a family with a plugin's rule set, each plugin's failure contained to the family.

A rule set and the criteria it calls are other people's code. One that raises, returns the
wrong type or names routes it did not declare must not decide the family either way (a wrong
"not met" denies a family, a wrong "met" pays for nothing) nor stop the pages or the rest of
the programme: the family is left *undecided*, its verdict naming the plugin, the rule set or
criterion and the error's class (`domain.verdict.Undecided`), and one log line says so. A
family that takes longer than the budget to judge is logged with the slowest plugin's name.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import msgspec

from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.domain.rules import Criterion, RuleContext, RuleSet
from connecting_families.domain.verdict import (
    CriterionResult,
    RouteResult,
    Undecided,
    Verdict,
    Window,
)
from connecting_families.hooks.host import PluginHost

log = logging.getLogger(__name__)

# A family is judged in well under a millisecond by the built-in rule sets; a second is a
# plugin doing I/O or something quadratic. `CF_JUDGING_BUDGET_MS` changes it.
DEFAULT_BUDGET_MS = 1000.0
RAISED = "raised an error"
WRONG_TYPE = "returned the wrong type"
UNDECLARED = "named routes it did not declare"
UNSTORABLE = "returned a verdict that cannot be stored"
# What msgspec raises for a value it cannot encode (an object of a plugin's own class).
ENCODE_ERRORS = (TypeError, ValueError, OverflowError)
_ENCODER = msgspec.msgpack.Encoder()
UNKNOWN_PLUGIN = "(not known)"
# What an `Undecided.error` may hold: a class's or routes' names, never a long text.
_MOST = 200

JudgeFamily = Callable[[FamilyEvidence, dt.date], Verdict]


class _Watch:
    """What happened while one family was judged: the first failure, and each criterion's
    time (by plugin and criterion), for the budget's log line."""

    def __init__(self) -> None:
        self.failure: Undecided | None = None
        self.spent: dict[tuple[str, str], float] = {}

    def fail(self, failure: Undecided) -> None:
        self.failure = self.failure or failure


# The family being judged in this thread (`asyncio.to_thread` runs each call in a copy of the
# context, so two families judged at once never share one).
_WATCH: contextvars.ContextVar[_Watch | None] = contextvars.ContextVar("_WATCH", default=None)


class _CriterionFailed(Exception):
    """A criterion returned something other than a `CriterionResult`."""


def owner(plugins: PluginHost, hook: str, key: str) -> str:
    """The plugin that registered `key` through `hook`, to name it when that fails."""
    return plugins.registered_by(hook, key) or UNKNOWN_PLUGIN


def error_name(error: BaseException) -> str:
    """The error's class, qualified by its module unless it is a built-in one. Never its
    message: that may quote the evidence the plugin was reading."""
    kind = type(error)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _short(text: str) -> str:
    return text if len(text) <= _MOST else text[: _MOST - 1] + "…"


def guarded_criterion(criterion: Criterion, plugin: str) -> Criterion:
    """`criterion` with its failures noted for the family being judged (the rule set calling
    it may catch them; the family is undecided all the same) and its time measured."""
    judge = criterion.judge

    def guarded(
        evidence: FamilyEvidence, attached: dt.date, as_of: dt.date, parameters: Mapping[str, Any]
    ) -> CriterionResult:
        watch = _WATCH.get()
        start = time.perf_counter()
        try:
            result: Any = judge(evidence, attached, as_of, parameters)
        except Exception as error:
            if watch is not None:
                watch.fail(Undecided(plugin, criterion.name, RAISED, error_name(error)))
            raise
        finally:
            if watch is not None:
                key = (plugin, criterion.name)
                watch.spent[key] = watch.spent.get(key, 0.0) + time.perf_counter() - start
        if not isinstance(result, CriterionResult):
            failure = Undecided(plugin, criterion.name, WRONG_TYPE, type(result).__name__)
            if watch is not None:
                watch.fail(failure)
            raise _CriterionFailed(str(failure))
        return result

    return attrs.evolve(criterion, judge=guarded)


def guarded_context(context: RuleContext, owners: Mapping[str, str]) -> RuleContext:
    """`context` with each criterion guarded, named by the plugin that registered it."""
    return attrs.evolve(
        context,
        criteria={
            name: guarded_criterion(criterion, owners.get(name, UNKNOWN_PLUGIN))
            for name, criterion in context.criteria.items()
        },
    )


def misjudged(ruleset: RuleSet, verdict: Any) -> tuple[str, str] | None:
    """What is wrong with what `ruleset` returned, as (problem, error); None if nothing.

    Only what the service relies on is checked: the types it reads and the routes it pays."""
    if isinstance(verdict, Verdict) and _sound(ruleset, verdict):
        return None  # the usual case, checked at the least cost: every family goes this way
    if not isinstance(verdict, Verdict):
        return WRONG_TYPE, type(verdict).__name__
    for field in ("evaluated", "eligible", "turned_around"):
        if not isinstance(getattr(verdict, field), bool):
            return WRONG_TYPE, f"{field} is {type(getattr(verdict, field)).__name__}"
    if not isinstance(verdict.attachment_fee_gbp, Decimal):
        return WRONG_TYPE, f"attachment_fee_gbp is {type(verdict.attachment_fee_gbp).__name__}"
    for kind, values, expected in (
        ("criteria", verdict.criteria, CriterionResult),
        ("routes", verdict.routes, RouteResult),
    ):
        if not isinstance(values, tuple | list):
            return WRONG_TYPE, f"{kind} is {type(values).__name__}"
        wrong = [v for v in values if not isinstance(v, expected)]
        if wrong:
            return WRONG_TYPE, f"{kind} hold {type(wrong[0]).__name__}"
    for criterion in verdict.criteria:
        if not _readable(criterion):
            return (
                WRONG_TYPE,
                f"criterion {str(criterion.name)[:64]!r} has a field of the wrong type",
            )
    for route in verdict.routes:
        if not isinstance(route.amount_gbp, Decimal) or not isinstance(route.met, bool):
            return WRONG_TYPE, f"route {route.route!r} has a met or amount of the wrong type"
    undeclared = sorted({str(r.route) for r in verdict.routes} - set(ruleset.routes))
    if undeclared:
        return UNDECLARED, ", ".join(undeclared)
    return None


def _sound(ruleset: RuleSet, verdict: Verdict) -> bool:
    """Whether nothing is wrong with `verdict` (`misjudged` then says what is, if anything)."""
    if not (
        isinstance(verdict.evaluated, bool)
        and isinstance(verdict.eligible, bool)
        and isinstance(verdict.turned_around, bool)
        and isinstance(verdict.attachment_fee_gbp, Decimal)
        and isinstance(verdict.criteria, tuple | list)
        and isinstance(verdict.routes, tuple | list)
    ):
        return False
    for result in verdict.criteria:
        if not (isinstance(result, CriterionResult) and _readable(result)):
            return False
    for route in verdict.routes:
        if not (
            isinstance(route, RouteResult)
            and isinstance(route.met, bool)
            and isinstance(route.amount_gbp, Decimal)
            and route.route in ruleset.routes
        ):
            return False
    return True


def _readable(result: CriterionResult) -> bool:
    """Whether the result page (`web.explain`) can read `result`: its fields of their types."""
    return (
        isinstance(result.name, str)
        and isinstance(result.relevant, bool)
        and isinstance(result.met, bool)
        and isinstance(result.reason, str)
        and isinstance(result.measured, dict)
        and isinstance(result.thresholds, dict)
        and isinstance(result.windows, dict)
        and (not result.windows or all(isinstance(w, Window) for w in result.windows.values()))
    )


def undecided_verdict(
    ruleset: RuleSet, evidence: FamilyEvidence, as_of: dt.date, failure: Undecided
) -> Verdict:
    """The family neither met nor not met: nothing is paid, reversed or counted on it."""
    failure = attrs.evolve(failure, error=_short(failure.error))
    return Verdict(
        ruleset=ruleset.key,
        family_ref=evidence.family_ref,
        as_of=as_of,
        known_at=evidence.known_at,
        evaluated=False,
        reason=f"could not be decided: {failure}",
        undecided=failure,
    )


def unstorable(verdict: Verdict) -> str | None:
    """The error's class when `verdict` cannot be encoded to be stored or sent (a plugin put a
    value of its own class in it); None when it can. Checked where a verdict is stored or
    sent, not for every family judged: encoding costs a tenth of the judging."""
    try:
        _ENCODER.encode(verdict)
    except ENCODE_ERRORS as error:
        return error_name(error)
    return None


def stored(
    plugin: str,
    ruleset: RuleSet,
    evidence: FamilyEvidence,
    verdict: Verdict,
    *,
    log_failure: bool = True,
) -> Verdict:
    """`verdict` if it can be stored and sent (`unstorable`), else the family undecided, the
    fault `ruleset`'s (of `plugin`)."""
    error = unstorable(verdict)
    if error is None:
        return verdict
    failure = Undecided(plugin, ruleset.key, UNSTORABLE, error)
    if log_failure:
        log_undecided(evidence.family_id, ruleset.key, failure)
    return undecided_verdict(ruleset, evidence, verdict.as_of, failure)


def log_undecided(family_id: int, ruleset: str, failure: Undecided) -> None:
    """One line per family left undecided, naming the fault; the family by its id alone."""
    log.error(
        "family could not be decided: plugin %s failed",
        failure.plugin,
        extra={
            "plugin": failure.plugin,
            "ruleset": ruleset,
            "part": failure.part,
            "problem": failure.problem,
            "error_type": failure.error,
            "family_id": family_id,
        },
    )


@attrs.frozen
class ContainedJudge:
    """Judges families by `ruleset` with `config`, containing each plugin's failure to the
    family it happened on. `log_failures` False leaves the logging of undecided families to
    the caller (worker processes send their verdicts to one that logs)."""

    ruleset: RuleSet
    config: Mapping[str, Any]
    # The context with its criteria guarded (`guarded_context`).
    context: RuleContext
    plugin: str  # the rule set's plugin
    budget_ms: float = DEFAULT_BUDGET_MS
    log_failures: bool = True

    def __call__(self, evidence: FamilyEvidence, as_of: dt.date) -> Verdict:
        watch = _Watch()
        found: Any = None
        token = _WATCH.set(watch)
        start = time.perf_counter()
        try:
            found = self.ruleset.evaluate(evidence, as_of, self.config, self.context)
            problem = misjudged(self.ruleset, found)
            failure = watch.failure or (
                Undecided(self.plugin, self.ruleset.key, *problem) if problem else None
            )
        except Exception as error:
            # A criterion's failure is the criterion's, whatever the rule set made of it.
            failure = watch.failure or Undecided(
                self.plugin, self.ruleset.key, RAISED, error_name(error)
            )
        finally:
            _WATCH.reset(token)
        elapsed_ms = (time.perf_counter() - start) * 1000
        if elapsed_ms > self.budget_ms:
            self._over_budget(evidence.family_id, elapsed_ms, watch)
        if failure is not None:
            if self.log_failures:
                log_undecided(evidence.family_id, self.ruleset.key, failure)
            return undecided_verdict(self.ruleset, evidence, as_of, failure)
        verdict: Verdict = found
        return verdict

    def stored(self, evidence: FamilyEvidence, verdict: Verdict) -> Verdict:
        """`verdict` if it can be stored and sent (`unstorable`), else the family undecided."""
        return stored(self.plugin, self.ruleset, evidence, verdict, log_failure=self.log_failures)

    def _over_budget(self, family_id: int, elapsed_ms: float, watch: _Watch) -> None:
        """Log the family's time with the plugin that spent most of it: the slowest criterion,
        or the rule set itself when its own share is larger."""
        own_ms = elapsed_ms - 1000 * sum(watch.spent.values())
        plugin, part, spent_ms = self.plugin, self.ruleset.key, own_ms
        for (criterion_plugin, criterion), seconds in watch.spent.items():
            if 1000 * seconds > spent_ms:
                plugin, part, spent_ms = criterion_plugin, criterion, 1000 * seconds
        log.warning(
            "judging a family took %.0f ms, over the budget of %.0f ms: plugin %s (%s)",
            elapsed_ms,
            self.budget_ms,
            plugin,
            part,
            extra={
                "plugin": plugin,
                "ruleset": self.ruleset.key,
                "part": part,
                "family_id": family_id,
                "elapsed_ms": round(elapsed_ms),
                "part_ms": round(spent_ms),
                "budget_ms": self.budget_ms,
            },
        )
