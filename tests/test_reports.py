"""Programme totals, indicators, the forecast and the monthly report, checked by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar

from connecting_families.accounts.tables import UserProgramme
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.claims.tables import ClaimLine
from connecting_families.families.tables import Family, FamilyStatusChange
from connecting_families.programmes.tables import ChildPopulation, Programme
from connecting_families.reports.indicators import Period, rate_per_10000
from connecting_families.reports.tables import VerdictRun
from connecting_families.reports.verdicts import _drop

from access_world import World, build_world
from import_cases import FAMILIES, PEOPLE
from test_claims import (
    BENEFITS,
    CORRECTED_OFFENCES,
    EMPLOYMENT,
    OFFENCES,
    SECOND,
    WORK_PROGRAMME,
    command,
    load,
    load_households,
    prepare,
    sample_sign_submit,
)

CAE, CE, PTW = "crime_asb_education", "continuous_employment", "progress_to_work"
_programmes = itertools.count(1)


def test_the_seed_worked_example_of_the_assessment_rate() -> None:
    """829 assessments in 12 months for 45,000 children: 184.2 per 10,000, 24.6% above a
    target of 147.8."""
    assert rate_per_10000(829, 45_000, Decimal("147.8")) == {
        "rate": 184.2,
        "target": 147.8,
        "above_target_percent": 24.6,
    }
    below = rate_per_10000(600, 45_000, Decimal("147.8"))
    assert below["rate"] == 133.3
    assert below["above_target_percent"] == -9.8
    assert rate_per_10000(10, None, None)["rate"] is None


def test_a_month_and_a_year_earlier() -> None:
    august = Period.month(2014, 8)
    assert (august.start, august.end) == (dt.date(2014, 8, 1), dt.date(2014, 8, 31))
    assert Period.month(2014, 12).end == dt.date(2014, 12, 31)
    assert Period.month(2016, 2).year_before().end == dt.date(2015, 2, 28)


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    """P1: the access world's four families (identified 2013-01-01, no ward, not attached)
    and FAM-1 (Central, attached 2013-02-01, kw_own, turned around at SECOND by every
    route) and FAM-2 (North, identified 2013-03-01)."""
    world = await build_world(app.state.accounts)
    await load_households(client, world)
    await Programme.update({Programme.target_families: 4}).where(Programme.code == "P1")
    return world


async def totals(client: httpx.AsyncClient, world: World, as_of: str = SECOND) -> dict:
    response = await client.get(
        "/api/v1/programmes/P1/totals", params={"as_of": as_of}, headers=world.headers("pm")
    )
    assert response.status_code == 200, response.text
    result: dict = response.json()
    return result


def keyed(rows: list[dict], *measures: str) -> dict[str, tuple]:
    return {row["key"]: tuple(row[m] for m in measures) for row in rows}


async def test_totals_count_every_figure_from_the_records_and_claims(
    client: httpx.AsyncClient, world: World
) -> None:
    claim = (await prepare(client, world, SECOND)).json()
    await sample_sign_submit(client, world, claim["id"])
    [cae_line] = [line for line in claim["lines"] if line["route"] == CAE]
    await client.post(
        f"/api/v1/claims/{claim['id']}/decision",
        json={"rejections": [{"line_id": cae_line["id"], "reason": "not evidenced"}]},
        headers=world.headers("pm"),
    )
    result = await totals(client, world)
    assert result["families"] == {
        "identified": 6,
        "eligible": 1,
        "attached": 1,
        "active": 1,
        "closed": 0,
    }
    assert result["turned_around"] == {
        "families": 1,
        # Worth as the claim rules pay it: continuous employment is met too, but is not
        # paid as well as crime, ASB and education (tf2012's claim rule 2).
        "by_route": {
            CAE: {"families": 1, "amount_gbp": "700.00"},
            CE: {"families": 1, "amount_gbp": "0.00"},
            PTW: {"families": 1, "amount_gbp": "100.00"},
        },
    }
    assert result["claimed"] == {
        CAE: {
            "lines": 0,
            "reversals": 0,
            "claimed_gbp": "0.00",
            "accepted_gbp": "0.00",
            "rejected_gbp": "700.00",
        },
        PTW: {
            "lines": 1,
            "reversals": 0,
            "claimed_gbp": "100.00",
            "accepted_gbp": "100.00",
            "rejected_gbp": "0.00",
        },
    }
    assert result["income"] == {
        "attachment_fees_gbp": "3200.00",
        "results_met_gbp": "800.00",
        "results_claimed_gbp": "100.00",
        "results_accepted_gbp": "100.00",
        "results_rejected_gbp": "700.00",
    }
    assert result["target"] == {
        "families": 4,
        "attached": 1,
        "attached_percent": 25.0,
        "turned_around": 1,
        "turned_around_percent": 25.0,
    }
    measures = ("identified", "attached", "turned_around", "claimed_gbp")
    assert keyed(result["by_ward"], *measures) == {
        "": (4, 0, 0, "0.00"),
        "Central": (1, 1, 1, "100.00"),
        "North": (1, 0, 0, "0.00"),
    }
    assert keyed(result["by_key_worker"], *measures) == {
        "": (2, 0, 0, "0.00"),  # unallocated, FAM-2
        "kw_own": (3, 1, 1, "100.00"),  # own, shared, FAM-1
        "kw_other": (1, 0, 0, "0.00"),
    }
    assert keyed(result["by_team"], "identified", "turned_around") == {
        "": (5, 0),  # the access world allocates without a team
        "team_a": (1, 1),  # FAM-1, allocated to kw_own by the import
    }
    headlines = keyed(result["by_headline"], "identified", "turned_around")
    assert headlines
    assert set(headlines.values()) == {(1, 1)}
    assert [
        (m["month"], m["identified"], m["attached"], m["claimed_gbp"]) for m in result["by_month"]
    ] == [
        ("2013-01", 5, 0, "0.00"),
        ("2013-02", 0, 1, "0.00"),
        ("2013-03", 1, 0, "0.00"),
        ("2014-03", 0, 0, "100.00"),
    ]
    # Before FAM-2 was identified and before anything was attached.
    early = await totals(client, world, "2013-01-31")
    assert early["families"]["identified"] == 5
    assert early["families"]["attached"] == 0
    assert early["income"]["results_claimed_gbp"] == "0.00"


async def test_verdicts_are_kept_until_the_evidence_changes(
    client: httpx.AsyncClient, world: World
) -> None:
    first = await totals(client, world)
    again = await totals(client, world)
    assert again == first
    assert await VerdictRun.count() == 1
    # A corrected offence: the programme's evidence moves on and totals judge again.
    await load(client, world, "offences", CORRECTED_OFFENCES)
    corrected = await totals(client, world)
    assert corrected["evidence_version"] > first["evidence_version"]
    assert CAE not in corrected["turned_around"]["by_route"]
    assert corrected["turned_around"]["families"] == 1  # continuous employment still
    assert await VerdictRun.count() == 1  # the stale run was dropped


async def test_totals_as_csv_and_who_may_see_them(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get(
        "/api/v1/programmes/P1/totals",
        params={"as_of": SECOND, "format": "csv"},
        headers=world.headers("tm"),
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    figures = {(r["breakdown"], r["key"], r["measure"]): r["value"] for r in rows}
    assert figures[("", "", "families identified")] == "6"
    assert figures[("by_ward", "Central", "turned_around")] == "1"
    for user in ("kw_own", "kw_other"):
        refused = await client.get("/api/v1/programmes/P1/totals", headers=world.headers(user))
        assert refused.status_code == 403


async def _assessment(
    family: int, ref: str, started: str, completed: str | None, **extra: str
) -> None:
    programme = await Family.select(Family.programme).where(Family.id == family).first()
    assert programme is not None
    await Assessment.insert(
        Assessment(
            programme=programme["programme"],
            family=family,
            assessment_ref=ref,
            started_on=dt.date.fromisoformat(started),
            completed_on=dt.date.fromisoformat(completed) if completed else None,
            recorded_at=dt.datetime.now(dt.UTC),
            **extra,
        )
    )


async def test_indicators_of_a_month(client: httpx.AsyncClient, world: World) -> None:
    """August 2014: three assessments started (one more in the year before), one completed
    in time and two late; two referrals, one a re-referral; 40,000 children."""
    families = {
        row["family_ref"]: row["id"]
        for row in await Family.select(Family.id, Family.family_ref).where(
            Family.programme == world.programmes["P1"]
        )
    }
    fam1, fam2 = families["FAM-1"], families["FAM-2"]
    await _assessment(fam1, "A-1", "2014-08-04", "2014-08-15")  # 9 working days
    await _assessment(fam2, "A-2", "2014-05-01", "2014-08-20", late_reason="client availability")
    await _assessment(fam2, "A-3", "2014-05-02", "2014-08-21")  # late, no reason
    await _assessment(fam1, "A-4", "2014-08-11", None)
    await _assessment(fam2, "A-5", "2014-08-29", None)
    await _assessment(fam1, "A-6", "2013-08-30", None)  # more than 12 months before
    for ref, outcome_on in (("N-1", None), ("N-2", "2014-09-01"), ("N-3", "2014-06-01")):
        await Need.insert(
            Need(
                programme=world.programmes["P1"],
                family=fam1,
                need_ref=ref,
                headline="education",
                identified_on=dt.date(2014, 1, 1),
                outcome="achieved" if outcome_on else None,
                outcome_on=dt.date.fromisoformat(outcome_on) if outcome_on else None,
                recorded_at=dt.datetime.now(dt.UTC),
            )
        )
    await ChildPopulation.insert(
        ChildPopulation(programme=world.programmes["P1"], year=2014, children=40_000)
    )
    await Programme.update({Programme.assessment_rate_target: Decimal("1.0")}).where(
        Programme.code == "P1"
    )
    for family, status, on, again in (
        (fam2, "identified", "2014-08-01", False),
        (fam1, "reopened", "2014-08-20", True),
        (fam1, "reopened", "2014-07-20", True),  # another month
    ):
        await FamilyStatusChange.insert(
            FamilyStatusChange(
                family=family,
                status=status,
                changed_on=dt.date.fromisoformat(on),
                is_re_referral=again,
                changed_at=dt.datetime.now(dt.UTC),
            )
        )
    response = await client.get(
        "/api/v1/programmes/P1/indicators",
        params={"month": "2014-08"},
        headers=world.headers("pm"),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["assessments_started"] == 3
    # 5 started 2013-09-01 .. 2014-08-31 for 40,000 children: 1.25 per 10,000, 25% above 1.0.
    assert result["assessment_rate"] == {
        "assessments_12_months": 5,
        "children": 40_000,
        "rate": 1.3,
        "target": 1.0,
        "above_target_percent": 25.0,
    }
    assert result["assessments_completed"] == {
        "completed": 3,
        "within_timescale": 1,
        "within_timescale_percent": 33.3,
        "late_reasons": {"client availability": 1, "not recorded": 1},
    }
    assert result["re_referrals"] == {"referrals": 2, "re_referrals": 1, "rate_percent": 50.0}
    # At 2014-08-31 only FAM-1 is active: one key worker (kw_own) with one family, which
    # weighs its two needs still open then.
    assert result["caseload"] == {
        "key_workers": 1,
        "families": 1,
        "mean": 1.0,
        "max": 1,
        "weighted_mean": 2.0,
    }
    for month in ("2014-13", "0000-01", "9999-12", "2014-8"):
        bad = await client.get(
            "/api/v1/programmes/P1/indicators",
            params={"month": month},
            headers=world.headers("pm"),
        )
        assert bad.status_code == 422, month
        assert "YYYY-MM" in bad.json()["detail"]


async def test_the_monthly_report_in_three_formats(
    client: httpx.AsyncClient, world: World
) -> None:
    url = "/api/v1/programmes/P1/reports/monthly"
    report = await client.get(url, params={"month": "2014-03"}, headers=world.headers("pm"))
    assert report.status_code == 200, report.text
    body = report.json()
    assert {"month", "this_month", "year_to_date", "a_year_earlier", "totals"} <= set(body)
    assert body["year_to_date"]["period"] == {"start": "2013-04-01", "end": "2014-03-31"}
    assert body["a_year_earlier"]["period"] == {"start": "2013-03-01", "end": "2013-03-31"}
    assert body["totals"]["turned_around"]["families"] == 1
    assert [m["month"] for m in body["assessments_by_month"]][::11] == ["2013-04", "2014-03"]
    page = await client.get(
        url, params={"month": "2014-03", "format": "html"}, headers=world.headers("pm")
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text
    assert "March 2014" in page.text
    table = await client.get(
        url, params={"month": "2014-03", "format": "csv"}, headers=world.headers("pm")
    )
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert {"programme", "month", "section", "measure", "value"} == set(rows[0])
    assert any(r["measure"] == "families attached" and r["value"] == "1" for r in rows)


async def test_the_forecast_names_families_that_only_need_time(
    client: httpx.AsyncClient, world: World
) -> None:
    """At 2013-05-01 FAM-1's progress to work is claimable; by the window's date (2013-08-01)
    its crime has been reduced for long enough too."""
    window = await client.post(
        "/api/v1/programmes/P1/claim-windows",
        json={
            "name": "August 2013",
            "opens_on": "2013-08-01",
            "closes_on": "2013-08-31",
            "as_of": "2013-08-01",
        },
        headers=world.headers("pm"),
    )
    assert window.status_code == 201, window.text
    response = await client.get(
        "/api/v1/programmes/P1/forecast",
        params={"as_of": "2013-05-01"},
        headers=world.headers("pm"),
    )
    assert response.status_code == 200, response.text
    forecast = response.json()
    assert forecast["window"]["as_of"] == "2013-08-01"
    # Progress to work is claimable already; crime/ASB/education needs time to be met.
    assert forecast["families"] == [
        {
            "family_ref": "FAM-1",
            "lines": [
                {"route": CAE, "amount_gbp": "700.00"},
                {"route": PTW, "amount_gbp": "100.00"},
            ],
            "amount_gbp": "800.00",
            "why": "needs time",
        }
    ]
    assert (forecast["expected_income_gbp"], forecast["needs_time"]) == ("800.00", 1)
    none_later = await client.get(
        "/api/v1/programmes/P1/forecast",
        params={"as_of": "2013-08-01"},
        headers=world.headers("pm"),
    )
    assert none_later.status_code == 422
    assert "no claim window after" in none_later.json()["detail"]


async def test_the_totals_and_report_commands(
    client: httpx.AsyncClient, world: World, database_url: str, tmp_path: Path
) -> None:
    code, out, err = await command(
        database_url, "totals", "--programme", "P1", "--as-of", SECOND, "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out) == await totals(client, world)
    code, out, err = await command(database_url, "totals", "--programme", "P1", "--as-of", SECOND)
    assert code == 0, err
    assert "families identified" in out
    assert "turned around" in out
    page = tmp_path / "march.html"
    code, out, err = await command(
        database_url,
        "report",
        "monthly",
        "--programme",
        "P1",
        "--month",
        "2014-03",
        "--out",
        str(page),
    )
    assert code == 0, err
    assert "<svg" in page.read_text(encoding="utf-8")
    code, _, err = await command(
        database_url, "report", "monthly", "--programme", "P1", "--month", "March", "--out", "x"
    )
    assert code != 0
    assert "YYYY-MM" in err


# A property: whatever the cohort and whatever the spot check rejects, the totals are the sum
# of the claim lines and of the verdicts behind them, and every breakdown adds up to the whole.

family_cases = st.lists(
    st.fixed_dictionaries(
        {
            "ward": st.sampled_from(["East", "West", ""]),
            "attached": st.booleans(),
            "offences_before": st.integers(0, 3),
            "offences_after": st.integers(0, 2),
            "jsa": st.booleans(),
            "work_programme": st.booleans(),
            "employed": st.booleans(),
            "rejected": st.booleans(),
        }
    ),
    min_size=1,
    max_size=5,
)


def cohort_files(families: list[dict[str, object]], code: str) -> dict[str, str]:
    rows = {kind: [] for kind in ("families", "people", "offences", "benefits")}
    rows |= {"work_programme": [], "employment": []}
    for n, family in enumerate(families):
        attached = "2013-02-01" if family["attached"] else ""
        rows["families"].append(f"F{n},{code},,{family['ward']},,2013-01-10,{attached},,,yes,no")
        rows["people"].append(f"C{n},F{n},Child,One,2005-04-01,,child,,,,")
        rows["people"].append(f"A{n},F{n},Adult,One,1980-02-02,,adult,,,,")
        for k in range(int(family["offences_before"])):  # type: ignore[call-overload]
            rows["offences"].append(f"C{n},OB-{n}-{k},2012-{9 + k:02d}-01")
        for k in range(int(family["offences_after"])):  # type: ignore[call-overload]
            rows["offences"].append(f"C{n},OA-{n}-{k},2013-{10 + k:02d}-01")
        if family["jsa"]:
            rows["benefits"].append(f"A{n},JSA,2012-01-01")
        if family["work_programme"]:
            rows["work_programme"].append(f"A{n},work_programme,2013-03-01")
        if family["employed"]:
            rows["employment"].append(f"A{n},2013-04-01,20")
    headers = {
        "families": FAMILIES.splitlines()[0],
        "people": PEOPLE.splitlines()[0],
        "offences": OFFENCES.splitlines()[0],
        "benefits": BENEFITS.splitlines()[0],
        "work_programme": WORK_PROGRAMME.splitlines()[0],
        "employment": EMPLOYMENT.splitlines()[0],
    }
    return {kind: "\n".join([headers[kind], *lines]) + "\n" for kind, lines in rows.items()}


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(families=family_cases)
async def test_totals_are_the_sum_of_claim_lines_and_verdicts(
    client: httpx.AsyncClient, world: World, families: list[dict[str, object]]
) -> None:
    code = f"H{next(_programmes)}"  # each example in a programme of its own
    created = await client.post(
        "/api/v1/programmes",
        json={"code": code, "name": code, "local_authority": "Test", "ruleset_id": "tf2012"},
        headers=world.headers("admin"),
    )
    assert created.status_code == 201, created.text
    programme = await Programme.select(Programme.id).where(Programme.code == code).first()
    assert programme is not None
    for user in ("pm", "auditor"):
        await UserProgramme.insert(
            UserProgramme(user=world.users[user], programme=programme["id"])
        )
    pm = world.headers("pm")
    for kind, text in cohort_files(families, code).items():
        loaded = await client.post(
            f"/api/v1/programmes/{code}/imports/{kind}",
            content=text.encode(),
            headers={**pm, "Content-Type": "text/csv"},
        )
        assert loaded.status_code == 200, loaded.text
    prepared = await client.post(
        f"/api/v1/programmes/{code}/claims", json={"as_of": SECOND}, headers=pm
    )
    if prepared.status_code == 201:
        claim = await sample_sign_submit(client, world, prepared.json()["id"])
        rejected = [
            {"line_id": line["id"], "reason": "spot check"}
            for line in claim["lines"]
            if families[int(line["family_ref"][1:])]["rejected"]
        ]
        decided = await client.post(
            f"/api/v1/claims/{claim['id']}/decision", json={"rejections": rejected}, headers=pm
        )
        assert decided.status_code == 200, decided.text
    else:
        assert prepared.status_code == 422, prepared.text

    response = await client.get(
        f"/api/v1/programmes/{code}/totals", params={"as_of": SECOND}, headers=pm
    )
    result = response.json()
    # The verdicts: as the evaluation (another path) counts them.
    evaluated = await client.post(
        f"/api/v1/programmes/{code}/evaluations", json={"as_of": SECOND}, headers=pm
    )
    verdicts = evaluated.json()
    assert result["turned_around"]["families"] == verdicts["turned_around"]
    assert {r: f["families"] for r, f in result["turned_around"]["by_route"].items()} == {
        route: count for route, count in verdicts["routes"].items() if count
    }
    assert result["families"]["eligible"] == verdicts["eligible"]
    # The claim lines, read straight from the table.
    lines = await ClaimLine.select(ClaimLine.amount_pence, ClaimLine.rejected_reason).where(
        ClaimLine.claim.programme == programme["id"]
    )
    claimed = sum(line["amount_pence"] for line in lines if line["rejected_reason"] is None)
    rejected_pence = sum(line["amount_pence"] for line in lines if line["rejected_reason"])
    assert Decimal(result["income"]["results_claimed_gbp"]) * 100 == claimed
    assert Decimal(result["income"]["results_rejected_gbp"]) * 100 == rejected_pence
    assert sum(Decimal(f["claimed_gbp"]) for f in result["claimed"].values()) == Decimal(
        result["income"]["results_claimed_gbp"]
    )
    # Every breakdown adds up to the whole.
    for breakdown in ("by_ward", "by_team", "by_key_worker"):
        rows = result[breakdown]
        for measure in ("identified", "eligible", "attached", "turned_around"):
            whole = (
                result["turned_around"]["families"]
                if measure == "turned_around"
                else (result["families"][measure])
            )
            assert sum(row[measure] for row in rows) == whole, (breakdown, measure)
        assert sum(Decimal(row["claimed_gbp"]) for row in rows) == claimed / Decimal(100)
    assert sum(m["identified"] for m in result["by_month"]) == len(families)


async def test_a_run_dropped_while_it_is_read_is_read_again(app: Litestar, world: World) -> None:
    """Another request may drop the verdict run (the evidence moved on) mid-read: the read is
    done again on a whole run rather than counting a half-deleted one."""
    reports = app.state.reports
    programme = await reports._programme(None, "P1")
    reads: list[int] = []

    async def read(run_id: int) -> int:
        reads.append(run_id)
        if len(reads) == 1:
            await _drop([run_id])  # as a concurrent request would
        return run_id

    run_id = await reports._from_run(programme, dt.date.fromisoformat(SECOND), read)
    assert len(reads) == 2
    assert run_id == reads[1]
    assert await VerdictRun.exists().where(VerdictRun.id == run_id)
