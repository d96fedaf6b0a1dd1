"""The monthly report as CSV and as a printable HTML page with SVG charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import jinja2

from connecting_families.domain.dates import today
from connecting_families.spreadsheets import Columns, csv_text

SECTIONS = (
    ("The month", "this_month"),
    ("Year to date", "year_to_date"),
    ("Same month a year earlier", "a_year_earlier"),
)


def _blank(value: Any) -> Any:
    return "" if value is None else value


# Each indicator row of the report: its label and how to read it from a section.
ROWS: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("Assessments started", lambda s: s["assessments_started"]),
    (
        "Assessments in the 12 months to the end",
        lambda s: s["assessment_rate"]["assessments_12_months"],
    ),
    ("Children (0-17)", lambda s: _blank(s["assessment_rate"]["children"])),
    ("Rate per 10,000 children", lambda s: _blank(s["assessment_rate"]["rate"])),
    ("Target rate per 10,000 children", lambda s: _blank(s["assessment_rate"]["target"])),
    (
        "Above (+) or below (-) the target, %",
        lambda s: _blank(s["assessment_rate"]["above_target_percent"]),
    ),
    ("Assessments completed", lambda s: s["assessments_completed"]["completed"]),
    (
        "Completed within timescale, %",
        lambda s: _blank(s["assessments_completed"]["within_timescale_percent"]),
    ),
    ("Referrals", lambda s: s["re_referrals"]["referrals"]),
    ("Re-referrals", lambda s: s["re_referrals"]["re_referrals"]),
    ("Re-referral rate, %", lambda s: _blank(s["re_referrals"]["rate_percent"])),
    ("Key workers with families", lambda s: s["caseload"]["key_workers"]),
    ("Mean caseload", lambda s: _blank(s["caseload"]["mean"])),
    ("Largest caseload", lambda s: _blank(s["caseload"]["max"])),
    ("Weighted mean caseload", lambda s: _blank(s["caseload"]["weighted_mean"])),
)

BREAKDOWNS = ("by_month", "by_ward", "by_team", "by_key_worker", "by_headline")

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("connecting_families.reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


MONTHLY_COLUMNS: Columns = (
    ("programme", "text"),
    ("month", "date"),
    ("section", "text"),
    ("measure", "text"),
    ("value", "number"),
)
TOTALS_COLUMNS: Columns = (
    ("programme", "text"),
    ("as_of", "date"),
    ("breakdown", "text"),
    ("key", "text"),
    ("measure", "text"),
    ("value", "number"),
)


def monthly_csv(report: dict[str, Any]) -> str:
    """One row per figure: section, measure, value."""
    return csv_text(MONTHLY_COLUMNS, _monthly_rows(report))


def _monthly_rows(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    head = (report["programme"], report["month"])
    for _, key in SECTIONS:
        for label, value in ROWS:
            yield (*head, key, label, value(report[key]))
    totals = report["totals"]
    for name, count in totals["families"].items():
        yield (*head, "totals", f"families {name}", count)
    yield (*head, "totals", "families turned around", totals["turned_around"]["families"])
    for route, figures in totals["turned_around"]["by_route"].items():
        yield (*head, "totals", f"turned around: {route}", figures["families"])
    for name, amount in totals["income"].items():
        yield (*head, "totals", name, amount)
    for bar in report["assessments_by_month"]:
        yield (*head, "assessments by month", bar["month"], bar["assessments"])


def totals_csv(totals: dict[str, Any]) -> str:
    """One row per figure: breakdown, key, measure, value (the whole programme's key is
    blank)."""
    return csv_text(TOTALS_COLUMNS, _totals_rows(totals))


def _totals_rows(totals: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    head = (totals["programme"], totals["as_of"])
    for name, count in totals["families"].items():
        yield (*head, "", "", f"families {name}", count)
    for reason, count in totals["closed_by_reason"].items():
        yield (*head, "closed_by_reason", reason, "families", count)
    yield (*head, "", "", "turned around", totals["turned_around"]["families"])
    for route, figures in totals["turned_around"]["by_route"].items():
        for measure, value in figures.items():
            yield (*head, "turned_around", route, measure, value)
    for route, figures in totals["claimed"].items():
        for measure, value in figures.items():
            yield (*head, "claimed", route, measure, value)
    for measure, value in (*totals["income"].items(), *totals["target"].items()):
        yield (*head, "", "", measure, _blank(value))
    for name in BREAKDOWNS:
        key_name = "month" if name == "by_month" else "key"
        for row in totals[name]:
            for measure, value in row.items():
                if measure != key_name:
                    yield (*head, name, row[key_name], measure, value)


def monthly_html(report: dict[str, Any]) -> str:
    month = dt.date.fromisoformat(report["month"] + "-01")
    return _templates.get_template("monthly.html").render(
        r=report,
        month_name=month.strftime("%B %Y"),
        generated_on=today().isoformat(),
        sections=[(label, report[key]) for label, key in SECTIONS],
        rows=ROWS,
    )
