"""A programme manager's claim lifecycle in the pages, through HTTP as a browser sends it:
claim windows opened and closed, a claim prepared at a date or in a window, the check before
submission, the department's decision with a rejected line (claimable again), and withdrawal.

FAM-1 (`page_world`) has one result to claim today: crime, ASB and education, £700.00.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import httpx
import pytest
from litestar import Litestar

from connecting_families.claims.tables import Claim, ClaimLine, ClaimWindow
from connecting_families.domain.dates import today

from access_world import World
from page_world import PASSWORD, build_page_world

ROUTE = "crime_asb_education"


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies["csrftoken"])


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": csrf(client),
        },
    )
    assert response.status_code in (302, 303), response.text


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str] | list[tuple[str, str]] = ()
) -> httpx.Response:
    """A form as a browser posts it; a list of pairs may send one field twice (checkboxes)."""
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    return await client.post(
        path,
        content=urlencode([*fields, ("_csrf_token", csrf(client))]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def text_of(html: str) -> str:
    """The page's words, without tags, in single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def followed(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    """The page a form's 303 leads to."""
    assert response.status_code == 303, response.text
    return await client.get(response.headers["location"])


def date_fields(name: str, day: dt.date) -> dict[str, str]:
    """A GOV.UK date input's three fields, as the page posts them."""
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


async def prepared(client: httpx.AsyncClient, fields: dict[str, str] | None = None) -> int:
    """A draft claim prepared through the page (as of today unless `fields` say otherwise)."""
    sent = fields or {"claim_at": "date", **date_fields("as_of", today())}
    response = await post_form(client, "/programmes/P1/claims", sent)
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/claims/([0-9]+)\?saved=claim-prepared", response.headers["location"])
    assert found is not None
    return int(found[1])


async def line_of(claim_id: int) -> int:
    [row] = await ClaimLine.select(ClaimLine.id).where(ClaimLine.claim == claim_id)
    return int(row["id"])


async def submitted(client: httpx.AsyncClient) -> tuple[int, int]:
    """A claim prepared and sampled by pm, signed off by the auditor and submitted by pm."""
    await sign_in(client, "pm")
    claim_id = await prepared(client)
    assert (
        await post_form(client, f"/claims/{claim_id}/sample", {"percent": "100"})
    ).status_code == 303
    line_id = await line_of(claim_id)
    await sign_in(client, "auditor")
    signing = await post_form(client, f"/claims/{claim_id}/lines/{line_id}/sign-off")
    assert signing.status_code == 303, signing.text
    await sign_in(client, "pm")
    assert (await post_form(client, f"/claims/{claim_id}/submit")).status_code == 303
    return claim_id, line_id


async def a_window(world: World, *, opens: int = -5, closes: int = 5) -> int:
    """A window of P1 around today, with results as of its opening day."""
    opens_on = today() + dt.timedelta(days=opens)
    [row] = await ClaimWindow.insert(
        ClaimWindow(
            programme=world.programmes["P1"],
            name="Spring round",
            opens_on=opens_on,
            closes_on=today() + dt.timedelta(days=closes),
            as_of=opens_on,
        )
    ).returning(ClaimWindow.id)
    return int(row["id"])


async def test_a_blank_date_asks_for_the_date_and_never_says_not_both(
    client: httpx.AsyncClient, world: World
) -> None:
    """The date's form sent blank asks for the date, linked to its day field."""
    await sign_in(client, "pm")
    blank = {"claim_at": "date", "as_of-day": "", "as_of-month": "", "as_of-year": ""}
    response = await post_form(client, "/programmes/P1/claims", blank)
    assert response.status_code == 422, response.text
    words = text_of(response.text)
    assert "Error: Enter the date to claim results as of" in words
    assert "not both" not in words
    assert 'href="#as_of-day"' in response.text


async def test_a_date_that_is_not_real_is_named_by_its_label_and_kept(
    client: httpx.AsyncClient, world: World
) -> None:
    """31 2 2026 is refused as "Results as of must be a real date", the typed day kept."""
    await sign_in(client, "pm")
    typed = {"claim_at": "date", "as_of-day": "31", "as_of-month": "2", "as_of-year": "2026"}
    response = await post_form(client, "/programmes/P1/claims", typed)
    assert response.status_code == 422, response.text
    assert "Results as of must be a real date" in text_of(response.text)
    assert 'name="as_of-day" type="text" value="31"' in response.text


async def test_the_window_form_sent_without_a_window_asks_for_one(
    client: httpx.AsyncClient, world: World
) -> None:
    """Preparing in a window with none chosen says "Select a claim window", by its field."""
    await a_window(world)
    await sign_in(client, "pm")
    response = await post_form(client, "/programmes/P1/claims", {"claim_at": "window"})
    assert response.status_code == 422, response.text
    assert "Error: Select a claim window" in text_of(response.text)
    assert 'href="#window_id"' in response.text


async def test_a_claim_prepared_in_an_open_window_is_judged_at_its_date(
    client: httpx.AsyncClient, world: World
) -> None:
    """The window form prepares the claim as of the window's date, and names the window."""
    window_id = await a_window(world)
    await sign_in(client, "pm")
    claims_page = await client.get("/programmes/P1/claims")
    assert "Spring round: results as of" in text_of(claims_page.text)
    claim_id = await prepared(client, {"claim_at": "window", "window_id": str(window_id)})
    claim = await Claim.select(Claim.as_of, Claim.claim_window).where(Claim.id == claim_id).first()
    assert claim == {"as_of": today() - dt.timedelta(days=5), "claim_window": window_id}
    shown = await client.get(f"/claims/{claim_id}")
    assert ", in the claim window Spring round" in text_of(shown.text)


async def test_opening_a_window_names_every_problem_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    """No name, a close before the opening and results after the close: three errors."""
    await sign_in(client, "pm")
    form = await client.get("/programmes/P1/claim-windows/new")
    assert form.status_code == 200, form.text
    fields = {
        "name": "",
        **date_fields("opens_on", dt.date(2026, 4, 30)),
        **date_fields("closes_on", dt.date(2026, 4, 1)),
        **date_fields("as_of", dt.date(2026, 5, 1)),
    }
    response = await post_form(client, "/programmes/P1/claim-windows", fields)
    assert response.status_code == 422, response.text
    words = text_of(response.text)
    assert "Enter name of the window" in words
    assert "Date the window closes must be on or after the date it opens" in words
    assert "Results as of must be on or before the date the window closes" in words
    assert await ClaimWindow.count() == 0


async def test_a_window_opened_in_the_page_is_listed_as_open(
    client: httpx.AsyncClient, world: World
) -> None:
    """A window from last week to next week is listed, open, with a way to close it."""
    await sign_in(client, "pm")
    fields = {
        "name": "Spring round",
        **date_fields("opens_on", today() - dt.timedelta(days=7)),
        **date_fields("closes_on", today() + dt.timedelta(days=7)),
        **date_fields("as_of", today() - dt.timedelta(days=7)),
    }
    listed = await followed(
        client, await post_form(client, "/programmes/P1/claim-windows", fields)
    )
    words = text_of(listed.text)
    assert "The claim window was added." in words
    assert re.search(r"Spring round .* Open 0 Close Spring round", words), words


async def test_a_closed_window_refuses_a_claim_and_is_no_longer_offered(
    client: httpx.AsyncClient, world: World
) -> None:
    """After the warning page and the close, the window is closed and refuses a claim (409)."""
    window_id = await a_window(world)
    await sign_in(client, "pm")
    path = f"/programmes/P1/claim-windows/{window_id}/close"
    warning = await client.get(path)
    assert "Once closed, the window cannot be opened again" in text_of(warning.text)
    listed = await followed(client, await post_form(client, path))
    assert "The claim window was closed." in text_of(listed.text)
    assert re.search(r"Spring round .* \(closed early, .*\) .* Closed 0", text_of(listed.text))
    claims_page = await client.get("/programmes/P1/claims")
    assert "Spring round: results as of" not in text_of(claims_page.text)
    refused = await post_form(
        client, "/programmes/P1/claims", {"claim_at": "window", "window_id": str(window_id)}
    )
    assert refused.status_code == 409, refused.text
    assert "was closed early" in text_of(refused.text)
    assert await Claim.count() == 0


async def test_closing_another_programmes_window_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    """A window id of P1 under P2's address is not found, and stays open."""
    window_id = await a_window(world)
    await sign_in(client, "pm")
    response = await post_form(client, f"/programmes/P2/claim-windows/{window_id}/close")
    assert response.status_code == 404, response.text
    assert await ClaimWindow.count().where(ClaimWindow.closed_at.is_null()) == 1


async def test_the_check_page_shows_what_is_submitted_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """Before submitting: one line, £700.00 in all, the warning; the claim is still sampled."""
    await sign_in(client, "pm")
    claim_id = await prepared(client)
    await post_form(client, f"/claims/{claim_id}/sample", {"percent": "100"})
    line_id = await line_of(claim_id)
    await sign_in(client, "auditor")
    await post_form(client, f"/claims/{claim_id}/lines/{line_id}/sign-off")
    await sign_in(client, "pm")
    claim_page = await client.get(f"/claims/{claim_id}")
    assert f'href="/claims/{claim_id}/submit"' in claim_page.text
    check = await client.get(f"/claims/{claim_id}/submit")
    assert check.status_code == 200, check.text
    words = text_of(check.text)
    assert 'id="submit-lines">1<' in check.text
    assert 'id="submit-total">£700.00<' in check.text
    assert "Once you submit the claim, it cannot be changed or withdrawn." in words
    assert "FAM-1 Crime, anti-social behaviour and school £700.00" in words
    assert await Claim.select(Claim.status).where(Claim.id == claim_id).first() == {
        "status": "sampled"
    }


async def test_the_check_page_offers_no_submission_before_the_sign_off(
    client: httpx.AsyncClient, world: World
) -> None:
    """With the sampled line not signed off, the check page says why and has no button."""
    await sign_in(client, "pm")
    claim_id = await prepared(client)
    await post_form(client, f"/claims/{claim_id}/sample", {"percent": "100"})
    check = await client.get(f"/claims/{claim_id}/submit")
    words = text_of(check.text)
    assert "The claim cannot be submitted yet. 1 sampled line is not signed off" in words
    assert "Submit the claim" not in words


async def test_the_decision_names_every_problem_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    """No outcome chosen and a ticked line with no reason: both errors, nothing decided."""
    claim_id, line_id = await submitted(client)
    response = await post_form(client, f"/claims/{claim_id}/decision", {"rejected": str(line_id)})
    assert response.status_code == 422, response.text
    words = text_of(response.text)
    assert "Select what the department decided" in words
    assert (
        "Enter the reason the department rejected FAM-1, Crime, anti-social behaviour and school"
        in words
    )
    assert f'href="#reason-{line_id}"' in response.text
    assert await Claim.select(Claim.status).where(Claim.id == claim_id).first() == {
        "status": "submitted"
    }


async def test_rejected_with_no_line_ticked_asks_for_the_lines(
    client: httpx.AsyncClient, world: World
) -> None:
    """ "Rejected some lines" with none ticked asks which, and keeps the reason typed."""
    claim_id, line_id = await submitted(client)
    sent = {"outcome": "rejected", f"reason-{line_id}": "No school census"}
    response = await post_form(client, f"/claims/{claim_id}/decision", sent)
    assert response.status_code == 422, response.text
    words = text_of(response.text)
    assert "Select the lines the department rejected" in words
    assert (
        "Tick FAM-1, Crime, anti-social behaviour and school as rejected, or delete its reason"
        in words
    )
    assert ">No school census</textarea>" in response.text


async def test_the_department_accepting_every_line_is_recorded(
    client: httpx.AsyncClient, world: World
) -> None:
    """Accepted: the claim says so, and FAM-1's result is not claimable again."""
    claim_id, _ = await submitted(client)
    decided = await followed(
        client, await post_form(client, f"/claims/{claim_id}/decision", {"outcome": "accepted"})
    )
    assert "every line was accepted" in text_of(decided.text)
    assert 'id="claim-status">Accepted<' in decided.text
    again = await post_form(client, "/programmes/P1/claims", date_fields("as_of", today()))
    assert "No family has a newly claimable result" in text_of(again.text)


async def test_a_rejected_line_is_claimed_again_in_the_next_claim(
    client: httpx.AsyncClient, world: World
) -> None:
    """The line rejected with a reason shows it, and the next claim holds FAM-1's result."""
    claim_id, line_id = await submitted(client)
    sent = [
        ("outcome", "rejected"),
        ("rejected", str(line_id)),
        (f"reason-{line_id}", "Attendance evidence not accepted"),
    ]
    decided = await followed(client, await post_form(client, f"/claims/{claim_id}/decision", sent))
    words = text_of(decided.text)
    assert 'id="claim-status">Partly rejected<' in decided.text
    assert "Rejected: Attendance evidence not accepted" in words
    next_claim = await prepared(client)
    assert next_claim != claim_id
    [line] = await ClaimLine.select(
        ClaimLine.family.family_ref.as_alias("family_ref"), ClaimLine.route, ClaimLine.is_live
    ).where(ClaimLine.claim == next_claim)
    assert line == {"family_ref": "FAM-1", "route": ROUTE, "is_live": True}


async def test_withdrawing_asks_why_and_frees_the_result(
    client: httpx.AsyncClient, world: World
) -> None:
    """No reason is refused by its label; with one, the claim is withdrawn, its result free."""
    await sign_in(client, "pm")
    claim_id = await prepared(client)
    page = await client.get(f"/claims/{claim_id}/withdraw")
    assert "Once withdrawn, the claim cannot be submitted or used again." in text_of(page.text)
    blank = await post_form(client, f"/claims/{claim_id}/withdraw", {"reason": ""})
    assert blank.status_code == 422, blank.text
    assert "Error: Enter why the claim is withdrawn" in text_of(blank.text)
    sent = {"reason": "Prepared at the wrong date"}
    withdrawn = await followed(
        client, await post_form(client, f"/claims/{claim_id}/withdraw", sent)
    )
    assert 'id="claim-status">Withdrawn<' in withdrawn.text
    assert "Prepared at the wrong date" in text_of(withdrawn.text)
    assert await line_of(await prepared(client)) != await line_of(claim_id)


async def test_a_submitted_claim_cannot_be_withdrawn(
    client: httpx.AsyncClient, world: World
) -> None:
    """The withdraw page of a submitted claim says why not; a post anyway is refused (409)."""
    claim_id, _ = await submitted(client)
    page = await client.get(f"/claims/{claim_id}/withdraw")
    assert "Only a claim not yet submitted can be withdrawn." in text_of(page.text)
    response = await post_form(client, f"/claims/{claim_id}/withdraw", {"reason": "Too late"})
    assert response.status_code == 409, response.text
    assert await Claim.select(Claim.status).where(Claim.id == claim_id).first() == {
        "status": "submitted"
    }


async def test_a_window_named_as_another_is_refused_by_its_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """A second "Spring round" is refused beside the name, with the dates kept as typed."""
    await a_window(world)
    await sign_in(client, "pm")
    fields = {
        "name": "Spring round",
        **date_fields("opens_on", today()),
        **date_fields("closes_on", today()),
        **date_fields("as_of", today()),
    }
    response = await post_form(client, "/programmes/P1/claim-windows", fields)
    assert response.status_code == 422, response.text
    assert "The programme already has a claim window by that name" in text_of(response.text)
    assert f'name="closes_on-year" type="text" value="{today().year}"' in response.text
    assert await ClaimWindow.count() == 1


async def test_the_forecast_skips_a_window_closed_early(
    client: httpx.AsyncClient, world: World
) -> None:
    """Closed in the page, next week's window is no longer the one the forecast goes to."""
    window_id = await a_window(world, opens=7, closes=14)
    await sign_in(client, "pm")
    forecast = "/api/v1/programmes/P1/forecast"
    before = await client.get(forecast, headers=world.headers("pm"))
    assert before.json()["window"]["name"] == "Spring round", before.text
    closing = await post_form(client, f"/programmes/P1/claim-windows/{window_id}/close")
    assert closing.status_code == 303, closing.text
    after = await client.get(forecast, headers=world.headers("pm"))
    assert after.status_code == 422, after.text
    assert "no claim window after" in after.text
