"""Calendar arithmetic the programme rules use (`shared/domain/programme-rules.md`)."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta


def months_before(day: dt.date, months: int) -> dt.date:
    """`day - n` calendar months, the day clamped to the end of the month (08-31 - 6 = 02-28)."""
    result: dt.date = day - relativedelta(months=months)
    return result


def months_after(day: dt.date, months: int) -> dt.date:
    result: dt.date = day + relativedelta(months=months)
    return result


def financial_year_start(day: dt.date) -> int:
    """The calendar year in which the financial year (1 April - 31 March) holding `day` began."""
    return day.year if day.month >= 4 else day.year - 1
