"""Forms: the one way every page form is read, refused and accepted.

A form is a page of its own (GOV.UK's question pages): a GET shows it, a POST sends it.

- The POST reads what was typed into the API's own msgspec types with `read`, naming each
  field by its label as the page shows it (`labels`), never by its API name.
- Refused (`refused`), the same page comes back with every error at once: an error summary at
  the top linking to each field (GOV.UK Frontend moves focus to it), "Error: " before the
  page's title, a message beside each field in the Design System's wording, and everything
  typed kept. A 403 keeps the typed text too, and says why.
- Accepted (`accepted`), post → redirect → get: a 303 to the page the form belongs to, which
  says what was done in a success banner (`SAVED`, shown by `base.html`).

HTMX is only an enhancement: every form is a plain HTML form that works without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import FormMultiDict
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from connecting_families.domain.refs import REF_RULE
from connecting_families.errors import DomainError, Invalid, field_error

T = TypeVar("T")

CSRF_FIELD = "_csrf_token"
# A GOV.UK date input posts a date as three fields: `due_on-day`, `due_on-month`, `due_on-year`.
DATE_PARTS = ("day", "month", "year")
_AT = re.compile(r" - at `\$\.?([A-Za-z0-9_.\[\]]*)`$")
# msgspec's words for a number out of its bounds: "Expected `int` >= 1".
_BOUND = re.compile(r"Expected `(?:int|float)` (>=|<=) (-?[0-9.]+)$")
# A number expected, optional or not: "Expected `int`", "Expected `int | null`, got `str`".
_NUMBER = re.compile(r"Expected `(?:int|float)(?: \| null)?`")
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

    def chosen(self, name: str) -> list[str]:
        """The values ticked in a group of checkboxes called `name`."""
        return chosen(self.values, name)

    @classmethod
    def refusing(
        cls, values: dict[str, str], error: DomainError, labels: Mapping[str, str] | None = None
    ) -> Form:
        """The form again, with the service's errors placed beside the fields they name, each
        in words that name the field by its label (`labels`: field name → label)."""
        labels = labels or {}
        fields: dict[str, str] = {}
        others: list[str] = []
        for problem in error.errors:
            name = _field_name(str(problem.get("field") or ""), labels)
            message = str(problem.get("message") or "")
            if name in labels:
                fields.setdefault(name, worded(labels[name], message))
            elif name:
                fields.setdefault(name, message)
            else:
                others.append(message if message[:1].isupper() else error.detail)
        if not fields and not others:
            others.append(error.detail)
        return cls(values=values, errors=fields, summary=tuple(others))


def _field_name(name: str, labels: Mapping[str, str]) -> str:
    """The form's field for a service's field name: `progress[0].rating` is the form's
    `progress-0-rating` when the form has such a field."""
    if name in labels:
        return name
    dashed = name.replace("[", "-").replace("].", "-").replace("]", "").replace(".", "-")
    return dashed if dashed in labels else name


def worded(label: str, message: str) -> str:
    """A service's message about a field as the Design System words errors, naming the field by
    its label: "must not be empty" beside "Note" → "Enter note"; a message that is already a
    sentence (it starts with a capital) is kept as it is."""
    if message[:1].isupper():
        return message
    lower = label[:1].lower() + label[1:]
    if message in (
        "",
        "required",
        "is required",
        "must not be empty",
        "must not be blank",
        "missing",
    ):
        return f"Enter {lower}"
    if message.startswith(("must be one of", "unknown choice")):
        return f"Select {lower}"
    return f"{label} {message}"


async def form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted fields as text, without the CSRF token, with each date input's date.

    A field sent more than once (a group of checkboxes) is its values joined by CHOSEN_SEPARATOR;
    `chosen` splits them again."""
    form = await request.form()
    values: dict[str, str] = {}
    for name in form:
        if name == CSRF_FIELD:
            continue
        sent = [value.strip() for value in form.getall(name) if isinstance(value, str)]
        if sent:
            values[name] = CHOSEN_SEPARATOR.join(value for value in sent if value)
    return with_dates(values)


# Between the values of a field sent more than once; a line break, which no checkbox's value has.
CHOSEN_SEPARATOR = "\n"


def chosen(values: dict[str, str], name: str) -> list[str]:
    """The values of a field sent more than once (a group of checkboxes), as a list."""
    text = values.get(name, "")
    return [value for value in text.split(CHOSEN_SEPARATOR) if value]


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


def read(
    values: dict[str, str],
    schema: type[T],
    labels: Mapping[str, str] | None = None,
    **fixed: Any,
) -> T:
    """`values` (blank fields left out) with `fixed` as a `schema`.

    Refused, `Invalid` names every field that is wrong, not only the first: each field is
    checked on its own, so a form with a blank note and a date that is not real says both.
    Messages name the field by its label in `labels`."""
    data: dict[str, Any] = {
        name: value
        for name, value in values.items()
        if value != "" and not _date_part(name, values)
    }
    data.update(fixed)
    try:
        return msgspec.convert(data, schema, strict=False)
    except msgspec.ValidationError as exc:
        problems = _every_problem(data, schema, labels or {}) or [_explain(str(exc), labels or {})]
    raise Invalid(
        "The form was refused; see the message beside each field.",
        errors=[field_error(field, message) for field, message in problems],
    ) from None


def read_choosing(
    values: dict[str, str],
    schema: type[T],
    labels: Mapping[str, str],
    choices: tuple[str, ...],
    **fixed: Any,
) -> T:
    """`read`, a question answered by choosing (`choices`: radios) asking to "Select" it when
    left blank, as GOV.UK words it, not to "Enter" it."""
    try:
        return read(values, schema, labels, **fixed)
    except Invalid as error:
        for problem in error.errors:
            message = str(problem.get("message", ""))
            if problem.get("field") in choices and message.startswith("Enter "):
                problem["message"] = "Select " + message.removeprefix("Enter ")
        raise


def read_all(
    values: dict[str, str],
    schema: type[T],
    labels: Mapping[str, str],
    problems: list[dict[str, str]],
    **fixed: Any,
) -> T:
    """`read`, refused also for `problems` the page found itself (a question left unanswered
    that the API's type leaves optional), all named at once in the form's order (`labels`)."""
    try:
        data = read(values, schema, labels, **fixed)
    except Invalid as error:
        problems = [*error.errors, *problems]
    if problems:
        order = {name: index for index, name in enumerate(labels)}
        problems = sorted(problems, key=lambda p: order.get(str(p.get("field")), len(order)))
        raise Invalid("The form was refused; see the message beside each field.", errors=problems)
    return data


def _every_problem(
    data: dict[str, Any], schema: type[Any], labels: Mapping[str, str]
) -> list[tuple[str, str]]:
    """Every field of `data` that `schema` refuses, each checked on its own (msgspec stops at
    the first), in the schema's order; empty when each field is right on its own and only the
    whole is wrong."""
    if not (isinstance(schema, type) and issubclass(schema, msgspec.Struct)):
        return []
    problems = []
    for field in msgspec.structs.fields(schema):
        name = field.encode_name
        if name not in data:
            if field.required:
                problems.append((name, f"Enter {_lower(labels.get(name, 'a value'))}"))
            continue
        try:
            msgspec.convert(data[name], field.type, strict=False)
        except msgspec.ValidationError as exc:
            text = str(exc)
            at = _AT.search(text)
            inner = at.group(1) if at else ""
            path = f"{name}.{inner}" if inner and not inner.startswith("[") else name + inner
            problems.append(_explain(f"{_AT.sub('', text)} - at `$.{path}`", labels))
    return problems


def _explain(message: str, labels: Mapping[str, str]) -> tuple[str, str]:
    """msgspec's message as (field, the Design System's words naming the field's label)."""
    if missing := _MISSING.match(message):
        field = missing.group(1)
        return field, f"Enter {_lower(labels.get(field, 'a value'))}"
    at = _AT.search(message)
    field = at.group(1) if at else ""
    label = labels.get(field, "The value")
    text = _AT.sub("", message)
    if "date" in text.lower():
        return field, f"{label} must be a real date"
    if bound := _BOUND.search(text):
        most = bound.group(2)
        return field, f"{label} must be {most} or {'more' if bound.group(1) == '>=' else 'less'}"
    if _NUMBER.search(text):
        return field, f"{label} must be a number"
    if "length <=" in text:
        most = int(text.rsplit(" ", 1)[-1])
        return field, f"{label} must be {most:,} characters or fewer"
    if "length >=" in text:
        return field, f"Enter {_lower(label)}"
    if "Invalid enum value" in text:
        return field, f"Select {_lower(label)}"
    if "matching regex" in text:
        return field, f"{label} must only include {REF_RULE}"
    if "Object contains unknown field" in text:
        return "", "The form has a field this page does not know; reload the page and try again"
    return field, f"{label}: {text}"


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


# What each accepted form says on the page it goes back to, by the key in `?saved=`. Each page
# module adds its own; the key names the action, never a record, so the address says nothing
# about the family.
SAVED: dict[str, str] = {}


def accepted(target: str, saved: str) -> Redirect:
    """Post → redirect → get: to `target`, which says `SAVED[saved]` in a success banner."""
    if saved not in SAVED:
        raise KeyError(f"no message for a saved {saved!r}; add it to forms.SAVED")
    joiner = "&" if "?" in target else "?"
    return Redirect(f"{target}{joiner}saved={saved}", status_code=303)


def saved_message(key: str | None) -> str | None:
    """The success banner's words for `?saved=key`; None for no key or one unknown."""
    return SAVED.get(key or "")


def refused(
    error: DomainError,
    values: dict[str, str],
    labels: Mapping[str, str],
    template: str,
    **context: Any,
) -> Template:
    """The form's page again, with `error` beside the fields it names and what was typed.

    422 for a form that was wrong, 409 for one that no longer fits the record (someone else
    changed it), 403 for one the caller may not send, saying why; the typed text is kept in
    all three. Any other error is not about the form, and goes to the error page."""
    if error.status_code not in (403, 409, 422):
        raise error
    form = Form.refusing(values, error, labels)
    if error.status_code == 403 and not form.summary:
        form = attrs.evolve(form, summary=(error.detail,))
    return Template(
        template_name=template, context={**context, "form": form}, status_code=error.status_code
    )


# A page form route's `opt` key: its fields' labels, so that the 403 page (which a guard or the
# CSRF check reaches before the handler runs) can name what was typed as the form does.
FORM_LABELS = "form_labels"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# A value longer than this, or on several lines, is given back in a text area to copy.
LONG_VALUE = 80


@attrs.frozen
class TypedField:
    """One field of a refused form as it was typed, to give back on the 403 page."""

    label: str
    value: str

    @property
    def long(self) -> bool:
        return len(self.value) > LONG_VALUE or "\n" in self.value


async def reads_page_form(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard before the others: read a page form POST's fields once, so that a refusal by
    the next guards still has what was typed (`typed_fields`).

    Litestar keeps the parsed form in the connection's scope, where the page error handler
    (which is synchronous) finds it and the handler reads the same copy. The CSRF check has
    usually parsed it already (its token is a form field); this covers a token sent as a
    header. The body is read through `request_limits`, so its size limit holds."""
    if connection.scope.get("method") != "POST" or not isinstance(connection, Request):
        return
    if connection.url.path.startswith("/api/") or connection.content_type[0] not in FORM_TYPES:
        return
    await connection.form()


def typed_fields(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[TypedField, ...]:
    """What a page form POST held, each field by its label (the route's `opt[FORM_LABELS]`),
    for a page that refuses it before its handler runs; nothing when the form was not read.

    Never the CSRF token, a password, or a file; a date input's three fields as one."""
    if connection.scope.get("method") != "POST":
        return ()
    parsed = ScopeState.from_scope(connection.scope).form
    if parsed is Empty:
        return ()
    handler = connection.scope.get("route_handler")
    # A route that declares its labels gives back only those fields (not its hidden ones).
    labels: Mapping[str, str] | None = handler.opt.get(FORM_LABELS) if handler else None
    form = FormMultiDict.from_form_data(parsed)
    values: dict[str, str] = {}
    for name in form:
        if name == CSRF_FIELD or "password" in name.lower():
            continue
        sent = [value.strip() for value in form.getall(name) if isinstance(value, str)]
        if any(sent):
            values[name] = ", ".join(value for value in sent if value)
    typed = []
    for name, value in values.items():
        date_name, _, part = name.rpartition("-")
        if part in DATE_PARTS and f"{date_name}-day" in values:
            if part != "day":
                continue
            name = date_name
            value = " ".join(values.get(f"{date_name}-{p}", "") for p in DATE_PARTS).strip()
        if labels is not None and name not in labels:
            continue  # a hidden field (a version, the page to go back to): not typed
        label = labels[name] if labels is not None else name.replace("_", " ").capitalize()
        typed.append(TypedField(label, value))
    return tuple(typed)
