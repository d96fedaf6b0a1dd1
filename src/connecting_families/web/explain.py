"""A verdict in plain English: which rule is met or not, in the rule set's own words.

Each criterion is named by its description (the rule set's `descriptions`, or a registered
`Criterion`'s own, with its parameters filled in), never by its key; people by name, amounts as
money, dates as dates; and a route not met says in one sentence what it still needs (the rule
set's or the criterion's `still_needed`). A plugin's criteria are worded through the same
means as the built-in ones: what it registers carries its own words.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from connecting_families.domain.claims import payable, worth
from connecting_families.domain.rules import Criterion, RuleSet
from connecting_families.domain.verdict import CriterionResult, RouteResult, Verdict, Window
from connecting_families.web.templating import day, headline_words, humanise, money

log = logging.getLogger(__name__)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_PARAMETER = re.compile(r"`([a-z_][a-z0-9_]*)`")
# A criterion of an outcome plan named by its headline: `crime_asb:offences_in_window`.
_PLAN_CRITERION = re.compile(r"^([a-z][a-z0-9_]*):([a-z][a-z0-9_]*)$")
# Words the rule sets' keys shorten, spelt out as the pages say them.
_KEY_WORDS = {"asb": "anti-social behaviour", "ptw": "progress to work"}
# A parameter a criterion's description names, kept in its result under another name (the
# result says what it was measured against: "at least" 1, a "reduction percent" of 33).
_THRESHOLD_OF = {"count": "at_least", "percent": "reduction_percent"}


@attrs.frozen
class Wording:
    """What words a verdict needs besides itself: its rule set, the registered criteria (a
    plugin's among them), and the family's members' names by person ref."""

    ruleset: RuleSet | None = None
    criteria: Mapping[str, Criterion] = attrs.field(factory=dict)
    names: Mapping[str, str] = attrs.field(factory=dict)

    def named(self, text: str) -> str:
        """`text` with each person ref a member's name and each ISO date a date."""
        for ref in sorted(self.names, key=len, reverse=True):
            text = re.sub(rf"(?<![\w-]){re.escape(ref)}(?![\w-])", self.names[ref], text)
        return _ISO_DATE.sub(lambda found: day(found.group(1)), text)

    def criterion_of(self, name: str) -> Criterion | None:
        """The registered criterion a result is of: an outcome plan's `headline:criterion`
        results are the criterion's own."""
        return self.criteria.get(name.rpartition(":")[2])

    def describe(self, result: CriterionResult) -> str:
        """The criterion in the rule set's words, or its registered description with its
        parameters filled from the result; its name in words only when it has neither."""
        own = self.ruleset.descriptions.get(result.name) if self.ruleset else None
        if own:
            return _sentence_case(own)
        criterion = self.criterion_of(result.name)
        if criterion is None:
            return humanise(result.name)
        headline, _, _ = result.name.rpartition(":")
        described = _PARAMETER.sub(
            lambda found: self._parameter(result, found.group(1)), criterion.description
        )
        prefix = f"{headline_words(headline)}: " if headline else ""
        return _sentence_case(prefix + described)

    def _parameter(self, result: CriterionResult, name: str) -> str:
        """A parameter of a criterion's description, from what its result was measured
        against; a headline in words; the parameter's name in words when neither holds it."""
        thresholds = result.thresholds
        value = thresholds.get(name, thresholds.get(_THRESHOLD_OF.get(name, ""), None))
        if value is None:
            return humanise(name).lower()
        if isinstance(value, str) and self.ruleset and value in self.ruleset.headlines:
            return headline_words(value).lower()
        return _value(value)

    def route_name(self, route: str) -> str:
        """A route in the rule set's words (its `descriptions` may name routes too)."""
        own = self.ruleset.descriptions.get(route) if self.ruleset else None
        return _sentence_case(own) if own else humanise(route)

    def route_title(self, route: str) -> str:
        """A route's short name, for a table or a heading (the rule set's `route_names`)."""
        own = self.ruleset.route_names.get(route) if self.ruleset else None
        return own or humanise(route)

    def setting_name(self, key: str) -> str:
        """A threshold by the rule set's label for the setting it comes from ("weeks in work
        after Jobseeker's Allowance"), or its key in words."""
        own = self.ruleset.setting_labels.get(key) if self.ruleset else None
        return _lower_first(own) if own else _key(key)

    def still_needed(self, result: CriterionResult) -> str:
        """What a result not met still needs, in one sentence; "" when met or not known."""
        if result.met or not result.relevant:
            return ""
        # A plugin's wording is its own code: one that fails loses its sentence, and the
        # page goes on (the result itself was judged, and is shown, without it).
        try:
            text = self.ruleset.still_needed(result, self.names) if self.ruleset else ""
            if not text and (criterion := self.criterion_of(result.name)) is not None:
                text = criterion.still_needed(result, self.names)
        except Exception as error:
            log.warning(
                "a plugin's still_needed failed",
                extra={"criterion": result.name, "error_type": type(error).__name__},
            )
            return ""
        return _sentence(self.named(text)) if isinstance(text, str) and text else ""


@attrs.frozen
class Line:
    """One sentence about one rule or route: its name in words, whether it is met, what was
    measured, and (when not met) what it still needs."""

    name: str
    met: bool
    text: str
    needed: str = ""


@attrs.frozen
class Explained:
    summary: str
    routes: tuple[Line, ...]
    criteria: tuple[Line, ...]
    not_relevant: tuple[str, ...]
    flags: tuple[Line, ...]


def explain(verdict: Verdict, wording: Wording | None = None) -> Explained:
    """`verdict` in words, with `wording`'s descriptions and names (none: the keys in words)."""
    words = wording or Wording()
    by_name = {c.name: c for c in verdict.criteria}
    flags = tuple(
        Line(_flag_name(words, by_name, name), held, "holds" if held else "does not hold")
        for name, held in verdict.flags.items()
    )
    # What each route is worth is what the claim rules would pay for it, so that a family
    # meeting both of tf2015's routes reads as worth £800 once, as its claim would be.
    paid = worth(verdict, words.ruleset.claimable) if words.ruleset else payable(verdict)
    routes = []
    for route in verdict.routes:
        text = _join(
            "met" if route.met else "not met",
            _worth_words(route, paid, words),
            words.named(route.reason),
        )
        needed = "" if route.met else _route_needed(words, by_name, route.route)
        routes.append(Line(words.route_name(route.route), route.met, text, needed))
    return Explained(
        summary=_summary(verdict, words),
        routes=tuple(routes),
        criteria=tuple(
            Line(words.describe(c), c.met, _criterion(c, words), words.still_needed(c))
            for c in verdict.criteria
            if c.relevant
        ),
        not_relevant=tuple(words.describe(c) for c in verdict.criteria if not c.relevant),
        flags=flags,
    )


def _worth_words(route: RouteResult, paid: Mapping[str, int], words: Wording) -> str:
    """A met route's worth as money, or, for a route paid in another's stead, which."""
    if not route.met or route.amount_gbp <= 0:
        return ""
    if paid.get(route.route):
        return f"worth {money(Decimal(paid[route.route]) / 100)}"
    instead = [_lower_first(words.route_title(name)) for name in paid if paid[name]]
    return f"not paid as well as {' and '.join(instead)}" if instead else ""


def _flag_name(words: Wording, by_name: Mapping[str, CriterionResult], flag: str) -> str:
    """A flag by its identifying criterion's description, where the rule set has one."""
    for name in (f"identify_{flag}", flag):
        if name in by_name and words.ruleset and name in words.ruleset.descriptions:
            return words.describe(by_name[name])
    return humanise(flag)


def _route_needed(words: Wording, by_name: Mapping[str, CriterionResult], route: str) -> str:
    """What a route not met still needs: the sentences of the criteria it rests on that are
    relevant and not met (by the rule set's `route_criteria`, or the criterion of its name)."""
    names = words.ruleset.route_criteria.get(route, (route,)) if words.ruleset else (route,)
    results = [by_name[name] for name in names if name in by_name]
    sentences = [words.still_needed(r) for r in results]
    said = " ".join(sentence for sentence in sentences if sentence)
    if said:
        return said
    open_ones = [words.describe(r).lower() for r in results if r.relevant and not r.met]
    if open_ones:
        return _sentence("Still needed: " + "; ".join(open_ones))
    return ""


def _summary(verdict: Verdict, words: Wording) -> str:
    on = day(verdict.as_of)
    if verdict.undecided is not None:
        fault = verdict.undecided
        return (
            f"Could not be decided on {on}: the plugin {fault.plugin} failed while judging the "
            f"family ({fault.part} {fault.problem}: {fault.error}). The family is not counted "
            "as meeting or not meeting any rule. Tell the service's administrator."
        )
    if not verdict.evaluated:
        reason = _ISO_DATE.sub(lambda found: day(found.group(1)), verdict.reason)
        return f"Not evaluated on {on}: {reason or 'no reason given'}."
    if verdict.turned_around:
        routes = "; ".join(_lower_first(words.route_name(r)) for r in verdict.routes_met)
        return f"Turned around on {on}: {routes}."
    if not verdict.eligible:
        return f"Not eligible on {on}: the family does not meet the programme's criteria."
    if verdict.routes:
        return f"Not yet turned around on {on}: no route to a result is met yet."
    return f"Not yet turned around on {on}."


def _criterion(result: CriterionResult, words: Wording) -> str:
    return _join(
        "met" if result.met else "not met",
        words.named(_listed("measured", result.measured)),
        words.named(_listed("needs", result.thresholds, words.setting_name)),
        _windows(result.windows),
        words.named(result.reason),
    )


def _listed(label: str, values: dict[str, Any], name: Callable[[str], str] | None = None) -> str:
    """`values` as "label name: value, …", each value in its kind's words (a percentage with
    its sign, an amount as money, a date as a date), never a key beside a bare number."""
    if not values:
        return ""
    named = name or _key
    return f"{label} " + ", ".join(_named_value(k, v, named) for k, v in values.items())


def _named_value(key: str, value: Any, named: Callable[[str], str]) -> str:
    words = named(key)
    if key.endswith("percent") and isinstance(value, int | float | Decimal):
        # "reduction percent 33" reads as a key: "reduction of 33%".
        words = words.removesuffix(" percent").removesuffix("percent").strip()
        return f"{words} of {value}%" if words else f"{value}%"
    if key.endswith("_gbp") and isinstance(value, int | float | str | Decimal):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:  # a plugin's odd value is shown as it is, never a 500
            return f"{words}: {_value(value)}"
        if amount.is_finite():
            return f"{words.removesuffix(' gbp')}: {money(amount)}"
    return f"{words}: {_value(value)}"


def _key(key: str) -> str:
    """A measured value's name in words; `P1:2013-01-05` (a person's job from a date) as
    "P1 from 2013-01-05", which `Wording.named` then puts as a name and a date."""
    who, _, since = key.partition(":")
    if since and _ISO_DATE.fullmatch(since):
        return f"{who} from {since}"
    if (plan := _PLAN_CRITERION.match(key)) is not None:
        return _plan_criterion(plan)
    return humanise("_".join(_KEY_WORDS.get(word, word) for word in key.split("_"))).lower()


def _plan_criterion(found: re.Match[str]) -> str:
    return f"{headline_words(found.group(1)).lower()}: {_key(found.group(2))}"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, dt.date):
        return day(value)
    if isinstance(value, str) and (plan := _PLAN_CRITERION.match(value)) is not None:
        return _plan_criterion(plan)
    if isinstance(value, dict):
        inner = "; ".join(f"{_key(k)}: {_value(v)}" for k, v in value.items())
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


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = _sentence_case(text.strip())
    return text if text.endswith((".", "!", "?")) else text + "."


def _join(*parts: str) -> str:
    text = "; ".join(part for part in parts if part)
    return text[:1].upper() + text[1:] + "."
