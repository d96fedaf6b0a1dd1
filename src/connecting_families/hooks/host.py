"""The plugin host: a typed facade over pluggy's `PluginManager`, one per app.

Plugins are found through the entry-point group `connecting_families`; a plugin named in
`CF_DISABLED_PLUGINS` is blocked. A plugin that raises is reported by name and left out: it
never takes the service down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pluggy

from connecting_families.evidence.measures import Measure
from connecting_families.hooks import hookspecs

log = logging.getLogger(__name__)


class PluginHost:
    def __init__(self, disabled: Iterable[str] = (), *, load_installed: bool = True) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.problems: list[str] = []
        for name in disabled:
            self.manager.set_blocked(name)
        if load_installed:
            self.manager.load_setuptools_entrypoints(hookspecs.PROJECT)
        self.manager.check_pending()
        self._measures: dict[str, Measure] | None = None

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Add a plugin object by hand (tests, or a host's own defaults)."""
        self.manager.register(plugin, name)
        self.manager.check_pending()
        self._measures = None

    def _report(self, plugin_name: str, hook: str, error: Exception) -> None:
        message = f"plugin {plugin_name!r} failed in {hook}: {type(error).__name__}"
        self.problems.append(message)
        log.error(message)

    def measures(self) -> Mapping[str, Measure]:
        """Every measure the plugins declare, by key; the first declaration of a key wins."""
        if self._measures is None:
            found: dict[str, Measure] = {}
            for implementation in self.manager.hook.cf_register_measures.get_hookimpls():
                name = implementation.plugin_name

                def register(measure: Measure, plugin_name: str = name) -> None:
                    if not isinstance(measure, Measure):
                        raise TypeError("cf_register_measures registers Measure values")
                    if measure.key in found:
                        self.problems.append(
                            f"plugin {plugin_name!r} declared measure {measure.key!r} again"
                        )
                        return
                    found[measure.key] = measure

                try:
                    implementation.function(register=register)
                except Exception as error:
                    self._report(name, "cf_register_measures", error)
            self._measures = found
        return self._measures
