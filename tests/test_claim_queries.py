"""Internal audit's queries about sampled lines, in the API and the service: raising one,
answering it, and a claim with an open query refused submission by the line it names."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from connecting_families.access.caller import Caller
from connecting_families.access.policy import Principal
from connecting_families.audit.tables import AuditEvent
from connecting_families.claims.querying import QueryService
from connecting_families.claims.tables import ClaimLine
from connecting_families.errors import Conflict, Invalid, NotFound

from access_world import World
from claim_world import build_claim_world, sampled_claim


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_claim_world(client, app)


async def query(
    client: httpx.AsyncClient, world: World, claim_id: int, line_id: int, reason: str = "Why?"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/claims/{claim_id}/lines/{line_id}/queries",
        json={"reason": reason},
        headers=world.headers("auditor"),
    )


def caller_of(world: World, user: str, roles: set[str]) -> Caller:
    principal = Principal(
        user_id=world.users[user],
        username=user,
        roles=frozenset(roles),
        team_id=None,
        programme_ids=frozenset({world.programmes["P1"]}),
    )
    return Caller.signed_in(principal, "test")


async def test_an_auditor_queries_a_sampled_line(client: httpx.AsyncClient, world: World) -> None:
    """The query is open, names its line and its asker, and is audited against the claim."""
    claim_id, [line_id, _] = await sampled_claim(client, world)
    raised = await query(client, world, claim_id, line_id, "Which school confirmed this?")
    assert raised.status_code == 201, raised.text
    body = raised.json()
    assert (body["line_id"], body["open"], body["raised_by"]) == (line_id, True, "auditor")
    assert body["family_ref"] == "FAM-1"
    listed = await client.get(f"/api/v1/claims/{claim_id}/queries", headers=world.headers("pm"))
    assert [q["reason"] for q in listed.json()["queries"]] == ["Which school confirmed this?"]
    audited = await AuditEvent.count().where(
        AuditEvent.action == "claim.line.query", AuditEvent.resource_id == str(claim_id)
    )
    assert audited == 1


async def test_a_queried_line_stops_submission_naming_the_line(
    client: httpx.AsyncClient, world: World
) -> None:
    """With every line signed off but one still queried, submit is 409 naming that line."""
    claim_id, [first, second] = await sampled_claim(client, world)
    await query(client, world, claim_id, first)
    await client.post(
        f"/api/v1/claims/{claim_id}/lines/{second}/sign-off", headers=world.headers("auditor")
    )
    submitted = await client.post(f"/api/v1/claims/{claim_id}/submit", headers=world.headers("pm"))
    assert submitted.status_code == 409, submitted.text
    detail = submitted.json()["detail"]
    assert f"line {first})" in detail
    assert "FAM-1" in detail
    assert "Answer the query before submitting" in detail


async def test_a_queried_line_is_not_signed_off_until_answered(
    client: httpx.AsyncClient, world: World
) -> None:
    """The API refuses to sign off a line whose query waits for an answer (409), and writes
    nothing; once the manager has answered, the same sign-off is taken."""
    claim_id, [first, _] = await sampled_claim(client, world)
    query_id = (await query(client, world, claim_id, first)).json()["id"]
    sign_off = f"/api/v1/claims/{claim_id}/lines/{first}/sign-off"
    refused = await client.post(sign_off, headers=world.headers("auditor"))
    assert refused.status_code == 409, refused.text
    assert "until its query is answered" in refused.json()["detail"]
    assert await ClaimLine.count().where(ClaimLine.signed_off_by.is_not_null()) == 0
    await client.post(
        f"/api/v1/claims/{claim_id}/queries/{query_id}/answer",
        json={"answer": "The attendance return of March."},
        headers=world.headers("pm"),
    )
    assert (await client.post(sign_off, headers=world.headers("auditor"))).status_code == 200


async def test_an_answered_query_lets_the_claim_be_submitted(
    client: httpx.AsyncClient, world: World
) -> None:
    """The manager's answer closes the query; once signed off, the claim is submitted."""
    claim_id, lines = await sampled_claim(client, world)
    query_id = (await query(client, world, claim_id, lines[0])).json()["id"]
    answered = await client.post(
        f"/api/v1/claims/{claim_id}/queries/{query_id}/answer",
        json={"answer": "The attendance return of March."},
        headers=world.headers("pm"),
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["open"], answered.json()["answered_by"]) == (False, "pm")
    for line_id in lines:
        signed = await client.post(
            f"/api/v1/claims/{claim_id}/lines/{line_id}/sign-off",
            headers=world.headers("auditor"),
        )
        assert signed.status_code == 200, signed.text
    submitted = await client.post(f"/api/v1/claims/{claim_id}/submit", headers=world.headers("pm"))
    assert submitted.status_code == 200, submitted.text


async def test_only_an_auditor_queries_and_only_a_manager_answers(
    client: httpx.AsyncClient, world: World
) -> None:
    """A programme manager cannot raise a query, nor an auditor answer one (403)."""
    claim_id, lines = await sampled_claim(client, world)
    by_pm = await client.post(
        f"/api/v1/claims/{claim_id}/lines/{lines[0]}/queries",
        json={"reason": "x"},
        headers=world.headers("pm"),
    )
    assert by_pm.status_code == 403
    query_id = (await query(client, world, claim_id, lines[0])).json()["id"]
    by_auditor = await client.post(
        f"/api/v1/claims/{claim_id}/queries/{query_id}/answer",
        json={"answer": "x"},
        headers=world.headers("auditor"),
    )
    assert by_auditor.status_code == 403


async def test_a_line_has_one_open_query_at_a_time(
    client: httpx.AsyncClient, world: World
) -> None:
    """A second query on a line whose first is unanswered is refused (409)."""
    claim_id, lines = await sampled_claim(client, world)
    assert (await query(client, world, claim_id, lines[0])).status_code == 201
    again = await query(client, world, claim_id, lines[0])
    assert again.status_code == 409
    assert "already has a query" in again.json()["detail"]


async def test_a_signed_off_line_cannot_be_queried(
    client: httpx.AsyncClient, world: World
) -> None:
    """Once signed off, a line is not queried (409)."""
    claim_id, lines = await sampled_claim(client, world)
    await client.post(
        f"/api/v1/claims/{claim_id}/lines/{lines[0]}/sign-off", headers=world.headers("auditor")
    )
    refused = await query(client, world, claim_id, lines[0])
    assert refused.status_code == 409
    assert "already signed off" in refused.json()["detail"]


async def test_a_blank_reason_is_refused_by_the_service(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """The service refuses a reason of spaces, naming the field; nothing is written."""
    claim_id, lines = await sampled_claim(client, world)
    service: QueryService = app.state.claim_queries
    with pytest.raises(Invalid) as refused:
        await service.raise_query(
            caller_of(world, "auditor", {"auditor"}), claim_id, lines[0], " "
        )
    assert refused.value.errors[0]["field"] == "reason"
    assert (
        await service.list_queries(caller_of(world, "pm", {"programme_manager"}), claim_id) == []
    )


async def test_the_service_hides_another_programmes_claim(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """An auditor of P2 only is told the claim is not found, not that it exists."""
    claim_id, lines = await sampled_claim(client, world)
    service: QueryService = app.state.claim_queries
    outsider = Caller.signed_in(
        Principal(
            user_id=world.users["auditor"],
            username="auditor",
            roles=frozenset({"auditor"}),
            team_id=None,
            programme_ids=frozenset({world.programmes["P2"]}),
        ),
        "test",
    )
    with pytest.raises(NotFound):
        await service.raise_query(outsider, claim_id, lines[0], "Why?")


async def test_an_answer_to_an_answered_query_is_refused(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """A query is answered once; a second answer is a conflict."""
    claim_id, lines = await sampled_claim(client, world)
    service: QueryService = app.state.claim_queries
    raised = await service.raise_query(
        caller_of(world, "auditor", {"auditor"}), claim_id, lines[0], "Why?"
    )
    pm = caller_of(world, "pm", {"programme_manager"})
    await service.answer(pm, claim_id, raised.id, "Because.")
    with pytest.raises(Conflict):
        await service.answer(pm, claim_id, raised.id, "Again.")
