"""`connecting-families plugins show NAME`: what one rule set, criterion or measure is.

A rule set is shown with its whole configuration (the defaults a programme starts from, with
the merge applied, not only what a programme overrides), its headlines and its routes; a
criterion with its parameters; a measure with its type and range. `--json` gives the same as
one JSON object, for scripts.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Callable
from typing import Any

import attrs

from connecting_families.domain.measures import Measure
from connecting_families.domain.rules import Criterion, RuleSet
from connecting_families.hooks.host import PluginHost
from connecting_families.settings import Settings


class DescribeFailed(Exception):
    """A plugin's rule set raised while it was described (its `configure`, say)."""


def first_line(function: Callable[..., Any]) -> str:
    """A function's docstring's first line (what it does), or "" with none."""
    return (inspect.getdoc(function) or "").split("\n\n")[0].replace("\n", " ")


def _owners(host: PluginHost) -> dict[tuple[str, str], str]:
    """The plugin that registered each (kind, key)."""
    owners = {}
    for plugin in host.plugins():
        for kind, keys in (
            ("ruleset", plugin.rulesets),
            ("criterion", plugin.criteria),
            ("measure", plugin.measures),
        ):
            owners.update({(kind, key): plugin.name for key in keys})
    return owners


def describe_ruleset(ruleset: RuleSet, plugin: str | None = None) -> dict[str, Any]:
    """A rule set as `plugins show` prints it; the configuration is the full one."""
    configuration = ruleset.configuration({})
    return {
        "kind": "ruleset",
        "key": ruleset.key,
        "id": ruleset.id,
        "version": ruleset.version,
        "name": ruleset.name,
        "plugin": plugin,
        "headlines": [
            {"headline": h, "description": ruleset.descriptions.get(h, "")}
            for h in ruleset.headlines
        ],
        "routes": [
            {
                "route": route,
                "name": ruleset.route_names.get(route, route.replace("_", " ").capitalize()),
                "description": ruleset.descriptions.get(route, ""),
                "criteria": list(ruleset.route_criteria.get(route, ())),
            }
            for route in ruleset.routes
        ],
        "settings": [
            {
                "setting": name,
                "label": ruleset.setting_labels.get(name, name),
                "description": ruleset.setting_descriptions.get(name, ""),
                "default": configuration.get(name),
            }
            for name in ruleset.defaults
        ],
        "configuration": configuration,
        "claimable": {
            "function": ruleset.claimable.__name__,
            "description": first_line(ruleset.claimable),
        },
        "configure": {
            "function": ruleset.configure.__name__,
            "description": first_line(ruleset.configure),
        },
    }


def describe_criterion(criterion: Criterion, plugin: str | None = None) -> dict[str, Any]:
    return {
        "kind": "criterion",
        "name": criterion.name,
        "plugin": plugin,
        "description": criterion.description,
        "parameters": dict(criterion.parameters),
    }


def describe_measure(measure: Measure, plugin: str | None = None) -> dict[str, Any]:
    return {"kind": "measure", "plugin": plugin, **attrs.asdict(measure)}


def describe(host: PluginHost, name: str) -> list[dict[str, Any]]:
    """Everything installed that is called `name`: a rule set (by id, its highest version,
    or by `id@version`), a criterion, a measure; empty when nothing is."""
    owners = _owners(host)
    found = []
    ruleset = host.ruleset(name)
    if ruleset is not None:
        owner = owners.get(("ruleset", ruleset.key))
        try:
            found.append(describe_ruleset(ruleset, owner))
        except Exception as error:
            # Its configuration is the plugin's code running: a bug there is named, not a
            # traceback.
            raise DescribeFailed(
                f"plugin {owner!r} failed while {ruleset.key} was described: "
                f"{type(error).__name__}: {error}"
            ) from error
    if (criterion := host.criteria().get(name)) is not None:
        found.append(describe_criterion(criterion, owners.get(("criterion", name))))
    if (measure := host.measures().get(name)) is not None:
        found.append(describe_measure(measure, owners.get(("measure", name))))
    return found


def _json(value: Any) -> str:
    # Settings hold numbers, text, lists and mappings; anything else (a Decimal) as text.
    return json.dumps(value, indent=2, default=str)


def _text(item: dict[str, Any]) -> list[str]:
    by = f" (plugin {item['plugin']})" if item["plugin"] else ""
    if item["kind"] == "criterion":
        lines = [f"criterion {item['name']}{by}", f"  {item['description']}", "  parameters:"]
        width = max((len(p) for p in item["parameters"]), default=0)
        lines += [f"    {p:<{width}}  {d}" for p, d in item["parameters"].items()]
        return lines if item["parameters"] else [*lines, "    (none)"]
    if item["kind"] == "measure":
        limits = [
            f"{label} {item[field]:g}"
            for label, field in (("at least", "minimum"), ("at most", "maximum"))
            if item[field] is not None
        ]
        extra = [f"codes: {', '.join(item['codes'])}"] if item["codes"] else limits
        return [
            f"measure {item['key']}{by}",
            f"  {item['description']}",
            f"  type: {item['type']}" + (f", in {item['unit']}" if item["unit"] else ""),
            *(f"  {line}" for line in extra),
        ]
    lines = [f"rule set {item['key']}{by}", f"  {item['name']}", "  headlines:"]
    lines += [
        f"    {h['headline']}" + (f": {h['description']}" if h["description"] else "")
        for h in item["headlines"]
    ]
    lines.append("  routes:")
    for route in item["routes"]:
        rests = f" (criteria: {', '.join(route['criteria'])})" if route["criteria"] else ""
        lines.append(f"    {route['route']}: {route['name']}{rests}")
    lines += [
        f"  claims: {item['claimable']['function']}: {item['claimable']['description']}",
        f"  overrides: {item['configure']['function']}: {item['configure']['description']}",
        "  configuration (the defaults a programme starts from):",
    ]
    for setting in item["settings"]:
        lines.append(f"    {setting['setting']}: {setting['label']}")
        if setting["description"]:
            lines.append(f"      {setting['description']}")
        lines += [f"      {line}" for line in _json(setting["default"]).splitlines()]
    return lines


def add_show_command(plugins: Any) -> None:
    """`plugins show NAME [--json]`, under the `plugins` commands."""
    show = plugins.add_parser(
        "show",
        help="a rule set's configuration, headlines and routes, or a criterion's parameters",
    )
    show.add_argument("name", help="a rule set (tf2015 or tf2015@1), a criterion or a measure")
    show.add_argument("--json", action="store_true", help="print it as JSON")
    show.set_defaults(command=cmd_plugins_show)


def cmd_plugins_show(settings: Settings, args: argparse.Namespace) -> int:
    host = PluginHost(settings.disabled_plugins)
    try:
        found = describe(host, args.name)
    except DescribeFailed as failed:
        print(f"error: {failed}", file=sys.stderr)
        return 1
    for problem in host.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if not found:
        print(
            f"error: no installed rule set, criterion or measure is named {args.name!r}; "
            "`connecting-families plugins list` lists what is installed",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(_json(found[0] if len(found) == 1 else found))
    else:
        print("\n\n".join("\n".join(_text(item)) for item in found))
    return 0
