"""A programme manager's pages: the programmes, the dashboard, imports and the monthly
report. The claim pages are in `claim_pages`.

The pages call the same services as the JSON API and read forms into the API's own msgspec
types. Accepted, a form redirects (303) back to its page with a fixed message; refused, the
page is shown again with the service's message, the status it gave, and what was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

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
from connecting_families.web.forms import Form, form_values
from connecting_families.web.templating import page, path_segment

# The claim pages take their code by this name.
Code = CodeParam
RunId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
MonthText = Annotated[str | None, QueryParameter(max_length=32)]

RECENT_RUNS = 20
# Refusals a page explains beside its form; any other error gets the error page.
FORM_REFUSALS = (409, 413, 422)


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


async def _imports_page(
    imports: ImportService,
    principal: Principal,
    code: str,
    *,
    form: Form | None = None,
    status: int = 200,
    run_id: int | None = None,
    **context: Any,
) -> Template:
    runs = await imports.list_runs(principal, code, RECENT_RUNS)
    return page(
        "programme/imports.html",
        status=status,
        code=code,
        can=abilities(principal),
        runs=runs,
        imported=_run_summary(runs, run_id, code),
        kinds=[(kind, kind.replace("_", " ")) for kind in IMPORT_KINDS],
        form=form or Form(),
        **context,
    )


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
    if request.content_length is not None:
        imports.check_size(request.content_length - MULTIPART_OVERHEAD_BYTES)
    if kind not in IMPORT_KINDS:
        raise Invalid(
            "Choose the kind of file.", errors=[field_error("kind", "Choose the kind of file")]
        )
    upload = (await request.form()).get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    if not isinstance(upload, UploadFile) or not (upload.filename or data):
        raise Invalid("Choose a file.", errors=[field_error("file", "Choose a CSV file")])
    imports.check_size(len(data))
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
        programmes: NamedDependency[ProgrammeService],
        reports: NamedDependency[ReportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        as_of: FromQuery[dt.date | None] = None,
    ) -> Template:
        """Progress against the target, families and income by month, and the assessment
        rate this month against its target.

        Args:
            programmes: The programme service.
            reports: The report service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            as_of: The date to count at (if omitted, today in England, or the programme's
                last day once it has ended).
        """
        programme = await programmes.get_programme(principal, code)
        # An ended programme is counted at its end unless another day is asked for.
        on = as_of or judging_day(programme.ends_on, today())
        totals = await reports.totals(principal, actor, code, on)
        month = Period.month(on.year, on.month)
        indicators = await reports.indicators(principal, actor, code, month)
        year, number = previous_month()
        return page(
            "programme/dashboard.html",
            code=code,
            can=abilities(principal),
            programme=programme,
            totals=totals,
            indicators=indicators,
            month_name=month.start.strftime("%B %Y"),
            charts=dashboard_charts(totals["by_month"]),
            last_month=f"{year:04d}-{number:02d}",
            judged_at_end=programme.ends_on if as_of is None and on != today() else None,
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
        return await _imports_page(imports, principal, code, run_id=run)

    @post(
        "/programmes/{code:str}/imports",
        # The body is held to CF_MAX_IMPORT_BYTES on the stream (`request_limits`).
        opt={"access": PROGRAMME_DATA, BODY_LIMIT: IMPORT_BODY},
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
            if error.status_code not in FORM_REFUSALS:
                raise
            rows = [problem for problem in error.errors if "line" in problem]
            form = (
                Form(values=values, summary=(error.detail,))
                if rows
                else Form.refusing(values, error)
            )
            return await _imports_page(
                imports, principal, code, form=form, status=error.status_code, problems=rows
            )
        if result.dry_run:
            # Nothing was written, so the answer is shown here rather than after a redirect.
            return await _imports_page(
                imports, principal, code, form=Form(values=values), checked=result.summary
            )
        return Redirect(
            f"/programmes/{path_segment(code)}/imports?run={result.import_run}", status_code=303
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
