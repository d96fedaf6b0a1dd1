"""The `connecting-families` command (also `python -m connecting_families`)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connecting_families import __version__
from connecting_families.access.caller import Caller
from connecting_families.access.policy import ROLES
from connecting_families.accounts.users import TemporaryPassword, UserDraft, UserService
from connecting_families.audit.command import add_audit_commands, run_verify
from connecting_families.audit.restore import entries_a_restore_removes
from connecting_families.audit.service import Actor, record
from connecting_families.claims.command import add_claim_commands, run_claims
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.database.migrations import migrate, migration_status, rollback
from connecting_families.database.ref_check import BadRef, bad_refs
from connecting_families.domain.refs import REF_RULE, is_ref
from connecting_families.errors import DomainError, Invalid
from connecting_families.evaluation.command import add_commands as add_evaluation_commands
from connecting_families.evaluation.command import run_evaluate
from connecting_families.hooks.host import PluginHost
from connecting_families.imports.command import add_import_command, run_import
from connecting_families.programmes.service import ProgrammeDraft, ProgrammeService
from connecting_families.reports.command import add_report_commands, run_report
from connecting_families.settings import Settings, SettingsError

if TYPE_CHECKING:
    from connecting_families.demo import DemoResult


# Requests still running this long after SIGTERM are cancelled, so shutdown is bounded.
GRACEFUL_SHUTDOWN_SECONDS = 3
# With --workers, uvicorn's supervisor replaces a worker that does not answer its ping in
# this time; its default (5 s) killed workers still starting on a busy machine, over and over.
WORKER_HEALTHCHECK_SECONDS = 30


# Everything the command makes (the database, its -wal and -shm, backups, the secret key,
# the data directory) is for the service's own user alone.
PRIVATE_UMASK = 0o077


def main(argv: Sequence[str] | None = None) -> int:
    previous = os.umask(PRIVATE_UMASK)
    try:
        return _main(argv)
    finally:
        os.umask(previous)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result: int = args.command(settings, args)
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        for problem in exc.errors:
            text = (
                problem.get("text") or f"{problem.get('field', '')}: {problem.get('message', '')}"
            )
            print(f"  {text}", file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connecting-families",
        description="Case management and payment-by-results for early help family programmes.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web service")
    serve.add_argument("--host", help="address to listen on (default: CF_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: CF_PORT or 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1)",
    )
    serve.set_defaults(command=cmd_serve)

    version = commands.add_parser("version", help="print the version")
    version.set_defaults(command=cmd_version)

    db = commands.add_parser("db", help="database migrations").add_subparsers(
        title="db commands", metavar="COMMAND", required=True
    )
    db.add_parser("migrate", help="apply pending migrations").set_defaults(command=cmd_db_migrate)
    db.add_parser("status", help="list migrations and whether each is applied").set_defaults(
        command=cmd_db_status
    )
    back = db.add_parser("rollback", help="reverse the latest migrations")
    back.add_argument("--steps", type=int, default=1, help="how many to reverse (default 1)")
    back.set_defaults(command=cmd_db_rollback)

    _add_user_commands(commands)

    demo = commands.add_parser(
        "demo", help="fill the database with a synthetic authority (once); prints the logins"
    )
    demo.add_argument("--families", type=int, default=120, help="how many families (default 120)")
    demo.add_argument("--seed", type=int, default=2012, help="the same seed makes the same data")
    demo.set_defaults(command=cmd_demo)

    programme = commands.add_parser("programme", help="programmes").add_subparsers(
        title="programme commands", metavar="COMMAND", required=True
    )
    create = programme.add_parser("create", help="create a programme")
    create.add_argument("code")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--ruleset", required=True, help="an installed rule set: tf2012, tf2015, …"
    )
    create.add_argument("--local-authority", default="", help="the council (default: the name)")
    create.add_argument("--config", type=Path, help="the rule set's configuration, a JSON file")
    create.add_argument("--target-families", type=int)
    create.add_argument("--operator", default=None, help="who is running this, for the audit log")
    create.set_defaults(command=cmd_programme_create)
    programme.add_parser("list", help="list programmes").set_defaults(command=cmd_programme_list)
    upgrade = programme.add_parser(
        "upgrade-ruleset",
        help="move a programme to another version of its rule set, showing first which "
        "families' results change",
    )
    upgrade.add_argument("code")
    upgrade.add_argument("--to", required=True, type=int, metavar="VERSION", help="e.g. 2")
    upgrade.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="DATE",
        help="judge families on this date (default: today, or the programme's last day)",
    )
    upgrade.add_argument(
        "--dry-run", action="store_true", help="compare the verdicts only; change nothing"
    )
    upgrade.add_argument("--operator", default=None, help="who is running this, for the audit log")
    upgrade.set_defaults(command=cmd_programme_upgrade_ruleset)

    refs = commands.add_parser("refs", help="stored refs and codes").add_subparsers(
        title="refs commands", metavar="COMMAND", required=True
    )
    check = refs.add_parser(
        "check",
        help="list stored refs and programme codes that break the ref grammar (exit 1 if any)",
    )
    check.add_argument("--operator", default=None, help="who is running this, for the audit log")
    check.set_defaults(command=cmd_refs_check)

    add_import_command(commands, "who is running this, for the audit log")
    commands.choices["import"].set_defaults(command=cmd_import)
    add_evaluation_commands(commands)
    commands.choices["evaluate"].set_defaults(command=cmd_evaluate)
    add_claim_commands(commands, "who is running this, for the audit log")
    commands.choices["claims"].set_defaults(command=cmd_claims)
    add_report_commands(commands, "who is running this, for the audit log")
    commands.choices["totals"].set_defaults(command=cmd_report)
    commands.choices["report"].set_defaults(command=cmd_report)
    _add_maintenance_commands(commands)
    add_audit_commands(commands, "who is running this, for the audit log")
    commands.choices["audit"].set_defaults(command=cmd_audit)
    return parser


def _add_maintenance_commands(commands: Any) -> None:
    operator_help = "who is running this, for the audit log (default: your login name)"
    backup = commands.add_parser(
        "backup",
        help="copy the whole database to FILE while the service runs "
        "(SQLite's online backup; pg_dump on PostgreSQL)",
    )
    backup.add_argument("file", type=Path, help="the backup file to write; must not exist")
    backup.add_argument("--operator", default=None, help=operator_help)
    backup.set_defaults(command=cmd_backup)

    restore = commands.add_parser(
        "restore", help="replace the database with a backup made by `backup`"
    )
    restore.add_argument("file", type=Path, help="the backup file")
    restore.add_argument(
        "--replace",
        action="store_true",
        help="overwrite a database that already holds records",
    )
    restore.add_argument("--operator", default=None, help=operator_help)
    restore.set_defaults(command=cmd_restore)

    purge = commands.add_parser(
        "purge",
        help="remove the personal data of families closed before a date (retention); "
        "claims stay verifiable",
    )
    purge.add_argument(
        "--closed-before",
        required=True,
        type=_iso_date,
        metavar="DATE",
        help="families closed before this date (YYYY-MM-DD)",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="count what would be removed; change nothing"
    )
    purge.add_argument("--operator", default=None, help=operator_help)
    purge.set_defaults(command=cmd_purge)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _add_user_commands(commands: Any) -> None:
    users = commands.add_parser(
        "users", help="user accounts (each command is audited as the local operator)"
    )
    users.add_argument(
        "--operator",
        default=None,
        help="who is running this command, for the audit log (default: your login name)",
    )
    verbs = users.add_subparsers(title="users commands", metavar="COMMAND", required=True)

    create = verbs.add_parser("create", help="create a user (the first admin is made this way)")
    create.add_argument("username")
    create.add_argument("--display-name", required=True)
    create.add_argument("--email", default="")
    create.add_argument(
        "--role", action="append", required=True, choices=ROLES, help="repeat for several roles"
    )
    create.add_argument("--team", help="team name; created if it does not exist")
    create.add_argument(
        "--programme", action="append", default=[], help="programme code; repeat for several"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(command=cmd_users_create)

    password = verbs.add_parser("set-password", help="set a user's password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(command=cmd_users_set_password)

    deactivate = verbs.add_parser("deactivate", help="refuse a user and revoke their tokens")
    deactivate.add_argument("username")
    deactivate.set_defaults(command=cmd_users_deactivate)

    verbs.add_parser("list", help="list users").set_defaults(command=cmd_users_list)


def _operator_name(args: argparse.Namespace) -> str:
    """The local operator: as named, else the login name, else the numeric user id."""
    name: str = args.operator
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # a container user with no name
            name = f"uid{os.getuid()}"
    return name


def _operator(args: argparse.Namespace) -> Actor:
    return Actor.operator(_operator_name(args))


def _caller(args: argparse.Namespace) -> Caller:
    """The local operator, as new services take them."""
    return Caller.local_operator(_operator_name(args))


def _read_password(args: argparse.Namespace) -> str:
    """From standard input with --password-stdin, else asked for twice at the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise Invalid("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise Invalid("the two passwords differ")
    return first


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)
    draft = UserDraft(
        display_name=args.display_name,
        email=args.email,
        roles=args.role,
        team=args.team,
        programmes=args.programme,
    )

    async def create(engine: AnyEngine) -> TemporaryPassword:
        return await UserService(engine).create_user(
            _caller(args), args.username, draft, password=password, create_team=True
        )

    user = run_with_database(settings.database, create).user
    print(f"created {user.username} ({', '.join(user.roles)})")
    return 0


def cmd_users_set_password(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)
    revoked = run_with_database(
        settings.database,
        lambda engine: UserService(engine).set_password(_caller(args), args.username, password),
    )
    print(
        f"password set for {args.username}; revoked {revoked.sessions} session(s), "
        f"{revoked.access} access token(s) and {revoked.personal} personal token(s)"
    )
    return 0


def cmd_users_deactivate(settings: Settings, args: argparse.Namespace) -> int:
    async def deactivate(engine: AnyEngine) -> None:
        service = UserService(engine)
        caller = _caller(args)
        user = await service.find_user(caller, args.username)
        await service.set_active(caller, user.id, active=False)

    run_with_database(settings.database, deactivate)
    print(f"deactivated {args.username}; their sessions and tokens are revoked")
    return 0


def cmd_users_list(settings: Settings, args: argparse.Namespace) -> int:
    users = run_with_database(
        settings.database,
        lambda engine: UserService(engine).list_users(_caller(args)),
    )
    for user in users:
        state = "active" if user.is_active else "inactive"
        print(
            f"{user.username:<24} {state:<8} {','.join(user.roles):<30} "
            f"{user.team or '-':<20} {','.join(user.programmes) or '-'}"
        )
    print(f"{len(users)} user(s)")
    return 0


def cmd_version(settings: Settings, args: argparse.Namespace) -> int:
    print(__version__)
    return 0


def cmd_db_migrate(settings: Settings, args: argparse.Namespace) -> int:
    applied = run_with_database(settings.database, migrate)
    for migration_id in applied:
        print(f"applied {migration_id}")
    print(f"{len(applied)} migration(s) applied; the database is up to date.")
    return 0


def cmd_db_status(settings: Settings, args: argparse.Namespace) -> int:
    async def status(engine: AnyEngine) -> int:
        states = await migration_status()
        for state in states:
            print(f"{'applied' if state.applied else 'pending'}  {state.migration_id}")
        pending = sum(not s.applied for s in states)
        print(f"{settings.database.kind}: {len(states) - pending} applied, {pending} pending")
        return 1 if pending else 0

    return run_with_database(settings.database, status)


def cmd_db_rollback(settings: Settings, args: argparse.Namespace) -> int:
    if args.steps < 1:
        print("error: --steps must be at least 1", file=sys.stderr)
        return 2
    reversed_ids = run_with_database(
        settings.database, lambda engine: rollback(engine, args.steps)
    )
    for migration_id in reversed_ids:
        print(f"reversed {migration_id}")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from connecting_families.demo import load_demo

    if not 1 <= args.families <= 1_000_000:
        print("error: --families must be 1 to 1000000", file=sys.stderr)
        return 2

    async def load(engine: AnyEngine) -> DemoResult:
        if settings.database.kind == "sqlite":
            await migrate(engine)
        return await load_demo(engine, families=args.families, seed=args.seed)

    result = run_with_database(settings.database, load)
    print(result.message)
    if result.logins:
        print("\nDemo logins (shown this once; every password is random):")
        for login in result.logins:
            print(f"  {login.username:<22} {login.roles:<18} {login.password}")
    return 0


def cmd_programme_create(settings: Settings, args: argparse.Namespace) -> int:
    config = {}
    if args.config:
        try:
            config = json.loads(args.config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"error: --config {args.config}: {exc}", file=sys.stderr)
            return 2
        if not isinstance(config, dict):
            print(f"error: --config {args.config}: must hold a JSON object", file=sys.stderr)
            return 2
    draft = ProgrammeDraft(
        code=args.code,
        name=args.name,
        local_authority=args.local_authority or args.name,
        ruleset_id=args.ruleset,
        ruleset_config=config,
        target_families=args.target_families,
    )
    created = run_with_database(
        settings.database,
        lambda engine: ProgrammeService(
            engine, PluginHost(settings.disabled_plugins)
        ).create_programme(_operator(args), draft),
    )
    print(f"created programme {created.code} ({created.ruleset_id})")
    return 0


def cmd_programme_list(settings: Settings, args: argparse.Namespace) -> int:
    programmes = run_with_database(
        settings.database,
        lambda engine: ProgrammeService(
            engine, PluginHost(settings.disabled_plugins)
        ).list_programmes(None),
    )
    for programme in programmes:
        print(f"{programme.code:<16} {programme.ruleset_id:<8} {programme.name}")
    print(f"{len(programmes)} programme(s)")
    return 0


def cmd_programme_upgrade_ruleset(settings: Settings, args: argparse.Namespace) -> int:
    from connecting_families.evaluation.service import EvaluationService
    from connecting_families.programmes.ruleset_upgrade import RulesetUpgrade, RulesetUpgrades

    async def upgrade(engine: AnyEngine) -> RulesetUpgrade:
        evaluation = EvaluationService(engine, PluginHost(settings.disabled_plugins))
        return await RulesetUpgrades(evaluation).upgrade(
            None, _operator(args), args.code, args.to, args.as_of, dry_run=args.dry_run
        )

    result = run_with_database(settings.database, upgrade)
    print(
        f"{result.programme}: {result.before} -> {result.after}, "
        f"{result.families} families judged as of {result.as_of.isoformat()}"
    )
    print(f"{len(result.changes)} families' results change")
    for change in result.changes:
        print(f"  {change.family_ref:<16} {change.before} -> {change.after}")
    if result.undecided:
        print(f"{result.undecided} families could not be decided under {result.after}")
    if result.moved:
        print(f"moved {result.programme} to {result.after}")
    else:
        print("dry run: nothing was changed")
    return 0


def cmd_refs_check(settings: Settings, args: argparse.Namespace) -> int:
    """Refs written before the grammar held are listed, never rewritten; each is shown escaped
    (`ascii`), so a control character in one cannot work the operator's terminal."""

    async def check(engine: AnyEngine) -> list[BadRef]:
        found = await bad_refs()
        await record(_operator(args), "refs.check", "database", detail={"found": len(found)})
        return found

    found = run_with_database(settings.database, check)
    if not found:
        print("every stored ref and programme code keeps the grammar")
        return 0
    print(f"{'kind':<16} {'table':<22} {'row id':>10} {'programme':<16} {'row':<10} ref")
    for bad in found:
        code = bad.programme if is_ref(bad.programme) else ascii(bad.programme)
        row = "live" if bad.live else "superseded"
        print(f"{bad.kind:<16} {bad.table:<22} {bad.row_id:>10} {code:<16} {row:<10} {bad.ref!a}")
    print(
        f"{len(found)} stored ref(s) break the grammar ({REF_RULE}); nothing was changed",
        file=sys.stderr,
    )
    return 1


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    return run_import(settings, args, _operator(args))


def cmd_evaluate(settings: Settings, args: argparse.Namespace) -> int:
    return run_evaluate(settings, args, _operator(args))


def cmd_claims(settings: Settings, args: argparse.Namespace) -> int:
    return run_claims(settings, args, _operator(args))


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    return run_verify(settings, args, _operator(args))


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    return run_report(settings, args, _operator(args))


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from connecting_families.database.backup import backup_database

    size = backup_database(settings.database, args.file)
    detail = {"file": args.file.name, "bytes": size}
    run_with_database(
        settings.database,
        lambda engine: record(_operator(args), "database.backup", "database", detail=detail),
    )
    print(f"backed up the {settings.database.kind} database to {args.file} ({size:,} bytes)")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from connecting_families.database.backup import restore_database

    async def restore(engine: AnyEngine) -> tuple[dict[str, int], list[str]]:
        # The entries written since the backup go with the restore: its own entry says which.
        removed = await entries_a_restore_removes(engine, settings.database, args.file)
        replaced = await restore_database(
            engine, settings.database, args.file, replace=args.replace
        )
        # A backup from an older version is brought up to date first, so that the restore's
        # entry is chained like every other (`audit.chain`).
        migrated = await migrate(engine)
        # Audited in the restored database, where the record will be kept.
        detail = {"file": args.file.name, "replaced": replaced, "audit_removed": removed}
        await record(_operator(args), "database.restore", "database", detail=detail)
        return replaced, migrated

    replaced, migrated = run_with_database(settings.database, restore)
    print(f"restored the {settings.database.kind} database from {args.file}")
    if any(replaced.values()):
        counts = ", ".join(f"{n} {table}" for table, n in replaced.items() if n)
        print(f"replaced what it held before ({counts} rows)")
    if migrated:
        print(f"the backup was {len(migrated)} migration(s) behind this version: applied them")
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    from connecting_families.families.retention import purge

    result = run_with_database(
        settings.database,
        lambda engine: purge(engine, _operator(args), args.closed_before, dry_run=args.dry_run),
    )
    verb = "would remove" if result.dry_run else "removed"
    print(
        f"{verb} the personal data of {result.families} famil"
        f"{'y' if result.families == 1 else 'ies'} closed before "
        f"{result.closed_before.isoformat()}: {result.people} people"
        + (
            f" ({result.people_kept} more kept: also in a family not purged)"
            if result.people_kept
            else ""
        )
    )
    for table, count in sorted(result.texts.items()):
        print(f"  {count:>8}  {table.replace('_', ' ')} text(s)")
    if result.dry_run:
        print("dry run: nothing was changed")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    import uvicorn

    from connecting_families.request_log import configure_logging

    configure_logging(settings.log_level)

    async def prepare(engine: AnyEngine) -> list[str]:
        if settings.database.kind == "sqlite":
            # The embedded database looks after itself; a server database is migrated
            # deliberately, with `db migrate`, by whoever runs it.
            await migrate(engine)
        return [s.migration_id for s in await migration_status() if not s.applied]

    pending = run_with_database(settings.database, prepare)
    if pending:
        print(
            f"error: {len(pending)} migration(s) are not applied to the database; "
            "run `connecting-families db migrate` first",
            file=sys.stderr,
        )
        return 1

    from connecting_families.slow_clients import MAX_HEADER_BYTES, protocol_path

    # Each worker process builds its own app (and engine) from the environment.
    uvicorn.run(
        "connecting_families.app:app_from_environment",
        factory=True,
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        # X-Forwarded-For/-Proto only from the proxies named in CF_TRUSTED_PROXIES: uvicorn
        # would otherwise believe them from loopback (or FORWARDED_ALLOW_IPS), and the client
        # address is what the sign-in throttle counts and the audit log records.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
        # Uvicorn's own protocol, with a deadline for headers (CF_HEADER_TIMEOUT_SECONDS).
        http=protocol_path(),
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    return 0
