"""Claims: the claim rules, successive claims on a cohort, the lifecycle, races, export, verify."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import sys
from decimal import Decimal

import attrs
import httpx
import pytest
from cf_rulesets.tf2012 import claimable
from litestar import Litestar

from connecting_families.accounts.tables import UserRole
from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent
from connecting_families.claims import service as claims_service
from connecting_families.claims.tables import ClaimLine
from connecting_families.database.engine import AnyEngine
from connecting_families.demo import load_demo
from connecting_families.domain.claims import ClaimLineCheck, near_miss, one_claim_per_family
from connecting_families.domain.verdict import CriterionResult, RouteResult, Verdict
from connecting_families.evaluation.service import EvaluationService
from connecting_families.families.tables import Family
from connecting_families.hooks.hookspecs import hookimpl
from connecting_families.hooks.host import PluginHost

from access_world import World, build_world
from import_cases import FAMILIES, PEOPLE

CSV = {"Content-Type": "text/csv"}
# FAM-1 (attached 2013-02-01, tf2012 payments of 2012/13): C1's two offences before attachment,
# A1 on JSA since 2012, a work programme start in March 2013, in work from April 2013.
OFFENCES = "person_ref,offence_ref,offence_date\nC1,OF-1,2012-10-01\nC1,OF-2,2012-11-01\n"
BENEFITS = "person_ref,benefit,start_date\nA1,JSA,2012-01-01\n"
WORK_PROGRAMME = "person_ref,provision,start_date\nA1,work_programme,2013-03-01\n"
EMPLOYMENT = "person_ref,start_date,hours_per_week\nA1,2013-04-01,20\n"
FIRST, SECOND = "2013-06-01", "2014-03-01"
# A correction: C1's second offence was after attachment, so crime did not fall after all.
CORRECTED_OFFENCES = OFFENCES.replace("C1,OF-2,2012-11-01", "C1,OF-2,2013-12-01")


def verdict(*met: tuple[str, str]) -> Verdict:
    return Verdict(
        ruleset="tf2012@1",
        family_ref="F",
        as_of=dt.date(2014, 3, 1),
        known_at=None,
        evaluated=True,
        eligible=True,
        routes=tuple(RouteResult(route, True, Decimal(amount)) for route, amount in met),
    )


CAE, CE, PTW = "crime_asb_education", "continuous_employment", "progress_to_work"


@pytest.mark.parametrize(
    ("met", "earlier", "lines"),
    [
        # Rule 2: both exclusive routes met and neither claimed: crime_asb_education, with
        # progress_to_work.
        ([(CAE, "700"), (CE, "800"), (PTW, "100")], {}, [(CAE, 70000), (PTW, 10000)]),
        # Rule 3: never progress_to_work in the same claim as continuous_employment.
        ([(CE, "800"), (PTW, "100")], {}, [(CE, 80000)]),
        # Rule 3: continuous_employment after progress_to_work is netted.
        ([(CE, "800"), (PTW, "100")], {PTW: 10000}, [(CE, 70000)]),
        # Rule 2: exclusive, whichever came first.
        ([(CE, "800")], {CAE: 70000}, []),
        ([(CAE, "700")], {CE: 80000}, []),
        # Rule 1: once per route; rule 3: not progress_to_work after continuous_employment.
        ([(CAE, "700")], {CAE: 70000}, []),
        ([(PTW, "100")], {CE: 80000}, []),
        ([(PTW, "100")], {}, [(PTW, 10000)]),
        # Not eligible or not payable: amount 0, nothing to claim.
        ([(CAE, "0.00")], {}, []),
    ],
)
def test_tf2012_claim_rules(
    met: list[tuple[str, str]], earlier: dict[str, int], lines: list[tuple[str, int]]
) -> None:
    assert claimable(verdict(*met), earlier) == lines


def test_one_claim_per_family_takes_the_first_route_once() -> None:
    both = verdict(("sustained_progress", "800"), ("continuous_employment", "800"))
    assert one_claim_per_family(both, {}) == [("sustained_progress", 80000)]
    assert one_claim_per_family(both, {"sustained_progress": 80000}) == []


def test_a_near_miss_names_the_one_criterion_failed() -> None:
    missing = CriterionResult("youth_crime", relevant=True, met=False, measured={"after": 1})
    met = CriterionResult("education", relevant=True, met=True)
    near = Verdict(
        ruleset="tf2012@1",
        family_ref="F9",
        as_of=dt.date(2014, 3, 1),
        known_at=None,
        evaluated=True,
        eligible=True,
        criteria=(missing, met),
        routes=(RouteResult(CAE, False),),
    )
    assert near_miss(near) == {
        "family_ref": "F9",
        "criterion": "youth_crime",
        "measured": {"after": 1},
        "thresholds": {},
        "reason": "",
    }
    two = CriterionResult("asb", relevant=True, met=False)
    assert near_miss(attrs.evolve(near, criteria=(missing, two))) is None


async def load(client: httpx.AsyncClient, world: World, kind: str, text: str) -> None:
    response = await client.post(
        f"/api/v1/programmes/P1/imports/{kind}",
        content=text.encode(),
        headers={**world.headers("pm"), **CSV},
    )
    assert response.status_code == 200, response.text


async def load_households(client: httpx.AsyncClient, world: World) -> None:
    """FAM-1 and FAM-2 of P1, their people and FAM-1's evidence, imported as the manager."""
    for kind, text in (
        ("families", FAMILIES),
        ("people", PEOPLE),
        ("offences", OFFENCES),
        ("benefits", BENEFITS),
        ("work_programme", WORK_PROGRAMME),
        ("employment", EMPLOYMENT),
    ):
        await load(client, world, kind, text)


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await load_households(client, world)
    row = await Family.select(Family.id).where(Family.family_ref == "FAM-1").first()
    assert row is not None
    world.families["fam1"] = row["id"]
    return world


async def prepare(client: httpx.AsyncClient, world: World, as_of: str) -> httpx.Response:
    return await client.post(
        "/api/v1/programmes/P1/claims", json={"as_of": as_of}, headers=world.headers("pm")
    )


def lines_of(claim: dict[str, object]) -> list[tuple[str, str, str]]:
    return [
        (line["family_ref"], line["route"], line["amount_gbp"])  # type: ignore[index]
        for line in claim["lines"]  # type: ignore[attr-defined]
        if line["is_live"]
    ]


async def sample_sign_submit(client: httpx.AsyncClient, world: World, claim_id: int) -> dict:
    url = f"/api/v1/claims/{claim_id}"
    sampled = await client.post(
        f"{url}/sample", json={"percent": 100, "seed": 7}, headers=world.headers("auditor")
    )
    assert sampled.status_code == 200, sampled.text
    for line in sampled.json()["lines"]:
        if line["sampled"]:
            signed = await client.post(
                f"{url}/lines/{line['id']}/sign-off", headers=world.headers("auditor")
            )
            assert signed.status_code == 200, signed.text
    submitted = await client.post(f"{url}/submit", headers=world.headers("pm"))
    assert submitted.status_code == 200, submitted.text
    return submitted.json()


async def test_successive_claims_hold_exactly_what_the_rules_allow(
    client: httpx.AsyncClient, world: World
) -> None:
    """Progress to work first; later crime/ASB/education (exclusive with the employment route
    also met), never progress to work twice; a rejected line is claimable again."""
    first = await prepare(client, world, FIRST)
    assert first.status_code == 201, first.text
    assert lines_of(first.json()) == [("FAM-1", PTW, "100.00")]
    assert first.json()["attachment_fees_gbp"] == "3200.00"
    await sample_sign_submit(client, world, first.json()["id"])

    second = await prepare(client, world, SECOND)
    assert second.status_code == 201, second.text
    assert lines_of(second.json()) == [("FAM-1", CAE, "700.00")]
    submitted = await sample_sign_submit(client, world, second.json()["id"])
    [line] = submitted["lines"]
    rejected = await client.post(
        f"/api/v1/claims/{submitted['id']}/decision",
        json={"rejections": [{"line_id": line["id"], "reason": "evidence not accepted"}]},
        headers=world.headers("pm"),
    )
    assert rejected.json()["status"] == "partly_rejected"

    # Nothing is claimable twice; the rejected result (and only it) is claimable again.
    again = await prepare(client, world, SECOND)
    assert lines_of(again.json()) == [("FAM-1", CAE, "700.00")]
    nothing = await prepare(client, world, SECOND)
    assert nothing.status_code == 422
    assert "No family has a newly claimable result" in nothing.json()["detail"]


async def test_the_lifecycle_is_enforced_and_audited(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    claim = (await prepare(client, world, FIRST)).json()
    url = f"/api/v1/claims/{claim['id']}"
    # A key worker cannot see claims; an auditor cannot prepare or submit.
    assert (await client.get(url, headers=world.headers("kw_own"))).status_code == 403
    by_auditor = await client.post(
        "/api/v1/programmes/P1/claims", json={"as_of": FIRST}, headers=world.headers("auditor")
    )
    assert by_auditor.status_code == 403
    assert (
        await client.post(f"{url}/submit", headers=world.headers("auditor"))
    ).status_code == 403
    # Not submittable before an audit sample; maker and checker are different people.
    assert (await client.post(f"{url}/submit", headers=world.headers("pm"))).status_code == 409
    await UserRole.insert(UserRole(user=world.users["pm"], role="auditor"))
    sampled = await client.post(
        f"{url}/sample", json={"count": 1, "seed": 42}, headers=world.headers("auditor")
    )
    assert sampled.json()["sample"]["seed"] == 42
    line_id = sampled.json()["lines"][0]["id"]
    own = await client.post(f"{url}/lines/{line_id}/sign-off", headers=world.headers("pm"))
    assert own.status_code == 403
    assert (await client.post(f"{url}/submit", headers=world.headers("pm"))).status_code == 409
    assert (
        await client.post(f"{url}/lines/{line_id}/sign-off", headers=world.headers("auditor"))
    ).status_code == 200
    assert (await client.post(f"{url}/submit", headers=world.headers("pm"))).status_code == 200
    # Submitted: no withdrawal, no exclusion, no second sample.
    withdraw = await client.post(
        f"{url}/withdraw", json={"reason": "late"}, headers=world.headers("pm")
    )
    assert withdraw.status_code == 409
    exclude = await client.post(
        f"{url}/lines/{line_id}/exclude", json={"reason": "x"}, headers=world.headers("pm")
    )
    assert exclude.status_code == 409
    actions = {
        row["action"]
        for row in await AuditEvent.select(AuditEvent.action).where(
            AuditEvent.resource_type == "claim"
        )
    }
    assert {"claim.prepare", "claim.sample", "claim.line.sign_off", "claim.submit"} <= actions


async def test_a_withdrawn_or_excluded_line_is_claimable_again(
    client: httpx.AsyncClient, world: World
) -> None:
    draft = (await prepare(client, world, FIRST)).json()
    [line] = draft["lines"]
    excluded = await client.post(
        f"/api/v1/claims/{draft['id']}/lines/{line['id']}/exclude",
        json={"reason": "family disputes the start date"},
        headers=world.headers("pm"),
    )
    assert excluded.json()["live_lines"] == 0
    second = (await prepare(client, world, FIRST)).json()
    assert lines_of(second) == [("FAM-1", PTW, "100.00")]
    withdrawn = await client.post(
        f"/api/v1/claims/{second['id']}/withdraw",
        json={"reason": "prepared too early"},
        headers=world.headers("pm"),
    )
    assert withdrawn.json()["status"] == "withdrawn"
    assert lines_of((await prepare(client, world, FIRST)).json()) == [("FAM-1", PTW, "100.00")]


async def test_racing_preparations_never_make_a_result_live_twice(
    client: httpx.AsyncClient, world: World
) -> None:
    """Four preparations at once: one claim holds the line, the others find nothing new."""
    responses = await asyncio.gather(*(prepare(client, world, SECOND) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [201, 422, 422, 422]
    live = await ClaimLine.select(ClaimLine.family, ClaimLine.route).where(
        ClaimLine.is_live.eq(True)
    )
    pairs = [(row["family"], row["route"]) for row in live]
    assert len(pairs) == len(set(pairs)) == 2  # FAM-1: crime/ASB/education, progress to work


async def test_export_is_the_claim_return_format(client: httpx.AsyncClient, world: World) -> None:
    claim = (await prepare(client, world, SECOND)).json()
    response = await client.get(
        f"/api/v1/claims/{claim['id']}/export.csv", headers=world.headers("pm")
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "claim_ref",
        "programme",
        "ruleset",
        "family_ref",
        "route",
        "as_of",
        "attached_on",
        "amount_gbp",
        "evidence_sha256",
    ]
    assert [(r["family_ref"], r["route"], r["amount_gbp"]) for r in rows] == [
        ("FAM-1", CAE, "700.00"),
        ("FAM-1", PTW, "100.00"),
    ]
    assert {r["ruleset"] for r in rows} == {"tf2012@1"}
    assert rows[0]["as_of"] == SECOND
    assert rows[0]["attached_on"] == "2013-02-01"
    assert len(rows[0]["evidence_sha256"]) == 64


async def test_verify_finds_no_difference_after_the_evidence_is_corrected(
    client: httpx.AsyncClient, world: World
) -> None:
    """The evidence changes after submission; the claim still re-decides exactly as it was."""
    claim = (await prepare(client, world, SECOND)).json()
    await sample_sign_submit(client, world, claim["id"])
    await load(client, world, "offences", CORRECTED_OFFENCES)
    url = f"/api/v1/claims/{claim['id']}/verify"
    verified = await client.post(url, headers=world.headers("auditor"))
    assert verified.status_code == 200, verified.text
    assert verified.json()["differences"] == []
    # Today's evidence no longer supports the line: the verdict route shows it.
    today = await client.get(
        f"/api/v1/families/{world.families['fam1']}/verdict",
        params={"as_of": SECOND},
        headers=world.headers("pm"),
    )
    cae = next(r for r in today.json()["routes"] if r["route"] == CAE)
    assert cae["met"] is False


async def test_continuous_employment_after_progress_to_work_is_netted(
    client: httpx.AsyncClient, world: World
) -> None:
    """Progress to work claimed first; with crime not reduced, continuous employment (13 weeks
    in work from a JSA claim) is claimed later at its amount less the £100 already paid."""
    first = (await prepare(client, world, FIRST)).json()
    assert lines_of(first) == [("FAM-1", PTW, "100.00")]
    await sample_sign_submit(client, world, first["id"])
    await load(client, world, "offences", CORRECTED_OFFENCES)
    second = (await prepare(client, world, SECOND)).json()
    assert lines_of(second) == [("FAM-1", CE, "700.00")]
    assert second["amount_gbp"] == "700.00"


async def decide(
    client: httpx.AsyncClient, world: World, claim_id: int, rejections: list[dict[str, object]]
) -> dict:
    decided = await client.post(
        f"/api/v1/claims/{claim_id}/decision",
        json={"rejections": rejections},
        headers=world.headers("pm"),
    )
    assert decided.status_code == 200, decided.text
    return decided.json()


async def test_a_result_disproved_after_submission_is_reversed_in_a_later_claim(
    client: httpx.AsyncClient, world: World
) -> None:
    paid = (await prepare(client, world, SECOND)).json()
    assert lines_of(paid) == [("FAM-1", CAE, "700.00"), ("FAM-1", PTW, "100.00")]
    await sample_sign_submit(client, world, paid["id"])
    await decide(client, world, paid["id"], [])
    cae_line = next(line["id"] for line in paid["lines"] if line["route"] == CAE)

    # The correction disproves crime/ASB/education: the next claim gives its £700 back, and
    # holds nothing new for the family until the reversal is decided.
    await load(client, world, "offences", CORRECTED_OFFENCES)
    correcting = (await prepare(client, world, SECOND)).json()
    assert lines_of(correcting) == [("FAM-1", CAE, "-700.00")]
    [reversal] = correcting["lines"]
    assert reversal["reverses"] == {
        "line_id": cae_line,
        "claim_ref": paid["claim_ref"],
        "as_of": SECOND,
    }
    assert correcting["amount_gbp"] == "-700.00"
    assert (await prepare(client, world, SECOND)).status_code == 422  # reversed once only
    export = await client.get(
        f"/api/v1/claims/{correcting['id']}/export.csv", headers=world.headers("pm")
    )
    [row] = csv.DictReader(io.StringIO(export.text))
    assert (row["route"], row["as_of"], row["amount_gbp"]) == (CAE, SECOND, "-700.00")

    await sample_sign_submit(client, world, correcting["id"])
    await decide(client, world, correcting["id"], [])
    # The paid claim still shows what it was paid; the route is claimable again, and what
    # the family has achieved since (continuous employment) is netted of progress to work.
    shown = await client.get(f"/api/v1/claims/{paid['id']}", headers=world.headers("pm"))
    assert shown.json()["amount_gbp"] == "800.00"
    later = (await prepare(client, world, SECOND)).json()
    assert lines_of(later) == [("FAM-1", CE, "700.00")]
    for claim in (paid, correcting, later):
        verified = await client.post(
            f"/api/v1/claims/{claim['id']}/verify", headers=world.headers("auditor")
        )
        assert verified.json()["differences"] == [], claim["claim_ref"]


async def test_a_rejected_reversal_leaves_the_result_claimed(
    client: httpx.AsyncClient, world: World
) -> None:
    paid = (await prepare(client, world, SECOND)).json()
    await sample_sign_submit(client, world, paid["id"])
    await load(client, world, "offences", CORRECTED_OFFENCES)
    # Not before the department has decided on the line: it might reject it itself.
    assert (await prepare(client, world, SECOND)).status_code == 422
    await decide(client, world, paid["id"], [])
    correcting = (await prepare(client, world, SECOND)).json()
    await sample_sign_submit(client, world, correcting["id"])
    [reversal] = correcting["lines"]
    await decide(client, world, correcting["id"], [{"line_id": reversal["id"], "reason": "no"}])
    live = await ClaimLine.select(ClaimLine.route, ClaimLine.amount_pence).where(
        ClaimLine.is_live.eq(True)
    )
    assert sorted((row["route"], row["amount_pence"]) for row in live) == [
        (CAE, 70000),
        (PTW, 10000),
    ]
    # Still disproved: the next claim proposes the reversal again.
    again = (await prepare(client, world, SECOND)).json()
    assert lines_of(again) == [("FAM-1", CAE, "-700.00")]


async def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    return await command(database_url, "claims", *args)


async def command(database_url: str, *args: str) -> tuple[int, str, str]:
    """`connecting-families ARGS --operator tester` on the database: exit code, out, err."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "connecting_families",
        *args,
        "--operator",
        "tester",
        env={**os.environ, "CF_DATABASE_URL": database_url, "CF_SECRET_KEY": "k" * 40},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_claims_command_line(
    client: httpx.AsyncClient, world: World, database_url: str
) -> None:
    """prepare prints the id last; sample, sign-off (named auditor), submit, export, verify."""
    code, out, err = await cli(database_url, "prepare", "--programme", "P1", "--as-of", SECOND)
    assert code == 0, err
    claim_id = out.splitlines()[-1]
    assert claim_id.isdigit()
    code, out, err = await cli(database_url, "sample", claim_id, "--count", "1", "--seed", "3")
    assert code == 0, err
    line = out.split("[")[1].rstrip("]\n")
    code, _, err = await cli(database_url, "sign-off", claim_id, "--line", line, "--auditor", "pm")
    assert code == 1
    assert "not an active user with the auditor role" in err
    signed = await cli(database_url, "sign-off", claim_id, "--line", line, "--auditor", "auditor")
    assert signed[0] == 0, signed[2]
    assert (await cli(database_url, "submit", claim_id))[0] == 0
    code, out, err = await cli(database_url, "export", claim_id)
    assert code == 0, err
    assert out.splitlines()[0].startswith("claim_ref,programme,ruleset,family_ref,route")
    assert len(out.splitlines()) == 3
    code, out, err = await cli(database_url, "verify", claim_id)
    assert (code, out.splitlines()[-1]) == (0, "0 line(s) differ")
    listed = await client.get("/api/v1/programmes/P1/claims", headers=world.headers("auditor"))
    assert [c["status"] for c in listed.json()["claims"]] == ["submitted"]


class DwpLetters:
    """A council's plugin: progress to work needs a DWP letter; it watches verdicts change."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, tuple[str, ...] | None, tuple[str, ...]]] = []

    @hookimpl
    def cf_check_claim_line(self, line: ClaimLineCheck, verdict: Verdict) -> list[str] | None:
        return ["progress_to_work needs a DWP letter"] if line.route == PTW else None

    @hookimpl
    def cf_verdict_changed(self, family_ref: str, before: Verdict | None, after: Verdict) -> None:
        self.changes.append((family_ref, before.routes_met if before else None, after.routes_met))


async def test_cf_check_claim_line_holds_lines_back_and_cf_verdict_changed_hears(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    plugin = DwpLetters()
    app.state.plugins.register(plugin, "dwp-letters")
    first = (await prepare(client, world, FIRST)).json()
    [held] = first["lines"]
    assert (held["route"], held["is_live"]) == (PTW, False)
    assert held["excluded_reason"] == "progress_to_work needs a DWP letter"
    second = (await prepare(client, world, SECOND)).json()
    assert lines_of(second) == [("FAM-1", CAE, "700.00")]
    assert plugin.changes == [
        ("FAM-1", None, (PTW,)),
        ("FAM-1", (PTW,), (CAE, CE, PTW)),
    ]


async def test_a_claim_is_prepared_in_an_open_claim_window(
    client: httpx.AsyncClient, world: World
) -> None:
    windows = "/api/v1/programmes/P1/claim-windows"
    bad = await client.post(
        windows,
        json={"name": "Q1", "opens_on": "2026-05-01", "closes_on": "2026-04-01", "as_of": FIRST},
        headers=world.headers("pm"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "closes_on"
    today = dt.date.today()
    open_now = await client.post(
        windows,
        json={
            "name": "June results",
            "opens_on": (today - dt.timedelta(days=3)).isoformat(),
            "closes_on": (today + dt.timedelta(days=3)).isoformat(),
            "as_of": FIRST,
        },
        headers=world.headers("pm"),
    )
    closed = await client.post(
        windows,
        json={"name": "Old", "opens_on": "2014-01-01", "closes_on": "2014-02-01", "as_of": FIRST},
        headers=world.headers("pm"),
    )
    listed = await client.get(windows, headers=world.headers("auditor"))
    assert [w["name"] for w in listed.json()["windows"]] == ["Old", "June results"]
    refused = await client.post(
        "/api/v1/programmes/P1/claims",
        json={"window_id": closed.json()["id"]},
        headers=world.headers("pm"),
    )
    assert refused.status_code == 409
    claim = await client.post(
        "/api/v1/programmes/P1/claims",
        json={"window_id": open_now.json()["id"]},
        headers=world.headers("pm"),
    )
    assert claim.status_code == 201, claim.text
    assert (claim.json()["as_of"], lines_of(claim.json())) == (FIRST, [("FAM-1", PTW, "100.00")])


async def test_a_programme_manager_closes_a_claim_window_early(
    client: httpx.AsyncClient, world: World
) -> None:
    """Closed through the API, a window takes no more claims, is not closed twice, and is
    audited; another programme's window is not found from this one."""
    today = dt.date.today()
    windows = "/api/v1/programmes/P1/claim-windows"
    opened = await client.post(
        windows,
        json={
            "name": "Called in early",
            "opens_on": (today - dt.timedelta(days=3)).isoformat(),
            "closes_on": (today + dt.timedelta(days=30)).isoformat(),
            "as_of": FIRST,
        },
        headers=world.headers("pm"),
    )
    window_id = opened.json()["id"]
    elsewhere = await client.post(
        f"/api/v1/programmes/P2/claim-windows/{window_id}/close", headers=world.headers("pm")
    )
    assert elsewhere.status_code == 404
    closed = await client.post(f"{windows}/{window_id}/close", headers=world.headers("pm"))
    assert closed.status_code == 200, closed.text
    assert (closed.json()["name"], closed.json()["claims"]) == ("Called in early", 0)
    assert closed.json()["closed_at"] is not None
    again = await client.post(f"{windows}/{window_id}/close", headers=world.headers("pm"))
    assert again.status_code == 409
    assert "already closed" in again.json()["detail"]
    refused = await client.post(
        "/api/v1/programmes/P1/claims", json={"window_id": window_id}, headers=world.headers("pm")
    )
    assert refused.status_code == 409
    assert await AuditEvent.count().where(AuditEvent.action == "claim_window.close") == 1


async def test_a_claim_larger_than_one_statement_is_written_whole(
    engine: AnyEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole cohort's lines go in batches (SQLite takes at most 32,766 values a statement,
    which 100,000 demo families' lines passed): every line lands, in one claim."""
    await load_demo(engine, families=300, programmes=("DEMO-TF12",))
    monkeypatch.setattr(claims_service, "LINES_A_STATEMENT", 7)
    service = claims_service.ClaimService(engine, EvaluationService(engine, PluginHost()))
    claim = await service.prepare(None, Actor.operator("test"), "DEMO-TF12", dt.date(2015, 3, 31))
    assert len(claim["lines"]) > 3 * 7
    assert await ClaimLine.count().where(ClaimLine.claim == claim["id"]) == len(claim["lines"])
