"""A bare Litestar app answering `/health/live` as the service does: the framework's own cost,
the floor under every page the benchmark measures (`national.py`, the pages case)."""

from __future__ import annotations

from litestar import Litestar, get


@get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar([live])
