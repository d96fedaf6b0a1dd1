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
# A GOV.UK date input posts a date as three fields: `due_on-day`, `due_on-month`, `due_on-year`.
DATE_PARTS = ("day", "month", "year")
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
    """The submitted fields as text, without the CSRF token, with each date input's date."""
    form = await request.form()
    return with_dates(
        {
            name: value.strip()
            for name, value in form.items()
            if isinstance(value, str) and name != CSRF_FIELD
        }
    )


def with_dates(values: dict[str, str]) -> dict[str, str]:
    """`values` with each date input's three fields also as one ISO date under the date's own
    name (`due_on`), the form the API's types read. The three fields stay, so a refused form
    shows them as typed; a date with a part missing or not a number is kept as typed, so that
    it is refused as not a real date. All three blank is a date left blank."""
    dated = dict(values)
    for name in values:
        if not name.endswith("-day"):
            continue
        date_name = name.removesuffix("-day")
        day, month, year = (values.get(f"{date_name}-{part}", "") for part in DATE_PARTS)
        if not (day or month or year):
            dated[date_name] = ""
        elif all(part.isascii() and part.isdigit() for part in (day, month, year)):
            dated[date_name] = f"{year}-{month.zfill(2)}-{day.zfill(2)}"
        else:
            dated[date_name] = f"{year}-{month}-{day}"
    return dated


def _date_part(name: str, values: dict[str, str]) -> bool:
    """Whether `name` is one of the three fields of a date input in `values`."""
    date_name, _, part = name.rpartition("-")
    return part in DATE_PARTS and date_name in values


def whole_number(text: str | None) -> int | None:
    """A form's hidden id or version as a number; None for anything else (no 500 for "²")."""
    if text and text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def read(values: dict[str, str], schema: type[T], **fixed: Any) -> T:
    """`values` (blank fields left out) with `fixed` as a `schema`; `Invalid` naming the field."""
    data: dict[str, Any] = {
        name: value
        for name, value in values.items()
        if value != "" and not _date_part(name, values)
    }
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
