"""The hooks a connecting_families plugin may implement.

A plugin is a module (or object) registered under the entry-point group
``connecting_families``; it implements hooks by name, marked with ``@hookimpl``::

    from connecting_families.plugin import Measure, hookimpl

    @hookimpl
    def cf_register_measures(register):
        register(Measure(key="wellbeing_score", type="number", description="…"))

Hooks are synchronous and pure: the host loads the data, plugins judge it.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from connecting_families.domain.claims import ClaimLineCheck
from connecting_families.domain.measures import Measure
from connecting_families.domain.rules import Criterion, RuleSet
from connecting_families.domain.verdict import Verdict

PROJECT = "connecting_families"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def cf_register_measures(register: Callable[[Measure], None]) -> None:
    """Declare the observation measures this plugin judges.

    Call ``register`` once per :class:`~connecting_families.domain.measures.Measure`. Imports
    of ``observations.csv`` accept only declared measure keys, and check each value against its
    measure's type, codes and range. A key another plugin declared first is refused (and
    reported), so a plugin cannot change another's measure.

    :param register: Call with each measure.

    .. versionadded:: 0.1
    """


@hookspec
def cf_register_rulesets(register: Callable[[RuleSet], None]) -> None:
    """Register whole rule sets: identification, results, routes and payments.

    Call ``register`` once per :class:`~connecting_families.domain.rules.RuleSet`. A programme
    is created on the highest registered version of an id and stays on that ``id@version``
    until it is moved on (``programme upgrade-ruleset``); each verdict records the
    ``id@version`` it was decided by. An id belongs to the package that ships it: another
    package registering it, at any version, is refused (and reported), as is a second
    registration of the same ``id@version``.

    :param register: Call with each rule set.

    .. versionadded:: 0.1
    """


@hookspec
def cf_register_criteria(register: Callable[[Criterion], None]) -> None:
    """Register reusable criteria that configurable outcome plans (``tf2015``) can name.

    Call ``register`` once per :class:`~connecting_families.domain.rules.Criterion`. A plan
    names a criterion and gives its parameters; the criterion validates them and judges a
    family with them, explaining its result. A name registered first wins.

    :param register: Call with each criterion.

    .. versionadded:: 0.1
    """


@hookspec
def cf_check_claim_line(line: ClaimLineCheck, verdict: Verdict) -> list[str] | None:
    """Check one claim line before it is claimed; return the problems that stop it.

    Called for every line a claim is about to hold, after the rule set's own claim rules.
    Return a list of messages (each naming the rule broken, no personal data) to hold the
    line back, or None / an empty list to let it through. Every plugin's answer counts; an
    answer that is not a list of strings holds the line back, as a plugin that raises does.

    :param line: The line, a :class:`~connecting_families.domain.claims.ClaimLineCheck`:
        ``family_ref``, ``route``, ``amount_pence`` (and ``amount_gbp``), ``as_of``, ``ruleset``.
    :param verdict: The verdict the line was decided on.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
        ``line`` is a ``ClaimLineCheck``, no longer a dict.
    """


@hookspec
def cf_verdict_changed(family_ref: str, before: Verdict | None, after: Verdict) -> None:
    """Be told that a family's verdict changed (routes met, eligibility or turned around).

    Called after an evaluation finds a verdict different from the family's last stored one
    (``before`` is None the first time). For notifications and dashboards; the return value
    is ignored, and a plugin that raises is reported and skipped.

    :param family_ref: The family.
    :param before: The earlier verdict, or None.
    :param after: The new verdict.

    .. versionadded:: 0.1
    """
