"""Evaluating a cohort in worker processes: each loads and judges whole chunks of families.

Rule sets are pure and `FamilyEvidence` is read from the database, so a worker needs only the
database's address, the families' ids and the rule set's configuration. It sends its verdicts
back as msgpack (msgspec encodes and decodes the attrs values in C; pickle would cost more
than the judging). Each worker builds its own `PluginHost` from the installed plugins, less
the disabled ones: a plugin registered only in this process, as some tests do, is not seen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import attrs
import msgspec

from connecting_families.database.engine import AnyEngine, create_engine
from connecting_families.domain.verdict import Verdict
from connecting_families.evaluation.judging import (
    ENCODE_ERRORS,
    ContainedJudge,
    guarded_context,
    owner,
)
from connecting_families.evaluation.loader import load_evidence
from connecting_families.hooks.host import PluginHost
from connecting_families.settings import DatabaseUrl


@attrs.frozen
class _Worker:
    plugins: PluginHost
    engine: AnyEngine
    budget_ms: float


# This worker process's plugins and engine, made once by its initializer.
_worker: _Worker | None = None


def _start_worker(disabled: tuple[str, ...], database: str, budget_ms: float) -> None:
    global _worker  # one per worker process, made by its initializer
    _worker = _Worker(PluginHost(disabled), create_engine(DatabaseUrl.parse(database)), budget_ms)


def _evaluate_chunk(
    ids: list[int],
    instant: dt.datetime | None,
    ruleset_key: str,
    config: dict[str, Any],
    as_of: dt.date,
) -> bytes:
    assert _worker is not None
    ruleset = _worker.plugins.ruleset(ruleset_key)
    if ruleset is None:
        raise RuntimeError(f"A worker process did not find {ruleset_key} installed.")
    plugins = _worker.plugins
    context = plugins.context()
    owners = {name: owner(plugins, "cf_register_criteria", name) for name in context.criteria}
    # Contained as in the service (`evaluation.judging`); the parent logs the undecided.
    judge = ContainedJudge(
        ruleset,
        config,
        guarded_context(context, owners),
        plugin=owner(plugins, "cf_register_rulesets", ruleset.key),
        budget_ms=_worker.budget_ms,
        log_failures=False,
    )
    evidence = asyncio.run(load_evidence(ids, instant, _worker.engine))
    judged = [(family, judge(family, as_of)) for family in evidence]
    try:
        return msgspec.msgpack.encode([(family.family_id, v) for family, v in judged])
    except ENCODE_ERRORS:
        # A verdict holding a value of a plugin's own class: that family undecided, not the
        # whole chunk lost.
        return msgspec.msgpack.encode(
            [(family.family_id, judge.stored(family, v)) for family, v in judged]
        )


async def evaluate_in_processes(
    workers: int,
    database: str,
    disabled: Iterable[str],
    chunks: Sequence[list[int]],
    instant: dt.datetime | None,
    ruleset_key: str,
    config: dict[str, Any],
    as_of: dt.date,
    budget_ms: float,
) -> AsyncIterator[list[tuple[int, Verdict]]]:
    """The verdicts of each chunk of family ids, in order, from `workers` processes, each
    with its family's id.

    At most twice `workers` chunks are in flight, so memory stays bounded.
    """
    loop = asyncio.get_running_loop()
    decode = msgspec.msgpack.Decoder(list[tuple[int, Verdict]]).decode
    # "spawn": forking a process that runs an event loop and database threads is unsafe.
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(tuple(sorted(disabled)), database, budget_ms),
    ) as pool:
        in_flight: deque[asyncio.Future[bytes]] = deque()
        for ids in chunks:
            in_flight.append(
                loop.run_in_executor(
                    pool, _evaluate_chunk, ids, instant, ruleset_key, config, as_of
                )
            )
            if len(in_flight) >= 2 * workers:
                yield decode(await in_flight.popleft())
        while in_flight:
            yield decode(await in_flight.popleft())
