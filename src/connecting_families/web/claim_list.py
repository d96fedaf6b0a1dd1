"""A programme's claims, and preparing one: at a date, or in an open claim window.

The page has two small forms, one for each way of preparing, so that a person answers one
question at a time and is never told "not both": the date's form reads only the date, the
window's only the window. Each says what is wrong by its field's label.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import CLAIM_MANAGE, CLAIM_READ
from connecting_families.claims.controller import PrepareRequest
from connecting_families.claims.service import ClaimService
from connecting_families.claims.windows import ClaimWindows, Window, WindowState
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError, field_error
from connecting_families.web.claim_pages import back_to_claim
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    form_values,
    read_all,
    refused,
)
from connecting_families.web.programme_pages import Code, abilities
from connecting_families.web.templating import day, page

SAVED["claim-prepared"] = "The claim was prepared as a draft."
SAVED["claim-prepared-held-back"] = (
    "The claim was prepared as a draft. Some families could not be decided because a plugin "
    "failed, and were held back from it: the programme's dashboard counts them."
)

# The prepare forms' fields as the page labels them; `claim_at` (hidden) says which was sent.
PREPARE_LABELS = {"as_of": "Results as of", "window_id": "Claim window"}
AT_A_DATE, IN_A_WINDOW = "date", "window"


def window_label(window: Window) -> str:
    return (
        f"{window.name}: results as of {day(window.as_of)}, "
        f"open {day(window.opens_on)} to {day(window.closes_on)}"
    )


def sent_form(values: dict[str, str]) -> str:
    """Which of the two forms was sent; a client that names neither (the API's fields posted
    as a form) sent the window's if it gave only a window."""
    if values.get("claim_at") in (AT_A_DATE, IN_A_WINDOW):
        return values["claim_at"]
    return IN_A_WINDOW if values.get("window_id") and not values.get("as_of") else AT_A_DATE


def read_prepare(values: dict[str, str]) -> PrepareRequest:
    """The form sent, as the API's type, with only its own field: a blank one is named."""
    if sent_form(values) == IN_A_WINDOW:
        wanted = {"window_id": values.get("window_id", "")}
        missing = field_error("window_id", "Select a claim window")
    else:
        wanted = {"as_of": values.get("as_of", "")}
        missing = field_error("as_of", "Enter the date to claim results as of")
    problems = [] if next(iter(wanted.values())) else [missing]
    return read_all(wanted, PrepareRequest, PREPARE_LABELS, problems)


async def claims_context(
    claims: ClaimService, windows: ClaimWindows, caller: Caller, code: str
) -> dict[str, Any]:
    assert caller.principal is not None
    can = abilities(caller.principal)
    open_windows = [
        window
        for window in (await windows.windows(caller, code) if can["manage_claims"] else [])
        if window.state_today is WindowState.OPEN
    ]
    return {
        "code": code,
        "can": can,
        "claims": await claims.list_claims(caller.principal, caller.actor, code),
        "windows": [(str(window.id), window_label(window)) for window in open_windows],
        # The form not sent, as it first was.
        "blank": Form(values={"as_of": today().isoformat()}),
    }


class ClaimListPages(Controller):
    """A programme's claims, and preparing a new one."""

    include_in_schema = False

    @get("/programmes/{code:str}/claims", opt={"access": CLAIM_READ})
    async def claims_page(
        self,
        claims: NamedDependency[ClaimService],
        claim_windows: NamedDependency[ClaimWindows],
        caller: NamedDependency[Caller],
        code: Code,
    ) -> Template:
        """The programme's claims and, for a programme manager, the forms to prepare one.

        Args:
            claims: The claim service.
            claim_windows: The programme's claim windows.
            caller: The signed-in caller.
            code: The programme.
        """
        context = await claims_context(claims, claim_windows, caller, code)
        form = Form(values={"as_of": today().isoformat()})
        return page("programme/claims.html", **context, form=form, sent=AT_A_DATE)

    @post(
        "/programmes/{code:str}/claims", opt={"access": CLAIM_MANAGE, FORM_LABELS: PREPARE_LABELS}
    )
    async def prepare_claim(
        self,
        request: Request[Any, Any, Any],
        claims: NamedDependency[ClaimService],
        claim_windows: NamedDependency[ClaimWindows],
        caller: NamedDependency[Caller],
        code: Code,
    ) -> Response[Any]:
        """Prepare a draft claim at a date, or at an open claim window's date.

        Args:
            request: The form post.
            claims: The claim service.
            claim_windows: The programme's claim windows.
            caller: The signed-in caller.
            code: The programme.
        """
        values = await form_values(request)
        try:
            data = read_prepare(values)
            claim = await claims.prepare(
                caller.principal, caller.actor, code, data.as_of, data.window_id
            )
        except DomainError as error:
            context = await claims_context(claims, claim_windows, caller, code)
            return refused(
                error,
                values,
                PREPARE_LABELS,
                "programme/claims.html",
                **context,
                sent=sent_form(values),
            )
        held_back = claim["held_back"]["families"]
        return back_to_claim(claim["id"], "prepared-held-back" if held_back else "prepared")
