"""The one caller value new services take (issue 25's end state): who is asking, what they may
see, and how the audit log names them.

Older services still take `principal` and `actor` as two parameters; they move to `Caller`
with the house issue. New code takes a `Caller` so that it need not be moved twice.
"""

from __future__ import annotations

import attrs

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor


@attrs.frozen
class Caller:
    """A signed-in user (`principal` set) or the local operator at the server's command line."""

    actor: Actor
    principal: Principal | None

    @classmethod
    def signed_in(cls, principal: Principal, source: str | None) -> Caller:
        return cls(actor=Actor.of(principal, source), principal=principal)

    @classmethod
    def local_operator(cls, name: str) -> Caller:
        """The person running the CLI on the server: trusted with everything, audited by name."""
        return cls(actor=Actor.operator(name), principal=None)

    @property
    def is_local_operator(self) -> bool:
        return self.principal is None
