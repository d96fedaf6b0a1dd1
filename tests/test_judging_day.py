"""The day a programme is judged on: today while it runs, its last day once it has ended."""

from __future__ import annotations

import datetime as dt

from connecting_families.domain.dates import judging_day

END = dt.date(2015, 3, 31)


def test_a_running_programme_is_judged_on_the_day_asked() -> None:
    """Before and on its last day, a programme is judged on the day asked."""
    assert judging_day(END, dt.date(2014, 6, 1)) == dt.date(2014, 6, 1)
    assert judging_day(END, END) == END


def test_an_ended_programme_is_judged_on_its_last_day() -> None:
    """The day after its end, and years later, a programme is judged on its last day."""
    assert judging_day(END, END + dt.timedelta(days=1)) == END
    assert judging_day(END, dt.date(2026, 12, 3)) == END


def test_a_programme_without_an_end_is_judged_on_the_day_asked() -> None:
    """A programme with no end date never stops being judged on the day asked."""
    assert judging_day(None, dt.date(2026, 12, 3)) == dt.date(2026, 12, 3)
