"""Dates as a council in England counts them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays

ENGLAND = ZoneInfo("Europe/London")


def today() -> dt.date:
    """Today in England (a server on UTC is an hour behind in summer)."""
    return dt.datetime.now(ENGLAND).date()


def day_in_england(instant: dt.datetime) -> dt.date:
    """The day `instant` falls on in England (an instant without an offset is UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(ENGLAND).date()


def judging_day(ends_on: dt.date | None, on: dt.date) -> dt.date:
    """The day a programme's families are judged on when the page is read on `on`: `on`
    itself while the programme runs, or its last day once it has ended.

    A programme that has ended pays nothing for what happens afterwards, and its families'
    reviews and actions stopped with it: judged today, an ended programme would show every
    family years overdue and its charts empty. A page that judges at its end says so.
    """
    if ends_on is not None and ends_on < on:
        return ends_on
    return on


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (Mon-Fri, not bank holidays).

    An assessment started on a Monday and completed on the Tuesday took 1 working day.
    """
    if end <= start:
        return 0
    bank_holidays = holidays.country_holidays(
        "GB", subdiv="ENG", years=range(start.year, end.year + 1)
    )
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in bank_holidays:
            days += 1
    return days


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date `count` working days after `start`."""
    bank_holidays = holidays.country_holidays(
        "GB", subdiv="ENG", years=range(start.year, start.year + 2 + count // 200)
    )
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in bank_holidays:
            remaining -= 1
    return day


def as_utc(instant: dt.datetime | None) -> dt.datetime | None:
    """An instant given without an offset is UTC, everywhere in the API and the CLI."""
    if instant is not None and instant.tzinfo is None:
        return instant.replace(tzinfo=dt.UTC)
    return instant
