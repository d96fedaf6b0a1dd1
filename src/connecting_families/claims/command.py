"""`connecting-families claims …`: the claim lifecycle from the command line.

Commands run as the local operator (audited under that name). Signing off needs a person:
`sign-off` names the auditor (an active user with the auditor role), who may not be the user
who prepared the claim.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from connecting_families.accounts.tables import User, UserRole
from connecting_families.audit.service import Actor
from connecting_families.claims.service import ClaimService
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.errors import Invalid
from connecting_families.evaluation.service import EvaluationService
from connecting_families.hooks.host import PluginHost
from connecting_families.settings import Settings

Work = Callable[[ClaimService, Actor, argparse.Namespace], Awaitable[Any]]


def add_claim_commands(commands: Any, operator_help: str) -> None:
    claims = commands.add_parser("claims", help="payment-by-results claims").add_subparsers(
        title="claims commands", metavar="COMMAND", required=True
    )

    def command(name: str, help: str, work: Work, claim_id: bool = True) -> Any:
        parser = claims.add_parser(name, help=help)
        if claim_id:
            parser.add_argument("claim_id", type=int, metavar="ID")
        parser.add_argument("--operator", default=None, help=operator_help)
        parser.set_defaults(claims_work=work)
        return parser

    prepare = command(
        "prepare", "prepare a draft claim; prints its id alone on the last line", _prepare, False
    )
    prepare.add_argument("--programme", required=True)
    when = prepare.add_mutually_exclusive_group(required=True)
    when.add_argument("--as-of", type=dt.date.fromisoformat, help="YYYY-MM-DD")
    when.add_argument("--window", type=int, help="the id of an open claim window")
    listing = command("list", "a programme's claims", _list, False)
    listing.add_argument("--programme", required=True)
    command("show", "a claim and its lines, as JSON", _show)
    sample = command("sample", "draw the internal audit sample", _sample)
    size = sample.add_mutually_exclusive_group(required=True)
    size.add_argument("--percent", type=int)
    size.add_argument("--count", type=int)
    sample.add_argument("--seed", type=int)
    sign_off = command("sign-off", "an auditor signs off a sampled line", _sign_off)
    sign_off.add_argument("--line", type=int, required=True)
    sign_off.add_argument("--auditor", required=True, help="the auditor's username")
    command("submit", "submit a claim whose sample is signed off", _submit)
    reject = command(
        "reject", "record the spot check: reject lines (none given: accept the claim)", _reject
    )
    reject.add_argument("--line", type=int, action="append", default=[])
    reject.add_argument("--reason", default="", help="why the lines were rejected")
    withdraw = command("withdraw", "withdraw a claim before submission", _withdraw)
    withdraw.add_argument("--reason", required=True)
    command("export", "the claim return CSV on stdout", _export)
    command("verify", "re-decide every line; exit code 1 if any now differs", _verify)


def run_claims(settings: Settings, args: argparse.Namespace, actor: Actor) -> int:
    async def work(engine: AnyEngine) -> int:
        plugins = PluginHost(settings.disabled_plugins)
        service = ClaimService(
            engine, EvaluationService(engine, plugins, settings.judging_budget_ms)
        )
        result: int = await args.claims_work(service, actor, args)
        return result

    return run_with_database(settings.database, work)


def _summary(claim: dict[str, Any]) -> None:
    print(
        f"claim {claim['claim_ref']} ({claim['status']}): {claim['live_lines']} live line(s), "
        f"£{claim['amount_gbp']}; attachment fees £{claim['attachment_fees_gbp']}"
    )


async def _prepare(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    claim = await service.prepare(None, actor, args.programme, args.as_of, args.window)
    _summary(claim)
    print(f"near misses: {len(claim['near_misses'])}")
    for held in claim["held_back"]["because"]:
        print(f"held back, could not be decided: {held['families']} by {held['reason']}")
    print(claim["id"])
    return 0


async def _list(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    for claim in await service.list_claims(None, actor, args.programme):
        print(
            f"{claim['id']:>6}  {claim['claim_ref']:<28} {claim['as_of']}  {claim['status']:<16}"
            f"{claim['live_lines']:>6} line(s)  £{claim['amount_gbp']}"
        )
    return 0


async def _show(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    claim = await service.show(None, actor, args.claim_id)
    print(json.dumps(claim, indent=2, default=str))
    return 0


async def _sample(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    claim = await service.draw_sample(
        None, actor, args.claim_id, percent=args.percent, count=args.count, seed=args.seed
    )
    sampled = [line["id"] for line in claim["lines"] if line["sampled"]]
    print(f"sampled {len(sampled)} line(s) with seed {claim['sample']['seed']}: {sampled}")
    return 0


async def _auditor_id(username: str) -> int:
    user = (
        await User.select(User.id)
        .where(User.username == username, User.is_active.eq(True))
        .first()
    )
    if user is None or not await UserRole.exists().where(
        UserRole.user == user["id"], UserRole.role == "auditor"
    ):
        raise Invalid(f"{username!r} is not an active user with the auditor role.")
    return int(user["id"])


async def _sign_off(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    auditor = await _auditor_id(args.auditor)
    await service.sign_off(None, actor, args.claim_id, args.line, auditor)
    print(f"line {args.line} signed off by {args.auditor}")
    return 0


async def _submit(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    _summary(await service.submit(None, actor, args.claim_id))
    return 0


async def _reject(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    if args.line and not args.reason.strip():
        raise Invalid("--reason is required when rejecting lines.")
    claim = await service.decide(None, actor, args.claim_id, dict.fromkeys(args.line, args.reason))
    _summary(claim)
    return 0


async def _withdraw(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    _summary(await service.withdraw(None, actor, args.claim_id, args.reason))
    return 0


async def _export(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    sys.stdout.write(await service.export(None, actor, args.claim_id))
    return 0


async def _verify(service: ClaimService, actor: Actor, args: argparse.Namespace) -> int:
    differences = await service.verify(None, actor, args.claim_id)
    for difference in differences:
        print(
            f"line {difference.line_id} {difference.family_ref} {difference.route}: "
            f"{difference.what}"
        )
    print(f"{len(differences)} line(s) differ")
    return 1 if differences else 0
