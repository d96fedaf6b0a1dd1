"""A programme manager's pages: the programmes and a programme's dashboard, and what the
programme's other pages share (who may do what). The imports are in `programme_imports`, the
totals, monthly report and forecast in `programme_reports` and `programme_forecast`, the
claims in `claim_pages`.

The dashboard's date and report month are GET forms of GOV.UK date inputs, checked here:
refused, the page again (422) with each error by its field's label.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from connecting_families.access.policy import (
    CLAIM_MANAGE,
    CLAIM_READ,
    CLAIM_SAMPLE,
    CLAIM_SIGN_OFF,
    PROGRAMME_DATA,
    PROGRAMME_MANAGE,
    PROGRAMME_REPORT,
    Principal,
)
from connecting_families.audit.service import Actor
from connecting_families.domain.calendar import months_before
from connecting_families.domain.dates import judging_day, today
from connecting_families.errors import Invalid, field_error
from connecting_families.hooks.host import PluginHost
from connecting_families.http_params import CodeParam
from connecting_families.programmes.service import ProgrammeService
from connecting_families.reports.indicators import Period
from connecting_families.reports.service import ReportService
from connecting_families.web.charts import dashboard_charts
from connecting_families.web.explain import Wording
from connecting_families.web.forms import Form, read, with_dates
from connecting_families.web.templating import page, path_segment

# The claim pages take their code by this name.
Code = CodeParam

# The dashboard's two GET forms, as the page labels them: the date the figures are counted at
# (a GOV.UK date input) and the month of the report (its month and year fields).
DASHBOARD_LABELS = {"as_of": "Count the figures at", "report": "Month of the report"}
# The report's months, as the report's API takes them (`reports.controller.parse_month`).
REPORT_YEARS = range(1900, 2100)


class DashboardQuery(msgspec.Struct):
    """The dashboard's date; other query fields (the report's month) are read on their own."""

    as_of: dt.date | None = None


def report_month(values: dict[str, str]) -> tuple[int, int]:
    """The report form's month and year, or `Invalid` in the Design System's words."""
    month, year = values.get("report-month", ""), values.get("report-year", "")
    message = None
    if not (month or year):
        message = "Enter the month of the report"
    elif not month:
        message = "Month of the report must include a month"
    elif not year:
        message = "Month of the report must include a year"
    elif not (month.isascii() and month.isdigit() and 1 <= int(month) <= 12):
        message = "Month of the report must be a real month, from 1 to 12"
    elif not (year.isascii() and year.isdigit() and int(year) in REPORT_YEARS):
        message = "Month of the report must be in a year from 1900 to 2099, like 2026"
    if message:
        raise Invalid(message, errors=[field_error("report", message)])
    return int(year), int(month)


# What the pages share: who may do what, and the programme's sections.


def abilities(principal: Principal) -> dict[str, bool]:
    """What the caller's roles let them do, so a page offers only what they may use."""
    return {
        "manage": PROGRAMME_MANAGE.allows(principal),
        "imports": PROGRAMME_DATA.allows(principal),
        "claims": CLAIM_READ.allows(principal),
        # Not `manage`: an administrator manages a programme but none of its claims.
        "manage_claims": CLAIM_MANAGE.allows(principal),
        "sample": CLAIM_SAMPLE.allows(principal),
        "sign_off": CLAIM_SIGN_OFF.allows(principal),
        # The forecast names the families a claim would: a claim's reach.
        "forecast": CLAIM_MANAGE.allows(principal),
    }


def previous_month() -> tuple[int, int]:
    last = months_before(today().replace(day=1), 1)
    return last.year, last.month


class ProgrammePages(Controller):
    """The programmes, and a programme's dashboard."""

    include_in_schema = False

    @get("/programmes", opt={"access": PROGRAMME_REPORT})
    async def programmes_page(
        self, programmes: NamedDependency[ProgrammeService], principal: NamedDependency[Principal]
    ) -> Template:
        """The programmes the caller works in.

        Args:
            programmes: The programme service.
            principal: The signed-in caller.
        """
        return page("programmes.html", programmes=await programmes.list_programmes(principal))

    @get("/programmes/{code:str}", opt={"access": PROGRAMME_REPORT})
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        programmes: NamedDependency[ProgrammeService],
        reports: NamedDependency[ReportService],
        plugins: NamedDependency[PluginHost],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
    ) -> Response[Any]:
        """Progress against the target, families and income by month, and the assessment
        rate this month against its target.

        The date to count at is the date input's `as_of-day`, `-month` and `-year` (or
        `as_of` as YYYY-MM-DD; today in England if omitted). The report form sends
        `report-month` and `report-year`, and goes on to the printable report. Either refused
        is this page again (422) with the error by the field's label, at today's figures.

        Args:
            request: The query: the date input's fields, or the report's month.
            programmes: The programme service.
            reports: The report service.
            plugins: The plugin host, for the rule set's names of its routes.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
        """
        programme = await programmes.get_programme(principal, code)
        values = with_dates({name: value.strip() for name, value in request.query_params.items()})
        problems: list[dict[str, Any]] = []
        asked = None
        try:
            asked = read(values, DashboardQuery, DASHBOARD_LABELS).as_of
        except Invalid as error:
            problems += error.errors
        # An ended programme is counted at its end unless another day is asked for.
        on = asked or judging_day(programme.ends_on, today())
        if "report-month" in values or "report-year" in values:
            try:
                year, number = report_month(values)
            except Invalid as error:
                problems += error.errors
            else:
                if not problems:
                    return Redirect(
                        f"/programmes/{path_segment(code)}/reports/monthly"
                        f"?month={year:04d}-{number:02d}",
                        status_code=303,
                    )
        last_year, last_month = previous_month()
        shown = {
            "as_of": on.isoformat(),
            "report-month": str(last_month),
            "report-year": str(last_year),
        }
        form = Form(values=shown)
        if problems:
            # Refused, the fields show what was typed, blanks and all.
            refusal = Invalid("The figures could not be shown.", errors=problems)
            form = Form.refusing({**shown, **values}, refusal, DASHBOARD_LABELS)
        totals = await reports.totals(principal, actor, code, on)
        month = Period.month(on.year, on.month)
        indicators = await reports.indicators(principal, actor, code, month)
        return page(
            "programme/dashboard.html",
            status=422 if problems else 200,
            code=code,
            can=abilities(principal),
            programme=programme,
            route_name=Wording(ruleset=plugins.ruleset(programme.ruleset_id)).route_title,
            totals=totals,
            indicators=indicators,
            month_name=month.start.strftime("%B %Y"),
            charts=dashboard_charts(totals["by_month"]),
            form=form,
            judged_at_end=programme.ends_on if asked is None and on != today() else None,
        )
