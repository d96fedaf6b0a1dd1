"""Sign-in, sign-out and tokens: sessions for pages, bearer tokens for the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody

from connecting_families.access.guard import (
    BEFORE_PASSWORD_CHANGE,
    SESSION_COOKIE,
    client_address,
    set_session_cookie,
)
from connecting_families.access.policy import PUBLIC, SIGNED_IN, Principal
from connecting_families.accounts.schemas import (
    AccessToken,
    Credentials,
    Me,
    PersonalToken,
    PersonalTokenCreate,
    PersonalTokenIssued,
)
from connecting_families.accounts.service import (
    PERSONAL_TOKEN_MAX_LIFETIME,
    AccountService,
)
from connecting_families.audit.service import Actor
from connecting_families.http_params import RecordId
from connecting_families.problems import problem_responses

# Signing in is open to all, and answers a wrong password or a throttled name.
SIGN_IN_PROBLEMS = problem_responses([401, 429])


class SessionController(Controller):
    """Sign in and out of the pages (a session cookie)."""

    path = "/auth"
    tags = ["auth"]

    @post(
        "/login",
        # Not excluded from CSRF: a cross-site form could sign a browser in as the sender.
        opt={"access": PUBLIC},
        status_code=204,
        responses=SIGN_IN_PROBLEMS,
    )
    async def log_in(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        data: Annotated[Credentials, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[None]:
        """Sign in with a username and password; sets the session cookie.

        Send the CSRF token back in the `X-CSRFToken` header: it is the `csrftoken` cookie
        that any page sets (e.g. `GET /sign-in`).

        Args:
            request: The request, for the client address and scheme.
            accounts: The account service.
            data: The form's username and password.
        """
        issued = await accounts.sign_in(
            data.username, data.password, client_address(request), "session"
        )
        response = Response(content=None, status_code=204)
        set_session_cookie(response, request, issued.token)
        return response

    @get("/session", opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True})
    async def get_session(self, principal: NamedDependency[Principal]) -> Me:
        """Who is signed in to the pages; also sets the CSRF cookie that forms send back.

        Args:
            principal: The signed-in caller.
        """
        return Me.of(principal)

    @post("/logout", opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True}, status_code=204)
    async def log_out(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        actor: NamedDependency[Actor],
    ) -> Response[None]:
        """Sign out: the session is revoked and its cookie removed.

        Args:
            request: The request, whose session is ended.
            accounts: The account service.
            actor: The signed-in caller.
        """
        await accounts.revoke_token(actor, request.scope["auth"].token_id, actor.user_id or 0)
        response = Response(content=None, status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        return response


class TokenController(Controller):
    """Bearer tokens for programs that use the API."""

    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", opt={"access": PUBLIC}, status_code=200, responses=SIGN_IN_PROBLEMS)
    async def issue_access_token(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        data: JSONBody[Credentials],
    ) -> AccessToken:
        """Exchange a username and password for a short-lived access token.

        Args:
            request: The request, for the client address.
            accounts: The account service.
            data: The username and password.
        """
        issued = await accounts.sign_in(
            data.username, data.password, client_address(request), "access"
        )
        assert issued.expires_at is not None
        expires_in = int((issued.expires_at - dt.datetime.now(dt.UTC)).total_seconds())
        return AccessToken(
            access_token=issued.token,
            token_type="bearer",  # noqa: S106 - the OAuth 2 token type, not a secret
            expires_in=expires_in,
        )

    @delete("/token", opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True}, status_code=204)
    async def revoke_current_token(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        actor: NamedDependency[Actor],
    ) -> None:
        """Revoke the token this request was made with.

        Args:
            request: The request whose token is revoked.
            accounts: The account service.
            actor: The signed-in caller.
        """
        await accounts.revoke_token(actor, request.scope["auth"].token_id, actor.user_id or 0)

    @get("/me", opt={"access": SIGNED_IN, BEFORE_PASSWORD_CHANGE: True})
    async def get_me(self, principal: NamedDependency[Principal]) -> Me:
        """Who the token belongs to, with their roles and programmes.

        Args:
            principal: The signed-in caller.
        """
        return Me.of(principal)

    @post("/personal-tokens", opt={"access": SIGNED_IN})
    async def create_personal_token(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        actor: NamedDependency[Actor],
        data: JSONBody[PersonalTokenCreate],
    ) -> PersonalTokenIssued:
        """Create a personal API token; it is shown in this answer only.

        Only a fresh access token (from `POST /api/v1/auth/token`) can make one.

        Args:
            request: The request, whose credential is checked.
            accounts: The account service.
            actor: The caller, for the audit log.
            data: A name for the token and, optionally, days until it expires.
        """
        days = data.expires_in_days or PERSONAL_TOKEN_MAX_LIFETIME.days
        issued = await accounts.create_personal_token(
            actor, request.scope["auth"], data.name.strip(), dt.timedelta(days=days)
        )
        return PersonalTokenIssued(
            id=issued.id, name=data.name.strip(), token=issued.token, expires_at=issued.expires_at
        )

    @get("/personal-tokens", opt={"access": SIGNED_IN})
    async def list_personal_tokens(
        self,
        accounts: NamedDependency[AccountService],
        principal: NamedDependency[Principal],
    ) -> list[PersonalToken]:
        """The caller's personal tokens, without their values.

        Args:
            accounts: The account service.
            principal: The signed-in caller.
        """
        rows = await accounts.list_tokens(principal.user_id, "personal")
        return [
            PersonalToken(
                id=row["id"],
                name=row["name"],
                created_at=row["created_at"],
                expires_at=row["expires_at"],
                revoked_at=row["revoked_at"],
            )
            for row in rows
        ]

    @delete("/personal-tokens/{token_id:int}", opt={"access": SIGNED_IN}, status_code=204)
    async def revoke_personal_token(
        self,
        accounts: NamedDependency[AccountService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        token_id: RecordId,
    ) -> None:
        """Revoke one of the caller's personal tokens.

        Args:
            accounts: The account service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            token_id: The token to revoke.
        """
        await accounts.revoke_token(actor, token_id, principal.user_id)
