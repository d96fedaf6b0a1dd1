"""`/health`, the OpenAPI document and page, and RFC 9457 problem details for every error."""

import shutil
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import JSONBody

from connecting_families import __version__
from connecting_families.access.policy import PUBLIC
from connecting_families.errors import Conflict
from connecting_families.request_log import JsonFormatter
from connecting_families.settings import Settings


async def test_health_reports_version_and_database(
    client: httpx.AsyncClient, database_kind: str
) -> None:
    """/health answers 200 with the version and the kind of database it checked."""
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "database": database_kind}


# PostgreSQL going away is for the reliability issue's fault tests.
@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_health_is_503_when_the_database_cannot_be_opened(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A SQLite file that has become unusable answers 503 as a problem, not 500."""
    path = settings.database.sqlite_path
    assert path is not None
    path.unlink()
    path.mkdir()  # a directory where the database file was: it cannot be opened
    try:
        response = await client.get("/health")
        live = await client.get("/health/live")
    finally:
        shutil.rmtree(path)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Service unavailable"
    # The liveness probe asks nothing of the database: the process itself answers.
    assert live.status_code == 200
    assert live.json() == {"status": "ok", "version": __version__}


async def test_openapi_document_lists_the_health_route(client: httpx.AsyncClient) -> None:
    """The OpenAPI document is at /schema/openapi.json and describes the API."""
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert "/health" in document["paths"]


async def test_interactive_page_uses_only_assets_the_app_serves(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The Swagger page loads its scripts and styles from the app itself, not a CDN."""
    assert (await client.get("/schema")).status_code == 200
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    assert "https://" not in page.text
    assert "http://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert f"/schema/assets/{asset}" in page.text
        served = await client.get(f"/schema/assets/{asset}")
        assert served.status_code == 200
        assert len(served.content) > 1000


async def test_unknown_address_is_a_problem(client: httpx.AsyncClient) -> None:
    """An unknown path answers 404 as problem details to a program (a person gets a page)."""
    response = await client.get("/no/such/thing", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not found"
    assert body["type"].endswith("/not-found")


class Payload(msgspec.Struct):
    count: int


@post("/api/v1/test/validate", sync_to_thread=False, opt={"access": PUBLIC})
def validate_payload(data: JSONBody[Payload]) -> dict[str, int]:
    return {"count": data.count}


@get("/api/v1/test/conflict", sync_to_thread=False, opt={"access": PUBLIC})
def raise_conflict() -> None:
    raise Conflict("That claim was already submitted.")


LEAKED_UPN = "A123456789012"


@get("/api/v1/test/crash", sync_to_thread=False, opt={"access": PUBLIC})
def crash() -> None:
    raise RuntimeError(f"duplicate key value (upn)=({LEAKED_UPN}) already exists")


async def test_invalid_body_lists_what_was_wrong(app: Litestar, client: httpx.AsyncClient) -> None:
    """A body of the wrong shape is a 400 problem naming the bad field."""
    app.register(validate_payload)
    response = await client.post("/api/v1/test/validate", json={"count": "many"})
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Invalid request"
    assert any("count" in str(error) for error in body["errors"])


async def test_domain_error_keeps_its_status_and_message(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    """A service's domain error reaches the caller with its own status and detail."""
    app.register(raise_conflict)
    response = await client.get("/api/v1/test/conflict")
    assert response.status_code == 409
    assert response.json()["detail"] == "That claim was already submitted."


async def test_unexpected_error_is_500_without_its_message(
    app: Litestar, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug answers a 500 problem; neither the answer nor the log quotes the exception."""
    app.register(crash)
    response = await client.get("/api/v1/test/crash")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert LEAKED_UPN not in response.text
    logged = [JsonFormatter().format(r) for r in caplog.records if r.msg == "unhandled error"]
    assert len(logged) == 1
    assert '"error_type": "RuntimeError"' in logged[0]
    assert "test_health_and_problems.py" in logged[0]  # where it happened
    assert LEAKED_UPN not in logged[0]
