"""Walking the audit log's hash chain (`audit.chain`): the first broken link, if any; and
chaining the entries written before the chain existed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import attrs
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from connecting_families.audit.chain import COLUMNS, GENESIS, entry_hash
from connecting_families.database.engine import AnyEngine

WALK_BATCH = 2_000


@attrs.frozen
class Head:
    """The last entry of a chain: where it ends, to keep outside the database."""

    id: int
    seq: int
    hash: str

    @property
    def anchor(self) -> str:
        return f"{self.seq}:{self.hash}"


@attrs.frozen
class Break:
    """The first broken link: the entry where the chain stops holding, and what is wrong."""

    entry_id: int | None
    problem: str


@attrs.frozen
class Verification:
    entries: int
    head: Head | None
    broken: Break | None


async def _rows(engine: AnyEngine) -> AsyncIterator[dict[str, Any]]:
    """Every entry, in id order, a batch at a time."""
    after = 0
    select = f"SELECT {', '.join(COLUMNS)} FROM audit_event"  # noqa: S608 (constant names)
    while True:
        batch = await engine.run_querystring(
            QueryString(f"{select} WHERE id > {{}} ORDER BY id LIMIT {WALK_BATCH}", after)
        )
        for row in batch:
            yield row
        if len(batch) < WALK_BATCH:
            return
        after = batch[-1]["id"]


def parse_anchor(text: str) -> tuple[int, str]:
    """`SEQ:HASH`, as `verify` prints a head; ValueError otherwise."""
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("an anchor is SEQ:HASH, as `audit verify` prints the head")
    return int(seq), digest


def _link_problem(row: dict[str, Any], previous: dict[str, Any] | None) -> str | None:
    """What is wrong with the link from `previous` (None: the start) to `row`, if anything
    (a gap in the places is told apart by `_gap`, once the rest of the log is read)."""
    expected_seq = previous["seq"] + 1 if previous else 1
    expected_prev = previous["hash"] if previous else GENESIS
    if row["prev_hash"] == expected_prev and row["seq"] == expected_seq:
        return None
    after = f"entry {previous['id']}" if previous else "the start of the log"
    if row["seq"] < expected_seq:
        return (
            f"order broken: it is entry {row['seq']} of the chain but comes after {after} "
            f"(entry {expected_seq - 1} of the chain)"
        )
    if row["seq"] == expected_seq:
        return (
            f"link broken: it does not follow {after} (that entry was rewritten and its "
            "hash recomputed, or this one's link was)"
        )
    return None  # a gap: see `_gap`


async def _gap(
    rows: AsyncIterator[dict[str, Any]], row: dict[str, Any], previous: dict[str, Any] | None
) -> str:
    """Entries missing between `previous` and `row`: deleted, or moved further on (their ids
    changed), which reading the rest of the log tells apart."""
    first = previous["seq"] + 1 if previous else 1
    last = row["seq"] - 1
    after = f"after entry {previous['id']}" if previous else "at the start of the log"
    moved = [later["id"] async for later in rows if later["seq"] and first <= later["seq"] <= last]
    if moved:
        return (
            f"order broken: entries {first} to {last} of the chain should come {after}, "
            f"but {len(moved)} of them come later in the log (first: entry {moved[0]})"
        )
    missing = last - first + 1
    return f"entry missing: {missing} entr{'y' if missing == 1 else 'ies'} deleted {after}"


async def verify(engine: AnyEngine, anchor: tuple[int, str] | None = None) -> Verification:
    """Walk the whole chain in id order; the first broken link, if any."""
    previous: dict[str, Any] | None = None
    count = 0
    anchor_seen = False
    rows = _rows(engine)
    async for row in rows:
        count += 1
        if row["hash"] is None or row["seq"] is None or row["prev_hash"] is None:
            problem = "not chained: written outside the service, with no place in the chain"
            return Verification(count, None, Break(row["id"], problem))
        if entry_hash(row) != row["hash"]:
            problem = "content changed: its columns no longer match its hash"
            return Verification(count, None, Break(row["id"], problem))
        if (link := _link_problem(row, previous)) is not None:
            return Verification(count, None, Break(row["id"], link))
        if row["seq"] != (previous["seq"] + 1 if previous else 1):
            return Verification(count, None, Break(row["id"], await _gap(rows, row, previous)))
        if anchor is not None and row["seq"] == anchor[0]:
            if row["hash"] != anchor[1]:
                problem = (
                    f"not the anchored entry: entry {anchor[0]} of the chain has another hash "
                    "(the log was rewritten up to here)"
                )
                return Verification(count, None, Break(row["id"], problem))
            anchor_seen = True
        previous = row
    head = Head(previous["id"], previous["seq"], previous["hash"]) if previous else None
    if anchor is not None and not anchor_seen:
        last = f"ends at entry {head.seq}" if head else "is empty"
        problem = (
            f"truncated: the anchored entry {anchor[0]} is gone (the chain {last}); "
            "entries were cut off the end"
        )
        return Verification(count, head, Break(None, problem))
    return Verification(count, head, None)


async def chain_existing(engine: AnyEngine) -> int:
    """Chain every entry written before the chain existed, in id order; how many.

    For the migration that adds the chain: the caller lets it update the log (the triggers
    refuse to otherwise).
    """
    previous: dict[str, Any] | None = None
    chained: list[dict[str, Any]] = []
    count = 0
    async for row in _rows(engine):
        row = dict(row)
        row["seq"] = previous["seq"] + 1 if previous else 1
        row["prev_hash"] = previous["hash"] if previous else GENESIS
        row["hash"] = entry_hash(row)
        chained.append(row)
        previous = row
        if len(chained) == 500:
            count += await _store_links(engine, chained)
            chained = []
    return count + await _store_links(engine, chained)


async def _store_links(engine: AnyEngine, rows: Sequence[dict[str, Any]]) -> int:
    if not rows:
        return 0
    # PostgreSQL needs the types of bare parameters in VALUES; SQLite has no such casts.
    one = (
        "({}, {}, {}, {})"
        if isinstance(engine, SQLiteEngine)
        else "({}::bigint, {}::bigint, {}, {})"
    )
    args = [
        value for row in rows for value in (row["id"], row["seq"], row["prev_hash"], row["hash"])
    ]
    await engine.run_querystring(
        QueryString(
            f"WITH v(id, seq, prev_hash, hash) AS (VALUES {', '.join(one for _ in rows)})"  # noqa: S608
            " UPDATE audit_event SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash"
            " FROM v WHERE audit_event.id = v.id",
            *args,
        )
    )
    return len(rows)
