"""The front door's figures for a period, counted from the contacts (`frontdoor.tables`).

Each figure is dated by one event, and its label says which:

- **contacts received** (`received_at` in the period, as a day in England): the contacts of
  kind `contact`, in all and by source. Step-downs from social care are counted on their own
  (below), so a case social care hands back never swells the front door's conversion;
- **conversion**, of the contacts received in the period: the referrals among them, those
  decided family help or step up (`frontdoor.records.REFERRALS`) whenever the decision came,
  as the records stand now, divided by the contacts received in the period (undecided ones
  included, and shown as undecided). Family help and step up to social care are also each
  divided by the same contacts received. The seed's August: 139 of 724 is 19.2%;
- **repeat contacts** (received in the period) about a family whose involvement ended within
  12 months, with their reasons; **re-referrals** are the repeat contacts that became
  referrals, and the re-referral rate divides them by the referrals of the contacts received
  in the period (the seed's 31 of 139 is 22.3%);
- **decisions made** (`decided_at` in the period, as a day in England), of contacts and
  step-downs alike since every decision has its timescale: by decision, and within timescale
  when decided on or before the contact's `decide_by` day, as a count and a share of the
  decisions made in the period. The late ones' reasons count as the assessments' do: by the
  words of `LATE_REASONS`, "other" by what was written;
- **step-downs received** (`received_at` in the period) and how many of them were decided
  family help (whenever decided).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from connecting_families.assessments.records import LATE_REASONS
from connecting_families.database.bulk import Bulk
from connecting_families.domain.dates import ENGLAND
from connecting_families.frontdoor.records import DECISIONS, REFERRALS, REPEAT_REASONS, SOURCES

NOT_RECORDED = "not recorded"


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def reason_words(code: str | None, written: str | None, words: dict[str, str]) -> str:
    """A reason chosen from a list counts by its words; "other", by what was written."""
    chosen = words.get(code or "") if code != "other" else None
    return chosen or (written or "").strip() or NOT_RECORDED


def _day_bounds(bulk: Bulk, start: dt.date, end: dt.date) -> tuple[Any, Any]:
    """The instants the days `start`..`end` (inclusive) begin and end at in England."""

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=ENGLAND)

    return bulk.instant(midnight(start)), bulk.instant(midnight(end + dt.timedelta(days=1)))


def _instant(value: Any) -> dt.datetime:
    instant = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


RECEIVED = (
    "SELECT c.kind, c.source, c.decision, c.is_repeat, c.repeat_reason, c.repeat_detail,"
    " COUNT(*) FROM contact c WHERE c.programme = {} AND c.received_at >= {}"
    " AND c.received_at < {} GROUP BY 1, 2, 3, 4, 5, 6"
)
DECIDED = (
    "SELECT c.decision, c.decided_at, c.decide_by, c.late_reason_code, c.late_reason"
    " FROM contact c WHERE c.programme = {} AND c.decided_at >= {} AND c.decided_at < {}"
)


async def front_door(
    bulk: Bulk, programme_id: int, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """The front door's figures for the days `start`..`end` (inclusive); see the module."""
    since, until = _day_bounds(bulk, start, end)
    by_source: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    repeat_reasons: Counter[str] = Counter()
    re_referral_reasons: Counter[str] = Counter()
    step_downs = step_downs_to_family_help = 0
    for kind, source, decision, repeat, reason, detail, count in await bulk.rows(
        RECEIVED, programme_id, since, until
    ):
        count = int(count)
        if kind == "step_down":
            step_downs += count
            step_downs_to_family_help += count if decision == "family_help" else 0
            continue
        by_source[source] += count
        outcomes[decision or "undecided"] += count
        if repeat:
            words = reason_words(reason, detail, REPEAT_REASONS)
            repeat_reasons[words] += count
            if decision in REFERRALS:
                re_referral_reasons[words] += count
    received = sum(by_source.values())
    referrals = sum(outcomes[decision] for decision in REFERRALS)
    re_referrals = sum(re_referral_reasons.values())

    decided: Counter[str] = Counter()
    late: Counter[str] = Counter()
    for decision, decided_at, decide_by, code, written in await bulk.rows(
        DECIDED, programme_id, since, until
    ):
        decided[decision] += 1
        if _instant(decided_at).astimezone(ENGLAND).date() > _date(decide_by):
            late[reason_words(code, written, LATE_REASONS)] += 1
    made = sum(decided.values())
    within = made - sum(late.values())
    return {
        "contacts_received": {
            "received": received,
            "by_source": {source: by_source[source] for source in SOURCES}
            | {s: n for s, n in by_source.items() if s not in SOURCES},
        },
        "conversion": {
            "received": received,
            "undecided": outcomes["undecided"],
            "referrals": referrals,
            "referrals_percent": percent(referrals, received),
            "family_help": outcomes["family_help"],
            "family_help_percent": percent(outcomes["family_help"], received),
            "step_up": outcomes["step_up"],
            "step_up_percent": percent(outcomes["step_up"], received),
        },
        "decisions": {
            "decided": made,
            "by_decision": {decision: decided[decision] for decision in DECISIONS},
            "within_timescale": within,
            "within_timescale_percent": percent(within, made),
            "late_reasons": dict(late.most_common()),
        },
        "repeats": {
            "repeat_contacts": sum(repeat_reasons.values()),
            "repeat_reasons": dict(repeat_reasons.most_common()),
            "referrals": referrals,
            "re_referrals": re_referrals,
            "re_referral_percent": percent(re_referrals, referrals),
            "re_referral_reasons": dict(re_referral_reasons.most_common()),
        },
        "step_downs": {
            "received": step_downs,
            "to_family_help": step_downs_to_family_help,
        },
    }


CONTACTS_BY_DAY = (
    "SELECT c.received_at, c.source FROM contact c WHERE c.programme = {}"
    " AND c.kind = 'contact' AND c.received_at >= {} AND c.received_at < {}"
)


async def contacts_by_month(
    bulk: Bulk, programme_id: int, months: list[dt.date]
) -> list[dict[str, Any]]:
    """Contacts received (not step-downs) in each of `months` (their first days, in order),
    in all and by source, each dated by the day in England it was received."""
    if not months:
        return []
    last = months[-1]
    following = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
    since, until = _day_bounds(bulk, months[0], following - dt.timedelta(days=1))
    counts: dict[str, Counter[str]] = {month.strftime("%Y-%m"): Counter() for month in months}
    for received_at, source in await bulk.rows(CONTACTS_BY_DAY, programme_id, since, until):
        month = _instant(received_at).astimezone(ENGLAND).strftime("%Y-%m")
        if month in counts:
            counts[month][source] += 1
    return [
        {
            "month": month,
            "received": sum(sources.values()),
            "by_source": {source: sources[source] for source in SOURCES}
            | {s: n for s, n in sources.items() if s not in SOURCES},
        }
        for month, sources in counts.items()
    ]
