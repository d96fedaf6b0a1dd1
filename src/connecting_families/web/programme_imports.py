"""A programme manager's imports: the upload form, and the programme's recent imports,
refused ones among them, each with its status in the import service's words.

The form is read through the one form mechanism (`web.forms`): refused, the page again (422)
with each error by its field's label and every bad row of the file in a table; accepted, a
303 to the page with a `SAVED` banner and what the import did.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from connecting_families.access.policy import PROGRAMME_DATA, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.http_params import MAX_ID, CodeParam
from connecting_families.imports.service import (
    IMPORT_KINDS,
    ImportRequest,
    ImportResult,
    ImportService,
)
from connecting_families.request_limits import BODY_LIMIT, IMPORT_BODY, MULTIPART_OVERHEAD_BYTES
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    refused,
)
from connecting_families.web.programme_pages import abilities
from connecting_families.web.templating import page, path_segment

RunId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]

RECENT_RUNS = 20
IMPORT_LABELS = {"kind": "What the file holds", "file": "The file"}

SAVED["import"] = "The file was imported."

# The colour of each status's tag; its words are the status itself (`RUN_STATUSES`), as the
# API returns it.
STATUS_TAGS = {"completed": "govuk-tag--green", "refused": "govuk-tag--red"}


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
        "status_tags": STATUS_TAGS,
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


class ImportPages(Controller):
    """The programme's imports: upload a partner's file, and the recent imports."""

    include_in_schema = False

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
