"""Programme totals, indicators, the forecast and the monthly report."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from connecting_families.access.policy import CLAIM_MANAGE, PROGRAMME_REPORT, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import Invalid
from connecting_families.http_params import CodeParam, also_answers
from connecting_families.reports.indicators import Period
from connecting_families.reports.render import monthly_csv, monthly_html, totals_csv
from connecting_families.reports.service import ReportService

Month = Annotated[str, QueryParameter(max_length=32)]
Format = Annotated[str, QueryParameter(pattern="^(json|csv|html)$")]


def parse_month(month: str) -> tuple[int, int]:
    """`YYYY-MM` as (year, month), or a 400 naming the parameter."""
    found = re.fullmatch(r"((?:19|20)[0-9]{2})-(0[1-9]|1[0-2])", month)
    if found is None:
        raise Invalid(
            "month: give a month as YYYY-MM from 1900 to 2099, e.g. 2014-08.",
            errors=[{"field": "month", "message": "must be YYYY-MM"}],
        )
    return int(found[1]), int(found[2])


class ReportController(Controller):
    path = "/api/v1/programmes/{code:str}"
    tags = ["reports"]

    @get(
        "/totals",
        opt={"access": PROGRAMME_REPORT},
        operation_class=also_answers(200, "text/csv"),
    )
    async def totals(
        self,
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        as_of: FromQuery[dt.date | None] = None,
        format: FromQuery[Annotated[str, QueryParameter(pattern="^(json|csv)$")]] = "json",
    ) -> Response[Any]:
        """Families, results turned around and claimed, income and progress against the
        target, broken down by month, ward, team, key worker and headline problem.

        Args:
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            as_of: The date to count at (today in England if omitted).
            format: `json`, or `csv` with one row per figure.
        """
        result = await reports.totals(principal, actor, code, as_of)
        if format == "csv":
            return Response(totals_csv(result), media_type="text/csv")
        return Response(result, media_type=MediaType.JSON)

    @get("/indicators", opt={"access": PROGRAMME_REPORT})
    async def indicators(
        self,
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        month: FromQuery[Month],
    ) -> dict[str, Any]:
        """Early help indicators for a month: assessments started, the rate per 10,000
        children against the target, completions within timescale, re-referrals, caseloads,
        and the front door's figures (`front_door`): contacts received by source, conversion
        to referrals of the contacts received in the month, decisions made in the month
        within timescale and the late ones' reasons, repeat contacts and re-referrals with
        their reasons, step-downs.

        Args:
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            month: The month, YYYY-MM.
        """
        year, number = parse_month(month)
        return await reports.indicators(principal, actor, code, Period.month(year, number))

    @get("/forecast", opt={"access": CLAIM_MANAGE})
    async def forecast(
        self,
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        as_of: FromQuery[dt.date | None] = None,
    ) -> dict[str, Any]:
        """The families expected to become claimable by the next claim window, with the
        expected income, and the near misses at that date.

        Args:
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            as_of: Forecast from this date (today in England if omitted).
        """
        return await reports.forecast(principal, actor, code, as_of)

    @get(
        "/reports/monthly",
        opt={"access": PROGRAMME_REPORT},
        operation_class=also_answers(200, "text/csv", "text/html"),
    )
    async def monthly(
        self,
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        month: FromQuery[Month],
        format: FromQuery[Format] = "json",
    ) -> Response[Any]:
        """The monthly performance report: the month, the year to date, the same month a year
        earlier, and the programme totals at the month's end.

        Args:
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            month: The month, YYYY-MM.
            format: `json`, `csv` (one row per figure) or `html` (a printable page).
        """
        year, number = parse_month(month)
        report = await reports.monthly(principal, actor, code, year, number)
        if format == "csv":
            return Response(monthly_csv(report), media_type="text/csv")
        if format == "html":
            return Response(monthly_html(report), media_type=MediaType.HTML)
        return Response(report, media_type=MediaType.JSON)
