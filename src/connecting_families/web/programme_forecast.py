"""The forecast of the next claim as a page: the families expected to be claimable at the next
claim window's date, the income expected, and the families one criterion short.

The page presents what the report service returns to the API's `/forecast`: the same
families, lines and amounts, with routes and criteria in the rule set's own words. A
programme with no later claim window has nothing to forecast to; the page says so and where
windows are opened.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from connecting_families.access.policy import CLAIM_MANAGE, Principal
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import today
from connecting_families.domain.verdict import CriterionResult
from connecting_families.errors import Invalid
from connecting_families.hooks.host import PluginHost
from connecting_families.http_params import CodeParam
from connecting_families.programmes.service import ProgrammeService
from connecting_families.reports.service import ReportService
from connecting_families.web.explain import Wording
from connecting_families.web.programme_pages import abilities
from connecting_families.web.templating import page


def _near_miss_words(wording: Wording, miss: dict[str, Any]) -> str:
    """The one criterion a near miss fails, described as the family's result page does."""
    result = CriterionResult(
        name=miss["criterion"],
        relevant=True,
        met=False,
        measured=miss.get("measured") or {},
        thresholds=miss.get("thresholds") or {},
        reason=miss.get("reason") or "",
    )
    return wording.describe(result)


class ForecastPage(Controller):
    """The forecast of the programme's next claim."""

    include_in_schema = False

    @get("/programmes/{code:str}/forecast", opt={"access": CLAIM_MANAGE})
    async def forecast_page(
        self,
        plugins: NamedDependency[PluginHost],
        programmes: NamedDependency[ProgrammeService],
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        as_of: FromQuery[dt.date | None] = None,
    ) -> Template:
        """The families expected to be claimable by the next claim window, and the near misses.

        Args:
            plugins: The plugin host, for the rule set's words.
            programmes: The programme service.
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            as_of: Forecast from this date (today in England if omitted).
        """
        programme = await programmes.get_programme(principal, code)
        wording = Wording(
            ruleset=plugins.ruleset(programme.ruleset_id), criteria=plugins.criteria()
        )
        try:
            forecast = await reports.forecast(principal, actor, code, as_of)
        except Invalid:
            # The one refusal the forecast has: no claim window after the date.
            forecast = None
        misses = [
            {**miss, "words": _near_miss_words(wording, miss)}
            for miss in (forecast["near_misses"] if forecast else [])
        ]
        return page(
            "programme/forecast.html",
            code=code,
            can=abilities(principal),
            programme=programme,
            forecast=forecast,
            near_misses=misses,
            from_day=as_of or today(),
            route_words=wording.route_name,
        )
