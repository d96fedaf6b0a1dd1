"""Dependencies handlers ask for: the caller (`caller`; older handlers: `principal`, `actor`)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from connecting_families.access.caller import Caller
from connecting_families.access.guard import client_address
from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope.get("user")
    # The guard runs first; a handler that asks for a principal declared a signed-in access.
    assert isinstance(principal, Principal)
    return principal


def provide_actor(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Actor:
    return Actor.of(principal, client_address(request))


def provide_caller(principal: NamedDependency[Principal], actor: NamedDependency[Actor]) -> Caller:
    return Caller(actor=actor, principal=principal)


ACCESS_DEPENDENCIES = {
    "principal": Provide(provide_principal, sync_to_thread=False),
    "actor": Provide(provide_actor, sync_to_thread=False),
    "caller": Provide(provide_caller, sync_to_thread=False),
}
