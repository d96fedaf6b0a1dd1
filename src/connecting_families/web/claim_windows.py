"""A programme's claim windows: the list, opening a new one, and closing one early (after a
page that says what closing means, since a closed window never opens again)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CLAIM_MANAGE, CLAIM_READ
from connecting_families.claims.controller import WindowRequest
from connecting_families.claims.service import ClaimService
from connecting_families.claims.windows import ClaimWindows
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError, field_error
from connecting_families.http_params import RecordId
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read_all,
    refused,
)
from connecting_families.web.programme_pages import Code, abilities
from connecting_families.web.templating import page, path_segment

SAVED.update(
    {
        "claim-window-opened": "The claim window was added.",
        "claim-window-closed": "The claim window was closed. No claim can be prepared in it now.",
    }
)

WINDOW_LABELS = {
    "name": "Name of the window",
    "opens_on": "Date the window opens",
    "closes_on": "Date the window closes",
    "as_of": "Results as of",
}


def _windows_path(code: str) -> str:
    return f"/programmes/{path_segment(code)}/claim-windows"


def _real_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return None


def read_window(values: dict[str, str], taken: set[str]) -> WindowRequest:
    """The new window's form as the API's type, its dates checked against each other too and
    its name against the programme's other windows' (`taken`)."""
    problems = []
    if values.get("name", "").casefold() in taken:
        problems.append(
            field_error(
                "name", "The programme already has a claim window by that name: give another"
            )
        )
    # A date that is not real is named by `read`; here it is only left out of the comparing.
    opens_on, closes_on, as_of = (
        _real_date(values.get(name)) for name in WINDOW_LABELS if name != "name"
    )
    if opens_on and closes_on and closes_on < opens_on:
        problems.append(
            field_error(
                "closes_on", "Date the window closes must be on or after the date it opens"
            )
        )
    if closes_on and as_of and as_of > closes_on:
        problems.append(
            field_error("as_of", "Results as of must be on or before the date the window closes")
        )
    return read_all(values, WindowRequest, WINDOW_LABELS, problems)


class ClaimWindowPages(Controller):
    """When a programme may claim."""

    include_in_schema = False

    @get("/programmes/{code:str}/claim-windows", opt={"access": CLAIM_READ})
    async def windows_page(
        self,
        claim_windows: NamedDependency[ClaimWindows],
        caller: NamedDependency[Caller],
        code: Code,
    ) -> Template:
        """The programme's claim windows, by opening date, and whether each is open today.

        Args:
            claim_windows: The programme's claim windows.
            caller: The signed-in caller.
            code: The programme.
        """
        assert caller.principal is not None
        return page(
            "programme/claim_windows.html",
            code=code,
            can=abilities(caller.principal),
            windows=await claim_windows.windows(caller, code),
            today=today(),
        )

    @get("/programmes/{code:str}/claim-windows/new", opt={"access": CLAIM_MANAGE})
    async def window_form(
        self,
        claim_windows: NamedDependency[ClaimWindows],
        caller: NamedDependency[Caller],
        code: Code,
    ) -> Template:
        """The form to open a claim window.

        Args:
            claim_windows: The programme's claim windows (to check the programme is the caller's).
            caller: The signed-in caller.
            code: The programme.
        """
        await claim_windows.windows(caller, code)
        return page("programme/claim_window_new.html", code=code, form=Form())

    @post(
        "/programmes/{code:str}/claim-windows",
        opt={"access": CLAIM_MANAGE, FORM_LABELS: WINDOW_LABELS},
    )
    async def open_window(
        self,
        request: Request[Any, Any, Any],
        claims: NamedDependency[ClaimService],
        claim_windows: NamedDependency[ClaimWindows],
        caller: NamedDependency[Caller],
        code: Code,
    ) -> Response[Any]:
        """Open a claim window: its name, when it opens and closes, and its results' date.

        Args:
            request: The form post.
            claims: The claim service, which adds windows.
            claim_windows: The programme's claim windows, whose names are taken.
            caller: The signed-in caller.
            code: The programme.
        """
        values = await form_values(request)
        try:
            taken = {w.name.casefold() for w in await claim_windows.windows(caller, code)}
            data = read_window(values, taken)
            await claims.add_window(
                caller.principal,
                caller.actor,
                code,
                name=data.name,
                opens_on=data.opens_on,
                closes_on=data.closes_on,
                as_of=data.as_of,
            )
        except DomainError as error:
            return refused(
                error, values, WINDOW_LABELS, "programme/claim_window_new.html", code=code
            )
        return accepted(_windows_path(code), "claim-window-opened")

    @get(
        "/programmes/{code:str}/claim-windows/{window_id:int}/close",
        opt={"access": CLAIM_MANAGE},
    )
    async def close_form(
        self,
        claim_windows: NamedDependency[ClaimWindows],
        caller: NamedDependency[Caller],
        code: Code,
        window_id: RecordId,
    ) -> Template:
        """What closing the window means, and the button that closes it.

        Args:
            claim_windows: The programme's claim windows.
            caller: The signed-in caller.
            code: The programme.
            window_id: The window.
        """
        window = await claim_windows.window(caller, code, window_id)
        return page("programme/claim_window_close.html", code=code, window=window, form=Form())

    @post(
        "/programmes/{code:str}/claim-windows/{window_id:int}/close",
        opt={"access": CLAIM_MANAGE, FORM_LABELS: {}},
    )
    async def close_window(
        self,
        claim_windows: NamedDependency[ClaimWindows],
        caller: NamedDependency[Caller],
        code: Code,
        window_id: RecordId,
    ) -> Response[Any]:
        """Close the window now: no claim is prepared in it after.

        Args:
            claim_windows: The programme's claim windows.
            caller: The signed-in caller.
            code: The programme.
            window_id: The window.
        """
        try:
            await claim_windows.close(caller, code, window_id)
        except DomainError as error:
            window = await claim_windows.window(caller, code, window_id)
            return refused(
                error, {}, {}, "programme/claim_window_close.html", code=code, window=window
            )
        return accepted(_windows_path(code), "claim-window-closed")
