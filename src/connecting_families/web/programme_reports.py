"""A programme's figures as pages: the totals by team, key worker, ward and headline, and the
monthly performance report with its CSV and JSON downloads.

The pages present what the report service returns to the API (`reports.controller`), so the
figures are the API's: money as pounds (£18,500.00), numbers right-aligned, a route in its rule
set's own words (`web.explain.Wording.route_name`), a headline as every page names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, PathParameter, QueryParameter
from litestar.response import Template

from connecting_families.access.policy import PROGRAMME_REPORT, Principal
from connecting_families.audit.service import Actor
from connecting_families.domain.calendar import months_after, months_before
from connecting_families.domain.dates import judging_day, today
from connecting_families.errors import NotFound
from connecting_families.frontdoor.records import SOURCES
from connecting_families.hooks.host import PluginHost
from connecting_families.http_params import CodeParam
from connecting_families.programmes.service import ProgrammeRecord, ProgrammeService
from connecting_families.reports.controller import parse_month
from connecting_families.reports.render import (
    FRONT_DOOR_REASONS,
    FRONT_DOOR_ROWS,
    ROWS,
    SECTIONS,
    monthly_csv,
)
from connecting_families.reports.service import ReportService
from connecting_families.web.charts import bar_chart
from connecting_families.web.explain import Wording
from connecting_families.web.programme_pages import abilities, previous_month
from connecting_families.web.templating import page, path_segment

MonthText = Annotated[str | None, QueryParameter(max_length=32)]
BreakdownName = Annotated[str, PathParameter(max_length=32)]

# The totals' breakdowns as the pages name them: the path's word, the API's key, the table's
# first column, and what a blank key means (a family nobody is allocated to, no ward known).
BREAKDOWNS: dict[str, tuple[str, str, str, str]] = {
    "team": ("by_team", "Team", "By team", "Not allocated"),
    "key-worker": ("by_key_worker", "Key worker", "By key worker", "Not allocated"),
    "ward": ("by_ward", "Ward", "By ward", "Not recorded"),
    "headline": ("by_headline", "Headline", "By headline", ""),
}


def route_words(plugins: PluginHost, programme: ProgrammeRecord) -> Callable[[str], str]:
    """A route of the programme's rule set in that rule set's own words."""
    return Wording(ruleset=plugins.ruleset(programme.ruleset_id)).route_name


def month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _months_around(year: int, month: int) -> list[tuple[str, str]]:
    """The months before and after, each as (YYYY-MM, its name)."""
    first = dt.date(year, month, 1)
    return [
        (month_text(other.year, other.month), other.strftime("%B %Y"))
        for other in (months_before(first, 1), months_after(first, 1))
    ]


def _assessments_chart(report: dict[str, Any]) -> Any:
    series = [
        (dt.date.fromisoformat(bar["month"] + "-01"), Decimal(bar["assessments"]))
        for bar in report["assessments_by_month"]
    ]
    return bar_chart(
        "assessments", "Assessments started each month", series, lambda v: f"{int(v):,}"
    )


class ReportPages(Controller):
    """The programme's totals by breakdown, and the monthly report with its downloads."""

    include_in_schema = False

    @get("/programmes/{code:str}/totals/{breakdown:str}", opt={"access": PROGRAMME_REPORT})
    async def totals_page(
        self,
        programmes: NamedDependency[ProgrammeService],
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        breakdown: FromPath[BreakdownName],
        as_of: FromQuery[dt.date | None] = None,
    ) -> Template:
        """The programme's totals broken down by team, key worker, ward or headline.

        Args:
            programmes: The programme service.
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            breakdown: `team`, `key-worker`, `ward` or `headline`.
            as_of: The date to count at (as the dashboard counts if omitted).
        """
        if breakdown not in BREAKDOWNS:
            raise NotFound("There is no such breakdown of the programme's totals.")
        programme = await programmes.get_programme(principal, code)
        on = as_of or judging_day(programme.ends_on, today())
        totals = await reports.totals(principal, actor, code, on)
        key, column, title, blank = BREAKDOWNS[breakdown]
        dated = f"?as_of={as_of.isoformat()}" if as_of else ""
        sub_pages = [
            (name, label, f"/programmes/{path_segment(code)}/totals/{name}{dated}")
            for name, (_, _, label, _) in BREAKDOWNS.items()
        ]
        return page(
            "programme/totals.html",
            code=code,
            can=abilities(principal),
            programme=programme,
            totals=totals,
            rows=totals[key],
            breakdown=breakdown,
            sub_pages=sub_pages,
            # The rows of every breakdown but the headlines' add up to the programme's.
            claimed_total=sum((Decimal(row["claimed_gbp"]) for row in totals[key]), Decimal(0)),
            claimed_families=sum(row["claimed_families"] for row in totals[key]),
            column=column,
            title=title,
            blank=blank,
        )

    @get("/programmes/{code:str}/reports/monthly", opt={"access": PROGRAMME_REPORT})
    async def monthly_report(
        self,
        plugins: NamedDependency[PluginHost],
        programmes: NamedDependency[ProgrammeService],
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        month: FromQuery[MonthText] = None,
    ) -> Template:
        """The monthly performance report, with its CSV and JSON downloads.

        Args:
            plugins: The plugin host, for the rule set's words.
            programmes: The programme service.
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            month: The month, YYYY-MM (the previous month if omitted).
        """
        year, number = parse_month(month) if month else previous_month()
        programme = await programmes.get_programme(principal, code)
        report = await reports.monthly(principal, actor, code, year, number)
        earlier, later = _months_around(year, number)
        return page(
            "programme/monthly.html",
            code=code,
            can=abilities(principal),
            programme=programme,
            r=report,
            month=month_text(year, number),
            month_name=dt.date(year, number, 1).strftime("%B %Y"),
            sections=[(label, report[key]) for label, key in SECTIONS],
            rows=ROWS,
            front_door_rows=FRONT_DOOR_ROWS,
            front_door_reasons=FRONT_DOOR_REASONS,
            sources=SOURCES,
            contact_months=[
                (dt.date.fromisoformat(m["month"] + "-01").strftime("%B %Y"), m)
                for m in report["contacts_by_month"]
            ],
            chart=_assessments_chart(report),
            route_words=route_words(plugins, programme),
            earlier=earlier,
            later=later,
        )

    @get("/programmes/{code:str}/reports/monthly.csv", opt={"access": PROGRAMME_REPORT})
    async def monthly_csv_download(
        self,
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        month: FromQuery[MonthText] = None,
    ) -> Response[str]:
        """The monthly report as CSV, one row per figure, as the API's `format=csv`.

        Args:
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            month: The month, YYYY-MM (the previous month if omitted).
        """
        year, number = parse_month(month) if month else previous_month()
        report = await reports.monthly(principal, actor, code, year, number)
        return Response(
            monthly_csv(report),
            media_type="text/csv",
            headers=_attachment(code, year, number, "csv"),
        )

    @get("/programmes/{code:str}/reports/monthly.json", opt={"access": PROGRAMME_REPORT})
    async def monthly_json_download(
        self,
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        month: FromQuery[MonthText] = None,
    ) -> Response[dict[str, Any]]:
        """The monthly report as JSON, as the API answers it.

        Args:
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            month: The month, YYYY-MM (the previous month if omitted).
        """
        year, number = parse_month(month) if month else previous_month()
        report = await reports.monthly(principal, actor, code, year, number)
        return Response(
            report, media_type=MediaType.JSON, headers=_attachment(code, year, number, "json")
        )


def _attachment(code: str, year: int, month: int, suffix: str) -> dict[str, str]:
    # A programme's code may hold any character a path may: only letters, digits, - and _
    # reach the file's name.
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in code)
    name = f"{safe}-monthly-report-{month_text(year, month)}.{suffix}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}
