"""A programme manager's pages: the programmes, the dashboard, imports, claims and the
monthly report; the auditor's claim sample sign-off."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.policy import PROGRAMME_REPORT, Principal
from connecting_families.programmes.service import ProgrammeService
from connecting_families.web.templating import page


class ProgrammePages(Controller):
    include_in_schema = False

    @get("/programmes", opt={"access": PROGRAMME_REPORT})
    async def programmes_page(
        self, programmes: NamedDependency[ProgrammeService], principal: NamedDependency[Principal]
    ) -> Template:
        """The programmes the caller works in.

        Args:
            programmes: The programme service.
            principal: The signed-in caller.
        """
        return page("programmes.html", programmes=await programmes.list_programmes(principal))
