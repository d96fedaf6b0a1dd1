"""Programme totals at a date: counted by SQL from the families, a verdict run and the claims.

Every figure is a query; nothing is typed in. `STATEMENTS` are the whole of it (the benchmark
runs the same statements through the bare driver as its baseline) and `fold` turns their rows
into the totals. Families are counted when identified on or before the date; the team and key
worker are the current allocation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from connecting_families.domain.claims import gbp

# Claimed: lines of claims submitted, accepted or partly rejected (not drafts, not withdrawn).
ALLOCATION = "LEFT JOIN allocation a ON a.family = f.id AND a.ended_at IS NULL"

# A breakdown's key, and the joins it needs. Placeholders `{}` take, in order: the date four
# times (the measures), the run (the headline join only), the claim lines' programme and date,
# the run, and the families' programme and date.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "ward": ("COALESCE(f.ward, '')", ""),
    "team": ("COALESCE(t.name, '')", f"{ALLOCATION} LEFT JOIN team t ON t.id = a.team"),
    "key_worker": (
        "COALESCE(u.display_name, '')",
        f"{ALLOCATION} LEFT JOIN app_user u ON u.id = a.key_worker",
    ),
    "headline": (
        "h.name",
        "JOIN verdict_fact h ON h.family = f.id AND h.run = {} AND h.kind = 'headline'",
    ),
}
MEASURES = (
    "identified",
    "attached",
    "active",
    "closed",
    "eligible",
    "turned_around",
    "attachment_fees_pence",
    "claimed_families",
    "claimed_pence",
)


def _breakdown_sql(key: str, joins: str) -> str:
    # Dates compare as dates on PostgreSQL and as ISO text on SQLite: the same order.
    return (
        f"SELECT {key} AS key, COUNT(*),"  # noqa: S608 - fixed SQL, values are parameters
        " SUM(CASE WHEN f.attached_on <= {} THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN f.attached_on <= {} AND (f.closed_on IS NULL OR f.closed_on > {})"
        " THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN f.closed_on <= {} THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN v.eligible THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN v.turned_around THEN 1 ELSE 0 END),"
        " SUM(COALESCE(v.attachment_fee_pence, 0)),"
        " SUM(CASE WHEN c.pence > 0 THEN 1 ELSE 0 END),"
        " SUM(COALESCE(c.pence, 0))"
        f" FROM family f {joins}"
        " LEFT JOIN (SELECT l.family, SUM(l.amount_pence) AS pence FROM claim_line l"
        " JOIN claim c ON c.id = l.claim WHERE c.programme = {} AND c.as_of <= {}"
        " AND c.status IN ('submitted', 'accepted', 'partly_rejected')"
        " AND l.excluded_reason IS NULL"
        " AND l.rejected_reason IS NULL GROUP BY l.family) c ON c.family = f.id"
        " LEFT JOIN verdict_family v ON v.family = f.id AND v.run = {}"
        " WHERE f.programme = {} AND f.identified_on <= {} GROUP BY 1 ORDER BY 1"
    )


BREAKDOWNS = {name: _breakdown_sql(key, joins) for name, (key, joins) in DIMENSIONS.items()}
CLOSED = (
    "SELECT COALESCE(f.closure_reason, ''), COUNT(*) FROM family f"
    " WHERE f.programme = {} AND f.closed_on <= {} GROUP BY 1 ORDER BY 1"
)
ROUTES = (
    "SELECT x.name, COUNT(*), SUM(x.amount_pence) FROM verdict_fact x"
    " JOIN family f ON f.id = x.family"
    " WHERE x.run = {} AND x.kind = 'route' AND f.identified_on <= {} GROUP BY 1 ORDER BY 1"
)
# Families a plugin failed on (`Verdict.undecided`), by the plugin: counted apart, never as
# not met (their verdict_family row is neither eligible nor turned around).
UNDECIDED = (
    "SELECT x.name, COUNT(*) FROM verdict_fact x"
    " JOIN family f ON f.id = x.family"
    " WHERE x.run = {} AND x.kind = 'undecided' AND f.identified_on <= {} GROUP BY 1 ORDER BY 1"
)
CLAIMS = (
    "SELECT l.route, c.status IN ('accepted', 'partly_rejected'),"
    " l.rejected_reason IS NOT NULL, l.reverses IS NOT NULL, COUNT(*), SUM(l.amount_pence)"
    " FROM claim_line l JOIN claim c ON c.id = l.claim"
    " WHERE c.programme = {} AND c.as_of <= {}"
    " AND c.status IN ('submitted', 'accepted', 'partly_rejected')"
    " AND l.excluded_reason IS NULL GROUP BY 1, 2, 3, 4"
)
# By month: each date a family was identified, attached or closed, and each claim's date.
MONTHLY = {
    "identified": "SELECT f.identified_on, COUNT(*) FROM family f"
    " WHERE f.programme = {} AND f.identified_on <= {} GROUP BY 1",
    "attached": "SELECT f.attached_on, COUNT(*) FROM family f"
    " WHERE f.programme = {} AND f.attached_on <= {} GROUP BY 1",
    "closed": "SELECT f.closed_on, COUNT(*) FROM family f"
    " WHERE f.programme = {} AND f.closed_on <= {} GROUP BY 1",
    "claimed_pence": "SELECT c.as_of, SUM(l.amount_pence) FROM claim_line l"
    " JOIN claim c ON c.id = l.claim"
    " WHERE c.programme = {} AND c.as_of <= {}"
    " AND c.status IN ('submitted', 'accepted', 'partly_rejected')"
    " AND l.excluded_reason IS NULL AND l.rejected_reason IS NULL GROUP BY 1",
}


def statements(programme_id: int, run_id: int, day: Any) -> list[tuple[str, str, tuple[Any, ...]]]:
    """Every statement of the totals as (name, SQL, parameters); `day` is the date as the
    driver takes it."""
    measures, rest = (day, day, day, day), (programme_id, day, run_id, programme_id, day)
    found = [
        (f"by:{name}", sql, measures + ((run_id,) if name == "headline" else ()) + rest)
        for name, sql in BREAKDOWNS.items()
    ]
    found.append(("closed", CLOSED, (programme_id, day)))
    found.append(("routes", ROUTES, (run_id, day)))
    found.append(("undecided", UNDECIDED, (run_id, day)))
    found.append(("claims", CLAIMS, (programme_id, day)))
    found.extend((f"month:{name}", sql, (programme_id, day)) for name, sql in MONTHLY.items())
    return found


def _int(value: Any) -> int:
    return int(value or 0)


def _percent(part: int, whole: int | None) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _row(key: str, values: Sequence[Any]) -> dict[str, Any]:
    counts = dict(zip(MEASURES, (_int(v) for v in values), strict=True))
    return {
        "key": key,
        **{name: count for name, count in counts.items() if not name.endswith("_pence")},
        "attachment_fees_gbp": gbp(counts["attachment_fees_pence"]),
        "claimed_gbp": gbp(counts["claimed_pence"]),
    }


def _month(day: Any) -> str:
    return str(day)[:7]


def fold(
    results: dict[str, Sequence[Sequence[Any]]],
    *,
    code: str,
    as_of: dt.date,
    target_families: int | None,
    evidence_version: int,
) -> dict[str, Any]:
    """The totals from each statement's rows (see `statements`)."""
    by = {
        name.removeprefix("by:"): [_row(str(row[0]), row[1:]) for row in rows]
        for name, rows in results.items()
        if name.startswith("by:")
    }
    # Every family has exactly one ward key (blank when unknown): the wards add up to all.
    overall = [sum(_int(row[1 + i]) for row in results["by:ward"]) for i in range(len(MEASURES))]
    whole = _row("", overall)
    routes = {
        str(route): {"families": _int(count), "amount_gbp": gbp(_int(amount))}
        for route, count, amount in results["routes"]
    }
    claimed: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("lines", "reversals", "claimed", "accepted", "rejected"), 0)
    )
    for route, decided, rejected, reversal, count, amount in results["claims"]:
        figures = claimed[str(route)]
        if rejected:
            if not reversal:  # a rejected reversal gave nothing back
                figures["rejected"] += _int(amount)
            continue
        figures["reversals" if reversal else "lines"] += _int(count)
        figures["claimed"] += _int(amount)
        if decided:
            figures["accepted"] += _int(amount)
    months: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("identified", "attached", "closed", "claimed_pence"), 0)
    )
    for measure in ("identified", "attached", "closed", "claimed_pence"):
        for day, value in results[f"month:{measure}"]:
            months[_month(day)][measure] += _int(value)
    return {
        "programme": code,
        "as_of": as_of.isoformat(),
        "evidence_version": evidence_version,
        "families": {
            name: whole[name]
            for name in ("identified", "eligible", "attached", "active", "closed")
        },
        "closed_by_reason": {str(reason): _int(count) for reason, count in results["closed"]},
        "turned_around": {"families": whole["turned_around"], "by_route": routes},
        "undecided": {
            "families": sum(_int(count) for _, count in results["undecided"]),
            "by_plugin": {str(plugin): _int(count) for plugin, count in results["undecided"]},
        },
        "claimed": {
            route: {
                "lines": figures["lines"],
                "reversals": figures["reversals"],
                "claimed_gbp": gbp(figures["claimed"]),
                "accepted_gbp": gbp(figures["accepted"]),
                "rejected_gbp": gbp(figures["rejected"]),
            }
            for route, figures in sorted(claimed.items())
        },
        "income": {
            "attachment_fees_gbp": whole["attachment_fees_gbp"],
            # What the results met at the date are worth: each route's amount is what the
            # claim rules would pay for it (`reports.verdicts`), so no family counts twice.
            "results_met_gbp": gbp(sum(_int(amount) for _, _, amount in results["routes"])),
            "results_claimed_gbp": gbp(sum(f["claimed"] for f in claimed.values())),
            "results_accepted_gbp": gbp(sum(f["accepted"] for f in claimed.values())),
            "results_rejected_gbp": gbp(sum(f["rejected"] for f in claimed.values())),
        },
        "target": {
            "families": target_families,
            "attached": whole["attached"],
            "attached_percent": _percent(whole["attached"], target_families),
            "turned_around": whole["turned_around"],
            "turned_around_percent": _percent(whole["turned_around"], target_families),
        },
        "by_month": [
            {
                "month": month,
                **{k: v for k, v in figures.items() if k != "claimed_pence"},
                "claimed_gbp": gbp(figures["claimed_pence"]),
            }
            for month, figures in sorted(months.items())
        ],
        **{f"by_{name}": rows for name, rows in by.items()},
    }
