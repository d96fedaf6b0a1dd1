"""Calendar arithmetic the programme rules use (`shared/domain/programme-rules.md`)."""

from __future__ import annotations

import datetime as dt
import functools

from dateutil.relativedelta import relativedelta


# Both are pure and called for the same few dates again and again across a cohort.
@functools.lru_cache(maxsize=100_000)
def months_before(day: dt.date, months: int) -> dt.date:
    """`day - n` calendar months, the day clamped to the end of the month (08-31 - 6 = 02-28)."""
    result: dt.date = day - relativedelta(months=months)
    return result


@functools.lru_cache(maxsize=100_000)
def months_after(day: dt.date, months: int) -> dt.date:
    result: dt.date = day + relativedelta(months=months)
    return result


def financial_year_start(day: dt.date) -> int:
    """The calendar year in which the financial year (1 April - 31 March) holding `day` began."""
    return day.year if day.month >= 4 else day.year - 1
