"""A plugin failing while it judges: the family is left undecided and the plugin named; pages,
totals, claims and the CLI go on (the mistakes of issue 23's table)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in, text_of

from connecting_families import cli
from connecting_families.database.engine import (
    PooledSQLiteEngine,
    close_database,
    create_engine,
)
from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.domain.rules import Criterion, RuleContext, RuleSet
from connecting_families.domain.verdict import CriterionResult, RouteResult, Verdict
from connecting_families.evaluation import command as evaluate_command
from connecting_families.evaluation import processes
from connecting_families.evaluation.judging import ContainedJudge, guarded_context
from connecting_families.evaluation.tables import KeptVerdict
from connecting_families.hooks.hookspecs import hookimpl
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.tables import Programme
from connecting_families.settings import DatabaseUrl
from connecting_families.testing import FamilyBuilder

from access_world import World
from page_world import build_page_world

PLUGIN = "council-shaky"
# A message quoting the evidence, as a careless plugin's might: it must go nowhere.
SECRET = "Amy Smith born 2005-04-01"
AS_OF = "2014-03-01"
# The families of the page world that "criterion raises for some" fails on.
SOME = {"F-own", "F-unallocated"}


class Shaky:
    """A council's plugin: a rule set `shaky` resting on its criterion `shaky_crime`, with
    one of the mistakes of issue 23's table (`mistake`), or none."""

    def __init__(self, mistake: str = "") -> None:
        self.mistake = mistake
        # When the slow criterion began judging, and when it ended.
        self.started = threading.Event()
        self.ended_at: float | None = None

    @hookimpl
    def cf_register_criteria(self, register: Any) -> None:
        register(
            Criterion(
                name="shaky_crime", description="Crime fell", parameters={}, judge=self.judge
            )
        )

    @hookimpl
    def cf_register_rulesets(self, register: Any) -> None:
        register(
            RuleSet(
                id="shaky",
                version=1,
                name="Shaky",
                headlines=("crime",),
                routes=("results",),
                defaults={},
                evaluate=self.evaluate,
            )
        )

    def judge(
        self,
        evidence: FamilyEvidence,
        attached: dt.date,
        as_of: dt.date,
        parameters: Mapping[str, Any],
    ) -> Any:
        if self.mistake in ("criterion raises", "rule set swallows the criterion's error"):
            raise ValueError(SECRET)
        if self.mistake == "criterion raises for some" and evidence.family_ref in SOME:
            raise KeyError("C1")
        if self.mistake == "criterion returns a dict":
            return {"met": True}
        if self.mistake == "verdict cannot be stored":
            return CriterionResult("shaky_crime", relevant=True, met=True, measured={"x": self})
        if self.mistake == "slow criterion":
            self.started.set()
            time.sleep(3)
            self.ended_at = time.perf_counter()
        return CriterionResult("shaky_crime", relevant=True, met=True)

    def evaluate(
        self,
        evidence: FamilyEvidence,
        as_of: dt.date,
        config: Mapping[str, Any],
        context: RuleContext,
    ) -> Any:
        try:
            result = context.criteria["shaky_crime"].judge(evidence, as_of, as_of, {})
        except Exception:
            if self.mistake != "rule set swallows the criterion's error":
                raise
            result = CriterionResult("shaky_crime", relevant=True, met=False)
        if self.mistake == "rule set returns a dict":
            return {"turned_around": True, "routes": ["results"]}
        routes = (RouteResult("results", result.met, Decimal("800.00")),)
        if self.mistake == "undeclared route":
            routes += (RouteResult("bonus", True, Decimal("100.00")),)
        return Verdict(
            ruleset="shaky@1",
            family_ref=evidence.family_ref,
            as_of=as_of,
            known_at=evidence.known_at,
            evaluated=True,
            eligible=True,
            criteria=(result,),
            routes=routes,
            turned_around=result.met,
        )


def contained(mistake: str, budget_ms: float = 1000.0) -> tuple[ContainedJudge, FamilyEvidence]:
    host = PluginHost()
    host.register(Shaky(mistake), PLUGIN)
    ruleset = host.ruleset("shaky@1")
    assert ruleset is not None
    context = guarded_context(host.context(), {"shaky_crime": PLUGIN})
    judge = ContainedJudge(ruleset, {}, context, plugin=PLUGIN, budget_ms=budget_ms)
    family = FamilyBuilder(attached_on=dt.date(2013, 1, 1), family_ref="FAM-9")
    family.child("C1", born=dt.date(2005, 4, 1))
    return judge, family.build()


@pytest.mark.parametrize(
    ("mistake", "part", "problem", "error"),
    [
        ("criterion raises", "shaky_crime", "raised an error", "ValueError"),
        (
            "rule set swallows the criterion's error",
            "shaky_crime",
            "raised an error",
            "ValueError",
        ),
        ("criterion returns a dict", "shaky_crime", "returned the wrong type", "dict"),
        ("rule set returns a dict", "shaky@1", "returned the wrong type", "dict"),
        ("undeclared route", "shaky@1", "named routes it did not declare", "bonus"),
    ],
)
def test_a_failing_plugin_leaves_the_family_undecided_and_is_named(
    mistake: str, part: str, problem: str, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither met nor not met; the plugin, the part and the error's class named, once in the
    log, and never the error's message (it may quote the evidence)."""
    judge, evidence = contained(mistake)
    with caplog.at_level(logging.ERROR, "connecting_families.evaluation.judging"):
        verdict = judge(evidence, dt.date(2014, 3, 1))
    assert verdict.undecided is not None
    assert (verdict.undecided.plugin, verdict.undecided.part) == (PLUGIN, part)
    assert (verdict.undecided.problem, verdict.undecided.error) == (problem, error)
    assert (verdict.evaluated, verdict.eligible, verdict.turned_around) == (False,) * 3
    assert not verdict.routes
    assert verdict.family_ref == "FAM-9"
    [line] = caplog.records
    assert (line.plugin, line.part, line.error_type) == (PLUGIN, part, error)  # type: ignore[attr-defined]
    assert SECRET not in repr(line.__dict__)
    assert SECRET not in verdict.to_json().decode()


def test_a_sound_plugin_is_not_touched() -> None:
    """The same plugin without its mistake decides the family, and its verdict's JSON has no
    `undecided` (a claim line's hash of it is what it always was)."""
    judge, evidence = contained("")
    verdict = judge(evidence, dt.date(2014, 3, 1))
    assert verdict.decided
    assert verdict.turned_around
    assert b"undecided" not in verdict.to_json()
    assert Verdict.from_json(verdict.to_json()) == verdict


def test_a_family_over_the_budget_is_logged_with_the_slow_plugin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The slow criterion's plugin and name are logged with the time; the family is decided."""
    judge, evidence = contained("slow criterion", budget_ms=500)
    with caplog.at_level(logging.WARNING, "connecting_families.evaluation.judging"):
        verdict = judge(evidence, dt.date(2014, 3, 1))
    assert verdict.decided
    [line] = caplog.records
    assert (line.plugin, line.part) == (PLUGIN, "shaky_crime")  # type: ignore[attr-defined]
    assert line.elapsed_ms >= 3000  # type: ignore[attr-defined]
    assert PLUGIN in line.getMessage()


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    """The page world (FAM-1 of P1, kw_own's), P1 judged by the `shaky` rule set."""
    world = await build_page_world(client, app.state.accounts)
    await Programme.update({Programme.ruleset_id: "shaky"}).where(Programme.code == "P1")
    return world


def shaky(app: Litestar, mistake: str) -> None:
    app.state.plugins.register(Shaky(mistake), PLUGIN)


@pytest.mark.parametrize(
    "mistake", ["criterion raises", "rule set returns a dict", "undeclared route"]
)
async def test_the_api_answers_undecided_never_5xx(
    client: httpx.AsyncClient, app: Litestar, world: World, mistake: str
) -> None:
    """The verdict says undecided (never `turned_around: true`), naming the plugin; the
    evaluation and totals count the families apart; a claim holds them back."""
    shaky(app, mistake)
    pm = world.headers("pm")
    family = world.families["fam1"]
    got = await client.get(f"/api/v1/families/{family}/verdict?as_of={AS_OF}", headers=pm)
    assert got.status_code == 200, got.text
    verdict = got.json()
    assert (verdict["evaluated"], verdict["turned_around"]) == (False, False)
    assert verdict["undecided"]["plugin"] == PLUGIN
    assert SECRET not in got.text

    evaluation = await client.post(
        "/api/v1/programmes/P1/evaluations", json={"as_of": AS_OF}, headers=pm
    )
    assert evaluation.status_code == 200, evaluation.text
    counted = evaluation.json()
    assert counted["undecided"] == counted["families"] > 0
    assert (counted["evaluated"], counted["turned_around"]) == (0, 0)

    totals = await client.get(f"/api/v1/programmes/P1/totals?as_of={AS_OF}", headers=pm)
    assert totals.status_code == 200, totals.text
    figures = totals.json()
    assert figures["undecided"]["families"] == figures["families"]["identified"] > 0
    assert figures["undecided"]["by_plugin"] == {PLUGIN: figures["undecided"]["families"]}
    assert figures["turned_around"]["families"] == 0

    claim = await client.post("/api/v1/programmes/P1/claims", json={"as_of": AS_OF}, headers=pm)
    assert claim.status_code == 422, claim.text
    assert "could not be decided" in claim.json()["detail"]
    assert PLUGIN in claim.json()["detail"]


async def test_a_claim_holds_undecided_families_back_and_says_why(
    client: httpx.AsyncClient, app: Litestar, world: World
) -> None:
    """Families the plugin fails on get no line; the claim says how many and why."""
    shaky(app, "criterion raises for some")
    family_refs = SOME
    claim = await client.post(
        "/api/v1/programmes/P1/claims", json={"as_of": AS_OF}, headers=world.headers("pm")
    )
    assert claim.status_code == 201, claim.text
    prepared = claim.json()
    refs = {line["family_ref"] for line in prepared["lines"]}
    assert "FAM-1" in refs
    assert not refs & family_refs
    assert prepared["held_back"]["families"] == 2
    [why] = prepared["held_back"]["because"]
    assert why == {
        "reason": f"plugin {PLUGIN}: shaky_crime raised an error (KeyError)",
        "families": 2,
    }


async def test_the_claim_page_says_families_were_held_back(
    client: httpx.AsyncClient, app: Litestar, world: World
) -> None:
    """Prepared through the page, the claim's banner says some families were held back."""
    shaky(app, "criterion raises for some")
    await sign_in(client, "pm")
    response = await post_form(client, "/programmes/P1/claims", {"as_of": AS_OF})
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("?saved=claim-prepared-held-back")
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "could not be decided because a plugin failed, and were held back" in page.text


async def test_a_verdict_that_cannot_be_stored_is_undecided_where_it_is_stored(
    client: httpx.AsyncClient, app: Litestar, world: World
) -> None:
    """A verdict holding an object of the plugin's own class: the verdict API says undecided
    (not a 500), and a claim holds the families back rather than failing to store a line."""
    shaky(app, "verdict cannot be stored")
    pm = world.headers("pm")
    family = world.families["fam1"]
    got = await client.get(f"/api/v1/families/{family}/verdict?as_of={AS_OF}", headers=pm)
    assert got.status_code == 200, got.text
    assert got.json()["undecided"] == {
        "plugin": PLUGIN,
        "part": "shaky@1",
        "problem": "returned a verdict that cannot be stored",
        "error": "TypeError",
    }
    claim = await client.post("/api/v1/programmes/P1/claims", json={"as_of": AS_OF}, headers=pm)
    assert claim.status_code == 422, claim.text
    assert "shaky@1 returned a verdict that cannot be stored (TypeError)" in claim.json()["detail"]


@pytest.mark.parametrize(
    ("mistake", "problem", "error"),
    [
        ("criterion raises", "raised an error", "ValueError"),
        ("verdict cannot be stored", "returned a verdict that cannot be stored", "TypeError"),
    ],
)
async def test_a_worker_process_contains_a_failing_plugin_to_its_family(
    world: World,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    mistake: str,
    problem: str,
    error: str,
) -> None:
    """`evaluate --workers`' chunk judging sends the family back undecided (the chunk is not
    lost), and leaves the log line to the process that receives it."""
    host = PluginHost()
    host.register(Shaky(mistake), PLUGIN)
    worker = processes._Worker(host, create_engine(DatabaseUrl.parse(database_url)), 1000.0)
    monkeypatch.setattr(processes, "_worker", worker)
    family = world.families["fam1"]
    try:
        with caplog.at_level(logging.ERROR, "connecting_families.evaluation.judging"):
            encoded = await asyncio.to_thread(
                processes._evaluate_chunk, [family], None, "shaky@1", {}, dt.date(2014, 3, 1)
            )
    finally:
        # A worker's PostgreSQL engine opens no pool; its SQLite one keeps a connection.
        if isinstance(worker.engine, PooledSQLiteEngine):
            await close_database(worker.engine)
    [(family_id, verdict)] = msgspec.msgpack.decode(encoded, type=list[tuple[int, Verdict]])
    assert family_id == family
    assert verdict.undecided is not None
    assert (verdict.undecided.plugin, verdict.undecided.problem) == (PLUGIN, problem)
    assert verdict.undecided.error == error
    assert caplog.records == []


async def test_pages_with_a_failing_plugin_render_could_not_be_decided(
    client: httpx.AsyncClient, app: Litestar, world: World
) -> None:
    """Caseload, summary and result pages answer 200 and say "Could not be decided"."""
    shaky(app, "criterion raises")
    await sign_in(client, "kw_own")
    family = world.families["fam1"]
    for url in ("/caseload", f"/families/{family}", f"/families/{family}/result?as_of={AS_OF}"):
        page = await client.get(url)
        assert page.status_code == 200, (url, page.text)
        assert "Could not be decided" in page.text, url
        assert SECRET not in page.text
    # Not kept: an undecided result is judged again until the plugin is mended.
    assert await KeptVerdict.count().where(KeptVerdict.family == family) == 0
    result = text_of((await client.get(f"/families/{family}/result")).text)
    assert f"the plugin {PLUGIN} failed while judging the family" in result
    assert "shaky_crime raised an error: ValueError" in result


async def test_the_dashboard_counts_undecided_families_apart(
    client: httpx.AsyncClient, app: Litestar, world: World
) -> None:
    """The programme's dashboard renders and warns of the families not decided."""
    shaky(app, "rule set returns a dict")
    await sign_in(client, "pm")
    page = await client.get(f"/programmes/P1?as_of={AS_OF}")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "could not be decided because a plugin failed: council-shaky" in words
    # The programme's other pages that judge or count its families render too.
    for url in (
        "/programmes/P1/forecast",
        "/programmes/P1/totals/ward",
        "/programmes/P1/reports/monthly",
        "/programmes/P1/reports/monthly.json",
        "/programmes/P1/claims",
    ):
        other = await client.get(url)
        assert other.status_code == 200, (url, other.text)


async def test_a_slow_criterion_does_not_hold_up_health(
    client: httpx.AsyncClient, app: Litestar, world: World
) -> None:
    """While a 3-second criterion judges a family, /health/live answers at once: before the
    criterion has ended (judged on the event loop, it could only answer after)."""
    plugin = Shaky("slow criterion")
    app.state.plugins.register(plugin, PLUGIN)
    family = world.families["fam1"]
    verdict = asyncio.create_task(
        client.get(f"/api/v1/families/{family}/verdict?as_of={AS_OF}", headers=world.headers("pm"))
    )
    assert await asyncio.to_thread(plugin.started.wait, 30)
    health = await client.get("/health/live")
    answered = time.perf_counter()
    assert health.status_code == 200
    got = await verdict
    assert plugin.ended_at is not None
    assert answered < plugin.ended_at - 1, "health waited for the judging"
    assert got.status_code == 200
    assert got.json()["undecided"] is None


async def test_evaluate_reports_undecided_families_and_exits_non_zero(
    client: httpx.AsyncClient,
    app: Litestar,
    world: World,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`evaluate` prints its totals with the undecided count, names the plugin on stderr and
    exits 3, without a traceback."""

    def host(disabled: Any = ()) -> PluginHost:
        plugins = PluginHost(disabled)
        plugins.register(Shaky("criterion raises"), PLUGIN)
        return plugins

    monkeypatch.setattr(evaluate_command, "PluginHost", host)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", "cli-test-secret-" + "x" * 32)
    code = await asyncio.to_thread(
        cli.main, ["evaluate", "--programme", "P1", "--as-of", AS_OF, "--operator", "test"]
    )
    out, err = capsys.readouterr()
    assert code == evaluate_command.UNDECIDED_EXIT
    assert "could not be decided" in out
    assert f"by plugin {PLUGIN}: shaky_crime raised an error (ValueError)" in err
    assert "Traceback" not in err
    assert SECRET not in out + err
