"""What every user does to their own account: change their password, see and revoke their
personal tokens, and sign out of every session."""

from __future__ import annotations

import asyncio

from connecting_families.access.caller import Caller
from connecting_families.access.policy import Principal
from connecting_families.accounts import credentials
from connecting_families.accounts import repository as repo
from connecting_families.accounts.repository import RevokedTokens, TokenSummary
from connecting_families.accounts.service import SignInThrottled, locked_for
from connecting_families.accounts.tables import LoginAttempt
from connecting_families.audit.service import record
from connecting_families.database.engine import AnyEngine, take_turns, write_transaction
from connecting_families.errors import Invalid, NotFound, field_error

CURRENT_WRONG = "The current password is wrong"


def _principal(caller: Caller) -> Principal:
    if caller.principal is None:
        raise NotFound("The local operator has no account of their own.")
    return caller.principal


class PasswordService:
    """A signed-in user's own password, tokens and sessions."""

    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def change_password(
        self, caller: Caller, current: str, new: str, *, keep_token: int | None
    ) -> RevokedTokens:
        """Change the caller's password: the current one must be right (a wrong one counts
        as a failed sign-in, so a stolen session cannot guess it), the new one is checked as
        every password is; every other session and token ends, `keep_token` (the one this
        request came with) goes on."""
        me = _principal(caller)
        address = (caller.actor.source or "unknown")[:64]
        problems = []
        if not current:
            problems.append(field_error("current_password", "must not be empty"))
        if problem := credentials.password_problem(new, me.username):
            problems.append(field_error("new_password", _sentence(problem)))
        elif new == current:
            problems.append(
                field_error("new_password", "The new password must differ from the current one")
            )
        if problems:
            raise Invalid("The password was not changed; see errors.", errors=problems)
        async with write_transaction(self.engine):
            await take_turns(self.engine, f"login-user:{me.username}", f"login-address:{address}")
            retry_after = await locked_for(me.username, address)
        if retry_after:
            minutes = max(1, round(retry_after / 60))
            raise SignInThrottled(
                f"Too many wrong passwords; try again in about {minutes} minute(s).", retry_after
            )
        password_hash, _ = await repo.password_row(me.user_id)
        matched = await asyncio.to_thread(credentials.verify_password, password_hash, current)
        if not matched:
            async with write_transaction(self.engine):
                await LoginAttempt.insert(
                    LoginAttempt(username=me.username, address=address, succeeded=False)
                )
                await record(
                    caller.actor,
                    "user.change_password",
                    "user",
                    me.user_id,
                    allowed=False,
                    detail={"reason": "bad_credentials"},
                )
            raise Invalid(
                "The password was not changed; see errors.",
                errors=[field_error("current_password", CURRENT_WRONG)],
            )
        new_hash = await asyncio.to_thread(credentials.hash_password, new)
        async with write_transaction(self.engine):
            await repo.update_user(
                me.user_id,
                password_hash=new_hash,
                must_change_password=False,
                temporary_password_expires_at=None,
            )
            revoked = await repo.revoke_all(me.user_id, except_token=keep_token)
            await record(
                caller.actor,
                "user.change_password",
                "user",
                me.user_id,
                detail={"revoked": revoked.counts},
            )
        return revoked

    async def sign_out_everywhere(self, caller: Caller) -> RevokedTokens:
        """End every session and revoke every token of the caller, this one too."""
        me = _principal(caller)
        async with write_transaction(self.engine):
            revoked = await repo.revoke_all(me.user_id)
            await record(
                caller.actor, "auth.revoke_all", "user", me.user_id, detail=revoked.counts
            )
        return revoked

    async def tokens(self, caller: Caller) -> list[TokenSummary]:
        """The caller's personal tokens and page sessions, newest first."""
        me = _principal(caller)
        return list(reversed(await repo.tokens_of(me.user_id, ("personal", "session"))))


def _sentence(problem: str) -> str:
    """credentials' "a password needs at least 12 characters" as a page says it."""
    return problem.replace("a password", "The new password", 1)
