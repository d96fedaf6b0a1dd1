"""The template engine, its filters, and the one way a page handler answers with a page."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from connecting_families.domain.dates import ENGLAND
from connecting_families.web.forms import saved_message

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def day(value: dt.date | dt.datetime | str | None) -> str:
    """A date as people write it: 1 Feb 2013; blank when there is none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.strftime("%-d %b %Y %H:%M")
    return value.strftime("%-d %b %Y")


def in_england(value: dt.datetime | None) -> dt.datetime | None:
    """An instant as England's clocks showed it (a contact's time received, as it was typed)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(ENGLAND)


def money(value: Decimal | int | float | str | None) -> str:
    """Pounds with a thousands separator: £1,234.00."""
    if value is None or value == "":
        return ""
    return f"£{Decimal(str(value)):,.2f}"


def humanise(name: str | None) -> str:
    """A rule or field name as words: `crime_asb_education` → Crime asb education."""
    if not name:
        return ""
    text = str(name).replace("_", " ").replace(".", ": ")
    return text[:1].upper() + text[1:]


# The headlines of the rule sets installed here, in words; any other is its key as words.
HEADLINE_WORDS = {
    "crime_asb": "Crime and anti-social behaviour",
    "education": "Education",
    "children_need_help": "Children who need help",
    "worklessness": "Worklessness and financial exclusion",
    "domestic_abuse": "Domestic abuse",
    "health": "Health",
}


def headline_words(headline: str | None) -> str:
    """A rule set's headline in words, as every page names it: `crime_asb` → Crime and
    anti-social behaviour."""
    if not headline:
        return ""
    return HEADLINE_WORDS.get(headline) or humanise(headline)


def path_segment(value: object) -> str:
    """`value` as exactly one segment of a URL path: `/`, `?`, `#`, `%` and every character
    outside the ref grammar percent-encoded, so a ref such as `../../6/needs/N2` stays inside
    its own segment and never moves a link or a form to another record.

    Every page builds the refs and codes of its addresses with this (Jinja's `urlencode`
    leaves `/` alone). A segment of only dots still reads as "up" to a browser, but cannot
    leave the record either: it has no `/` to climb past another.
    """
    return quote(str(value), safe="")


@functools.cache
def _environment() -> Environment:
    """The one Jinja environment of the process, however many apps it builds: compiling the
    templates (the GOV.UK components are large) takes about a second, once, not once an app
    (the test suite builds an app a test)."""
    # The GOV.UK Frontend components under the prefix their own macros import each other by
    # (`govuk_frontend_jinja/components/button/macro.html`), beside the app's templates.
    loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    env = Environment(loader=loader, autoescape=True)
    env.filters.update(
        day=day,
        in_england=in_england,
        money=money,
        humanise=humanise,
        headline=headline_words,
        pair_with_self=lambda v: (v, v),
        path_segment=path_segment,
    )
    # The templates are the installed package's files and do not change while it serves
    # (after editing one, restart `serve`). Without this, Jinja checks a template's mtime at
    # every use, and the GOV.UK components import one another at every call: a quarter of
    # the family page's time.
    env.globals["saved_message"] = saved_message
    # A claim's pages name its routes by its rule set's `route_names` (`route_name` in their
    # context); elsewhere a route is its name in words.
    env.globals["route_name"] = humanise
    env.auto_reload = False
    env.trim_blocks = True
    env.lstrip_blocks = True
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment()))


def page(name: str, *, status: int = 200, **context: Any) -> Template:
    """The page `name` rendered with `context`; forms refused are shown again with 422."""
    return Template(template_name=name, context=context, status_code=status)
