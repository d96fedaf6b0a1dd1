"""The application factory: `create_app(settings)` builds everything; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import swagger_ui
from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from connecting_families import __version__
from connecting_families.database.engine import (
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.health.controller import HealthController
from connecting_families.problems import EXCEPTION_HANDLERS
from connecting_families.request_log import request_log_middleware
from connecting_families.settings import Settings

SWAGGER_ASSETS = Path(swagger_ui.__file__).parent / "static"
SWAGGER_ASSETS_PATH = "/schema/assets"


def create_app(settings: Settings) -> Litestar:
    """Build the service for `settings`. The database is opened and closed in the lifespan."""
    engine = create_engine(settings.database)
    use_engine(engine)

    @asynccontextmanager
    async def database_lifespan(app: Litestar) -> AsyncIterator[None]:
        await open_database(engine)
        try:
            yield
        finally:
            await close_database(engine)

    openapi = OpenAPIConfig(
        title="connecting_families",
        version=__version__,
        description=(
            "Case work, partner evidence and payment-by-results claims for an early help "
            "whole-family programme. Errors are RFC 9457 problem details."
        ),
        path="/schema",
        render_plugins=[
            # Served by the app itself: the service runs where no CDN can be reached.
            SwaggerRenderPlugin(
                path="/swagger",
                js_url=f"{SWAGGER_ASSETS_PATH}/swagger-ui-bundle.js",
                css_url=f"{SWAGGER_ASSETS_PATH}/swagger-ui.css",
                standalone_preset_js_url=f"{SWAGGER_ASSETS_PATH}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' href='{SWAGGER_ASSETS_PATH}/favicon-32x32.png'>",
            )
        ],
    )

    return Litestar(
        route_handlers=[
            HealthController,
            create_static_files_router(
                path=SWAGGER_ASSETS_PATH,
                directories=[SWAGGER_ASSETS],
                include_in_schema=False,
                name="swagger_assets",
            ),
        ],
        lifespan=[database_lifespan],
        state=State({"settings": settings, "engine": engine}),
        openapi_config=openapi,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[request_log_middleware],
        # Logging is configured once by the CLI (JSON lines); Litestar must not replace it.
        logging_config=None,
    )
