"""Bar charts drawn by the server as SVG, so they need no script and print as they look."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from connecting_families.domain.calendar import months_after
from connecting_families.web.templating import money

CHART_WIDTH = 640
CHART_LEFT = 48
CHART_TOP = 20
CHART_PLOT_HEIGHT = 150
CHART_MONTHS = 36
CHART_VALUE_LABELS = 18


@attrs.frozen
class Bar:
    """One month of a chart, placed in the chart's own coordinates."""

    name: str
    text: str
    x: float
    y: float
    width: float
    height: float
    tick: str


@attrs.frozen
class BarChart:
    key: str
    title: str
    bars: tuple[Bar, ...]
    top_text: str
    summary: str
    months_left_out: int
    width: int = CHART_WIDTH
    height: int = CHART_TOP + CHART_PLOT_HEIGHT + 24
    top: int = CHART_TOP
    baseline: int = CHART_TOP + CHART_PLOT_HEIGHT
    left: int = CHART_LEFT
    show_values: bool = True


def monthly_series(
    by_month: Sequence[dict[str, Any]], measure: str
) -> list[tuple[dt.date, Decimal]]:
    """`measure` each month from the first month in `by_month` to the last, the months with
    nothing recorded (absent from the totals) as zero."""
    if not by_month:
        return []
    values = {row["month"]: Decimal(str(row[measure])) for row in by_month}
    first = dt.date.fromisoformat(by_month[0]["month"] + "-01")
    last = dt.date.fromisoformat(by_month[-1]["month"] + "-01")
    months = []
    month = first
    while month <= last:
        months.append((month, values.get(month.strftime("%Y-%m"), Decimal(0))))
        month = months_after(first, len(months))
    return months


def bar_chart(
    key: str,
    title: str,
    series: list[tuple[dt.date, Decimal]],
    text: Callable[[Decimal], str],
) -> BarChart:
    """A bar per month of `series` (the last `CHART_MONTHS`), scaled to the largest value."""
    shown = series[-CHART_MONTHS:]
    top = max((value for _, value in shown), default=Decimal(0)) or Decimal(1)
    step = (CHART_WIDTH - CHART_LEFT - 8) / max(len(shown), 1)
    every = math.ceil(len(shown) / 12) or 1
    bars = []
    for index, (month, value) in enumerate(shown):
        height = round(float(value / top) * CHART_PLOT_HEIGHT, 1)
        bars.append(
            Bar(
                name=month.strftime("%B %Y"),
                text=text(value),
                x=round(CHART_LEFT + index * step + step * 0.15, 1),
                y=round(CHART_TOP + CHART_PLOT_HEIGHT - height, 1),
                width=round(step * 0.7, 1),
                height=height,
                tick=month.strftime("%b %y") if index % every == 0 else "",
            )
        )
    highest = max(shown, key=lambda item: item[1], default=None)
    summary = (
        f"Highest: {text(highest[1])} in {highest[0]:%B %Y}; "
        f"in all: {text(sum((value for _, value in shown), Decimal(0)))}."
        if highest is not None and highest[1]
        else "None in these months."
    )
    return BarChart(
        key=key,
        title=title,
        bars=tuple(bars),
        top_text=text(top),
        summary=summary,
        months_left_out=len(series) - len(shown),
        show_values=len(shown) <= CHART_VALUE_LABELS,
    )


def _count(value: Decimal) -> str:
    return f"{int(value):,}"


def dashboard_charts(by_month: Sequence[dict[str, Any]]) -> list[BarChart]:
    return [
        bar_chart(
            "attached",
            "Families attached each month",
            monthly_series(by_month, "attached"),
            _count,
        ),
        bar_chart(
            "identified",
            "Families identified each month",
            monthly_series(by_month, "identified"),
            _count,
        ),
        bar_chart(
            "closed", "Families closed each month", monthly_series(by_month, "closed"), _count
        ),
        bar_chart(
            "claimed",
            "Results income claimed, by claim date",
            monthly_series(by_month, "claimed_gbp"),
            money,
        ),
    ]
