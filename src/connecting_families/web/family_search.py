"""Find a family: by a member's name, a reference, a date of birth or a postcode.

The search is a POST form whose answer is the results page itself (no redirect): a name or a
date of birth typed into it never becomes part of an address, so it is in no log, no browser
history and no Referer header. Only the caller's own scope is searched (`families.search`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Template
from msgspec import Meta

from connecting_families.access.policy import FAMILY_LIST, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.families.search import FamilySearch, search_families
from connecting_families.web.forms import FORM_LABELS, Form, form_values, read, refused
from connecting_families.web.templating import page


class FamilySearchForm(msgspec.Struct, forbid_unknown_fields=True):
    """The search form as posted; every part optional."""

    name: Annotated[str, Meta(max_length=100)] = ""
    ref: Annotated[str, Meta(max_length=64)] = ""
    date_of_birth: dt.date | None = None
    postcode: Annotated[str, Meta(max_length=16)] = ""


SEARCH_LABELS = {
    "name": "Name",
    "ref": "Family or person reference",
    "date_of_birth": "Date of birth",
    "postcode": "Postcode",
}


class FamilySearchPages(Controller):
    """The "Find a family" page."""

    include_in_schema = False

    @get("/families/search", opt={"access": FAMILY_LIST})
    async def search_form(self) -> Template:
        """The search form, with nothing searched yet."""
        return page("families/search.html", form=Form(), result=None)

    @post(
        "/families/search",
        opt={"access": FAMILY_LIST, FORM_LABELS: SEARCH_LABELS},
        status_code=200,
    )
    async def search(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
    ) -> Template:
        """The families in the caller's scope that match what was typed, on this page.

        Args:
            request: The form post.
            principal: The signed-in caller, whose scope is searched.
            actor: The caller, for the audit log.
        """
        values = await form_values(request)
        try:
            data = read(values, FamilySearchForm, SEARCH_LABELS)
            search = FamilySearch(
                name=data.name,
                ref=data.ref,
                date_of_birth=data.date_of_birth,
                postcode=data.postcode,
            )
            if search.empty:
                raise Invalid(
                    "Nothing to search for.",
                    errors=[field_error("", "Enter a name, reference, date of birth or postcode")],
                )
            result = await search_families(principal, actor, search)
        except DomainError as error:
            return refused(error, values, SEARCH_LABELS, "families/search.html", result=None)
        return page("families/search.html", form=Form(values=values), result=result)
