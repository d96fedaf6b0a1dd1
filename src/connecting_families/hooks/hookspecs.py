"""The hooks a connecting_families plugin may implement.

A plugin is a module (or object) registered under the entry-point group
``connecting_families``; it implements hooks by name, marked with ``@hookimpl``::

    from connecting_families.hooks.hookspecs import hookimpl

    @hookimpl
    def cf_register_measures(register):
        register(Measure(key="wellbeing_score", type="number", description="…"))

Hooks are synchronous and pure: the host loads the data, plugins judge it.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from connecting_families.evidence.measures import Measure

PROJECT = "connecting_families"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def cf_register_measures(register: Callable[[Measure], None]) -> None:
    """Declare the observation measures this plugin judges.

    Call ``register`` once per :class:`~connecting_families.evidence.measures.Measure`. Imports
    of ``observations.csv`` accept only declared measure keys, and check each value against its
    measure's type, codes and range. A key another plugin declared first is refused (and
    reported), so a plugin cannot change another's measure.

    :param register: Call with each measure.

    .. versionadded:: 0.1
    """
