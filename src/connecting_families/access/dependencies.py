"""Dependencies handlers ask for: the caller, as a principal and as an audit actor."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

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


ACCESS_DEPENDENCIES = {
    "principal": Provide(provide_principal, sync_to_thread=False),
    "actor": Provide(provide_actor, sync_to_thread=False),
}
