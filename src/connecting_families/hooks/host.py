"""The plugin host: a typed facade over pluggy's `PluginManager`, one per app.

Plugins are found through the entry-point group `connecting_families`; a plugin named in
`CF_DISABLED_PLUGINS` is blocked. A plugin that raises is reported by name and left out: it
never takes the service down. The host owns the registration callbacks, so it decides ordering
and what happens to a duplicate (the first registration wins; the second is reported).
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs
import pluggy

from connecting_families.domain.rules import Criterion, RuleContext, RuleSet
from connecting_families.domain.verdict import Verdict
from connecting_families.evidence.measures import Measure
from connecting_families.hooks import hookspecs

log = logging.getLogger(__name__)
T = TypeVar("T")


@attrs.frozen
class PluginInfo:
    """What `plugins list` shows of one plugin."""

    name: str
    version: str | None
    rulesets: tuple[str, ...]
    criteria: tuple[str, ...]
    measures: tuple[str, ...]


class PluginHost:
    def __init__(self, disabled: Iterable[str] = (), *, load_installed: bool = True) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.problems: list[str] = []
        self.disabled = frozenset(disabled)
        for name in self.disabled:
            self.manager.set_blocked(name)
        if load_installed:
            self._load_entry_points()
        self._cache: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, dict[str, str]] = {}

    def _load_entry_points(self) -> None:
        """Each plugin of the group on its own: one that fails to import is reported, not fatal."""
        for entry_point in importlib.metadata.entry_points(group=hookspecs.PROJECT):
            if entry_point.name in self.disabled or self.manager.get_plugin(entry_point.name):
                continue
            try:
                plugin = entry_point.load()
                self.manager.register(plugin, name=entry_point.name)
            except Exception as error:
                self._report(entry_point.name, "loading", error)
        self.manager.check_pending()

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Add a plugin object by hand (tests, or a host's own defaults)."""
        self.manager.register(plugin, name)
        self.manager.check_pending()
        self._cache.clear()

    def _report(self, plugin_name: str, hook: str, error: Exception) -> None:
        message = f"plugin {plugin_name!r} failed in {hook}: {type(error).__name__}: {error}"
        self.problems.append(message)
        log.error(message)

    def _collect(self, hook: str, kind: type[T], key: Callable[[T], str]) -> dict[str, T]:
        """What every plugin registers through `hook`, by key; the first of a key wins."""
        if hook in self._cache:
            return self._cache[hook]
        found: dict[str, T] = {}
        owners: dict[str, str] = {}
        caller = getattr(self.manager.hook, hook)
        # pluggy calls the last registered first; registration order is the one to honour.
        for implementation in reversed(caller.get_hookimpls()):
            name = implementation.plugin_name

            def register(value: T, plugin_name: str = name) -> None:
                if not isinstance(value, kind):
                    raise TypeError(f"{hook} registers {kind.__name__} values")
                if key(value) in found:
                    self.problems.append(
                        f"plugin {plugin_name!r} registered {key(value)!r} again; "
                        f"{owners[key(value)]!r} registered it first"
                    )
                    return
                found[key(value)] = value
                owners[key(value)] = plugin_name

            try:
                implementation.function(register=register)
            except Exception as error:
                self._report(name, hook, error)
        self._cache[hook] = found
        self._owners[hook] = owners
        return found

    def measures(self) -> Mapping[str, Measure]:
        """Every observation measure the plugins declare, by key."""
        return self._collect("cf_register_measures", Measure, lambda m: m.key)

    def criteria(self) -> Mapping[str, Criterion]:
        return self._collect("cf_register_criteria", Criterion, lambda c: c.name)

    def rulesets(self) -> Mapping[str, RuleSet]:
        """Every rule set, by `id@version`."""
        return self._collect("cf_register_rulesets", RuleSet, lambda r: r.key)

    def ruleset(self, ruleset_id: str) -> RuleSet | None:
        """The highest registered version of `ruleset_id` (or exactly `id@version`)."""
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

    def check_claim_line(self, line: dict[str, Any], verdict: Verdict) -> list[str]:
        """Every plugin's objections to a claim line (a failing plugin objects, by name)."""
        problems: list[str] = []
        for implementation in self.manager.hook.cf_check_claim_line.get_hookimpls():
            try:
                found: Any = implementation.function(line=line, verdict=verdict)
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
        versions = {
            entry_point.name: entry_point.dist.version if entry_point.dist else None
            for entry_point in importlib.metadata.entry_points(group=hookspecs.PROJECT)
        }

        def owned(hook: str, plugin: str) -> tuple[str, ...]:
            return tuple(sorted(k for k, v in self._owners.get(hook, {}).items() if v == plugin))

        return [
            PluginInfo(
                name=name,
                version=versions.get(name),
                rulesets=owned("cf_register_rulesets", name),
                criteria=owned("cf_register_criteria", name),
                measures=owned("cf_register_measures", name),
            )
            for name, plugin in sorted(self.manager.list_name_plugin(), key=lambda item: item[0])
            if name is not None and plugin is not None  # a blocked plugin is listed as None
        ]
