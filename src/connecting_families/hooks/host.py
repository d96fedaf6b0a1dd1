"""The plugin host: a typed facade over pluggy's `PluginManager`, one per app.

Plugins are found through the entry-point group `connecting_families`; a plugin named in
`CF_DISABLED_PLUGINS` is blocked. A plugin that raises is reported by name and left out: it
never takes the service down. So is one that implements a hook that does not exist (a
misspelt name) or implements none at all (`@hookimpl` forgotten): the host always starts, and
`plugins list` names the plugin and what is wrong with it.

The host owns the registration callbacks, so it decides ordering and what happens to a
duplicate. Plugins are loaded in an order that does not depend on how the environment lists
them: the built-in rule sets' distribution first, then the others by distribution name, then by
entry-point name. The first registration of a measure or criterion key wins; the second is
reported. A rule set id belongs to the distribution that ships it (see `_owners_of_ids`).
"""

from __future__ import annotations

import difflib
import importlib.metadata
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any, TypeVar

import attrs
import pluggy

from connecting_families.domain.claims import ClaimLineCheck
from connecting_families.domain.measures import Measure
from connecting_families.domain.rules import Criterion, RuleContext, RuleSet
from connecting_families.domain.verdict import Verdict
from connecting_families.hooks import hookspecs

log = logging.getLogger(__name__)
T = TypeVar("T")

# The built-in rule sets' ids are theirs whatever else is installed: a package that ships
# `tf2015@2`, or an impostor `tf2015@1`, is refused rather than judging tf2015 programmes.
BUILTIN_DISTRIBUTION = "connecting-families-rulesets"
BUILTIN_RULESET_IDS = frozenset({"tf2012", "tf2015", "sf2022"})
HOOK_NAMES = tuple(sorted(name for name in dir(hookspecs) if name.startswith("cf_")))


def distribution_name(name: str) -> str:
    """A distribution's name as packaging compares them (PEP 503): `Cf_Foo` is `cf-foo`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _did_you_mean(name: str) -> str:
    near = difflib.get_close_matches(name, HOOK_NAMES, n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


@attrs.frozen
class PluginInfo:
    """What `plugins list` shows of one plugin."""

    name: str
    version: str | None
    rulesets: tuple[str, ...]
    criteria: tuple[str, ...]
    measures: tuple[str, ...]
    # The package that installed it (None for one registered by hand).
    distribution: str | None = None


class PluginHost:
    def __init__(self, disabled: Iterable[str] = (), *, load_installed: bool = True) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.problems: list[str] = []
        self.disabled = frozenset(disabled)
        for name in self.disabled:
            self.manager.set_blocked(name)
        # Each plugin's distribution and its version, by plugin name.
        self._distributions: dict[str, tuple[str | None, str | None]] = {}
        self._cache: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, dict[str, str]] = {}
        # Top-level module -> distributions, read when a plugin is first registered by hand.
        self._packages: Mapping[str, list[str]] | None = None
        if load_installed:
            self._load_entry_points()

    def _load_entry_points(self) -> None:
        """Each plugin of the group on its own: one that fails to import is reported, not fatal."""

        def order(entry_point: importlib.metadata.EntryPoint) -> tuple[bool, str, str]:
            dist = distribution_name(entry_point.dist.name) if entry_point.dist else ""
            return (dist != BUILTIN_DISTRIBUTION, dist, entry_point.name)

        found = importlib.metadata.entry_points(group=hookspecs.PROJECT)
        holders: dict[str, str | None] = {}
        for entry_point in sorted(found, key=order):
            dist = entry_point.dist
            dist_name = distribution_name(dist.name) if dist else None
            if entry_point.name in self.disabled:
                continue
            if entry_point.name in holders:
                # Two packages cannot both be `tf2015`: the one loaded first keeps the name.
                holder = holders[entry_point.name]
                self._problem(
                    f"plugin {entry_point.name!r} of {dist_name!r} is left out: "
                    f"{holder!r} has a plugin of that name"
                )
                continue
            holders[entry_point.name] = dist_name
            try:
                plugin = entry_point.load()
            except Exception as error:
                self._report(entry_point.name, "loading", error)
                continue
            self._register(plugin, entry_point.name, dist_name, dist.version if dist else None)

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Add a plugin object by hand (tests, or a host's own defaults); checked as an
        installed one is, so a mistake in it is in `problems` and it is left out. It belongs
        to the package its code comes from (`cf_rulesets.tf2015` is the built-in rule sets'),
        so the test kit may register an installed plugin by hand and keep its rule sets."""
        distribution, version = self._package_of(plugin)
        name = name or self.manager.get_canonical_name(plugin)
        self._register(plugin, name, distribution, version)
        self._cache.clear()

    def _package_of(self, plugin: Any) -> tuple[str | None, str | None]:
        """The installed distribution (and its version) whose code `plugin` is, if one is."""
        module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
        if self._packages is None:
            self._packages = importlib.metadata.packages_distributions()
        found = {distribution_name(d) for d in self._packages.get(module.partition(".")[0], ())}
        if len(found) != 1:
            return None, None  # a test's own plugin, or code no single package ships
        [distribution] = found
        return distribution, importlib.metadata.version(distribution)

    def _register(
        self, plugin: Any, name: str, distribution: str | None, version: str | None
    ) -> None:
        """Register one plugin and check it alone, so that its mistake leaves it out and
        never stops the others (pluggy's `check_pending` would raise for all of them)."""
        try:
            if self.manager.register(plugin, name=name) is None:
                return  # blocked by CF_DISABLED_PLUGINS
        except Exception as error:  # PluginValidationError: a hook's arguments are wrong
            self._report(name, "loading", error)
            return
        callers = self.manager.get_hookcallers(plugin) or []
        unknown = sorted(
            caller.name
            for caller in callers
            if not caller.has_spec()
            and any(i.plugin is plugin and not i.optionalhook for i in caller.get_hookimpls())
        )
        unmarked = sorted(
            attribute
            for attribute in dir(plugin)
            if attribute.startswith("cf_")
            and callable(getattr(plugin, attribute, None))
            and self.manager.parse_hookimpl_opts(plugin, attribute) is None
        )
        if unknown:
            self.manager.unregister(plugin)
            hooks = ", ".join(f"{hook!r}{_did_you_mean(hook)}" for hook in unknown)
            self._problem(f"plugin {name!r} is left out: it implements no such hook {hooks}")
        elif not callers:
            self.manager.unregister(plugin)
            hint = f": is @hookimpl missing from {', '.join(unmarked)}?" if unmarked else ""
            self._problem(f"plugin {name!r} is left out: it implements no hook{hint}")
        else:
            self._distributions[name] = (distribution, version)
            if unmarked:
                # Its other hooks work; this one is never called, which its author must hear of.
                self._problem(
                    f"plugin {name!r}: {', '.join(unmarked)} is not marked @hookimpl, "
                    "so it is never called"
                )

    def _problem(self, message: str) -> None:
        self.problems.append(message)
        log.error(message)

    def _report(self, plugin_name: str, hook: str, error: Exception) -> None:
        self._problem(f"plugin {plugin_name!r} failed in {hook}: {type(error).__name__}: {error}")

    def _distribution_of(self, plugin_name: str) -> str:
        """A plugin registered by hand is a distribution of its own."""
        distribution = self._distributions.get(plugin_name, (None, None))[0]
        return distribution or f"plugin {plugin_name}"

    def _collect(
        self,
        hook: str,
        kind: type[T],
        key: Callable[[T], str],
        allowed: Callable[[list[tuple[str, T]]], list[tuple[str, T]]] | None = None,
    ) -> dict[str, T]:
        """What every plugin registers through `hook`, by key, as far as `allowed` lets
        (given every (plugin, value) registered, in order); the first of a key wins."""
        if hook in self._cache:
            return self._cache[hook]
        registered: list[tuple[str, T]] = []
        caller = getattr(self.manager.hook, hook)
        # pluggy calls the last registered first; registration order is the one to honour.
        for implementation in reversed(caller.get_hookimpls()):
            name = implementation.plugin_name
            batch: list[T] = []

            def register(value: T, batch: list[T] = batch) -> None:
                if not isinstance(value, kind):
                    raise TypeError(f"{hook} registers {kind.__name__} values")
                batch.append(value)

            try:
                implementation.function(register=register)
            except Exception as error:
                # Left out whole: half of a plugin's registrations would judge half its rules.
                self._report(name, hook, error)
                continue
            registered += [(name, value) for value in batch]
        if allowed is not None:
            registered = allowed(registered)
        found: dict[str, T] = {}
        owners: dict[str, str] = {}
        for plugin_name, value in registered:
            if key(value) in found:
                self._problem(
                    f"plugin {plugin_name!r} registered {key(value)!r} again; "
                    f"{owners[key(value)]!r} registered it first"
                )
                continue
            found[key(value)] = value
            owners[key(value)] = plugin_name
        self._cache[hook] = found
        self._owners[hook] = owners
        return found

    def _owners_of_ids(self, registered: list[tuple[str, RuleSet]]) -> dict[str, str | None]:
        """The distribution each rule set id belongs to, None where none may have it.

        The built-in ids are the built-in distribution's. Any other id is its distribution's
        when only one ships it; when two distributions ship the same id, neither is used until
        one is disabled (`CF_DISABLED_PLUGINS`): the host cannot tell the council's package from
        an impostor, and choosing by name or order would let an impostor judge a programme.
        """
        shippers: dict[str, set[str]] = {}
        for plugin_name, ruleset in registered:
            shippers.setdefault(ruleset.id, set()).add(self._distribution_of(plugin_name))
        return {
            ruleset_id: BUILTIN_DISTRIBUTION
            if ruleset_id in BUILTIN_RULESET_IDS
            else (next(iter(dists)) if len(dists) == 1 else None)
            for ruleset_id, dists in shippers.items()
        }

    def _owned_rulesets(self, registered: list[tuple[str, RuleSet]]) -> list[tuple[str, RuleSet]]:
        """The registrations whose distribution owns the id; each refused one reported."""
        owners = self._owners_of_ids(registered)
        kept = []
        for plugin_name, ruleset in registered:
            owner = owners[ruleset.id]
            distribution = self._distribution_of(plugin_name)
            if owner == distribution:
                kept.append((plugin_name, ruleset))
            elif owner is None:
                self._problem(
                    f"plugin {plugin_name!r} registered {ruleset.key!r}, but the rule set "
                    f"{ruleset.id!r} is shipped by more than one package; neither is used "
                    "until one is disabled"
                )
            else:
                self._problem(
                    f"plugin {plugin_name!r} registered {ruleset.key!r}, refused: "
                    f"the rule set {ruleset.id!r} belongs to {owner!r}"
                )
        return kept

    def measures(self) -> Mapping[str, Measure]:
        """Every observation measure the plugins declare, by key."""
        return self._collect("cf_register_measures", Measure, lambda m: m.key)

    def criteria(self) -> Mapping[str, Criterion]:
        return self._collect("cf_register_criteria", Criterion, lambda c: c.name)

    def rulesets(self) -> Mapping[str, RuleSet]:
        """Every rule set, by `id@version`."""
        return self._collect(
            "cf_register_rulesets", RuleSet, lambda r: r.key, self._owned_rulesets
        )

    def ruleset(self, ruleset_id: str) -> RuleSet | None:
        """Exactly `id@version`, as a programme holds it; a bare id is its highest version
        (what a new programme is set up on)."""
        rulesets = self.rulesets()
        if "@" in ruleset_id:
            return rulesets.get(ruleset_id)
        versions = [r for r in rulesets.values() if r.id == ruleset_id]
        return max(versions, key=lambda r: r.version, default=None)

    def headlines(self, ruleset_id: str) -> tuple[str, ...]:
        """The headlines needs are recorded against under `ruleset_id` (none if not installed)."""
        ruleset = self.ruleset(ruleset_id)
        return ruleset.headlines if ruleset else ()

    def registered_by(self, hook: str, key: str) -> str | None:
        """The plugin that registered `key` through `hook` (e.g. a rule set's `id@version`
        through `cf_register_rulesets`), to name it when what it registered fails."""
        self.rulesets(), self.criteria(), self.measures()
        return self._owners.get(hook, {}).get(key)

    def ruleset_ids(self) -> tuple[str, ...]:
        return tuple(sorted({r.id for r in self.rulesets().values()}))

    def context(self) -> RuleContext:
        return RuleContext(criteria=self.criteria(), measures=self.measures())

    def check_claim_line(self, line: ClaimLineCheck, verdict: Verdict) -> list[str]:
        """Every plugin's objections to a claim line (a failing plugin objects, by name)."""
        problems: list[str] = []
        for implementation in self.manager.hook.cf_check_claim_line.get_hookimpls():
            try:
                found: Any = implementation.function(line=line, verdict=verdict)
                # A string would be taken letter by letter, and a dict by its keys: only a
                # list of messages is an answer.
                if found is not None and not (
                    isinstance(found, list | tuple) and all(isinstance(p, str) for p in found)
                ):
                    raise TypeError(f"returned {type(found).__name__}, not a list of messages")
            except Exception as error:
                self._report(implementation.plugin_name, "cf_check_claim_line", error)
                found = [f"plugin {implementation.plugin_name} could not check this line"]
            problems += list(found or [])
        return problems

    def verdict_changed(self, family_ref: str, before: Verdict | None, after: Verdict) -> None:
        for implementation in self.manager.hook.cf_verdict_changed.get_hookimpls():
            try:
                implementation.function(family_ref=family_ref, before=before, after=after)
            except Exception as error:
                self._report(implementation.plugin_name, "cf_verdict_changed", error)

    def plugins(self) -> list[PluginInfo]:
        """Each plugin with its package version and what it registers."""
        self.rulesets(), self.criteria(), self.measures()

        def owned(hook: str, plugin: str) -> tuple[str, ...]:
            return tuple(sorted(k for k, v in self._owners.get(hook, {}).items() if v == plugin))

        return [
            PluginInfo(
                name=name,
                version=self._distributions.get(name, (None, None))[1],
                rulesets=owned("cf_register_rulesets", name),
                criteria=owned("cf_register_criteria", name),
                measures=owned("cf_register_measures", name),
                distribution=self._distributions.get(name, (None, None))[0],
            )
            for name, plugin in sorted(self.manager.list_name_plugin(), key=lambda item: item[0])
            if name is not None and plugin is not None  # a blocked plugin is listed as None
        ]
