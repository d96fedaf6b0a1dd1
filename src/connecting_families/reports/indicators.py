"""Early help indicators for a period, counted from the records.

- assessments started in the period;
- the rate of assessments per 10,000 children (0-17) over the 12 months to the period's end,
  against the programme's target rate (the child population of the end's year, or the latest
  year before it);
- assessments completed in the period within the programme's timescale (working days), and
  why the late ones were late;
- the re-referral rate: reopenings within 12 months of closure as a share of referrals
  (families identified or reopened) in the period;
- caseload per key worker over the families active at the period's end: mean, max, and a
  weighted mean where a family weighs its needs open at the end (at least one), as the
  team caseloads weigh them;
- the front door (`front_door`): contacts received, conversion to referrals (family help or
  step up) of the contacts received, decisions made within timescale, repeat contacts and
  re-referrals, step-downs; `reports.front_door` says which event dates each figure and what
  each rate divides by.

The re-referrals above (families reopened) and the front door's (repeat contacts that became
referrals) are two different counts: the first is the families' status history, the second
the contacts'.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from connecting_families.assessments.records import LATE_REASONS
from connecting_families.database.bulk import Bulk
from connecting_families.domain.calendar import months_before
from connecting_families.domain.dates import working_days_between
from connecting_families.reports.front_door import front_door

NOT_RECORDED = "not recorded"


@attrs.frozen
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.date(year, month, 1)
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return cls(start, following - dt.timedelta(days=1))

    def year_before(self) -> Period:
        return Period(months_before(self.start, 12), months_before(self.end, 12))


def _one_place(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def rate_per_10000(
    assessments: int, children: int | None, target: Decimal | None
) -> dict[str, Any]:
    """The rate and how far above (+) or below (-) the target it is, in per cent.

    The seed's worked example: 829 assessments for 45,000 children is 184.2 per 10,000,
    24.6% above a target of 147.8.
    """
    if not children:
        return {"rate": None, "target": None, "above_target_percent": None}
    rate = Decimal(assessments) * 10_000 / children
    above = (rate - target) * 100 / target if target else None
    return {
        "rate": _one_place(rate),
        "target": float(target) if target is not None else None,
        "above_target_percent": _one_place(above) if above is not None else None,
    }


async def _count(bulk: Bulk, sql: str, *params: Any) -> int:
    [[count]] = await bulk.rows(sql, *params)
    return int(count or 0)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


ASSESSMENTS_STARTED = (
    "SELECT COUNT(*) FROM assessment a JOIN family f ON f.id = a.family"
    " WHERE f.programme = {} AND a.superseded_at IS NULL"
    " AND a.started_on >= {} AND a.started_on <= {}"
)


async def indicators(bulk: Bulk, programme: dict[str, Any], period: Period) -> dict[str, Any]:
    """The indicators of `programme` (id, assessment_timescale_days, assessment_rate_target)
    for `period`."""
    pid = programme["id"]
    started = await _count(
        bulk, ASSESSMENTS_STARTED, pid, bulk.day(period.start), bulk.day(period.end)
    )
    twelve_months = Period(months_before(period.end, 12) + dt.timedelta(days=1), period.end)
    in_twelve_months = await _count(
        bulk,
        ASSESSMENTS_STARTED,
        pid,
        bulk.day(twelve_months.start),
        bulk.day(twelve_months.end),
    )
    population = await bulk.rows(
        "SELECT children FROM child_population WHERE programme = {} AND year <= {}"
        " ORDER BY year DESC LIMIT 1",
        pid,
        period.end.year,
    )
    children = int(population[0][0]) if population else None
    target = programme.get("assessment_rate_target")

    completed = await bulk.rows(
        "SELECT a.started_on, a.completed_on, a.late_reason, a.late_reason_code FROM assessment a"
        " JOIN family f ON f.id = a.family WHERE f.programme = {} AND a.superseded_at IS NULL"
        " AND a.completed_on >= {} AND a.completed_on <= {}",
        pid,
        bulk.day(period.start),
        bulk.day(period.end),
    )
    timescale = programme["assessment_timescale_days"]
    late: Counter[str] = Counter()
    for started_on, completed_on, late_reason, code in completed:
        if working_days_between(_date(started_on), _date(completed_on)) > timescale:
            # A reason chosen from the list counts by its words; "other", by what was written.
            chosen = LATE_REASONS.get(code) if code != "other" else None
            late[chosen or (late_reason or "").strip() or NOT_RECORDED] += 1
    within = len(completed) - sum(late.values())

    referrals = await bulk.rows(
        "SELECT s.status, s.is_re_referral, COUNT(*) FROM family_status_change s"
        " JOIN family f ON f.id = s.family WHERE f.programme = {}"
        " AND s.status IN ('identified', 'reopened') AND s.changed_on >= {}"
        " AND s.changed_on <= {} GROUP BY 1, 2",
        pid,
        bulk.day(period.start),
        bulk.day(period.end),
    )
    referred = sum(int(count) for _, _, count in referrals)
    re_referred = sum(int(count) for _, again, count in referrals if again)

    caseloads = await bulk.rows(
        "SELECT a.key_worker, COUNT(*), SUM(CASE WHEN n.needs > 1 THEN n.needs ELSE 1 END)"
        " FROM allocation a JOIN family f ON f.id = a.family"
        " LEFT JOIN (SELECT family, COUNT(*) AS needs FROM need WHERE superseded_at IS NULL"
        " AND identified_on <= {} AND (outcome IS NULL OR outcome_on > {}) GROUP BY family) n"
        " ON n.family = f.id WHERE f.programme = {} AND a.ended_at IS NULL"
        " AND f.attached_on <= {} AND (f.closed_on IS NULL OR f.closed_on > {}) GROUP BY 1",
        bulk.day(period.end),
        bulk.day(period.end),
        pid,
        bulk.day(period.end),
        bulk.day(period.end),
    )
    counts = [int(count) for _, count, _ in caseloads]
    weights = [int(weight) for _, _, weight in caseloads]
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "assessments_started": started,
        "assessment_rate": {
            "assessments_12_months": in_twelve_months,
            "children": children,
            **rate_per_10000(in_twelve_months, children, target),
        },
        "assessments_completed": {
            "completed": len(completed),
            "within_timescale": within,
            "within_timescale_percent": round(100 * within / len(completed), 1)
            if completed
            else None,
            "late_reasons": dict(late.most_common()),
        },
        "re_referrals": {
            "referrals": referred,
            "re_referrals": re_referred,
            "rate_percent": round(100 * re_referred / referred, 1) if referred else None,
        },
        "caseload": {
            "key_workers": len(counts),
            "families": sum(counts),
            "mean": round(sum(counts) / len(counts), 1) if counts else None,
            "max": max(counts, default=None),
            "weighted_mean": round(sum(weights) / len(weights), 1) if weights else None,
        },
        "front_door": await front_door(bulk, pid, period.start, period.end),
    }
