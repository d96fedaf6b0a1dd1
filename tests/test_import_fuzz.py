"""Fuzzing the CSV importer (issue 11): whatever bytes arrive, an import either loads every row
or refuses the file with a list of problems, each naming its line (and column); it never
crashes and never writes part of a file.

Hypothesis makes three sorts of file for every import kind:

- any bytes: random binary, and CSV-like text in odd encodings, with BOMs, NULs, lone CRs,
  stray quotes, invalid UTF-8 and fields too large for a number or for the CSV reader;
- nearly valid files: the kind's real header and valid rows, then mutated (a cell replaced by
  an odd date, a number out of range, an unknown reference, a padded or too long identifier,
  a quoted newline, a NUL; rows repeated, blank or ragged; columns dropped, added, repeated,
  reordered; the header row missing);
- valid files, in every layout the data-exchange spec allows, which must import, and then
  import again as all unchanged.

Each example is imported through the service (most of them) or uploaded over HTTP as the
programme manager (a few), and the whole database is counted before and after: a refusal adds
one audit entry (allowed false, with the file's sha256 and problem count) and nothing else; a
success writes exactly the rows it counts. The household the files refer to carries a marker
(`Zq`) in every name and reference, so that a problem echoing a cell is caught: errors promise
never to hold personal data (`errors.py`); only a code column (`OneOf`, "codes are not personal
data", `imports/cells.py`) may quote its cell.

CF_FUZZ_EXAMPLES sets the examples per test (default 50; PostgreSQL runs a third of them, HTTP
uploads a quarter, PostgreSQL uploads an eighth).
The long run is the same file with a large number, e.g. `CF_FUZZ_EXAMPLES=3000`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, note, settings
from hypothesis import strategies as st
from litestar import Litestar

from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent
from connecting_families.errors import Invalid
from connecting_families.hooks.host import PluginHost
from connecting_families.imports import cells, households
from connecting_families.imports.kinds import BENEFITS, KINDS, NEED_OUTCOMES, PROVISIONS
from connecting_families.imports.reader import MAX_PROBLEMS_LISTED, Column
from connecting_families.imports.service import IMPORT_KINDS, ImportRequest, ImportService
from connecting_families.imports.tables import ImportRun

from access_world import World, build_world
from import_cases import CouncilMeasures

EXAMPLES = int(os.environ.get("CF_FUZZ_EXAMPLES", "50"))
# PostgreSQL imports cost several times SQLite's; the suite's budget allows fewer there.
POSTGRES_EXAMPLES = max(3, EXAMPLES // 3)
HTTP_EXAMPLES = max(3, EXAMPLES // 4)
OPERATOR = Actor.operator("fuzz")
IMPORTS = "/api/v1/programmes/P1/imports"

# The household every file refers to. Every name and reference holds the marker "Zq".
HOUSEHOLD_FAMILIES = (
    "family_ref,programme,key_worker,identified_on,attached_on\n"
    "ZqF1,P1,kw_own,2012-01-10,2012-02-01\n"
    "ZqF2,P1,,2012-03-01,\n"
)
HOUSEHOLD_PEOPLE = (
    "person_ref,family_ref,given_name,family_name,date_of_birth,role,upn,ni_number\n"
    "ZqC1,ZqF1,ZqAmy,ZqSmith,2005-04-01,child,A123456789012,\n"
    "ZqC2,ZqF1,ZqBen,ZqSmith,2007-06-01,child,,\n"
    "ZqA1,ZqF1,ZqCara,ZqSmith,1980-02-02,adult,,JK765432B\n"
    "ZqD1,ZqF2,ZqDan,ZqJones,1975-05-05,adult,,\n"
)
PEOPLE_REFS = ("ZqC1", "ZqC2", "ZqA1", "ZqD1")
FAMILY_REFS = ("ZqF1", "ZqF2")
C1_UPN = "A123456789012"
A1_NI = "JK765432B"
# What no problem may repeat (compared in lower case).
SECRETS = ("zq", C1_UPN.lower(), A1_NI.lower(), "2005-04-01", "2007-06-01", "1980-02-02")

COLUMNS: dict[str, tuple[Column, ...]] = {
    **households.COLUMNS,
    **{name: kind.columns for name, kind in KINDS.items()},
}
# The tables counted before and after every import: (table, the column whose non-null values
# are counted too: superseded rows, ended allocations, versions summed).
COUNTED = (
    *((kind.table, "superseded_at") for kind in KINDS.values()),
    ("membership", "superseded_at"),
    ("family", "version"),
    ("person", "version"),
    ("allocation", "ended_at"),
    ("family_status_change", None),
    ("import_run", None),
    ("audit_event", None),
)


def code_columns(kind: str) -> frozenset[str]:
    """The columns of codes, whose problems may quote the cell (`cells.OneOf`)."""
    return frozenset(c.name for c in COLUMNS[kind] if isinstance(c.parse, cells.OneOf))


# --- Valid rows, a strategy per kind --------------------------------------------------------

PAST = st.dates(dt.date(2000, 1, 1), dt.date(2020, 12, 31))
BASE = dt.date(2001, 1, 1)
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
BOOLEANS = st.sampled_from(["true", "false", "yes", "no", "1", "0", "y", "n", "TRUE", " No "])
HEADLINES = ("crime_asb", "education", "worklessness")
BY_REF_OR_UPN = st.sampled_from(
    [
        {"person_ref": "ZqC1"},
        {"upn": C1_UPN},
        {"upn": " a123456789012 "},
        {"person_ref": "ZqC1", "upn": C1_UPN},
        {"person_ref": "ZqC2"},
        {"person_ref": "ZqD1"},
    ]
)
BY_REF_OR_NI = st.sampled_from(
    [
        {"person_ref": "ZqA1"},
        {"ni_number": A1_NI},
        {"ni_number": "jk 76 54 32 b"},
        {"person_ref": "ZqA1", "ni_number": A1_NI},
        {"person_ref": "ZqD1"},
    ]
)
PERSON_OR_FAMILY = st.sampled_from(
    [{"person_ref": ref} for ref in PEOPLE_REFS] + [{"family_ref": ref} for ref in FAMILY_REFS]
)


def iso(day: dt.date | None) -> str:
    return "" if day is None else day.isoformat()


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def on_or_after(draw: Any, day: dt.date, most: int = 400) -> dt.date:
    return min(day + dt.timedelta(days=draw(st.integers(0, most))), dt.date(2020, 12, 31))


def maybe_after(draw: Any, day: dt.date, most: int = 400) -> dt.date | None:
    return on_or_after(draw, day, most) if draw(st.booleans()) else None


def keyed_day(draw: Any, row: int) -> dt.date:
    """A day of its own for row `row` (natural keys with a date never repeat in a file)."""
    return BASE + dt.timedelta(days=30 * row + draw(st.integers(0, 20)))


def number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


@st.composite
def attendance_row(draw: Any, row: int) -> dict[str, str]:
    start = keyed_day(draw, row)
    possible = draw(st.integers(0, 400))
    authorised = draw(optional(st.integers(0, possible)))
    unauthorised = draw(st.integers(0, possible - (authorised or 0)))
    return {
        **draw(BY_REF_OR_UPN),
        "period_start": iso(start),
        "period_end": iso(on_or_after(draw, start, 120)),
        "possible_sessions": str(possible),
        "authorised_absence_sessions": "" if authorised is None else str(authorised),
        "unauthorised_absence_sessions": str(unauthorised),
        "school_urn": draw(st.sampled_from(["", "100001", "URN-7"])),
    }


@st.composite
def exclusion_row(draw: Any, row: int) -> dict[str, str]:
    sessions = draw(optional(st.integers(0, 100)))
    return {
        **draw(BY_REF_OR_UPN),
        "exclusion_ref": f"ZqEX-{row}",
        "start_date": iso(draw(PAST)),
        "kind": draw(st.sampled_from(["fixed", "permanent", "Fixed", " PERMANENT "])),
        "sessions": "" if sessions is None else str(sessions),
    }


@st.composite
def offence_row(draw: Any, row: int) -> dict[str, str]:
    day = draw(PAST)
    return {
        "person_ref": draw(st.sampled_from(PEOPLE_REFS)),
        "offence_ref": f"ZqOF-{row}",
        "offence_date": iso(day),
        "outcome_date": iso(maybe_after(draw, day)),
        "category": draw(TEXT),
    }


@st.composite
def asb_row(draw: Any, row: int) -> dict[str, str]:
    return {
        **draw(PERSON_OR_FAMILY),
        "asb_ref": f"ZqASB-{row}",
        "incident_date": iso(draw(PAST)),
        "kind": draw(st.sampled_from(["incident", "intervention", "Incident"])),
    }


@st.composite
def benefit_row(draw: Any, row: int) -> dict[str, str]:
    start = keyed_day(draw, row)
    end = maybe_after(draw, start)
    return {
        **draw(BY_REF_OR_NI),
        "benefit": draw(st.sampled_from(BENEFITS)),
        "start_date": iso(start),
        "end_date": iso(end),
    }


@st.composite
def employment_row(draw: Any, row: int) -> dict[str, str]:
    start = keyed_day(draw, row)
    hours = draw(optional(st.floats(0, 168)))
    return {
        **draw(BY_REF_OR_NI),
        "start_date": iso(start),
        "end_date": iso(maybe_after(draw, start)),
        "hours_per_week": "" if hours is None else number_text(hours),
    }


@st.composite
def work_programme_row(draw: Any, row: int) -> dict[str, str]:
    return {
        **draw(BY_REF_OR_NI),
        "provision": draw(st.sampled_from([*PROVISIONS, "ESF"])),
        "start_date": iso(keyed_day(draw, row)),
    }


@st.composite
def assessment_row(draw: Any, row: int) -> dict[str, str]:
    start = draw(PAST)
    return {
        "assessment_ref": f"ZqEHA-{row}",
        "family_ref": draw(st.sampled_from(FAMILY_REFS)),
        "subject_person_ref": draw(st.sampled_from(("", *PEOPLE_REFS))),
        "started_on": iso(start),
        "completed_on": iso(maybe_after(draw, start)),
        "lead_professional": draw(TEXT),
        "agency": draw(TEXT),
    }


@st.composite
def need_row(draw: Any, row: int) -> dict[str, str]:
    identified = draw(PAST)
    outcome = draw(optional(st.sampled_from(NEED_OUTCOMES)))
    outcome_on = None if outcome is None else maybe_after(draw, identified)
    return {
        "need_ref": f"ZqN-{row}",
        "family_ref": draw(st.sampled_from(FAMILY_REFS)),
        "person_ref": draw(st.sampled_from(("", *PEOPLE_REFS))),
        "headline": draw(st.sampled_from(HEADLINES)),
        "identified_on": iso(identified),
        "evidence": draw(TEXT),
        "outcome": outcome or "",
        "outcome_on": iso(outcome_on),
    }


@st.composite
def observation_row(draw: Any, row: int) -> dict[str, str]:
    measure = draw(st.sampled_from(["wellbeing_score", "rent_arrears", "housing_status"]))
    value = {
        "wellbeing_score": st.floats(0, 10).map(number_text),
        "rent_arrears": BOOLEANS,
        "housing_status": st.sampled_from(["secure", "temporary", " homeless "]),
    }[measure]
    dates: dict[str, str] = {}
    # Without a reference an observation is known by all it says: a day of its own.
    start = keyed_day(draw, row)
    if draw(st.booleans()):
        dates["observed_on"] = iso(start)
    else:
        dates["period_start"] = iso(start)
        dates["period_end"] = iso(on_or_after(draw, start))
    return {
        **draw(PERSON_OR_FAMILY),
        "measure": measure,
        **dates,
        "value": draw(value),
        "observation_ref": draw(st.sampled_from([f"ZqOB-{row}", ""])),
    }


@st.composite
def family_row(draw: Any, row: int) -> dict[str, str]:
    identified = draw(PAST)
    attached = maybe_after(draw, identified)
    closed = maybe_after(draw, attached or identified)
    return {
        "family_ref": f"ZqNF-{row}",
        "programme": "P1",
        "postcode": draw(st.sampled_from(["", "pe1 1aa", " SW1A   1AA "])),
        "ward": draw(TEXT),
        "key_worker": draw(st.sampled_from(["", "kw_own", "kw_other", "kw_spare"])),
        "identified_on": iso(identified),
        "attached_on": iso(attached),
        "closed_on": iso(closed),
        "closure_reason": "" if closed is None else draw(TEXT),
        "local_filter": draw(st.just("") | BOOLEANS),
        "expectant_parent": draw(st.just("") | BOOLEANS),
    }


@st.composite
def person_row(draw: Any, row: int) -> dict[str, str]:
    joined = draw(optional(PAST))
    left = maybe_after(draw, (joined or BASE) + dt.timedelta(days=1))
    return {
        "person_ref": f"ZqNP-{row}",
        "family_ref": draw(st.sampled_from(FAMILY_REFS)),
        "given_name": "Zq" + draw(TEXT),
        "family_name": "Zq" + draw(TEXT),
        "date_of_birth": iso(draw(PAST)),
        "sex": draw(st.sampled_from(["", "female", "male", "other", "unknown", "Female"])),
        "role": draw(st.sampled_from(["adult", "child", "Child"])),
        # Each new person's own identifiers, so that no later file finds them another's.
        "upn": draw(st.sampled_from(["", f"N{row:011d}X"])),
        "ni_number": draw(st.sampled_from(["", f"NP{row:06d}A"])),
        "joined_on": iso(joined),
        "left_on": iso(left),
    }


ROWS: dict[str, Callable[[int], st.SearchStrategy[dict[str, str]]]] = {
    "families": family_row,
    "people": person_row,
    "attendance": attendance_row,
    "exclusions": exclusion_row,
    "offences": offence_row,
    "asb": asb_row,
    "benefits": benefit_row,
    "employment": employment_row,
    "work_programme": work_programme_row,
    "assessments": assessment_row,
    "needs": need_row,
    "observations": observation_row,
}
assert set(ROWS) == set(IMPORT_KINDS)


# --- Files ----------------------------------------------------------------------------------


@attrs.frozen
class FuzzFile:
    kind: str
    data: bytes
    # A valid file must import; any other may be refused.
    must_import: bool = False
    # The data rows, when the strategy knows them.
    rows: int | None = None
    dry_run: bool = False
    ignore_unknown_columns: bool = False


@attrs.frozen
class Layout:
    """How a file is written: all of these are allowed by the data-exchange spec."""

    bom: bool
    terminator: str
    quote_all: bool
    final_newline: bool


LAYOUTS = st.builds(
    Layout,
    bom=st.booleans(),
    terminator=st.sampled_from(["\n", "\r\n", "\r"]),
    quote_all=st.booleans(),
    final_newline=st.booleans(),
)


def quoted(cell: str, quote_all: bool) -> str:
    if quote_all or any(char in cell for char in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_text(records: list[list[str]], layout: Layout) -> str:
    lines = [",".join(quoted(cell, layout.quote_all) for cell in record) for record in records]
    text = layout.terminator.join(lines)
    if layout.final_newline:
        text += layout.terminator
    return ("\ufeff" if layout.bom else "") + text


@st.composite
def valid_tables(draw: Any, kind: str) -> tuple[list[str], list[list[str]]]:
    """A header (some optional columns left out, any order) and valid rows for it."""
    rows = [draw(ROWS[kind](number)) for number in range(draw(st.integers(0, 6)))]
    if kind == "people" and rows and draw(st.booleans()):
        # A person may belong to two households, with the same details in both rows.
        row = rows[draw(st.integers(0, len(rows) - 1))]
        other = FAMILY_REFS[1 - FAMILY_REFS.index(row["family_ref"])]
        rows.append({**row, "family_ref": other})
    columns = [column.name for column in COLUMNS[kind]]
    used = {name for row in rows for name, value in row.items() if value}
    needed = KINDS[kind].one_of_columns if kind in KINDS else ()
    header = [
        name
        for name in columns
        if name in used
        or any(c.name == name and c.required for c in COLUMNS[kind])
        or draw(st.booleans())
    ]
    if needed and not set(header) & set(needed):
        header.append(needed[0])
    header = draw(st.permutations(header))
    return list(header), [[row.get(name, "") for name in header] for row in rows]


def spelled(draw: Any, header: list[str]) -> list[str]:
    """The header names in any case, spaced: the spec matches them case-insensitively."""
    styles = [str.lower, str.upper, str.title]
    return [
        draw(st.sampled_from(["", " "])) + draw(st.sampled_from(styles))(name) + " "
        if draw(st.booleans())
        else name
        for name in header
    ]


@st.composite
def valid_files(draw: Any) -> FuzzFile:
    kind = draw(st.sampled_from(IMPORT_KINDS))
    header, rows = draw(valid_tables(kind))
    # Blank lines and Excel's empty rows may come anywhere after the header.
    records = [spelled(draw, header), *rows]
    for _ in range(draw(st.integers(0, 2))):
        blank = draw(st.sampled_from([[], [""] * len(header), [" "]]))
        records.insert(draw(st.integers(1, len(records))), blank)
    text = csv_text(records, draw(LAYOUTS))
    return FuzzFile(
        kind=kind,
        data=text.encode(),
        must_import=True,
        rows=len(rows),
        dry_run=draw(st.booleans()),
    )


# Odd cells, by what the column holds.
# In the years a date may have, but in the future.
FUTURE = "2100-12-31"
ODD_DATES = st.sampled_from(
    [
        "02/09/2013",
        "2013-9-2",
        "2013-02-30",
        "20130902",
        " 2013-09-02",
        "2013-09-02T00:00",
        "0001-01-01",
        "1899-12-31",
        "2101-01-01",
        FUTURE,
        "2013-09-02\n",
        "\uff12\uff10\uff11\uff13-\uff10\uff19-\uff10\uff12",
        "\u0662\u0660\u0661\u0663-\u0660\u0669-\u0660\u0662",
        "yesterday",
    ]
) | st.dates(dt.date(1800, 1, 1), dt.date(2200, 1, 1)).map(iso)
ODD_COUNTS = st.sampled_from(
    ["-1", "1.5", "1e3", "+5", " 5", "٣", "0x10", "2147483647", "2147483648", "0" * 30 + "1"]
) | st.integers(-(10**30), 10**30).map(str)
ODD_NUMBERS = st.sampled_from(
    ["nan", "inf", "-inf", "1e309", "-0", "168.0000001", "1_000", " 7 ", "0x1p3", "\u00bd"]
) | st.floats(allow_nan=True).map(repr)
ODD_REFS = st.sampled_from(
    [
        " ZqC1",
        "ZqC1 ",
        "Zq" + "R" * 63,
        "Zq" + "R" * 62,
        "ZqNOBODY",
        "zqc1",
        "ZqC1\x00",
        "ZqC1\n",
        "Zq\u200bC1",
        "ZqF1",
        "ZqC1,ZqC2",
        'Zq"C1',
    ]
)
ODD_UPNS = st.sampled_from(
    [
        "a123456789012",
        "A12345678901",
        "A123456789012\n",
        "B999999999999",
        "A\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662",
        "A1234567890123",
    ]
)
ODD_NI = st.sampled_from(
    [
        "jk 76 54 32 b",
        "JK765432B\n",
        "QQ123456C",
        "AB123456",
        "JK765432B\x00",
        "jk765432b\t",
        "\u017fK765432B",
    ]
)
ODD_TEXTS = st.sampled_from(
    [
        "\u00df" * 16,
        "\ufb03" * 30,
        "x" * 65,
        "y" * 101,
        "z" * 201,
        "w" * 256,
        "v" * 4001,
        "a\x00b",
        "one\r\ntwo",
    ]
)
ANY_CELL = st.sampled_from(["", " ", "\t", '"', "\x00", "\r", "\n"]) | st.text(
    st.characters(blacklist_categories=("Cs",)), max_size=20
)


def odd_cells(column: Column | None) -> st.SearchStrategy[str]:
    by_parser: st.SearchStrategy[str] = ODD_TEXTS
    if column is not None:
        by_parser = {
            cells.parse_date: ODD_DATES,
            cells.parse_count: ODD_COUNTS,
            cells.parse_hours: ODD_NUMBERS,
            cells.parse_boolean: st.sampled_from(["maybe", "2", "T", "ja"]),
            cells.parse_ref: ODD_REFS,
            cells.parse_upn: ODD_UPNS,
            cells.parse_ni_number: ODD_NI,
        }.get(column.parse, ODD_TEXTS)
    return by_parser | ANY_CELL


Table = tuple[list[str], list[list[str]]]


def _cell(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    if rows and header:
        row = draw(st.integers(0, len(rows) - 1))
        at = draw(st.integers(0, len(rows[row]) - 1)) if rows[row] else 0
        if rows[row]:
            name = header[at] if at < len(header) else ""
            column = next((c for c in COLUMNS[kind] if c.name == name), None)
            rows[row][at] = draw(odd_cells(column))
    return header, rows


def _empty_cell(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    if rows and header:
        row = draw(st.integers(0, len(rows) - 1))
        if rows[row]:
            rows[row][draw(st.integers(0, len(rows[row]) - 1))] = draw(st.sampled_from(["", " "]))
    return header, rows


def _repeat_row(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    if rows:
        row = rows[draw(st.integers(0, len(rows) - 1))]
        rows.insert(draw(st.integers(0, len(rows))), list(row))
    return header, rows


def _blank_row(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    blank = draw(st.sampled_from([[], [""] * len(header), [" "], ["", " "], ["\t"]]))
    rows.insert(draw(st.integers(0, len(rows))), blank)
    return header, rows


def _drop_column(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    if header:
        at = draw(st.integers(0, len(header) - 1))
        header = header[:at] + header[at + 1 :]
        rows = [row[:at] + row[at + 1 :] for row in rows]
    return header, rows


def _unknown_column(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    name = draw(st.sampled_from(["officer", "notes", "", "person ref", "family_ref"]) | TEXT)
    return [*header, name], [[*row, draw(ANY_CELL)] for row in rows]


def _repeated_column(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    if header:
        at = draw(st.integers(0, len(header) - 1))
        return [*header, header[at].upper()], [
            [*row, row[at] if at < len(row) else ""] for row in rows
        ]
    return header, rows


def _ragged_row(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    if rows:
        row = rows[draw(st.integers(0, len(rows) - 1))]
        if row and draw(st.booleans()):
            row.pop()
        else:
            row.append(draw(ANY_CELL))
    return header, rows


def _no_header(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    """The header row left out: the first data row is read as the header."""
    if rows:
        return rows[0], rows[1:]
    return header, rows


def _header_again(draw: Any, kind: str, header: list[str], rows: list[list[str]]) -> Table:
    rows.insert(draw(st.integers(0, len(rows))), list(header))
    return header, rows


MUTATIONS = (
    _cell,
    _cell,
    _cell,
    _empty_cell,
    _repeat_row,
    _blank_row,
    _drop_column,
    _unknown_column,
    _repeated_column,
    _ragged_row,
    _no_header,
    _header_again,
)


@st.composite
def nearly_valid_files(draw: Any) -> FuzzFile:
    kind = draw(st.sampled_from(IMPORT_KINDS))
    header, rows = draw(valid_tables(kind))
    for mutate in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        header, rows = mutate(draw, kind, list(header), [list(row) for row in rows])
    text = csv_text([spelled(draw, header), *rows], draw(LAYOUTS))
    return FuzzFile(
        kind=kind,
        data=text.encode("utf-8"),
        dry_run=draw(st.booleans()),
        ignore_unknown_columns=draw(st.booleans()),
    )


TOKENS = st.sampled_from(
    [
        ",",
        '"',
        '""',
        "\n",
        "\r",
        "\r\n",
        "\x00",
        "\ufeff",
        " ",
        "\t",
        ";",
        "ZqC1",
        "ZqF1",
        C1_UPN,
        A1_NI,
        "2013-09-02",
        "P1",
        "14",
        "\u00e9",
        "\u2028",
        "\x85",
        "\U0001d7d8",
        "true",
        "fixed",
        "JSA",
        "education",
    ]
)
RAW_BYTES = st.sampled_from(
    [b"\xff", b"\xfe", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xef\xbb\xbf", b"\x00"]
)


@st.composite
def csv_like_files(draw: Any) -> FuzzFile:
    """A real header (or not) and a body of CSV-ish tokens, in any encoding."""
    kind = draw(st.sampled_from(IMPORT_KINDS))
    header = ",".join(spelled(draw, [c.name for c in COLUMNS[kind]]))
    body = "".join(draw(st.lists(TOKENS | st.text(max_size=6), max_size=120)))
    text = draw(st.sampled_from([header + "\n", header + "\r", ""])) + body
    encoding = draw(
        st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "cp1252"])
    )
    data = text.encode(encoding, errors="replace")
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(RAW_BYTES) + data[at:]
    return FuzzFile(kind=kind, data=data, dry_run=draw(st.booleans()))


@st.composite
def huge_field_files(draw: Any) -> FuzzFile:
    """One valid row with one cell made huge: digits past int()'s limit, or past csv's."""
    kind = draw(st.sampled_from(IMPORT_KINDS))
    header, rows = draw(valid_tables(kind))
    length = draw(st.sampled_from([4300, 4301, 20_000, 131_072, 131_073, 300_000]))
    if rows:
        row = rows[draw(st.integers(0, len(rows) - 1))]
        row[draw(st.integers(0, len(row) - 1))] = draw(st.sampled_from("9x ")) * length
    text = csv_text([header, *rows], Layout(False, "\n", draw(st.booleans()), True))
    return FuzzFile(kind=kind, data=text.encode())


ANY_BYTES = st.one_of(
    st.builds(FuzzFile, kind=st.sampled_from(IMPORT_KINDS), data=st.binary(max_size=2000)),
    csv_like_files(),
    huge_field_files(),
)
ANY_FILE = st.one_of(ANY_BYTES, nearly_valid_files(), valid_files())


# --- What every outcome must look like ------------------------------------------------------


async def snapshot() -> dict[str, int]:
    """Rows of every table an import may write, and of the audit log and import runs."""
    parts = []
    # (Names from COUNTED, not input.)
    for table, column in COUNTED:
        parts.append(f'(SELECT count(*) FROM "{table}") AS "{table}"')  # noqa: S608
        if column == "version":
            parts.append(f'(SELECT sum(version) FROM "{table}") AS "{table}.version"')  # noqa: S608
        elif column is not None:
            parts.append(f'(SELECT count("{column}") FROM "{table}") AS "{table}.{column}"')  # noqa: S608
    parts.append('(SELECT coalesce(max(id), 0) FROM "audit_event") AS "audit_event.last"')
    rows = await ImportRun.raw("SELECT " + ", ".join(parts))
    return {name: int(value or 0) for name, value in rows[0].items()}


def data_rows(data: bytes) -> int:
    """The records after the header that are not blank, read by Python's csv module."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True)
    records = [r for r in reader if any(r) and (len(r) > 1 or r[0].strip())]
    return len(records) - 1


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


async def audit_entries_after(last_id: int) -> list[dict[str, Any]]:
    rows = await ImportRun.raw(
        "SELECT action, allowed, resource_id, actor_name, detail FROM audit_event "
        "WHERE id > {} ORDER BY id",
        last_id,
    )
    for row in rows:
        if isinstance(row["detail"], str):
            row["detail"] = json.loads(row["detail"])
    return list(rows)


async def check_refusal(
    file: FuzzFile,
    detail: str,
    errors: list[dict[str, Any]],
    total: int,
    before: dict[str, int],
    actor: str,
) -> None:
    """Every problem names its line (and column) and says what is wrong; nothing was written,
    and the refusal is audited without personal data."""
    assert not file.must_import, errors[:5]
    assert "nothing was imported" in detail
    assert 1 <= len(errors) <= MAX_PROBLEMS_LISTED
    assert total >= len(errors)
    last_line = file.data.count(b"\n") + file.data.count(b"\r") + 2
    lines = [error["line"] for error in errors]
    assert lines == sorted(lines)
    codes = code_columns(file.kind)
    for error in errors:
        assert set(error) == {"line", "column", "message", "text"}, error
        line, column, message = error["line"], error["column"], error["message"]
        assert isinstance(line, int)
        assert 1 <= line <= last_line, error
        assert column is None or (isinstance(column, str) and 0 < len(column) <= 64), error
        assert isinstance(message, str)
        assert message.strip(), error
        where = f"line {line}" if column is None else f"line {line}, column {column}"
        assert error["text"] == f"{where}: {message}"
        if column not in codes:
            said = error["text"].lower()
            assert not [secret for secret in SECRETS if secret in said], error
    after = await snapshot()
    # A refused file leaves only its audit entry, and, unless a dry run, its refused run.
    assert changed(before, after) == {
        "audit_event": 1,
        "audit_event.last": after["audit_event.last"] - before["audit_event.last"],
        **({} if file.dry_run else {"import_run": 1}),
    }
    [entry] = await audit_entries_after(before["audit_event.last"])
    assert (entry["action"], entry["allowed"], entry["resource_id"], entry["actor_name"]) == (
        f"import.{file.kind}",
        False,
        "P1",
        actor,
    )
    assert entry["detail"] == {
        "sha256": hashlib.sha256(file.data).hexdigest(),
        "problems": total,
        "dry_run": file.dry_run,
    }


def _loaded(detail: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(detail) if isinstance(detail, str) else detail
    return loaded


async def check_success(file: FuzzFile, result: dict[str, Any], before: dict[str, int]) -> None:
    """Every row of the file was imported, and the database changed by exactly its counts."""
    rows = data_rows(file.data)
    if file.rows is not None:
        assert rows == file.rows
    assert result["rows"] == rows
    inserted, superseded = result["inserted"], result["superseded"]
    assert inserted + superseded + result["unchanged"] == rows
    after = await snapshot()
    difference = changed(before, after)
    if file.dry_run:
        assert result["import_run"] is None
        assert difference == {}
        return
    assert result["import_run"] is not None
    assert difference.pop("import_run") == 1
    # The import's own entry, and one for each family a correction moved a record to or from.
    entries = await AuditEvent.select(AuditEvent.detail).where(
        AuditEvent.action == "family.evidence.moved"
    )
    moved = sum(
        1
        for entry in entries
        if _loaded(entry["detail"]).get("import_run") == result["import_run"]
    )
    assert moved == 0 or superseded > 0
    assert difference.pop("audit_event") == 1 + moved
    difference.pop("audit_event.last")
    if file.kind in KINDS:
        table = KINDS[file.kind].table
        assert difference.pop(table, 0) == inserted + superseded
        assert difference.pop(f"{table}.superseded_at", 0) == superseded
    elif file.kind == "families":
        assert difference.pop("family", 0) == inserted
        assert 0 <= difference.pop("family.version", 0) <= inserted + superseded
        assert 0 <= difference.pop("allocation", 0) <= inserted + superseded
        assert 0 <= difference.pop("allocation.ended_at", 0) <= superseded
        assert 0 <= difference.pop("family_status_change", 0) <= inserted + superseded
    else:
        assert 0 <= difference.pop("person", 0) <= inserted
        assert 0 <= difference.pop("person.version", 0) <= inserted + superseded
        assert 0 <= difference.pop("membership", 0) <= inserted + superseded
        assert 0 <= difference.pop("membership.superseded_at", 0) <= superseded
    assert difference == {}, difference
    run = await ImportRun.select().where(ImportRun.id == result["import_run"]).first()
    assert run is not None
    assert (run["status"], run["rows_total"], run["rows_inserted"], run["sha256"]) == (
        "completed",
        rows,
        inserted,
        hashlib.sha256(file.data).hexdigest(),
    )


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
async def world(app: Litestar, client: httpx.AsyncClient) -> World:
    return await build_world(app.state.accounts)


@pytest.fixture
async def service(app: Litestar, world: World) -> ImportService:
    """An import service declaring the test measures, and the household imported."""
    plugins = PluginHost()
    plugins.register(CouncilMeasures(), "council-measures")
    service = ImportService(app.state.engine, 10_000_000, plugins)
    assert set(HEADLINES) <= set(plugins.headlines("tf2012"))
    for kind, text in (("families", HOUSEHOLD_FAMILIES), ("people", HOUSEHOLD_PEOPLE)):
        await service.run(None, OPERATOR, ImportRequest(kind, "P1", text.encode(), f"{kind}.csv"))
    return service


def said(text: str, *, outcome: bool = False) -> None:
    """Note `text` for a failing example's report, or count it as an outcome (an event)."""
    if currently_in_test_context():
        (event if outcome else note)(text)


async def import_through_service(service: ImportService, file: FuzzFile) -> None:
    said(f"{file.kind}: {file.data[:400]!r} ({len(file.data)} bytes)")
    before = await snapshot()
    request = ImportRequest(
        kind=file.kind,
        programme_code="P1",
        data=file.data,
        file_name=f"{file.kind}.csv",
        dry_run=file.dry_run,
        ignore_unknown_columns=file.ignore_unknown_columns,
    )
    try:
        result = await service.run(None, OPERATOR, request)
    except Invalid as refused:
        said(f"refused ({'valid' if file.must_import else 'other'} file)", outcome=True)
        total = refused.extra["problems_total"]
        await check_refusal(file, refused.detail, refused.errors, total, before, "cli:fuzz")
        return
    said(f"imported ({'valid' if file.must_import else 'other'} file)", outcome=True)
    await check_success(file, attrs.asdict(result), before)
    if not file.must_import:
        return
    counts = (result.inserted, result.superseded, result.unchanged)
    if file.dry_run:
        # A dry run counted what the import then does.
        request = attrs.evolve(request, dry_run=False)
        before = await snapshot()
        done = await service.run(None, OPERATOR, request)
        assert (done.inserted, done.superseded, done.unchanged) == counts
        await check_success(attrs.evolve(file, dry_run=False), attrs.asdict(done), before)
    # Loading the same file twice changes nothing (the spec's idempotence).
    before = await snapshot()
    again = await service.run(None, OPERATOR, request)
    assert (again.inserted, again.superseded, again.unchanged) == (0, 0, again.rows)
    assert set(changed(before, await snapshot())) == {
        "import_run",
        "audit_event",
        "audit_event.last",
    }


FUZZ = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.mark.parametrize("database_kind", ["sqlite"])
@settings(FUZZ, max_examples=EXAMPLES)
@given(file=ANY_FILE)
async def test_any_file_imports_whole_or_is_refused_with_its_problems_sqlite(
    service: ImportService, file: FuzzFile
) -> None:
    """Any bytes, nearly valid or valid files: all rows imported, or a clean refusal."""
    await import_through_service(service, file)


@pytest.mark.parametrize("database_kind", ["postgresql"])
@settings(FUZZ, max_examples=POSTGRES_EXAMPLES)
@given(file=ANY_FILE)
async def test_any_file_imports_whole_or_is_refused_with_its_problems_postgresql(
    service: ImportService, file: FuzzFile
) -> None:
    """The same on PostgreSQL, whose column lengths and text rules SQLite does not enforce."""
    await import_through_service(service, file)


async def upload(
    client: httpx.AsyncClient, world: World, file: FuzzFile, file_name: str | None
) -> None:
    """Post `file` as a multipart upload named `file_name`, or without a name as a CSV body."""
    said(f"{file.kind} as {file_name!r}: {file.data[:400]!r} ({len(file.data)} bytes)")
    # The app declares no measures: its observations are refused like any bad file.
    file = attrs.evolve(file, must_import=file.must_import and file.kind != "observations")
    before = await snapshot()
    query = f"?dry_run={str(file.dry_run).lower()}"
    if file.ignore_unknown_columns:
        query += "&ignore_unknown_columns=true"
    if file_name is None:
        response = await client.post(
            f"{IMPORTS}/{file.kind}{query}",
            content=file.data,
            headers={**world.headers("pm"), "Content-Type": "text/csv"},
        )
        # (The body check refuses the text "%00" and "\u0000" too: no CSV cell may hold them.)
        refused_early = any(nul in file.data for nul in (b"\x00", b"%00", b"\\u0000"))
    else:
        response = await client.post(
            f"{IMPORTS}/{file.kind}{query}",
            files={"file": (file_name, file.data, "text/csv")},
            headers=world.headers("pm"),
        )
        refused_early = not file_name or b"\x00" in file.data
    if response.status_code == 422:
        problem = response.json()
        if "problems_total" not in problem:
            # Refused before the import: a part without a file name is a form field, not a
            # file, and no request may hold a NUL character (`http_security.py`).
            assert refused_early, problem
            assert all(set(error) == {"field", "message"} for error in problem["errors"])
            assert await snapshot() == before
            return
        total = problem["problems_total"]
        await check_refusal(file, problem["detail"], problem["errors"], total, before, "pm")
        return
    assert response.status_code == 200, response.text
    await check_success(file, response.json(), before)


# Uploads are valid or nearly valid files (the app declares no measures: observations are
# refused, which is a refusal like any other) and any bytes, with any file name.
UPLOADS = st.one_of(ANY_BYTES, nearly_valid_files(), valid_files())
# No name: the file is the body of the request, as text/csv.
FILE_NAMES = st.none() | st.just("data.csv") | st.text(max_size=300)


@pytest.mark.parametrize("database_kind", ["sqlite"])
@settings(FUZZ, max_examples=HTTP_EXAMPLES)
@given(file=UPLOADS, file_name=FILE_NAMES)
async def test_any_upload_answers_200_or_422_sqlite(
    client: httpx.AsyncClient,
    world: World,
    service: ImportService,
    file: FuzzFile,
    file_name: str | None,
) -> None:
    """Over HTTP, as the programme manager: 200 with the counts, or 422 with the problems."""
    await upload(client, world, file, file_name)


@pytest.mark.parametrize("database_kind", ["postgresql"])
@settings(FUZZ, max_examples=max(2, HTTP_EXAMPLES // 2))
@given(file=UPLOADS, file_name=FILE_NAMES)
async def test_any_upload_answers_200_or_422_postgresql(
    client: httpx.AsyncClient,
    world: World,
    service: ImportService,
    file: FuzzFile,
    file_name: str | None,
) -> None:
    """The same on PostgreSQL."""
    await upload(client, world, file, file_name)


# --- What the fuzzing found: each failing input, shrunk, as a plain test --------------------


async def refusal(service: ImportService, kind: str, data: bytes) -> list[str]:
    with pytest.raises(Invalid) as refused:
        await service.run(None, OPERATOR, ImportRequest(kind, "P1", data, f"{kind}.csv"))
    return [problem["text"] for problem in refused.value.errors]


REGRESSIONS = {
    # int() refuses more than 4,300 digits with a ValueError: a 500, not a row problem.
    "a count of 4,301 digits": (
        "exclusions",
        b"person_ref,exclusion_ref,start_date,kind,sessions\nZqC1,ZqEX-0,2000-01-01,fixed,"
        + b"9" * 4301,
        ["line 2, column sessions: is too large"],
    ),
    # Upper case made the 16-character postcode 32 characters long: PostgreSQL's
    # varchar(16) refused it in the write.
    "a postcode longer once in upper case": (
        "families",
        (
            "postcode,programme,family_ref,identified_on\n"
            + "\u00df" * 16
            + ",P1,ZqNF-0,2000-01-01\n"
        ).encode(),
        ["line 2, column postcode: is longer than 16 characters"],
    ),
    # Any reference could be 64 characters, but the school URN column holds 16.
    "a school URN of 17 characters": (
        "attendance",
        b"person_ref,period_start,period_end,possible_sessions,unauthorised_absence_sessions,"
        b"school_urn\nZqC1,2013-09-02,2013-12-20,140,0," + b"U" * 17,
        ["line 2, column school_urn: is longer than 16 characters"],
    ),
    # PostgreSQL cannot store a NUL in text; SQLite stored it.
    "a NUL in a cell": (
        "offences",
        b"person_ref,offence_ref,offence_date\nZqC1,ZqOF-0,2012-06-01\nZqC1,Zq\x00,2012-06-01\n",
        ["line 3: holds a NUL character, which no CSV text file has"],
    ),
    # A file without its header row: its first row was quoted back as unknown column names.
    "a people file without its header": (
        "people",
        b"ZqNP-0,ZqF1,ZqEve,ZqJones,2010-01-01,,child,,,,\n",
        [
            "line 1: names none of the columns of this file; the first line must be the header "
            "(is it missing, or is this another kind of file?)",
            *(
                f"line 1, column {name}: is required but missing from the header"
                for name in (
                    "person_ref",
                    "family_ref",
                    "given_name",
                    "family_name",
                    "date_of_birth",
                    "role",
                )
            ),
        ],
    ),
}


async def test_fuzzing_finds_are_row_problems(service: ImportService) -> None:
    """Each input the fuzzing shrunk to is refused with its problem, and nothing written
    but the refusal (its audit entry and refused import run)."""
    # (One test for them all: a test's database and household cost more than the cases.)
    for case, (kind, data, expected) in REGRESSIONS.items():
        before = await snapshot()
        assert await refusal(service, kind, data) == expected, case
        assert changed(before, await snapshot()) == {
            "audit_event": 1,
            "audit_event.last": 1,
            "import_run": 1,
        }


async def test_a_national_insurance_number_ending_in_a_newline_is_tidied(
    service: ImportService,
) -> None:
    """A quoted NI number with a newline after it once passed the pattern and was stored
    with the newline (on PostgreSQL, too long for its column); now it names A1."""
    data = b'ni_number,benefit,start_date\n"JK765432B\n",JSA,2012-01-01\n'
    result = await service.run(
        None, OPERATOR, ImportRequest("benefits", "P1", data, "benefits.csv")
    )
    assert (result.rows, result.inserted) == (1, 1)
    rows = await ImportRun.raw(
        "SELECT person.person_ref FROM benefit_spell "
        "JOIN person ON person.id = benefit_spell.person"
    )
    assert [row["person_ref"] for row in rows] == ["ZqA1"]


def multipart(name: bytes, data: bytes) -> tuple[bytes, dict[str, str]]:
    """A multipart body written by hand: httpx would escape what a raw client may send."""
    boundary = b"fuzzboundary"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"' + name + b"\r\n"
        b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n--" + boundary + b"--\r\n"
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"}


async def test_a_form_field_that_is_not_utf8_is_refused_not_a_crash(
    client: httpx.AsyncClient, world: World, service: ImportService
) -> None:
    """A `file` part without a file name is a text field; bytes that are not UTF-8 in it
    made Litestar's form parser raise, a 500."""
    body, headers = multipart(b"", b"\x80")
    before = await snapshot()
    response = await client.post(
        f"{IMPORTS}/families", content=body, headers={**world.headers("pm"), **headers}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "body", "message": "a form field is not UTF-8 text"}
    ]
    assert await snapshot() == before


async def test_a_file_name_with_a_nul_is_recorded_without_it(
    client: httpx.AsyncClient, world: World, service: ImportService
) -> None:
    """An uploaded file's name may hold a NUL (the body check reads only the parts' values);
    PostgreSQL could not store it in the import run."""
    body, headers = multipart(b'; filename="fam\x00.csv"', HOUSEHOLD_FAMILIES.encode())
    response = await client.post(
        f"{IMPORTS}/families", content=body, headers={**world.headers("pm"), **headers}
    )
    assert response.status_code == 200, response.text
    run = await ImportRun.select(ImportRun.file_name).where(
        ImportRun.id == response.json()["import_run"]
    )
    assert run == [{"file_name": "fam.csv"}]
