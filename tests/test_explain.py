"""The verdict in plain English: the rule set's own words, names, money, dates, what is still
needed, a plugin's criterion worded the same way, and the result page's "Judge on" date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import httpx
import pytest
from cf_example_local_criteria import CRITERION
from cf_rulesets.tf2012 import RULESET as TF2012
from cf_rulesets.tf2015 import RULESET as TF2015
from litestar import Litestar
from test_pages import sign_in, text_of

from connecting_families.domain.verdict import (
    CriterionResult,
    RouteResult,
    Undecided,
    Verdict,
    Window,
)
from connecting_families.web.explain import Wording, explain

from access_world import World
from page_world import build_page_world

ON = dt.date(2026, 12, 3)
ATTACHED = dt.date(2026, 5, 1)


def _verdict(*criteria: CriterionResult, routes: tuple[RouteResult, ...] = ()) -> Verdict:
    return Verdict(
        ruleset="tf2012@1",
        family_ref="FAM-1",
        as_of=ON,
        known_at=None,
        evaluated=True,
        eligible=True,
        criteria=criteria,
        routes=routes,
    )


EMPLOYMENT = CriterionResult(
    name="continuous_employment",
    relevant=True,
    met=False,
    measured={"spells": {"A1:2026-06-04": {"days": 161, "weeks_needed": 26, "met": False}}},
    thresholds={"employment_weeks": 26, "employment_weeks_jsa": 13},
    windows={"after_attachment": Window(ATTACHED, ON + dt.timedelta(days=1))},
)
WORDS = Wording(ruleset=TF2012, names={"A1": "Cara Smith"})


def test_a_criterion_is_named_by_its_description() -> None:
    """The rule set's description names the criterion, never its key."""
    [line] = explain(_verdict(EMPLOYMENT), WORDS).criteria
    assert line.name.startswith("An adult who was on an out-of-work benefit in continuous work")
    assert "continuous_employment" not in line.name + line.text


def test_people_are_named_and_dates_are_dates() -> None:
    """A person ref is the member's name; an ISO date is a date as people write it."""
    [line] = explain(_verdict(EMPLOYMENT), WORDS).criteria
    assert "Cara Smith from 4 Jun 2026" in line.text
    assert "A1" not in line.text
    assert "2026-06-04" not in line.text
    assert "1 May 2026 to 3 Dec 2026" in line.text


def test_a_route_not_met_says_what_is_still_needed() -> None:
    """The employment route says how many more weeks, of how many, by when."""
    route = RouteResult(route="continuous_employment", met=False)
    explained = explain(_verdict(EMPLOYMENT, routes=(route,)), WORDS)
    expected = "Cara Smith needs 3 more weeks in work: 23 of 26 weeks by 3 Dec 2026."
    assert explained.routes[0].needed == expected
    assert explained.criteria[0].needed == expected


def test_a_route_met_is_worth_money() -> None:
    """A met route's amount is shown as money, and nothing is still needed."""
    route = RouteResult(route="progress_to_work", met=True, amount_gbp=Decimal("1500"))
    [line] = explain(_verdict(routes=(route,)), WORDS).routes
    assert line.text == "Met; worth £1,500.00."
    assert line.needed == ""


def test_a_plugin_criterion_explains_itself() -> None:
    """The example plugin's criterion, named in an outcome plan, reads as a sentence with its
    parameters filled in and says how far the incidents must still fall."""
    found = CriterionResult(
        name="domestic_abuse:domestic_abuse_incidents_reduced",
        relevant=True,
        met=False,
        measured={"before": 4.0, "after": 3.0},
        thresholds={"percent": 50, "months": 6},
        windows={"after": Window(dt.date(2026, 6, 3), ON)},
    )
    words = Wording(criteria={CRITERION.name: CRITERION})
    [line] = explain(_verdict(found), words).criteria
    assert line.name == (
        "Domestic abuse: police-reported domestic abuse incidents down by 50% over 6 months"
    )
    assert line.needed == (
        "Needs at most 2 domestic abuse incidents in the latest 6 months: 3 against 4 before "
        "attachment."
    )


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def test_the_result_page_is_in_plain_english(
    client: httpx.AsyncClient, world: World
) -> None:
    """The page names rules by description, people by name, and amounts as money."""
    await sign_in(client, "kw_own")
    response = await client.get(f"/families/{world.families['fam1']}/result")
    assert response.status_code == 200
    words = text_of(response.text)
    assert "An adult on an out-of-work benefit at attachment : Met" in words
    assert "measured adults on benefits: Cara Smith" in words
    assert "worth £700.00" in words
    assert "identify_work" not in words
    assert "Needs an adult who was on an out-of-work benefit to start on the Work Programme." in (
        words
    )


async def test_the_result_page_judges_on_the_day_asked(
    client: httpx.AsyncClient, world: World
) -> None:
    """ "Judge on" 1 6 2013 shows the verdict on that day, and keeps the date in the form."""
    await sign_in(client, "kw_own")
    response = await client.get(
        f"/families/{world.families['fam1']}/result",
        params={"as_of-day": "1", "as_of-month": "6", "as_of-year": "2013"},
    )
    assert response.status_code == 200, response.text
    words = text_of(response.text)
    assert "Result on 1 Jun 2013" in words
    assert "after attachment 1 Feb 2013 to 1 Jun 2013" in words
    assert 'name="as_of-year" type="text" value="2013"' in response.text


async def test_a_judge_on_date_that_is_not_real_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """31 2 2013 is an error summary naming "Judge on", with today's result, not a 500."""
    await sign_in(client, "kw_own")
    response = await client.get(
        f"/families/{world.families['fam1']}/result",
        params={"as_of-day": "31", "as_of-month": "2", "as_of-year": "2013"},
    )
    assert response.status_code == 422
    words = text_of(response.text)
    assert "There is a problem Judge on must be a real date" in words
    assert "<title>Error: " in response.text
    assert 'value="31"' in response.text


def test_a_tf2015_headline_not_progressed_says_so_in_words() -> None:
    """tf2015 names a headline's result in words, and its sustained progress route not met
    says which headline still needs progress."""
    headline = CriterionResult(name="crime_asb", relevant=True, met=False)
    verdict = attrs.evolve(
        _verdict(headline, routes=(RouteResult("sustained_progress", False),)),
        ruleset="tf2015@2",
    )
    explained = explain(verdict, Wording(ruleset=TF2015))
    [line] = explained.criteria
    assert (
        line.name
        == "Crime and anti-social behaviour: present, with significant and sustained progress"
    )
    [route] = explained.routes
    assert route.name == "Significant and sustained progress on every headline present"
    assert route.needed == (
        "Needs significant and sustained progress on crime and anti-social behaviour."
    )


def test_thresholds_and_the_route_met_are_in_the_rule_sets_words() -> None:
    """What a rule needs is named by the rule set's setting labels, and the summary names
    the route met by its description, not its key."""
    met = RouteResult("crime_asb_education", True, Decimal("700.00"))
    verdict = attrs.evolve(_verdict(EMPLOYMENT, routes=(met,)), turned_around=True)
    explained = explain(verdict, WORDS)
    [line] = explained.criteria
    assert "needs weeks in work: 26, weeks in work after Jobseeker's Allowance: 13" in line.text
    assert "jsa" not in line.text
    assert explained.summary == (
        "Turned around on 3 Dec 2026: crime, anti-social behaviour and school: every result "
        "that applies to the family met."
    )


def test_measured_values_read_as_words_not_keys() -> None:
    """A percentage has its sign, an amount is money, a short key is spelt out and an outcome
    plan's criterion is named by its headline: never "asb 0" or "reduction percent 33"."""
    crime = CriterionResult(
        name="youth_crime",
        relevant=True,
        met=True,
        measured={"asb": 0, "fee_gbp": "800.00", "met": ["crime_asb:offences_in_window"]},
        thresholds={"reduction_percent": 33},
    )
    [line] = explain(_verdict(crime), WORDS).criteria
    assert line.text == (
        "Met; measured anti-social behaviour: 0, fee: £800.00, met: crime and anti-social "
        "behaviour: offences in window; needs reduction of 33%."
    )


def test_a_plan_criterion_s_description_is_filled_from_its_result() -> None:
    """The parameters of a registered criterion's description come from what its result was
    measured against, under the names the result keeps them by."""
    fell = CriterionResult(
        name="crime_asb:offences_fell",
        relevant=True,
        met=True,
        thresholds={"reduction_percent": 33},
    )
    criteria = {
        "offences_fell": attrs.evolve(
            CRITERION,
            name="offences_fell",
            description="offences fell `percent`% from before attachment",
        )
    }
    [line] = explain(_verdict(fell), Wording(ruleset=TF2015, criteria=criteria)).criteria
    assert line.name == "Crime and anti-social behaviour: offences fell 33% from before attachment"


def test_an_undecided_verdict_names_the_plugin_and_is_neither_met_nor_not() -> None:
    """A verdict a plugin failed on says it could not be decided, and lists no rule."""
    undecided = Verdict(
        ruleset="tf2012@1",
        family_ref="FAM-1",
        as_of=ON,
        known_at=None,
        evaluated=False,
        undecided=Undecided("council-shaky", "shaky_crime", "raised an error", "KeyError"),
    )
    explained = explain(undecided, WORDS)
    assert explained.summary == (
        "Could not be decided on 3 Dec 2026: the plugin council-shaky failed while judging the "
        "family (shaky_crime raised an error: KeyError). The family is not counted as meeting "
        "or not meeting any rule. Tell the service's administrator."
    )
    assert explained.criteria == explained.routes == ()
