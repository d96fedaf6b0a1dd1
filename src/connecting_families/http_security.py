"""Security headers on every response, and the checks every request's input passes first."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders, UploadFile
from litestar.types import Message, Scope

from connecting_families.errors import DomainError, Invalid
from connecting_families.http_params import out_of_range_dates
from connecting_families.request_limits import MAX_JSON_DEPTH, json_depth_within

# Uploaded files are searched for NUL characters a piece at a time, not copied whole.
_SCAN_BYTES = 1024 * 1024

STRICT_CSP = (
    "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# Swagger UI starts itself with an inline script; only its pages get this policy.
SCHEMA_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
# The API's monthly report (`format=html`) is one self-contained, printable page with its own
# <style> block. The page of the same report is a GOV.UK page, under the strict policy.
REPORT_CSP = STRICT_CSP + "; style-src 'self' 'unsafe-inline'"
REPORT_PATH = re.compile(r"^/api/v1/programmes/[^/]+/reports/monthly$")
HSTS = "max-age=31536000; includeSubDomains"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Add CSP, nosniff, frame denial and a referrer policy; HSTS when served over https.

    A `before_send` hook, so that it also reaches responses no route handled (404, 405).
    """
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    path = scope["path"]
    headers["Content-Security-Policy"] = (
        SCHEMA_CSP
        if path.startswith("/schema")
        else REPORT_CSP
        if REPORT_PATH.match(path)
        else STRICT_CSP
    )
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    if scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = HSTS


class CheckedRequest(Request[Any, Any, Any]):
    """Litestar's request, whose JSON body is refused when nested too deeply (before the
    decoder sees it) or when it holds a date out of range. Every JSON body a handler is
    given is decoded here."""

    async def json(self) -> Any:
        if not json_depth_within(await self.body()):
            raise DomainError(
                f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.",
                errors=[{"field": "body", "message": f"nested over {MAX_JSON_DEPTH} levels"}],
            )
        value = await super().json()
        _refuse_out_of_range_dates([("", value)] if not isinstance(value, dict) else value.items())
        return value


async def check_request_input(request: Request[Any, Any, Any]) -> None:
    """The checks every request's path, query and body pass before its handler runs."""
    await refuse_nul_characters(request)
    fields: list[tuple[str, Any]] = list(request.query_params.multi_items())
    if request.method not in ("GET", "HEAD", "OPTIONS", "DELETE") and request.content_type[0] in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        # A page's form (parsed once; the handler reads the same copy).
        fields.extend(
            (name, value)
            for name, value in (await request.form()).multi_items()
            if isinstance(value, str)
        )
    _refuse_out_of_range_dates(fields)


def _refuse_out_of_range_dates(fields: Any) -> None:
    if problems := out_of_range_dates(fields):
        names = ", ".join(problem["field"] for problem in problems)
        raise Invalid(f"{names}: out of the range of dates this service accepts.", errors=problems)


async def refuse_nul_characters(request: Request[Any, Any, Any]) -> None:
    """Refuse a path, query or body holding a NUL character: PostgreSQL cannot compare or
    store one in text, and no field of this service needs one, so both databases answer
    the same 400."""
    query = request.scope.get("query_string", b"")
    for where, found in (
        ("path", "\x00" in request.scope["path"]),
        ("query", b"\x00" in query or b"%00" in query),
    ):
        if found:
            raise Invalid(
                f"The request's {where} holds a NUL character (%00); no parameter may.",
                errors=[{"field": where, "message": "contains a NUL character"}],
            )
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    if request.content_type[0] == "multipart/form-data":
        # A page's CSRF check has parsed the form from the stream already, keeping no body.
        try:
            form = await request.form()
        except UnicodeDecodeError:
            # Litestar reads a part without a file name as a UTF-8 text field, and fails on
            # any other bytes.
            raise Invalid(
                "A form field (a part without a file name) is not UTF-8 text.",
                errors=[{"field": "body", "message": "a form field is not UTF-8 text"}],
            ) from None
        found = False
        for value in form.values():
            if isinstance(value, UploadFile):
                found = found or await _holds_nul(value)
            else:
                found = found or "\x00" in value
    else:
        body = await request.body()
        found = b"\x00" in body or b"\\u0000" in body or b"%00" in body
    if found:
        raise Invalid(
            "The request holds a NUL character (\\u0000); no field may contain one.",
            errors=[{"field": "body", "message": "contains a NUL character"}],
        )


async def _holds_nul(upload: UploadFile) -> bool:
    try:
        while piece := await upload.read(_SCAN_BYTES):
            if b"\x00" in piece:
                return True
        return False
    finally:
        await upload.seek(0)
