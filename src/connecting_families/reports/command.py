"""`connecting-families totals` and `connecting-families report monthly`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from connecting_families.audit.service import Actor
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.evaluation.service import EvaluationService
from connecting_families.hooks.host import PluginHost
from connecting_families.reports.controller import parse_month
from connecting_families.reports.render import monthly_csv, monthly_html, totals_csv
from connecting_families.reports.service import ReportService
from connecting_families.settings import Settings


def add_report_commands(commands: Any, operator_help: str) -> None:
    totals = commands.add_parser("totals", help="a programme's totals at a date")
    totals.add_argument("--programme", required=True, help="the programme's code")
    totals.add_argument(
        "--as-of", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: today in England)"
    )
    totals.add_argument("--format", choices=("table", "json", "csv"), default="table")
    totals.add_argument("--operator", default=None, help=operator_help)
    totals.set_defaults(report_work=_totals)
    report = commands.add_parser("report", help="reports").add_subparsers(
        title="report commands", metavar="COMMAND", required=True
    )
    monthly = report.add_parser("monthly", help="the monthly performance report")
    monthly.add_argument("--programme", required=True, help="the programme's code")
    monthly.add_argument("--month", required=True, help="YYYY-MM")
    monthly.add_argument(
        "--out",
        required=True,
        type=Path,
        help="the file to write: .html (a printable page), .csv or .json",
    )
    monthly.add_argument("--operator", default=None, help=operator_help)
    monthly.set_defaults(report_work=_monthly)


def run_report(settings: Settings, args: argparse.Namespace, actor: Actor) -> int:
    async def work(engine: AnyEngine) -> int:
        plugins = PluginHost(settings.disabled_plugins)
        service = ReportService(
            engine, EvaluationService(engine, plugins, settings.judging_budget_ms)
        )
        result: int = await args.report_work(service, actor, args)
        return result

    return run_with_database(settings.database, work)


def _table(totals: dict[str, Any]) -> None:
    print(f"{totals['programme']} as of {totals['as_of']}")
    for name, count in totals["families"].items():
        print(f"  families {name:<26}{count:>10}")
    for reason, count in totals["closed_by_reason"].items():
        print(f"    closed: {reason or 'no reason':<24}{count:>10}")
    print(f"  {'turned around':<35}{totals['turned_around']['families']:>10}")
    for route, figures in totals["turned_around"]["by_route"].items():
        print(f"    {route:<33}{figures['families']:>10}")
    for route, figures in totals["claimed"].items():
        print(f"  claimed {route:<27}{figures['lines']:>10}  £{figures['claimed_gbp']}")
    for name, amount in totals["income"].items():
        print(f"  {name.removesuffix('_gbp').replace('_', ' '):<35}{'£' + amount:>10}")
    target = totals["target"]
    if target["families"]:
        print(
            f"  target {target['families']} families: attached {target['attached_percent']}%, "
            f"turned around {target['turned_around_percent']}%"
        )


async def _totals(service: ReportService, actor: Actor, args: argparse.Namespace) -> int:
    totals = await service.totals(None, actor, args.programme, args.as_of)
    if args.format == "json":
        print(json.dumps(totals, indent=2))
    elif args.format == "csv":
        sys.stdout.write(totals_csv(totals))
    else:
        _table(totals)
    return 0


async def _monthly(service: ReportService, actor: Actor, args: argparse.Namespace) -> int:
    year, month = parse_month(args.month)
    report = await service.monthly(None, actor, args.programme, year, month)
    suffix = args.out.suffix.lower()
    if suffix == ".csv":
        text = monthly_csv(report)
    elif suffix == ".json":
        text = json.dumps(report, indent=2)
    else:
        text = monthly_html(report)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0
