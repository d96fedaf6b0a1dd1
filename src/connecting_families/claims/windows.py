"""Claim windows as a programme manager sees them: upcoming, open or closed, and closing one
early. Opening one is `ClaimService.add_window`; preparing in one is `ClaimService.prepare`,
which refuses a window that is not open today (`ClaimService.window_as_of`).

A window closes on its last day by itself, or earlier when a programme manager closes it (the
department has called the round in, say); once closed it never opens again, and no claim is
prepared in it after.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from connecting_families.access.caller import Caller
from connecting_families.audit.service import record
from connecting_families.claims.service import claims_programme
from connecting_families.claims.tables import Claim, ClaimWindow
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.domain.dates import today
from connecting_families.errors import Conflict, NotFound


class WindowState(enum.StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


@attrs.frozen
class Window:
    """A claim window of a programme, and how many claims were prepared in it."""

    id: int
    name: str
    opens_on: dt.date
    closes_on: dt.date
    as_of: dt.date
    closed_at: dt.datetime | None
    claims: int

    def state(self, on: dt.date) -> WindowState:
        if self.closed_at is not None or on > self.closes_on:
            return WindowState.CLOSED
        return WindowState.OPEN if on >= self.opens_on else WindowState.UPCOMING

    @property
    def state_today(self) -> WindowState:
        return self.state(today())


def window_is_open(opens_on: dt.date, closes_on: dt.date, closed_at: object, on: dt.date) -> bool:
    """Whether claims may be prepared in a window on `on`: reached, not past, not closed."""
    return closed_at is None and opens_on <= on <= closes_on


async def windows_of(programme_id: int) -> list[Window]:
    """The programme's windows by opening date, each with its number of claims."""
    rows = (
        await ClaimWindow.select(
            ClaimWindow.id,
            ClaimWindow.name,
            ClaimWindow.opens_on,
            ClaimWindow.closes_on,
            ClaimWindow.as_of,
            ClaimWindow.closed_at,
        )
        .where(ClaimWindow.programme == programme_id)
        .order_by(ClaimWindow.opens_on)
        .order_by(ClaimWindow.id)
    )
    counts: dict[int, int] = {}
    for claim in await Claim.select(Claim.claim_window).where(
        Claim.programme == programme_id, Claim.claim_window.is_not_null()
    ):
        counts[claim["claim_window"]] = counts.get(claim["claim_window"], 0) + 1
    return [
        Window(
            id=row["id"],
            name=row["name"],
            opens_on=row["opens_on"],
            closes_on=row["closes_on"],
            as_of=row["as_of"],
            closed_at=row["closed_at"],
            claims=counts.get(row["id"], 0),
        )
        for row in rows
    ]


class ClaimWindows:
    """A programme's claim windows: listed, and closed early."""

    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def windows(self, caller: Caller, code: str) -> list[Window]:
        programme = await claims_programme(caller.principal, code)
        return await windows_of(programme["id"])

    async def window(self, caller: Caller, code: str, window_id: int) -> Window:
        """The programme's window `window_id`; NotFound for another programme's."""
        found = [w for w in await self.windows(caller, code) if w.id == window_id]
        if not found:
            raise NotFound(f"Programme {code} has no claim window {window_id}.")
        return found[0]

    async def close(self, caller: Caller, code: str, window_id: int) -> Window:
        """Close a window that is open or yet to open: no claim is prepared in it after."""
        programme = await claims_programme(caller.principal, code)
        async with write_transaction(self.engine):
            window = next(
                (w for w in await windows_of(programme["id"]) if w.id == window_id), None
            )
            if window is None:
                raise NotFound(f"Programme {code} has no claim window {window_id}.")
            if window.state_today is WindowState.CLOSED:
                raise Conflict(f"The claim window {window.name!r} is already closed.")
            closed_at = dt.datetime.now(dt.UTC)
            await ClaimWindow.update({ClaimWindow.closed_at: closed_at}).where(
                ClaimWindow.id == window_id
            )
            await record(
                caller.actor,
                "claim_window.close",
                "programme",
                code,
                detail={"window": window_id},
            )
        return attrs.evolve(window, closed_at=closed_at)


async def window_name(window_id: int) -> str | None:
    """The name of a claim's window, for a page that has already reached the claim."""
    row = await ClaimWindow.select(ClaimWindow.name).where(ClaimWindow.id == window_id).first()
    return None if row is None else str(row["name"])
