"""Importing a partner data file: validate every row, then write the whole file or nothing.

The steps, the same for every kind:

1. read and validate every row, collecting every problem (`line N, column C: message`); any
   problem refuses the whole file, and nothing is written;
2. in one write transaction: compare each row with the live row of the same natural key, insert
   what is new, supersede what changed (the old version stays, with `superseded_at`), count
   what is unchanged, and record the import run and an audit entry.

A killed process leaves an uncommitted transaction, which both databases discard.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor, record
from connecting_families.database.bulk import Bulk
from connecting_families.database.columns import in_parts
from connecting_families.database.engine import AnyEngine, take_turns, write_transaction
from connecting_families.domain.dates import today
from connecting_families.errors import Invalid, NotFound, TooLarge
from connecting_families.families.tables import Membership
from connecting_families.hooks.host import PluginHost
from connecting_families.imports import households
from connecting_families.imports.counts import Counts
from connecting_families.imports.kinds import KINDS
from connecting_families.imports.reader import CsvFile, Problems, decode
from connecting_families.imports.records import RecordWriter, validated_chunks
from connecting_families.imports.references import References
from connecting_families.imports.tables import ImportRun
from connecting_families.programmes.service import worked_programme
from connecting_families.programmes.tables import Programme
from connecting_families.programmes.versions import evidence_changed

IMPORT_KINDS = ("families", "people", *KINDS)

# phase ("validate" or "write"), rows done, rows in all (None while still reading).
Progress = Callable[[str, int, int | None], None]


@attrs.frozen
class ImportRequest:
    kind: str
    programme_code: str
    data: bytes
    file_name: str
    dry_run: bool = False
    ignore_unknown_columns: bool = False


@attrs.frozen
class ImportResult:
    kind: str
    programme: str
    file_name: str
    sha256: str
    dry_run: bool
    rows: int
    inserted: int
    superseded: int
    unchanged: int
    import_run: int | None
    seconds: dict[str, float]

    @property
    def summary(self) -> str:
        done = "would be" if self.dry_run else "were"
        return (
            f"{self.rows} rows of {self.kind}: {self.inserted} new, {self.superseded} corrected, "
            f"{self.unchanged} unchanged {done} imported into {self.programme}."
        )


def check_size(size: int, max_bytes: int) -> None:
    """Refuse a file over the configured limit, before reading it."""
    if size > max_bytes:
        raise TooLarge(
            f"The file is {size:,} bytes; imports are limited to {max_bytes:,} bytes "
            "(CF_MAX_IMPORT_BYTES). Split it into smaller files, or ask the administrator "
            "to raise the limit."
        )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while an import builds its rows.

    An import makes millions of small objects and no reference cycles; with the collector
    running, walking them again and again took about half of a large import's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _no_progress(phase: str, done: int, total: int | None) -> None:
    return None


class ImportService:
    def __init__(
        self,
        engine: AnyEngine,
        max_bytes: int,
        plugins: PluginHost,
    ) -> None:
        self.engine = engine
        self.max_bytes = max_bytes
        self.plugins = plugins

    async def run(
        self,
        principal: Principal | None,
        actor: Actor,
        request: ImportRequest,
        progress: Progress = _no_progress,
    ) -> ImportResult:
        """Import one file; raises `Invalid` listing every problem when any row is bad."""
        if request.kind not in IMPORT_KINDS:
            raise NotFound(
                f"There is no import of {request.kind!r}; the kinds are {', '.join(IMPORT_KINDS)}."
            )
        self.check_size(len(request.data))
        started = time.perf_counter()
        programme = await worked_programme(
            principal, request.programme_code, Programme.code, Programme.ruleset_id
        )
        sha256 = hashlib.sha256(request.data).hexdigest()
        refs = References(
            programme_id=programme["id"],
            programme_code=programme["code"],
            today=today(),
            problems=Problems(),
            headlines=self.plugins.headlines(programme["ruleset_id"]),
            measures=self.plugins.measures(),
        )
        run = _Run(request, programme, sha256, actor, refs, progress)
        with collector_paused():
            csv_file = await self._open(request, refs)
            if csv_file is not None:
                await self._check_then_write(run, csv_file)
        if refs.problems:
            await self._reject(run)
        run.seconds["total"] = time.perf_counter() - started
        return run.result()

    async def _open(self, request: ImportRequest, refs: References) -> CsvFile | None:
        """The file, its header checked, and what its rows may refer to; None if unreadable."""
        kind = KINDS.get(request.kind)
        columns = kind.columns if kind is not None else households.COLUMNS[request.kind]
        text = decode(request.data, refs.problems)
        if text is None:
            return None
        csv_file = CsvFile(
            text, columns, refs.problems, ignore_unknown_columns=request.ignore_unknown_columns
        )
        if (
            kind is not None
            and kind.one_of_columns
            and not csv_file.present & set(kind.one_of_columns)
        ):
            refs.problems.add(
                1, None, f"the header needs one of the columns {', '.join(kind.one_of_columns)}"
            )
        if refs.problems:
            return None
        if request.kind != "families":
            await refs.load_families()
            await refs.load_people()
        return csv_file

    async def _check_then_write(self, run: _Run, csv_file: CsvFile) -> None:
        """Validate every row; then, if all are good, write them (or, in a dry run, count).

        Validating first keeps the SQLite write lock for the write alone, and a bad file
        never starts a write transaction at all.
        """
        refs, request = run.refs, run.request
        validated: list[tuple[int, dict[str, Any]]] = []
        if request.kind == "families":
            validated = await households.validate_families(csv_file, refs)
        elif request.kind == "people":
            validated = await households.validate_people(csv_file, refs)
        else:
            kind = KINDS[request.kind]
            for chunk in validated_chunks(kind, csv_file, refs, run.progress):
                validated += chunk
        run.rows = len(validated)
        if refs.problems:
            return
        if request.dry_run:
            async with self.engine.transaction() as transaction:
                run.counts = await self._count_or_write(Bulk(transaction), run, validated)
            return
        async with write_transaction(self.engine) as transaction:
            await take_turns(self.engine, f"import:{refs.programme_code}:{request.kind}")
            # First, as every writer of a family does: the programme row is locked before
            # any family's (an unchanged file moves the version on too; harmless).
            await evidence_changed(refs.programme_id)
            run.run_id = await self._start_run(refs.programme_id, run)
            run.counts = await self._count_or_write(Bulk(transaction), run, validated)
            await self._finish_run(run)

    async def _count_or_write(
        self, bulk: Bulk, run: _Run, validated: list[tuple[int, dict[str, Any]]]
    ) -> Counts:
        write = not run.request.dry_run
        if run.request.kind == "families":
            return await households.apply_families(run.refs, validated, run.run_id, write=write)
        if run.request.kind == "people":
            return await households.apply_people(run.refs, validated, run.run_id, write=write)
        writer = RecordWriter(
            bulk,
            KINDS[run.request.kind],
            run.refs.programme_id,
            run_id=run.run_id,
            user_id=None,
            write=write,
            progress=run.progress,
        )
        await writer.load()
        await writer.add(validated)
        run.moves = writer.moves
        return writer.counts

    async def _reject(self, run: _Run) -> None:
        """Record the refusal, raise the problems.

        No row of the file was written (the write never began). A file meant to be imported
        leaves a refused import run, so the imports list shows it beside those that
        completed; a dry run leaves none. Both are audited.
        """
        problems = run.refs.problems
        async with write_transaction(self.engine):
            if not run.request.dry_run:
                await self._refused_run(run, problems.total)
            await record(
                run.actor,
                f"import.{run.request.kind}",
                "programme",
                run.refs.programme_code,
                allowed=False,
                detail={
                    "sha256": run.sha256,
                    "problems": problems.total,
                    "dry_run": run.request.dry_run,
                },
            )
        problems.listed.sort(key=lambda problem: problem.line)
        shown = len(problems.listed)
        more = "" if shown == problems.total else f" (the first {shown} are listed)"
        raise Invalid(
            f"The file has {problems.total} problem(s){more}; nothing was imported.",
            errors=[
                {"line": p.line, "column": p.column, "message": p.message, "text": p.text}
                for p in problems.listed
            ],
            extra={"problems_total": problems.total},
        )

    async def list_runs(
        self, principal: Principal | None, code: str, limit: int
    ) -> list[dict[str, Any]]:
        """The programme's import runs, newest first."""
        programme = await worked_programme(principal, code)
        rows = (
            await ImportRun.select(
                *ImportRun.all_columns(exclude=[ImportRun.performed_by, ImportRun.programme]),
                ImportRun.performed_by.username.as_alias("username"),
            )
            .where(ImportRun.programme == programme["id"])
            .order_by(ImportRun.id, ascending=False)
            .limit(limit)
        )
        return [{**row, "performed_by": row.pop("username") or row["operator"]} for row in rows]

    def check_size(self, size: int) -> None:
        check_size(size, self.max_bytes)

    async def _start_run(self, programme_id: int, run: _Run) -> int:
        request = run.request
        import_run = ImportRun(
            programme=programme_id,
            kind=request.kind,
            # (A name from a query or an upload may hold a NUL, which PostgreSQL cannot store.)
            file_name=request.file_name.replace("\x00", "")[:255],
            sha256=run.sha256,
            status="running",
            started_at=dt.datetime.now(dt.UTC),
            performed_by=run.actor.user_id,
            operator=run.actor.name if run.actor.user_id is None else None,
        )
        await import_run.save()
        return int(import_run.id)

    async def _refused_run(self, run: _Run, problems: int) -> None:
        now = dt.datetime.now(dt.UTC)
        await ImportRun(
            programme=run.refs.programme_id,
            kind=run.request.kind,
            file_name=run.request.file_name.replace("\x00", "")[:255],
            sha256=run.sha256,
            status="refused",
            started_at=now,
            finished_at=now,
            problems=problems,
            performed_by=run.actor.user_id,
            operator=run.actor.name if run.actor.user_id is None else None,
        ).save()

    async def _finish_run(self, run: _Run) -> None:
        """Complete the import run and audit it, in the import's transaction."""
        counts = run.counts
        await ImportRun.update(
            {
                ImportRun.status: "completed",
                ImportRun.finished_at: dt.datetime.now(dt.UTC),
                ImportRun.rows_total: run.rows,
                ImportRun.rows_inserted: counts.inserted,
                ImportRun.rows_superseded: counts.superseded,
                ImportRun.rows_unchanged: counts.unchanged,
            }
        ).where(ImportRun.id == run.run_id)
        await record(
            run.actor,
            f"import.{run.request.kind}",
            "programme",
            run.refs.programme_code,
            detail={
                "import_run": run.run_id,
                "sha256": run.sha256,
                "rows": run.rows,
                "inserted": counts.inserted,
                "superseded": counts.superseded,
                "unchanged": counts.unchanged,
            },
        )
        await _audit_moves(run)


async def _audit_moves(run: _Run) -> None:
    """A correction that moved a record to another household is written to the audit log
    of both families, each entry naming both (a person's families: their live memberships)."""
    people = {p for _, was, now in run.moves for p in (was[0], now[0]) if p is not None}
    families_of: dict[int, set[int]] = {}
    for part in in_parts(sorted(people)):
        for row in await Membership.select(Membership.person, Membership.family).where(
            Membership.person.is_in(list(part)), Membership.superseded_at.is_null()
        ):
            families_of.setdefault(row["person"], set()).add(row["family"])

    def families(subject: tuple[Any, Any]) -> set[int]:
        person, family = subject
        return {family} if person is None else families_of.get(person, set())

    for record_id, was, now in run.moves:
        before, after = families(was), families(now)
        if before == after:
            continue
        detail = {
            "import_run": run.run_id,
            "kind": run.request.kind,
            "record": record_id,
            "from_families": sorted(before),
            "to_families": sorted(after),
        }
        for family in sorted(before | after):
            await record(run.actor, "family.evidence.moved", "family", family, detail=detail)


@attrs.define(eq=False)
class _Run:
    """One import under way: what was asked, and what it has found and done."""

    request: ImportRequest
    programme: dict[str, Any]
    sha256: str
    actor: Actor
    refs: References
    progress: Progress
    rows: int = 0
    counts: Counts = attrs.Factory(Counts)
    run_id: int | None = None
    seconds: dict[str, float] = attrs.Factory(dict)
    # Corrections that moved a record to another person or household (`RecordWriter.moves`).
    moves: list[tuple[int, tuple[Any, Any], tuple[Any, Any]]] = attrs.Factory(list)

    def result(self) -> ImportResult:
        return ImportResult(
            kind=self.request.kind,
            programme=self.refs.programme_code,
            file_name=self.request.file_name,
            sha256=self.sha256,
            dry_run=self.request.dry_run,
            rows=self.rows,
            inserted=self.counts.inserted,
            superseded=self.counts.superseded,
            unchanged=self.counts.unchanged,
            import_run=self.run_id,
            seconds={name: round(value, 3) for name, value in self.seconds.items()},
        )
