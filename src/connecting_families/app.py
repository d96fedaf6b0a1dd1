"""The application factory: `create_app(settings)` builds everything; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import PluginProtocol
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.plugins.core import MsgspecDIPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from connecting_families import __version__
from connecting_families.access.dependencies import ACCESS_DEPENDENCIES
from connecting_families.access.guard import (
    API_PREFIX,
    PasswordChangeRequired,
    password_change_required,
    requires_access,
    route_access,
)
from connecting_families.access.policy import PUBLIC
from connecting_families.accounts.controller import SessionController, TokenController
from connecting_families.accounts.passwords import PasswordService
from connecting_families.accounts.service import AccountService
from connecting_families.accounts.teams import TeamService
from connecting_families.accounts.users import UserService
from connecting_families.accounts.users_controller import (
    OwnPasswordController,
    TeamAdminController,
    UserController,
)
from connecting_families.assessments.controller import AssessmentController
from connecting_families.assessments.service import AssessmentService
from connecting_families.audit.controller import AuditController
from connecting_families.audit.page_views import page_view_middleware
from connecting_families.claims.controller import (
    ClaimController,
    ClaimWindowController,
    ProgrammeClaimController,
)
from connecting_families.claims.query_controller import ClaimQueryController
from connecting_families.claims.querying import QueryService
from connecting_families.claims.service import ClaimService
from connecting_families.claims.windows import ClaimWindows
from connecting_families.consent.controller import ConsentController
from connecting_families.consent.service import ConsentService
from connecting_families.database.engine import (
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.evaluation.controller import EvaluationController, VerdictController
from connecting_families.evaluation.service import EvaluationService
from connecting_families.evidence.controller import EvidenceController
from connecting_families.evidence.recording import EvidenceRecorder
from connecting_families.evidence.service import EvidenceService
from connecting_families.families.allocation import AllocationService
from connecting_families.families.caseload_controller import CaseloadController
from connecting_families.families.closures import ClosureService
from connecting_families.families.controller import ClosureController, FamilyController
from connecting_families.families.household_controller import HouseholdController
from connecting_families.families.members import MemberService
from connecting_families.families.notes import NoteService
from connecting_families.families.service import FamilyService
from connecting_families.frontdoor.controller import ContactController, FamilyContactController
from connecting_families.frontdoor.service import FrontDoorService
from connecting_families.health.controller import HealthController
from connecting_families.hooks.host import PluginHost
from connecting_families.http_security import (
    CheckedRequest,
    add_security_headers,
    check_request_input,
)
from connecting_families.imports.controller import ImportController
from connecting_families.imports.service import ImportService
from connecting_families.meetings.controller import MeetingController
from connecting_families.meetings.service import MeetingService
from connecting_families.plans.controller import OverdueController, PlanController
from connecting_families.plans.service import PlanService
from connecting_families.problems import EXCEPTION_HANDLERS, problem_responses
from connecting_families.programmes.controller import ProgrammeController
from connecting_families.programmes.service import ProgrammeService
from connecting_families.reports.controller import ReportController
from connecting_families.reports.service import ReportService
from connecting_families.request_limits import BodyLimitMiddleware, BodyLimits
from connecting_families.request_log import configure_logging, request_log_middleware
from connecting_families.settings import Settings
from connecting_families.web.account_pages import AccountPages
from connecting_families.web.admin_teams import AdminTeamPages
from connecting_families.web.admin_users import AdminUserPages
from connecting_families.web.audit_pages import AuditPages
from connecting_families.web.audit_queue import AuditQueuePages
from connecting_families.web.auth_pages import SignInPages
from connecting_families.web.claim_decision import ClaimDecisionPages
from connecting_families.web.claim_lines import ClaimLinePages
from connecting_families.web.claim_list import ClaimListPages
from connecting_families.web.claim_pages import ClaimPages
from connecting_families.web.claim_submission import ClaimSubmissionPages
from connecting_families.web.claim_windows import ClaimWindowPages
from connecting_families.web.claim_withdrawal import ClaimWithdrawalPages
from connecting_families.web.cross_site import requires_same_origin, secure_cookies_over_https
from connecting_families.web.errors import for_pages
from connecting_families.web.family_assessments import AssessmentPages
from connecting_families.web.family_closure import ClosurePages
from connecting_families.web.family_consent import ConsentPages
from connecting_families.web.family_evidence import EvidencePages
from connecting_families.web.family_household import HouseholdPages
from connecting_families.web.family_meetings import MeetingPages
from connecting_families.web.family_notes import NotePages
from connecting_families.web.family_pages import FamilyPages
from connecting_families.web.family_plan import PlanPages
from connecting_families.web.family_plan_actions import ActionPages
from connecting_families.web.family_plan_reviews import ReviewPages
from connecting_families.web.family_search import FamilySearchPages
from connecting_families.web.forms import reads_page_form
from connecting_families.web.front_door import FrontDoorPages
from connecting_families.web.front_door_record import RecordContactPages
from connecting_families.web.new_family import NewFamilyPages
from connecting_families.web.programme_forecast import ForecastPage
from connecting_families.web.programme_imports import ImportPages
from connecting_families.web.programme_pages import ProgrammePages
from connecting_families.web.programme_reports import ReportPages
from connecting_families.web.programme_settings import ProgrammeSettingsPages
from connecting_families.web.programme_settings_plan import OutcomePlanPages
from connecting_families.web.programme_settings_rules import RuleSetSettingsPages
from connecting_families.web.sign_off_pages import AssessmentSignOffPages
from connecting_families.web.team_allocation import AllocationPages
from connecting_families.web.team_closure_sign_off import ClosureSignOffPages
from connecting_families.web.team_pages import TeamPages
from connecting_families.web.templating import STATIC, template_config

SWAGGER_ASSETS = Path(swagger_ui.__file__).parent / "static"
SWAGGER_ASSETS_PATH = "/schema/assets"


@asynccontextmanager
async def _database_lifespan(app: Litestar) -> AsyncIterator[None]:
    engine = app.state.engine
    await open_database(engine)
    try:
        yield
    finally:
        await close_database(engine)


def create_app(settings: Settings, plugins: PluginHost | None = None) -> Litestar:
    """Build the service for `settings`. The database is opened and closed in the lifespan.

    `plugins` replaces the installed plugins (a plugin author's test names its own)."""
    state = app_state(settings, plugins)
    use_engine(state["engine"])
    app = _Service(
        route_handlers=[
            HealthController,
            SessionController,
            TokenController,
            FamilyController,
            ClosureController,
            HouseholdController,
            ConsentController,
            ContactController,
            FamilyContactController,
            MeetingController,
            CaseloadController,
            AssessmentController,
            PlanController,
            OverdueController,
            ProgrammeController,
            ImportController,
            EvidenceController,
            VerdictController,
            EvaluationController,
            ProgrammeClaimController,
            ClaimWindowController,
            ClaimController,
            ReportController,
            AuditController,
            SignInPages,
            FamilyPages,
            NotePages,
            EvidencePages,
            ConsentPages,
            MeetingPages,
            PlanPages,
            ActionPages,
            ReviewPages,
            ClosurePages,
            FamilySearchPages,
            NewFamilyPages,
            HouseholdPages,
            AssessmentPages,
            ProgrammePages,
            ClaimPages,
            ClaimListPages,
            ClaimWindowPages,
            ClaimSubmissionPages,
            ClaimDecisionPages,
            ClaimWithdrawalPages,
            TeamPages,
            AllocationPages,
            AssessmentSignOffPages,
            ClosureSignOffPages,
            AuditPages,
            ProgrammeSettingsPages,
            RuleSetSettingsPages,
            OutcomePlanPages,
            ClaimQueryController,
            ClaimLinePages,
            AuditQueuePages,
            UserController,
            TeamAdminController,
            OwnPasswordController,
            AdminUserPages,
            AdminTeamPages,
            AccountPages,
            ImportPages,
            ReportPages,
            ForecastPage,
            FrontDoorPages,
            RecordContactPages,
            create_static_files_router(
                path="/static",
                directories=[STATIC],
                include_in_schema=False,
                name="static",
                opt={"access": PUBLIC},
            ),
            create_static_files_router(
                path=SWAGGER_ASSETS_PATH,
                directories=[SWAGGER_ASSETS],
                include_in_schema=False,
                name="swagger_assets",
                opt={"access": PUBLIC},
            ),
        ],
        lifespan=[_database_lifespan],
        state=State(state),
        guards=[reads_page_form, requires_same_origin, requires_access],
        dependencies={**ACCESS_DEPENDENCIES, **_provide(set(state) - {"settings", "engine"})},
        openapi_config=_openapi(),
        exception_handlers={
            **{kind: for_pages(h) for kind, h in EXCEPTION_HANDLERS.items()},
            PasswordChangeRequired: password_change_required,
        },
        template_config=template_config(),
        plugins=[HTMXPlugin()],
        middleware=[
            request_log_middleware,
            page_view_middleware,
            DefineMiddleware(BodyLimitMiddleware, limits=_body_limits(settings)),
        ],
        request_class=CheckedRequest,
        before_send=[add_security_headers, secure_cookies_over_https],
        before_request=check_request_input,
        # Pages (cookie sessions) need CSRF tokens, signing in too; the API takes bearer
        # tokens only. The cookie is made Secure over https by `secure_cookies_over_https`.
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_httponly=False,
            # Anchored: Litestar searches the whole path, and a page's path can hold a
            # record's reference (a need called "health-1" must not skip the check).
            exclude=[f"^{API_PREFIX}", "^/health", "^/schema"],
        ),
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins))
        if settings.cors_origins
        else None,
        # Logging is configured once by the CLI (JSON lines); Litestar must not replace it.
        logging_config=None,
    )
    _check_every_route_declares_access(app)
    _document_problems(app)
    return app


def app_state(settings: Settings, plugins: PluginHost | None = None) -> dict[str, Any]:
    """What an app holds for `settings`: the settings, its engine (not yet open) and each
    service, which handlers ask for by name.

    Handlers find the services in the app's state, so the tests give each test new ones
    (and a new engine) in the one app a test process builds: building it is most of a test's
    set-up."""
    engine = create_engine(settings.database)
    plugins = plugins or PluginHost(settings.disabled_plugins)
    evaluation = EvaluationService(engine, plugins, settings.judging_budget_ms)
    families, members = FamilyService(engine), MemberService(engine)
    services: dict[str, object] = {
        "plugins": plugins,
        "imports": ImportService(engine, settings.max_import_bytes, plugins),
        # Not "evidence": a body field of that name (a need's) would be taken for the
        # dependency, and Litestar answers its validation errors with a 500.
        "evidence_service": EvidenceService(engine),
        "recorder": EvidenceRecorder(engine, plugins),
        "evaluation": evaluation,
        "claims": ClaimService(engine, evaluation),
        "reports": ReportService(engine, evaluation),
        "accounts": AccountService(engine, settings.secret_key),
        "families": families,
        "members": members,
        "front_door": FrontDoorService(engine, plugins, families, members),
        "allocations": AllocationService(engine),
        "notes": NoteService(engine),
        "consents": ConsentService(engine),
        "meetings": MeetingService(engine),
        "closures": ClosureService(engine),
        "assessments": AssessmentService(engine, plugins),
        "plans": PlanService(engine),
        "programmes": ProgrammeService(engine, plugins),
        "claim_queries": QueryService(engine),
        "claim_windows": ClaimWindows(engine),
        "user_admin": UserService(engine),
        "team_admin": TeamService(engine),
        "own_account": PasswordService(engine),
    }
    return {"settings": settings, "engine": engine, **services}


def _body_limits(settings: Settings) -> BodyLimits:
    return BodyLimits(
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
        idle_seconds=settings.body_idle_timeout_seconds,
        body_seconds=settings.body_timeout_seconds,
        import_seconds=settings.import_timeout_seconds,
    )


def _provide(names: Iterable[str]) -> dict[str, Provide]:
    """Each service as a dependency handlers ask for by name, read from the app's state."""

    def provider(name: str) -> Provide:
        def service(state: State) -> Any:
            return state[name]

        return Provide(service, sync_to_thread=False)

    return {name: provider(name) for name in names}


class _Service(Litestar):
    """Litestar without its pydantic plugins, which it adds whenever pydantic can be
    imported (Piccolo needs it). No type here is a pydantic model, and importing pydantic
    and its v1 shim cost a tenth of a second at every start (issue 2: a restart is ready in
    under 2 s)."""

    @staticmethod
    def _get_default_plugins(plugins: list[PluginProtocol]) -> list[PluginProtocol]:
        return [*plugins, MsgspecDIPlugin(), AttrsSchemaPlugin()]


def app_from_environment() -> Litestar:
    """The app as `serve` runs it in each worker process: settings from the environment."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="connecting_families",
        version=__version__,
        description=(
            "Case work, partner evidence and payment-by-results claims for an early help "
            "whole-family programme. Errors are RFC 9457 problem details. Send a bearer "
            "token from `POST /api/v1/auth/token` or a personal token."
        ),
        path="/schema",
        # Litestar's own router leaves its documentation routes out of the document; say so
        # again, or the document describes itself (and its HTML 404 for unknown paths).
        openapi_router=Router(
            path="/schema", route_handlers=[], opt={"access": PUBLIC}, include_in_schema=False
        ),
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
        ),
        security=[{"bearer": []}],
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


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Paths the CSRF check leaves alone (see `csrf_config` above).
NO_CSRF_PREFIXES = (API_PREFIX, "/health", "/schema")


def _document_problems(app: Litestar) -> None:
    """Describe in the OpenAPI document the problem documents each route may answer with.

    Every route may be sent a malformed request (400), name a record that is not there or
    not visible (404), break a rule (422) or find the database busy (503). Routes that need
    a credential may answer 401 and 403; writes may conflict (409), be too large (413) or
    too slow (408);
    page forms without a CSRF token get 403. A handler's own `responses` win.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            statuses = {400, 404, 422, 503}
            if route_access(handler).roles is not None:
                statuses |= {401, 403}
            if handler.http_methods & UNSAFE_METHODS:
                statuses |= {408, 409, 413}
                csrf = not handler.opt.get("exclude_from_csrf")
                if csrf and not route.path.startswith(NO_CSRF_PREFIXES):
                    statuses.add(403)
            own = handler.responses or {}
            handler.responses = {**problem_responses(sorted(statuses)), **own}


def _check_every_route_declares_access(app: Litestar) -> None:
    """Refuse to start if any route forgot to say who may use it."""
    for route in app.routes:
        handlers = route.route_handlers if isinstance(route, HTTPRoute) else [route.route_handler]
        for handler in handlers:
            route_access(handler)
