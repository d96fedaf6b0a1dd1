"""`connecting-families audit verify`: walk the audit log's hash chain (`audit.chain`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from connecting_families.audit.service import Actor, record
from connecting_families.audit.verification import parse_anchor, verify
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.settings import Settings


def add_audit_commands(commands: Any, operator_help: str) -> None:
    audit = commands.add_parser("audit", help="the audit log").add_subparsers(
        title="audit commands", metavar="COMMAND", required=True
    )
    check = audit.add_parser(
        "verify",
        help="walk the audit log's hash chain and name the first broken link (exit 1 if any)",
    )
    check.add_argument(
        "--anchor",
        metavar="SEQ:HASH",
        help="a head an earlier verify printed, kept outside the database: it must still be "
        "in the chain (this is what shows entries cut off the end)",
    )
    check.add_argument("--operator", default=None, help=operator_help)


def run_verify(settings: Settings, args: argparse.Namespace, actor: Actor) -> int:
    """Exit 0 with the head when the chain holds, 1 naming the first broken link."""
    try:
        anchor = parse_anchor(args.anchor) if args.anchor else None
    except ValueError as exc:
        print(f"error: --anchor: {exc}", file=sys.stderr)
        return 2

    async def work(engine: AnyEngine) -> int:
        result = await verify(engine, anchor)
        detail: dict[str, Any] = {"entries": result.entries, "intact": result.broken is None}
        if result.broken is not None:
            detail["broken_at"] = result.broken.entry_id
        await record(actor, "audit.verify", "audit_log", detail=detail)
        if result.broken is not None:
            where = (
                f"entry {result.broken.entry_id}" if result.broken.entry_id else "the log's end"
            )
            print(f"audit log broken at {where}: {result.broken.problem}", file=sys.stderr)
            return 1
        if result.head is None:
            print("audit log intact: no entries")
        else:
            print(
                f"audit log intact: {result.entries:,} entries; head: entry {result.head.id}, "
                f"anchor {result.head.anchor} (keep it outside the database, and pass it "
                "as --anchor to a later verify)"
            )
        return 0

    return run_with_database(settings.database, work)
