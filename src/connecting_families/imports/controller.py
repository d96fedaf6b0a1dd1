"""Import routes: programme managers and administrators load partner data files."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter

from connecting_families.access.policy import PROGRAMME_MANAGE, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import Invalid
from connecting_families.http_params import CodeParam, to_schema
from connecting_families.imports.schemas import ImportResult, ImportRun
from connecting_families.imports.service import ImportRequest, ImportService

Kind = Annotated[str, PathParameter(min_length=1, max_length=32)]
# Room for the multipart framing around a file of the largest accepted size.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class ImportController(Controller):
    path = "/api/v1/programmes/{code:str}/imports"
    tags = ["imports"]

    @post(
        "/{kind:str}",
        opt={"access": PROGRAMME_MANAGE},
        # The import service enforces its own, configurable, limit with a clearer message.
        request_max_body_size=None,
        status_code=200,
    )
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        imports: NamedDependency[ImportService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        kind: Kind,
        dry_run: FromQuery[bool] = False,
        ignore_unknown_columns: FromQuery[bool] = False,
        file_name: Annotated[str | None, QueryParameter(max_length=255)] = None,
    ) -> ImportResult:
        """Import one data-exchange file (`text/csv` body, or a multipart `file` upload).

        All or nothing: when any row is bad, nothing is written and the problem lists every
        bad row as `line N, column C: message`. Importing the same file again changes nothing.

        Args:
            request: The request, whose body is the file.
            imports: The import service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme to import into.
            kind: The file: families, people, attendance, exclusions, offences, asb, benefits,
                employment, work_programme, assessments, needs or observations.
            dry_run: Validate and count what would change, and write nothing.
            ignore_unknown_columns: Skip columns this file does not define instead of refusing.
            file_name: The file's name, for the import record (a multipart upload has its own).
        """
        data, uploaded_name = await _file_of(request, imports)
        result = await imports.run(
            principal,
            actor,
            ImportRequest(
                kind=kind,
                programme_code=code,
                data=data,
                file_name=uploaded_name or file_name or f"{kind}.csv",
                dry_run=dry_run,
                ignore_unknown_columns=ignore_unknown_columns,
            ),
        )
        return ImportResult(**_fields(result), summary=result.summary)

    @get(opt={"access": PROGRAMME_MANAGE})
    async def list_imports(
        self,
        imports: NamedDependency[ImportService],
        principal: NamedDependency[Principal],
        code: CodeParam,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[ImportRun]:
        """The programme's import runs, newest first.

        Args:
            imports: The import service.
            principal: The signed-in caller.
            code: The programme.
            limit: At most this many runs.
        """
        return to_schema(await imports.list_runs(principal, code, limit), list[ImportRun])


def _fields(result: Any) -> dict[str, Any]:
    return {name: getattr(result, name) for name in ImportResult.__struct_fields__[:-1]}


async def _file_of(
    request: Request[Any, Any, Any], imports: ImportService
) -> tuple[bytes, str | None]:
    """The uploaded file's bytes and name; an announced size over the limit is not read."""
    multipart = request.content_type[0] == "multipart/form-data"
    if request.content_length is not None:
        framing = MULTIPART_OVERHEAD_BYTES if multipart else 0
        imports.check_size(request.content_length - framing)
    if not multipart:
        body = await request.body()
        imports.check_size(len(body))
        return body, None
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid(
            "A multipart upload needs the file in a part named 'file'.",
            errors=[{"field": "file", "message": "missing"}],
        )
    data = await upload.read()
    imports.check_size(len(data))
    return data, upload.filename
