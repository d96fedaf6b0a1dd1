"""A programme's settings pages, through HTTP as a browser sends them: the settings in full,
the figures, the rule set's settings and tf2015's outcome plan, each refused with every
problem by its label and nothing saved, confirmed before a change of who is eligible, audited,
and only for a programme manager of the programme or an administrator.

The pages call the programme service the API's PATCH uses, which runs on both databases in
`test_programme_settings_api.py`; the pages run on SQLite.
"""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest
from cf_rulesets.tf2015 import DEFAULT_PLAN
from litestar import Litestar

from connecting_families.accounts import credentials
from connecting_families.accounts.tables import User
from connecting_families.audit.tables import AuditEvent
from connecting_families.programmes.tables import ChildPopulation, Programme

from access_world import World, build_world

PASSWORD = "correct horse battery staple"
SETTINGS = "/programmes/P1/settings"


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


@pytest.fixture
async def world(app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await User.update({User.password_hash: credentials.hash_password(PASSWORD)}, force=True)
    # P1 judges families by tf2015, whose outcome plan the pages edit.
    await Programme.update({Programme.ruleset_id: "tf2015"}).where(Programme.code == "P1")
    return world


def text_of(page: str) -> str:
    """The page's words, without tags, in single spaces."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": csrf(client),
        },
    )
    assert response.status_code in (302, 303), response.text


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies["csrftoken"])


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": csrf(client)})


async def p1() -> dict[str, object]:
    row = await Programme.select().where(Programme.code == "P1").first()
    assert row is not None
    config = row["ruleset_config"]
    return {**row, "ruleset_config": json.loads(config) if isinstance(config, str) else config}


async def figures(version: int = 1, **changed: str) -> dict[str, str]:
    return {
        "version": str(version),
        "target_families": "400",
        "assessment_timescale_days": "45",
        "contact_decision_days": "1",
        "assessment_rate_target": "",
        **changed,
    }


@pytest.mark.usefixtures("world")
async def test_the_settings_page_shows_the_rule_sets_configuration_in_full(
    client: httpx.AsyncClient,
) -> None:
    """Every setting with its default, the whole default plan, and the criteria described."""
    await sign_in(client, "pm")
    page = text_of((await client.get(SETTINGS)).text)
    assert "tf2015@3" in page
    assert "Headlines needed to be eligible" in page
    assert "How many headlines must be present" in page
    for headline in ("Crime and anti-social behaviour", "Education", "Health"):
        assert headline in page
    assert "Offences in the latest window fell 33% from before attachment" in page
    assert "Every need under headline has the outcome achieved" in page
    assert "Changed" not in page


@pytest.mark.usefixtures("world")
async def test_the_programme_page_links_to_its_settings(client: httpx.AsyncClient) -> None:
    """The programme's section navigation offers Settings to its manager."""
    await sign_in(client, "pm")
    page = (await client.get("/programmes/P1")).text
    assert 'href="/programmes/P1/settings"' in page


@pytest.mark.usefixtures("world")
async def test_the_figures_are_saved_and_audited(client: httpx.AsyncClient) -> None:
    """Target, timescale, rate target and a year's children, then a banner on the settings."""
    await sign_in(client, "pm")
    data = await figures(
        assessment_rate_target="250.5", population_year="2014", population_children="45000"
    )
    response = await post_form(client, f"{SETTINGS}/figures", data)
    assert response.status_code == 303, response.text
    page = text_of((await client.get(response.headers["location"])).text)
    assert "The programme's figures were saved." in page
    assert "250.5 a year per 10,000 children" in page
    assert "2014: 45,000" in page
    row = await p1()
    assert (row["target_families"], row["version"]) == (400, 2)
    event = await AuditEvent.select().where(AuditEvent.action == "programme.update").first()
    assert event is not None
    assert event["actor_name"] == "pm"


@pytest.mark.usefixtures("world")
async def test_every_wrong_figure_is_named_by_its_label_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    """Three wrong fields at once, each by its label, with what was typed kept."""
    await sign_in(client, "pm")
    data = await figures(
        target_families="-3",
        assessment_timescale_days="",
        assessment_rate_target="lots",
        population_year="20x4",
        population_children="-1",
    )
    response = await post_form(client, f"{SETTINGS}/figures", data)
    assert response.status_code == 422
    page = text_of(response.text)
    for message in (
        "Target number of families must be 0 or more",
        "Enter assessment timescale",
        "Target rate of assessments must be a number",
        "Year to add must be a year, like 2027",
        "Children in the year to add must be 0 or more",
    ):
        assert page.count(message) == 2, message  # in the summary and by the field
    assert 'value="lots"' in response.text
    assert 'value="20x4"' in response.text
    row = await p1()
    assert (row["target_families"], row["version"]) == (None, 1)
    assert await ChildPopulation.count() == 0


@pytest.mark.usefixtures("world")
async def test_a_rule_set_setting_is_checked_then_confirmed_then_saved(
    client: httpx.AsyncClient,
) -> None:
    """The check page names the change; only "Save the changes" stores it, as an override."""
    await sign_in(client, "pm")
    form = (await client.get(f"{SETTINGS}/rules")).text
    assert "The default is 2." in form
    data = {
        "version": "1",
        "need_grace_months": "3",
        "min_headlines": "3",
        "employment_weeks": "26",
        "employment_weeks_jsa": "13",
        "attachment_fee_gbp": "1000",
        "result_payment_gbp": "800",
    }
    check = await post_form(client, f"{SETTINGS}/rules", data)
    assert check.status_code == 200
    assert "Headlines needed to be eligible 2, changed to 3" in text_of(check.text)
    assert "alter which families are eligible" in text_of(check.text)
    assert (await p1())["ruleset_config"] == {}
    saved = await post_form(client, f"{SETTINGS}/rules", {**data, "decision": "save"})
    assert saved.status_code == 303
    assert (await p1())["ruleset_config"] == {"min_headlines": 3}
    event = await AuditEvent.select().where(AuditEvent.action == "programme.update").first()
    assert event is not None
    detail = event["detail"]
    assert (json.loads(detail) if isinstance(detail, str) else detail)["settings"] == [
        "min_headlines"
    ]


@pytest.mark.usefixtures("world")
async def test_every_wrong_rule_set_setting_is_named_at_once(client: httpx.AsyncClient) -> None:
    """The rule set refuses two settings, and a third is blank: all three by their labels."""
    await sign_in(client, "pm")
    data = {
        "version": "1",
        "need_grace_months": "99",
        "min_headlines": "",
        "employment_weeks": "26",
        "employment_weeks_jsa": "13",
        "attachment_fee_gbp": "a lot",
        "result_payment_gbp": "800",
    }
    response = await post_form(client, f"{SETTINGS}/rules", {**data, "decision": "save"})
    assert response.status_code == 422
    page = text_of(response.text)
    assert "Enter headlines needed to be eligible" in page
    assert 'value="a lot"' in response.text
    assert (await p1())["ruleset_config"] == {}
    data["min_headlines"] = "2"
    response = await post_form(client, f"{SETTINGS}/rules", {**data, "decision": "save"})
    page = text_of(response.text)
    assert "Months to identify a need must be a whole number from 0 to 24" in page
    assert "Attachment fee must be an amount of 0 or more" in page
    assert (await p1())["ruleset_config"] == {}


def plan_fields(headline: str) -> dict[str, str]:
    """The editor's fields for the default plan's `headline`, as the page first shows them."""
    entry = DEFAULT_PLAN[headline]
    fields = {"version": "1", "progress_rule": entry["progress_rule"]}
    for section in ("indicators", "progress"):
        fields[f"{section}-count"] = str(len(entry[section]))
        for index, item in enumerate(entry[section]):
            for name, value in item.items():
                fields[f"{section}-{index}-{name}"] = str(value)
    return fields


@pytest.mark.usefixtures("world")
async def test_the_outcome_plan_editor_starts_from_the_default_plan(
    client: httpx.AsyncClient,
) -> None:
    """The crime headline's two indicators and two measures, with the default parameters."""
    await sign_in(client, "pm")
    page = (await client.get(f"{SETTINGS}/outcome-plan/crime_asb")).text
    for name, value in plan_fields("crime_asb").items():
        if name.endswith(("-percent", "-months", "-count")) and not name.endswith("s-count"):
            [field] = re.findall(rf'<input[^>]* name="{name}"[^>]*>', page)
            assert f'value="{value}"' in field, name
    assert "Offending reduced" in page


@pytest.mark.usefixtures("world")
async def test_a_headlines_plan_is_changed_and_only_that_headline_is_stored(
    client: httpx.AsyncClient,
) -> None:
    """One measure removed, the rule made `any`: confirmed, the override names crime only."""
    await sign_in(client, "pm")
    path = f"{SETTINGS}/outcome-plan/crime_asb"
    data = {**plan_fields("crime_asb"), "progress-1-remove": "yes", "progress_rule": "any"}
    check = await post_form(client, path, data)
    assert check.status_code == 200, check.text
    assert "Check your changes" in check.text
    assert (await p1())["ruleset_config"] == {}
    saved = await post_form(client, path, {**data, "decision": "save"})
    assert saved.status_code == 303
    plan = (await p1())["ruleset_config"]["outcome_plan"]  # type: ignore[index]
    assert list(plan) == ["crime_asb"]
    assert plan["crime_asb"]["progress"] == [DEFAULT_PLAN["crime_asb"]["progress"][0]]
    assert plan["crime_asb"]["progress_rule"] == "any"
    page = text_of((await client.get(saved.headers["location"])).text)
    assert "The outcome plan was saved." in page
    assert "Changed from the default" in page


@pytest.mark.usefixtures("world")
async def test_a_criterion_added_asks_for_its_parameters_and_each_is_named(
    client: httpx.AsyncClient,
) -> None:
    """Adding a measure saves nothing; sent blank and wrong, both parameters are refused."""
    await sign_in(client, "pm")
    path = f"{SETTINGS}/outcome-plan/health"
    added = await post_form(
        client,
        path,
        {**plan_fields("health"), "add-progress": "observation_reduced", "action": "add-progress"},
    )
    assert added.status_code == 200
    assert 'name="progress-1-percent"' in added.text
    data = {
        **plan_fields("health"),
        "progress-count": "2",
        "progress-1-criterion": "observation_reduced",
        "progress-1-measure": "wellbeing_score",
        "progress-1-percent": "150",
        "progress-1-months": "",
    }
    refused = await post_form(client, path, {**data, "decision": "save"})
    assert refused.status_code == 422
    page = text_of(refused.text)
    assert "Percent of progress measure 2 must be a whole number from 0 to 100" in page, page[
        :3000
    ]
    assert "Enter months of progress measure 2" in page
    assert 'value="150"' in refused.text
    assert (await p1())["ruleset_config"] == {}


@pytest.mark.usefixtures("world")
async def test_a_change_made_meanwhile_is_not_overwritten(client: httpx.AsyncClient) -> None:
    """Sent for an older version, the figures are refused (409), kept, and nothing is saved."""
    await sign_in(client, "pm")
    assert (await post_form(client, f"{SETTINGS}/figures", await figures())).status_code == 303
    stale = await post_form(client, f"{SETTINGS}/figures", await figures(target_families="7"))
    assert stale.status_code == 409
    assert 'value="7"' in stale.text
    assert 'name="version" value="2"' in stale.text
    assert (await p1())["target_families"] == 400


@pytest.mark.parametrize("username", ["kw_own", "tm"])
@pytest.mark.usefixtures("world")
async def test_a_key_worker_and_a_team_manager_get_no_settings_page(
    client: httpx.AsyncClient, username: str
) -> None:
    """Neither sees the pages, nor can send them a change."""
    await sign_in(client, username)
    for path in (SETTINGS, f"{SETTINGS}/figures", f"{SETTINGS}/rules"):
        assert (await client.get(path)).status_code == 403, path
    response = await post_form(client, f"{SETTINGS}/figures", await figures(target_families="9"))
    assert response.status_code == 403
    assert (await p1())["target_families"] is None
    assert 'href="/programmes/P1/settings"' not in (await client.get("/programmes/P1")).text


@pytest.mark.usefixtures("world")
async def test_an_administrator_changes_the_settings_of_any_programme(
    client: httpx.AsyncClient,
) -> None:
    """Configuration, not family data: the administrator may manage it."""
    await sign_in(client, "admin")
    assert (await client.get(f"{SETTINGS}/outcome-plan/health")).status_code == 200
    response = await post_form(client, f"{SETTINGS}/figures", await figures())
    assert response.status_code == 303
    assert (await p1())["target_families"] == 400


@pytest.mark.usefixtures("world")
async def test_another_programmes_settings_are_not_found(client: httpx.AsyncClient) -> None:
    """P2 is not the manager's: not found, as a programme that does not exist."""
    await sign_in(client, "pm")
    assert (await client.get("/programmes/P2/settings")).status_code == 404
    assert (await client.get("/programmes/P1/settings/outcome-plan/magic")).status_code == 404
