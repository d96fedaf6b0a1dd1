"""An auditor's queue: the claims waiting for audit in their programmes, and those they signed."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import AUDIT_QUEUE
from connecting_families.claims.audit_queue import audit_queue
from connecting_families.web.templating import page


class AuditQueuePages(Controller):
    include_in_schema = False

    @get("/audit/queue", opt={"access": AUDIT_QUEUE})
    async def queue_page(self, caller: NamedDependency[Caller]) -> Template:
        """The claims whose audit sample waits for an auditor, and the claims I signed.

        Args:
            caller: The signed-in auditor.
        """
        return page("audit_queue.html", queue=await audit_queue(caller))
