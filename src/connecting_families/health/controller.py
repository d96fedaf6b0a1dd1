"""`GET /health`."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, get
from litestar.datastructures import State

from connecting_families import __version__
from connecting_families.access.policy import PUBLIC
from connecting_families.database.engine import AnyEngine, database_kind
from connecting_families.errors import Unavailable

# A probe must get an answer even when the database hangs rather than refuses.
HEALTH_TIMEOUT_SECONDS = 5.0


class Health(msgspec.Struct):
    """The service is up and its database answers."""

    status: str
    version: str
    database: str


class Live(msgspec.Struct):
    """The process answers; nothing else was asked."""

    status: str
    version: str


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get(summary="Check the service and its database", opt={"access": PUBLIC})
    async def get_health(self, state: State) -> Health:
        """Answer 200 when the database answers a query, 503 when it does not within 5 s.

        Args:
            state: The application state, holding the database engine.
        """
        engine: AnyEngine = state.engine
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                await engine.run_ddl("SELECT 1")
        except Exception as exc:
            raise Unavailable(
                "The database did not answer.", headers={"Retry-After": "5"}
            ) from exc
        return Health(status="ok", version=__version__, database=database_kind(engine))

    @get("/live", summary="Check that the process answers", opt={"access": PUBLIC})
    async def get_live(self) -> Live:
        """Answer 200 without touching the database: a liveness probe for a supervisor, and
        the benchmarks' measure of the server's own speed."""
        return Live(status="ok", version=__version__)
