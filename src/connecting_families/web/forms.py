"""Forms: what the user typed, read into the API's own msgspec types, and the errors to show.

A refused form is shown again with what the user typed and a message beside each field (the
GOV.UK error summary and error message patterns), so nothing they typed is lost.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import attrs
import msgspec
from litestar import Request

from connecting_families.domain.refs import REF_RULE
from connecting_families.errors import DomainError, Invalid, field_error

T = TypeVar("T")

CSRF_FIELD = "_csrf_token"
_AT = re.compile(r" - at `\$\.?([A-Za-z0-9_.\[\]]*)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")


@attrs.frozen
class Form:
    """A form as shown: the values typed, an error per field, and errors about no one field."""

    values: dict[str, str] = attrs.Factory(dict)
    errors: dict[str, str] = attrs.Factory(dict)
    summary: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.summary)

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    @classmethod
    def refusing(cls, values: dict[str, str], error: DomainError) -> Form:
        """The form again, with the service's errors placed beside the fields they name."""
        fields: dict[str, str] = {}
        others: list[str] = []
        for problem in error.errors:
            name = str(problem.get("field") or "")
            message = str(problem.get("message") or "")
            if name:
                fields.setdefault(name, message)
            else:
                others.append(message)
        if not fields and not others:
            others.append(error.detail)
        return cls(values=values, errors=fields, summary=tuple(others))


async def form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted fields as text, without the CSRF token."""
    form = await request.form()
    return {
        name: value.strip()
        for name, value in form.items()
        if isinstance(value, str) and name != CSRF_FIELD
    }


def whole_number(text: str | None) -> int | None:
    """A form's hidden id or version as a number; None for anything else (no 500 for "²")."""
    if text and text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def read(values: dict[str, str], schema: type[T], **fixed: Any) -> T:
    """`values` (blank fields left out) with `fixed` as a `schema`; `Invalid` naming the field."""
    data: dict[str, Any] = {name: value for name, value in values.items() if value != ""}
    data.update(fixed)
    try:
        return msgspec.convert(data, schema, strict=False)
    except msgspec.ValidationError as exc:
        field, message = _explain(str(exc))
        raise Invalid(
            "The form was refused; see the message beside the field.",
            errors=[field_error(field, message)],
        ) from None


def _explain(message: str) -> tuple[str, str]:
    """msgspec's message as (field, words a person understands)."""
    if missing := _MISSING.match(message):
        return missing.group(1), "Enter a value"
    at = _AT.search(message)
    field = at.group(1) if at else ""
    text = _AT.sub("", message)
    if "date" in text.lower():
        return field, "Enter a real date, as day, month and year"
    if "Expected `int`" in text:
        return field, "Enter a whole number"
    if "length" in text:
        return field, text.replace("Expected `str` of ", "Enter text of ")
    if "Invalid enum value" in text:
        return field, "Choose one of the options"
    if "matching regex" in text:
        return field, f"Enter only {REF_RULE}"
    return field, text
