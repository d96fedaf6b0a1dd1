"""A programme manager's pages: the programmes, the dashboard, imports and the monthly
report. The claim pages are in `claim_pages`.

The pages call the same services as the JSON API and read forms into the API's own msgspec
types, through the one form mechanism (`web.forms`): refused, the page again (422, 409) with
each error by its field's label; accepted, a 303 to the page with a `SAVED` banner. The
dashboard's date and report month are GET forms of GOV.UK date inputs, checked here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
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
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.http_params import MAX_ID, CodeParam
from connecting_families.imports.service import (
    IMPORT_KINDS,
    ImportRequest,
    ImportResult,
    ImportService,
)
from connecting_families.programmes.service import ProgrammeService
from connecting_families.reports.controller import parse_month
from connecting_families.reports.indicators import Period
from connecting_families.reports.render import monthly_html
from connecting_families.reports.service import ReportService
from connecting_families.request_limits import BODY_LIMIT, IMPORT_BODY, MULTIPART_OVERHEAD_BYTES
from connecting_families.web.charts import dashboard_charts
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    refused,
    with_dates,
)
from connecting_families.web.templating import page, path_segment

# The claim pages take their code by this name.
Code = CodeParam
RunId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
MonthText = Annotated[str | None, QueryParameter(max_length=32)]

RECENT_RUNS = 20

# The dashboard's two GET forms, as the page labels them: the date the figures are counted at
# (a GOV.UK date input) and the month of the printable report (its month and year fields).
DASHBOARD_LABELS = {"as_of": "Count the figures at", "report": "Month of the report"}
IMPORT_LABELS = {"kind": "What the file holds", "file": "The file"}
# The report's months, as the report's API takes them (`reports.controller.parse_month`).
REPORT_YEARS = range(1900, 2100)


SAVED["import"] = "The file was imported."


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
    }


def previous_month() -> tuple[int, int]:
    last = months_before(today().replace(day=1), 1)
    return last.year, last.month


async def _imports_context(
    imports: ImportService, principal: Principal, code: str, run_id: int | None = None
) -> dict[str, Any]:
    """What the imports page shows besides its form: the recent runs, and the one just made."""
    runs = await imports.list_runs(principal, code, RECENT_RUNS)
    return {
        "code": code,
        "can": abilities(principal),
        "runs": runs,
        "imported": _run_summary(runs, run_id, code),
        "kinds": [(kind, kind.replace("_", " ")) for kind in IMPORT_KINDS],
    }


def _run_summary(runs: list[dict[str, Any]], run_id: int | None, code: str) -> str | None:
    """The summary of the import run just made, in the import service's own words."""
    run = next((run for run in runs if run["id"] == run_id), None)
    if run is None:
        return None
    return ImportResult(
        kind=run["kind"],
        programme=code,
        file_name=run["file_name"],
        sha256=run["sha256"],
        dry_run=False,
        rows=run["rows_total"],
        inserted=run["rows_inserted"],
        superseded=run["rows_superseded"],
        unchanged=run["rows_unchanged"],
        import_run=run["id"],
        seconds={},
    ).summary


async def _uploaded_file(
    request: Request[Any, Any, Any], imports: ImportService, kind: str
) -> tuple[bytes, str]:
    """The uploaded file's bytes and name, once the kind is chosen and the size allowed."""
    too_large = Invalid(
        "The file is too large.",
        errors=[field_error("file", f"The file must be smaller than {imports.max_bytes:,} bytes")],
    )
    declared = request.content_length
    if declared is not None and declared - MULTIPART_OVERHEAD_BYTES > imports.max_bytes:
        raise too_large
    problems = []
    if kind not in IMPORT_KINDS:
        problems.append(field_error("kind", "Select what the file holds"))
    upload = (await request.form()).get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    if not isinstance(upload, UploadFile) or not (upload.filename or data):
        problems.append(field_error("file", "Select a CSV file"))
    if problems:
        raise Invalid("The form was refused; see the message beside each field.", errors=problems)
    if len(data) > imports.max_bytes:
        raise too_large
    assert isinstance(upload, UploadFile)
    return data, upload.filename or f"{kind}.csv"


class ProgrammePages(Controller):
    """The programme's figures, its imports, and the monthly report."""

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
            totals=totals,
            indicators=indicators,
            month_name=month.start.strftime("%B %Y"),
            charts=dashboard_charts(totals["by_month"]),
            form=form,
            judged_at_end=programme.ends_on if asked is None and on != today() else None,
        )

    @get("/programmes/{code:str}/imports", opt={"access": PROGRAMME_DATA})
    async def imports_page(
        self,
        imports: NamedDependency[ImportService],
        principal: NamedDependency[Principal],
        code: CodeParam,
        run: FromQuery[RunId] = None,
    ) -> Template:
        """The upload form and the programme's recent imports.

        Args:
            imports: The import service.
            principal: The signed-in caller.
            code: The programme.
            run: The import run just made, to say what it did.
        """
        context = await _imports_context(imports, principal, code, run)
        return page("programme/imports.html", **context, form=Form())

    @post(
        "/programmes/{code:str}/imports",
        # The body is held to CF_MAX_IMPORT_BYTES on the stream (`request_limits`).
        opt={"access": PROGRAMME_DATA, BODY_LIMIT: IMPORT_BODY, FORM_LABELS: IMPORT_LABELS},
        request_max_body_size=None,
    )
    async def run_import(
        self,
        request: Request[Any, Any, Any],
        imports: NamedDependency[ImportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
    ) -> Response[Any]:
        """Import one file, or only check it; every bad row is listed and nothing is written.

        Args:
            request: The multipart form post: the kind, the file and the options.
            imports: The import service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme to import into.
        """
        values = await form_values(request)
        try:
            data, file_name = await _uploaded_file(request, imports, values.get("kind", ""))
            result = await imports.run(
                principal,
                actor,
                ImportRequest(
                    kind=values["kind"],
                    programme_code=code,
                    data=data,
                    file_name=file_name,
                    dry_run="dry_run" in values,
                    ignore_unknown_columns="ignore_unknown_columns" in values,
                ),
            )
        except DomainError as error:
            context = await _imports_context(imports, principal, code)
            rows = [problem for problem in error.errors if "line" in problem]
            if rows and error.status_code == 422:
                # Each bad row is in the table below the summary, which says the file's fault.
                error = Invalid(error.detail)
            return refused(
                error, values, IMPORT_LABELS, "programme/imports.html", **context, problems=rows
            )
        if result.dry_run:
            # Nothing was written, so the answer is shown here rather than after a redirect.
            context = await _imports_context(imports, principal, code)
            checked = result.summary
            return page("programme/imports.html", **context, form=Form(values), checked=checked)
        return accepted(
            f"/programmes/{path_segment(code)}/imports?run={result.import_run}", "import"
        )

    @get("/programmes/{code:str}/reports/monthly", opt={"access": PROGRAMME_REPORT})
    async def monthly_report(
        self,
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        month: FromQuery[MonthText] = None,
    ) -> Response[str]:
        """The printable monthly performance report.

        Args:
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            month: The month, YYYY-MM (the previous month if omitted).
        """
        year, number = parse_month(month) if month else previous_month()
        report = await reports.monthly(principal, actor, code, year, number)
        return Response(monthly_html(report), media_type=MediaType.HTML)
