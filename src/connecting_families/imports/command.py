"""`connecting-families import KIND FILE --programme CODE`: load a data-exchange file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from connecting_families.audit.service import Actor
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.hooks.host import PluginHost
from connecting_families.imports.service import (
    IMPORT_KINDS,
    ImportRequest,
    ImportResult,
    ImportService,
    check_size,
)
from connecting_families.settings import Settings


def add_import_command(commands: Any, operator_help: str) -> None:
    command = commands.add_parser(
        "import",
        help="import a data-exchange CSV file (all or nothing)",
        description="Validate every row and import the whole file, or nothing when any row is "
        "bad (each problem is printed as `line N, column C: message`).",
    )
    command.add_argument(
        "kind", choices=IMPORT_KINDS, metavar="KIND", help=", ".join(IMPORT_KINDS)
    )
    command.add_argument("file", type=Path, metavar="FILE")
    command.add_argument("--programme", required=True, help="the programme's code")
    command.add_argument(
        "--dry-run", action="store_true", help="validate and count changes; write nothing"
    )
    command.add_argument(
        "--ignore-unknown-columns",
        action="store_true",
        help="skip columns the file's kind does not define instead of refusing the file",
    )
    command.add_argument("--operator", default=None, help=operator_help)


def run_import(settings: Settings, args: argparse.Namespace, actor: Actor) -> int:
    path: Path = args.file
    try:
        check_size(path.stat().st_size, settings.max_import_bytes)
        data = path.read_bytes()
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1
    request = ImportRequest(
        kind=args.kind,
        programme_code=args.programme,
        data=data,
        file_name=path.name,
        dry_run=args.dry_run,
        ignore_unknown_columns=args.ignore_unknown_columns,
    )
    # An estimate of the rows for the bar: the lines after the header.
    estimate = max(data.count(b"\n") - 1, 1)
    bars: dict[str, tqdm[Any]] = {}

    def progress(phase: str, done: int, total: int | None) -> None:
        bar = bars.get(phase)
        if bar is None:
            if phase == "write":
                # Said even without a terminal: a log then shows the file passed validation.
                print(
                    f"all rows are valid; writing {total or estimate:,} rows",
                    file=sys.stderr,
                    flush=True,
                )
            bar = bars[phase] = tqdm(
                total=total or estimate, desc=phase, unit=" rows", disable=None, leave=False
            )
        bar.update(done - bar.n)

    async def work(engine: AnyEngine) -> ImportResult:
        plugins = PluginHost(settings.disabled_plugins)
        service = ImportService(engine, settings.max_import_bytes, plugins)
        return await service.run(None, actor, request, progress)

    try:
        result = run_with_database(settings.database, work)
    finally:
        for bar in bars.values():
            bar.close()
    print(result.summary)
    rate = result.rows / result.seconds["total"] if result.seconds["total"] else 0.0
    print(
        f"sha256 {result.sha256}; import run {result.import_run or '-'}; "
        f"{result.seconds['total']:.2f} s ({rate:,.0f} rows/s)"
    )
    return 0
