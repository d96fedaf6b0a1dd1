"""An auditor's pages: the queue of claims to audit, a sampled line's page (its frozen verdict
explained and its evidence) with the decision to sign it off or query it, the programme
manager's answer, and a claim's verification."""

from __future__ import annotations

import datetime as dt
import html
import re

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import UserRole
from connecting_families.audit.tables import AuditEvent
from connecting_families.claims.tables import ClaimLine
from connecting_families.evidence.tables import Offence
from connecting_families.families.tables import Person

from access_world import World
from claim_world import PASSWORD, build_claim_world, sampled_claim


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_claim_world(client, app)


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    client.cookies.clear()
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": str(client.cookies["csrftoken"]),
        },
    )
    assert response.status_code in (302, 303), response.text


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        path, data={**(data or {}), "_csrf_token": str(client.cookies["csrftoken"])}
    )


async def followed(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, response.text
    return await client.get(response.headers["location"])


async def test_the_queue_lists_a_claim_waiting_for_audit(
    client: httpx.AsyncClient, world: World
) -> None:
    """A sampled claim is in the auditor's queue with its sampled and waiting lines."""
    claim_id, _ = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    queue = await client.get("/audit/queue")
    assert queue.status_code == 200, queue.text
    waiting = text_of(queue.text.split('id="waiting"')[1].split("</table>")[0])
    assert re.search(r"P1-\S+ P1 1 Mar 2014 2 2 0", waiting), waiting
    assert f'href="/claims/{claim_id}"' in queue.text
    assert "You have not signed off any line yet." in text_of(queue.text)


async def test_a_signed_claim_moves_to_the_claims_i_signed(
    client: httpx.AsyncClient, world: World
) -> None:
    """Once every sampled line is signed off, the claim leaves the queue for "Claims I signed"."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    for line_id in lines:
        await post_form(
            client, f"/claims/{claim_id}/lines/{line_id}/audit", {"decision": "sign_off"}
        )
    page = text_of((await client.get("/audit/queue")).text)
    assert "No claim is waiting for audit." in page
    assert re.search(r"Sampled 2 2 of 2", page), page


async def test_the_queue_is_in_an_auditors_navigation_only(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor's navigation offers the queue; a manager's does not, nor may they open it."""
    await sign_in(client, "auditor")
    assert 'href="/audit/queue"' in (await client.get("/audit")).text
    await sign_in(client, "pm")
    assert 'href="/audit/queue"' not in (await client.get("/programmes/P1")).text
    assert (await client.get("/audit/queue")).status_code == 403


async def test_the_line_page_explains_the_frozen_verdict_and_its_evidence(
    client: httpx.AsyncClient, world: World
) -> None:
    """The line's verdict in words, the evidence tables marked as used, and the hash matching."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    response = await client.get(f"/claims/{claim_id}/lines/{lines[0]}")
    assert response.status_code == 200, response.text
    page = text_of(response.text)
    assert "Turned around on 1 Mar 2014" in page
    assert 'id="evidence-offences"' in response.text
    assert "Offences: 2 records" in page
    assert "Matches" in page.split("The evidence it was decided on")[1]


async def test_the_line_page_shows_the_verdict_as_frozen_not_as_now(
    client: httpx.AsyncClient, world: World
) -> None:
    """Evidence corrected after the claim changes neither the verdict shown nor the hash check."""
    claim_id, lines = await sampled_claim(client, world)
    corrected = "person_ref,offence_ref,offence_date\nC1,OF-2,2013-12-01\n"
    response = await client.post(
        "/api/v1/programmes/P1/imports/offences",
        content=corrected.encode(),
        headers={**world.headers("pm"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    await sign_in(client, "auditor")
    page = text_of((await client.get(f"/claims/{claim_id}/lines/{lines[0]}")).text)
    assert "Turned around on 1 Mar 2014" in page
    assert "Does not match" not in page


async def test_reading_a_line_is_one_audit_entry_about_its_family(
    client: httpx.AsyncClient, world: World
) -> None:
    """Opening the line page writes one entry, about the family, naming the claim and line."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    before = await AuditEvent.count()
    await client.get(f"/claims/{claim_id}/lines/{lines[0]}")
    rows = await AuditEvent.select(AuditEvent.action, AuditEvent.resource_id).where(
        AuditEvent.id > before
    )
    assert [(r["action"], r["resource_id"]) for r in rows] == [
        ("claim.line.read", str(world.families["fam1"]))
    ]


async def test_a_decision_must_be_chosen(client: httpx.AsyncClient, world: World) -> None:
    """Sending no decision says "Select whether you sign off or query the line" by the field."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    response = await post_form(client, f"/claims/{claim_id}/lines/{lines[0]}/audit")
    assert response.status_code == 422, response.text
    assert 'href="#audit-decision"' in response.text
    assert "Select whether you sign off or query the line" in text_of(response.text)


async def test_a_query_needs_a_reason(client: httpx.AsyncClient, world: World) -> None:
    """A query without a reason says "Enter why you are querying the line"; nothing is saved."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    response = await post_form(
        client, f"/claims/{claim_id}/lines/{lines[0]}/audit", {"decision": "query"}
    )
    assert response.status_code == 422, response.text
    assert "Enter why you are querying the line" in text_of(response.text)
    assert 'href="#audit-reason"' in response.text


async def test_signing_off_from_the_line_page(client: httpx.AsyncClient, world: World) -> None:
    """Signed off, the line page says so and who signed it."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    done = await followed(
        client,
        await post_form(
            client, f"/claims/{claim_id}/lines/{lines[0]}/audit", {"decision": "sign_off"}
        ),
    )
    page = text_of(done.text)
    assert "The line was signed off." in page
    assert "Signed off by auditor" in page


async def test_a_query_is_seen_and_answered_by_the_manager(
    client: httpx.AsyncClient, world: World
) -> None:
    """The manager sees the query on the claim page and the line page, and answers it there."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    queried = await followed(
        client,
        await post_form(
            client,
            f"/claims/{claim_id}/lines/{lines[0]}/audit",
            {"decision": "query", "reason": "Which school confirmed the attendance?"},
        ),
    )
    assert "The line was queried." in text_of(queried.text)
    await sign_in(client, "pm")
    claim_page = text_of((await client.get(f"/claims/{claim_id}")).text)
    assert "1 line is queried. The claim cannot be submitted" in claim_page
    assert "Which school confirmed the attendance?" in claim_page
    line_page = await client.get(f"/claims/{claim_id}/lines/{lines[0]}")
    [query_id] = re.findall(r'action="/claims/\d+/queries/(\d+)/answer"', line_page.text)
    blank = await post_form(client, f"/claims/{claim_id}/queries/{query_id}/answer")
    assert blank.status_code == 422
    assert "Enter your answer" in text_of(blank.text)
    answered = await followed(
        client,
        await post_form(
            client,
            f"/claims/{claim_id}/queries/{query_id}/answer",
            {"answer": "Northfield Academy's return."},
        ),
    )
    page = text_of(answered.text)
    assert "Your answer was sent to internal audit." in page
    assert "Northfield Academy's return." in page
    assert "queried" not in text_of((await client.get(f"/claims/{claim_id}")).text).lower()


async def test_the_claim_page_refuses_submission_naming_the_queried_line(
    client: httpx.AsyncClient, world: World
) -> None:
    """Submitting with an open query shows the claim again with the line named (409)."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    await post_form(
        client,
        f"/claims/{claim_id}/lines/{lines[0]}/audit",
        {"decision": "query", "reason": "Why?"},
    )
    await sign_in(client, "pm")
    response = await post_form(client, f"/claims/{claim_id}/submit")
    assert response.status_code == 409, response.text
    assert "Internal audit has queried the line of FAM-1 for" in text_of(response.text)
    assert f"(line {lines[0]})" in text_of(response.text)


async def test_a_queried_line_is_not_signed_off_until_answered(
    client: httpx.AsyncClient, world: World
) -> None:
    """While its query is open, the line page offers no decision and refuses a sign-off."""
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    address = f"/claims/{claim_id}/lines/{lines[0]}"
    await post_form(client, f"{address}/audit", {"decision": "query", "reason": "Why?"})
    page = await client.get(address)
    assert 'id="decision"' not in page.text
    refused = await post_form(client, f"{address}/audit", {"decision": "sign_off"})
    assert refused.status_code == 409
    assert "You cannot sign off the line until its query is answered" in text_of(refused.text)
    assert await ClaimLine.count().where(ClaimLine.signed_off_by.is_not_null()) == 0


async def test_whoever_prepared_the_claim_is_not_offered_the_decision(
    client: httpx.AsyncClient, world: World
) -> None:
    """A manager who is also an auditor sees why they cannot decide on their own claim's line."""
    await UserRole.insert(UserRole(user=world.users["pm"], role="auditor"))
    claim_id, lines = await sampled_claim(client, world)
    await sign_in(client, "pm")
    page = await client.get(f"/claims/{claim_id}/lines/{lines[0]}")
    assert "You prepared this claim, so you cannot sign off or query its lines." in text_of(
        page.text
    )
    assert 'id="decision"' not in page.text


async def test_verifying_a_claim_shows_every_line_decided_the_same(
    client: httpx.AsyncClient, world: World
) -> None:
    """The claim page links to its verification, which finds no line decided differently."""
    claim_id, _ = await sampled_claim(client, world)
    await sign_in(client, "auditor")
    claim_page = await client.get(f"/claims/{claim_id}")
    assert f'href="/claims/{claim_id}/verify"' in claim_page.text
    verified = await client.get(f"/claims/{claim_id}/verify")
    assert verified.status_code == 200, verified.text
    page = text_of(verified.text)
    assert "Every line is decided the same" in page
    assert "2 lines checked" in page


async def test_verifying_names_a_line_decided_differently_and_why(
    client: httpx.AsyncClient, world: World
) -> None:
    """Evidence slipped in behind the service's back, dated before the claim, is found: the
    lines it changes are listed with why."""
    claim_id, _ = await sampled_claim(client, world)
    person = await Person.select(Person.id).where(Person.person_ref == "C1").first()
    assert person is not None
    await Offence.insert(
        Offence(
            programme=world.programmes["P1"],
            recorded_at=dt.datetime(2014, 1, 1, tzinfo=dt.UTC),
            person=person["id"],
            offence_ref="OF-9",
            offence_date=dt.date(2013, 12, 1),
        )
    )
    await sign_in(client, "auditor")
    page = text_of((await client.get(f"/claims/{claim_id}/verify")).text)
    assert "2 lines would now be decided differently" in page
    assert "the evidence as known then no longer gives the line's hash" in page
