"""The template engine, its filters, and the one way a page handler answers with a page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

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


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters.update(day=day, money=money, humanise=humanise, pair_with_self=lambda v: (v, v))
    env.trim_blocks = True
    env.lstrip_blocks = True


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_configure
    )


def page(name: str, *, status: int = 200, **context: Any) -> Template:
    """The page `name` rendered with `context`; forms refused are shown again with 422."""
    return Template(template_name=name, context=context, status_code=status)
