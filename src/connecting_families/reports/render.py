"""The monthly report as CSV and as a printable HTML page with SVG charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import jinja2

from connecting_families.domain.dates import today
from connecting_families.frontdoor.records import DECISIONS, SOURCES
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
    # Families' status history, not the front door's contacts (see FRONT_DOOR_ROWS).
    (
        "Families referred (identified or reopened) in the period",
        lambda s: s["re_referrals"]["referrals"],
    ),
    (
        "Families reopened within 12 months of closure in the period",
        lambda s: s["re_referrals"]["re_referrals"],
    ),
    (
        "Families reopened as % of families referred in the period",
        lambda s: _blank(s["re_referrals"]["rate_percent"]),
    ),
    ("Key workers with families", lambda s: s["caseload"]["key_workers"]),
    ("Mean caseload", lambda s: _blank(s["caseload"]["mean"])),
    ("Largest caseload", lambda s: _blank(s["caseload"]["max"])),
    ("Weighted mean caseload", lambda s: _blank(s["caseload"]["weighted_mean"])),
)


def _front_door(*keys: str) -> Callable[[dict[str, Any]], Any]:
    def read(section: dict[str, Any]) -> Any:
        value: Any = section["front_door"]
        for key in keys:
            value = value[key]
        return _blank(value)

    return read


# The front door's rows (`reports.front_door`): each label says which event dates it ("received
# in the period", "made in the period") and what a rate divides by, so a reader can check it.
FRONT_DOOR_ROWS: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    (
        "Contacts received in the period (not step-downs)",
        _front_door("contacts_received", "received"),
    ),
    *(
        (
            f"Contacts received in the period from: {words}",
            _front_door("contacts_received", "by_source", source),
        )
        for source, words in SOURCES.items()
    ),
    (
        "Referrals (family help or step up) of the contacts received in the period",
        _front_door("conversion", "referrals"),
    ),
    (
        "Referrals as % of contacts received in the period",
        _front_door("conversion", "referrals_percent"),
    ),
    (
        "Family help as % of contacts received in the period",
        _front_door("conversion", "family_help_percent"),
    ),
    (
        "Step up to social care as % of contacts received in the period",
        _front_door("conversion", "step_up_percent"),
    ),
    (
        "Contacts received in the period not yet decided",
        _front_door("conversion", "undecided"),
    ),
    (
        "Repeat contacts received in the period (involvement ended within 12 months)",
        _front_door("repeats", "repeat_contacts"),
    ),
    (
        "Re-referrals: repeat contacts received in the period that became referrals",
        _front_door("repeats", "re_referrals"),
    ),
    (
        "Re-referrals as % of referrals of contacts received in the period",
        _front_door("repeats", "re_referral_percent"),
    ),
    (
        "Decisions made in the period (contacts and step-downs)",
        _front_door("decisions", "decided"),
    ),
    *(
        (
            f"Decisions made in the period: {words}",
            _front_door("decisions", "by_decision", decision),
        )
        for decision, words in DECISIONS.items()
    ),
    (
        "Decisions made in the period within timescale",
        _front_door("decisions", "within_timescale"),
    ),
    (
        "Decisions within timescale as % of decisions made in the period",
        _front_door("decisions", "within_timescale_percent"),
    ),
    ("Step-downs from social care received in the period", _front_door("step_downs", "received")),
    (
        "Step-downs received in the period decided family help",
        _front_door("step_downs", "to_family_help"),
    ),
)
ASSESSMENTS_LATE = "Assessments completed in the period out of timescale, by reason"
# The reasons counted for the period, each under its heading: (heading, path in `front_door`).
FRONT_DOOR_REASONS: tuple[tuple[str, str, str], ...] = (
    ("Decisions made in the period out of timescale, by reason", "decisions", "late_reasons"),
    ("Repeat contacts received in the period, by reason", "repeats", "repeat_reasons"),
    ("Re-referrals received in the period, by reason", "repeats", "re_referral_reasons"),
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
        for label, value in (*ROWS, *FRONT_DOOR_ROWS):
            yield (*head, key, label, value(report[key]))
        for reason, count in report[key]["assessments_completed"]["late_reasons"].items():
            yield (*head, key, f"{ASSESSMENTS_LATE}: {reason}", count)
        for heading, group, name in FRONT_DOOR_REASONS:
            for reason, count in report[key]["front_door"][group][name].items():
                yield (*head, key, f"{heading}: {reason}", count)
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
    for month in report["contacts_by_month"]:
        yield (*head, "contacts received by month", month["month"], month["received"])
        for source, count in month["by_source"].items():
            words = SOURCES.get(source, source)
            yield (*head, "contacts received by month", f"{month['month']}: {words}", count)


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
        front_door_rows=FRONT_DOOR_ROWS,
        front_door_reasons=FRONT_DOOR_REASONS,
        sources=SOURCES,
    )
