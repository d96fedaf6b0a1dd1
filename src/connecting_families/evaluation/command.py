"""`connecting-families evaluate` and `connecting-families plugins list`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

import attrs
import msgspec

from connecting_families.audit.service import Actor
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.domain.dates import as_utc
from connecting_families.evaluation.service import EvaluationService, ProgrammeEvaluation
from connecting_families.hooks.describe import add_show_command
from connecting_families.hooks.host import PluginHost
from connecting_families.plugin_starter import add_new_command
from connecting_families.settings import Settings

# `evaluate`'s exit status when some family could not be decided (2 is a usage error).
UNDECIDED_EXIT = 3


def add_commands(commands: Any) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="evaluate every family of a programme at a date"
    )
    evaluate.add_argument("--programme", required=True, help="the programme's code")
    evaluate.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    evaluate.add_argument(
        "--known-at",
        type=dt.datetime.fromisoformat,
        help="judge the evidence as known at this instant (ISO 8601, UTC if no offset)",
    )
    evaluate.add_argument("--format", choices=("table", "json", "csv"), default="table")
    evaluate.add_argument(
        "--workers",
        type=int,
        default=0,
        help="judge families in this many worker processes while the next chunk loads"
        " (default 0: in this process)",
    )
    evaluate.add_argument(
        "--operator", default=None, help="who is running this, for the audit log"
    )
    plugins = commands.add_parser("plugins", help="installed plugins").add_subparsers(
        title="plugins commands", metavar="COMMAND", required=True
    )
    listing = plugins.add_parser(
        "list",
        help="each plugin, its version, and what it registers; exit 1 if any plugin has a problem",
    )
    listing.add_argument("--json", action="store_true", help="print JSON, for programs")
    listing.set_defaults(command=cmd_plugins_list)
    add_show_command(plugins)
    add_new_command(plugins)


def run_evaluate(settings: Settings, args: argparse.Namespace, actor: Actor) -> int:
    known_at = as_utc(args.known_at)

    async def work(engine: AnyEngine) -> ProgrammeEvaluation:
        service = EvaluationService(
            engine, PluginHost(settings.disabled_plugins), settings.judging_budget_ms
        )
        return await service.evaluate_programme(
            None, actor, args.programme, args.as_of, known_at, workers=args.workers
        )

    result = run_with_database(settings.database, work)
    if args.format == "csv":
        sys.stdout.write(result.csv())
    elif args.format == "json":
        totals = msgspec.to_builtins(result)
        totals.pop("rows", None)
        print(json.dumps(totals, indent=2))
    else:
        print(f"{result.programme} on {result.ruleset}, as of {result.as_of.isoformat()}")
        print(f"{'families':<24}{result.families:>8}")
        print(f"{'evaluated':<24}{result.evaluated:>8}")
        print(f"{'eligible':<24}{result.eligible:>8}")
        print(f"{'turned around':<24}{result.turned_around:>8}")
        for route, count in result.routes.items():
            print(f"{route:<24}{count:>8}  £{result.amounts_gbp[route]:,.2f}")
        print(f"{'results worth':<32}  £{result.amount_gbp:,.2f}")
        if result.undecided:
            print(f"{'could not be decided':<24}{result.undecided:>8}")
    if result.undecided:
        # On stderr whatever the format, so a script reading the CSV or JSON still hears of it.
        print(
            f"error: {result.undecided} famil{'y' if result.undecided == 1 else 'ies'} could "
            "not be decided because a plugin failed; they are neither met nor not met:",
            file=sys.stderr,
        )
        for fault, count in result.undecided_by.items():
            print(f"  {count} by {fault}", file=sys.stderr)
        return UNDECIDED_EXIT
    return 0


def cmd_plugins_list(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 1 on any problem, so that a deployment can stop on a plugin left out."""
    host = PluginHost(settings.disabled_plugins)
    plugins = host.plugins()
    if args.json:
        listing = {
            "plugins": [attrs.asdict(plugin) for plugin in plugins],
            "disabled": sorted(host.disabled),
            "problems": host.problems,
        }
        print(json.dumps(listing, indent=2))
        return 1 if host.problems else 0
    for plugin in plugins:
        print(f"{plugin.name} {plugin.version or ''}".rstrip())
        for label, names in (
            ("rule sets", plugin.rulesets),
            ("criteria", plugin.criteria),
            ("measures", plugin.measures),
        ):
            if names:
                print(f"  {label}: {', '.join(names)}")
    for name in sorted(host.disabled):
        print(f"{name} (disabled by CF_DISABLED_PLUGINS)")
    for problem in host.problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if host.problems else 0
