"""Who is calling, and whether the route lets them in. One guard for every route.

The API takes bearer tokens only and pages take the session cookie only, so a cookie can
never carry an API call that its user did not mean to make.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from connecting_families.access.policy import (
    ADMIN,
    AUDITOR,
    FRONT_DOOR,
    KEY_WORKER,
    PROGRAMME_MANAGER,
    PUBLIC,
    ROLES,
    TEAM_MANAGER,
    Access,
    Principal,
)
from connecting_families.accounts.service import SESSION_LIFETIME, AccountService
from connecting_families.audit.service import Actor, record
from connecting_families.problems import problem

API_PREFIX = "/api/"
SESSION_COOKIE = "cf_session"
BEARER_KINDS = frozenset({"access", "personal"})
COOKIE_KINDS = frozenset({"session"})


# A route's `opt` key: the route may be used by someone signed in with a temporary password
# (changing it, signing out). Every other route sends them to change it first.
BEFORE_PASSWORD_CHANGE = "before_password_change"  # noqa: S105 - an opt key
PASSWORD_CHANGE_PAGE = "/account/password"  # noqa: S105 - a page
CHANGE_FIRST_WORDS = (
    "You signed in with a temporary password: change it first, with"
    " POST /api/v1/auth/password or on the page /account/password."
)


class PasswordChangeRequired(PermissionDeniedException):
    """Signed in with a temporary password: pages go to the change-password page, the API
    answers 403 saying what to do (`password_change_required`)."""


def password_change_required(
    request: Request[Any, Any, Any], exc: PasswordChangeRequired
) -> Response[Any]:
    if request.url.path.startswith(API_PREFIX):
        return problem(403, "Forbidden", exc.detail, instance=request.scope.get("path_template"))
    return Redirect(PASSWORD_CHANGE_PAGE)


def set_session_cookie(
    response: Response[Any], connection: ASGIConnection[Any, Any, Any, Any], token: str
) -> None:
    """Put a page session's token in its HttpOnly cookie (Secure when served over https)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=connection.url.scheme == "https",
    )


def route_access(handler: BaseRouteHandler) -> Access:
    """The access a route declared in `opt["access"]`; `create_app` checks every route has one."""
    access = handler.opt.get("access")
    if access is None and getattr(handler, "http_methods", None) == {"OPTIONS"}:
        return PUBLIC  # Litestar's own preflight handler: it returns no data.
    if not isinstance(access, Access):
        raise RuntimeError(f"route {handler.paths} declares no access in opt['access']")
    return access


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address, as the sign-in throttle counts it and the audit log records it.

    The one place the service asks. It is the connection's peer, never a header the client
    sent: `serve` lets uvicorn replace the peer with X-Forwarded-For only when the peer is
    one of `CF_TRUSTED_PROXIES` (none by default).
    """
    return connection.client.host if connection.client else "unknown"


def presented_token(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, frozenset[str]]:
    """The credential the request carries, and which kinds of token it may be."""
    if connection.url.path.startswith(API_PREFIX):
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        return (token.strip() if scheme.lower() == "bearer" else ""), BEARER_KINDS
    return connection.cookies.get(SESSION_COOKIE, ""), COOKIE_KINDS


async def requires_access(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Authenticate the caller and refuse them unless the route's `Access` allows them."""
    access = route_access(handler)
    principal: Principal | None = None
    token, kinds = presented_token(connection)
    if token:
        accounts: AccountService = connection.app.state.accounts
        credential = await accounts.credential_for(token, kinds)
        if credential:
            principal = credential.principal
            connection.scope["user"] = principal
            connection.scope["auth"] = credential
    if access.allows(principal):
        credential = connection.scope.get("auth")
        if (
            access.roles is not None
            and getattr(credential, "must_change_password", False)
            and not handler.opt.get(BEFORE_PASSWORD_CHANGE)
        ):
            raise PasswordChangeRequired(CHANGE_FIRST_WORDS)
        return
    if principal is None:
        raise NotAuthorizedException(
            "Sign in, or send a valid bearer token, to use this endpoint.",
            headers={"WWW-Authenticate": 'Bearer realm="connecting_families"'},
        )
    await record(
        Actor.of(principal, client_address(connection)),
        "access.denied",
        "route",
        None,
        allowed=False,
        detail={
            "method": connection.scope.get("method"),
            "route": connection.scope.get("path_template"),
        },
    )
    raise PermissionDeniedException(refusal_reason(access, principal))


# Each role as a person would say it: one of them, and many.
ROLE_WORDS = {
    FRONT_DOOR: ("a front-door practitioner", "front-door practitioners"),
    KEY_WORKER: ("a key worker", "key workers"),
    TEAM_MANAGER: ("a team manager", "team managers"),
    PROGRAMME_MANAGER: ("a programme manager", "programme managers"),
    AUDITOR: ("an auditor", "auditors"),
    ADMIN: ("an administrator", "administrators"),
}


def _listed(words: list[str], joiner: str) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {joiner} {words[-1]}"


def refusal_reason(access: Access, principal: Principal) -> str:
    """Why the route refused `principal`, in words: whom it is for and what they are now.

    A form's 403 page shows it, so that someone whose role was taken away while a form was
    open knows why what they typed was not saved. It names roles only, never a record."""
    wanted = [ROLE_WORDS[role][1] for role in ROLES if role in (access.roles or ())]
    held = [ROLE_WORDS[role][0] for role in ROLES if role in principal.roles]
    reason = "Your role does not allow this"
    if wanted:
        reason += f": it is for {_listed(wanted, 'and')}"
        reason += f", and you are {_listed(held, 'and')}" if held else ", and you have no role now"
    return reason + "."
