"""Request logs are structured and hold no personal data."""

import json
import logging
from typing import Any

import httpx
import pytest
from litestar import Litestar, get
from litestar.exceptions import InternalServerException

from connecting_families.access.policy import PUBLIC
from connecting_families.request_log import JsonFormatter

from conftest import running


async def test_request_line_has_route_template_not_path_or_query(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The log line names the route, status and time, never the query string."""
    caplog.set_level(logging.INFO, logger="connecting_families.request")
    await client.get("/health", params={"surname": "Smith", "dob": "2004-02-29"})

    records = [r for r in caplog.records if r.name == "connecting_families.request"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["message"] == "request"
    assert line["route"] == "/health"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert "Smith" not in caplog.text
    assert "2004-02-29" not in caplog.text


def test_json_formatter_writes_one_object_with_extra_fields() -> None:
    """Each record is one JSON object, with what `extra=` added."""
    record = logging.makeLogRecord({"msg": "hello %s", "args": ("there",), "levelname": "INFO"})
    record.route = "/health"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "hello there"
    assert json.loads(line)["route"] == "/health"


LEAKED_NAME = "Amelia Pond"


@get("/api/v1/test/litestar-500", sync_to_thread=False, opt={"access": PUBLIC})
def fail_inside_litestar() -> None:
    try:
        {}[LEAKED_NAME]
    except KeyError as exc:
        raise InternalServerException(f"lookup of {LEAKED_NAME} failed") from exc


async def test_a_server_error_logs_its_frames_but_no_message(
    app: Litestar, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A 500, Litestar's own too, logs type and frames (file, line, function) of it and of
    what it was raised from, and neither message nor values."""
    app.register(fail_inside_litestar)
    response = await client.get("/api/v1/test/litestar-500")
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.msg == "unhandled error"]
    line = json.loads(JsonFormatter().format(record))
    assert line["error_type"] == "InternalServerException"
    assert line["raised_from"] == ["KeyError"]
    assert any(
        frame.endswith("in fail_inside_litestar") and "test_request_log.py:" in frame
        for frame in line["frames"]
    )
    assert LEAKED_NAME not in caplog.text


async def test_a_client_leaving_mid_body_is_a_disconnect_not_a_500(
    app: Litestar, caplog: pytest.LogCaptureFixture
) -> None:
    """A client gone before its body arrived is logged as a disconnect, never as a 500."""
    caplog.set_level(logging.INFO)
    messages = [
        {"type": "http.request", "body": b'{"username": ', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/auth/token",
        "raw_path": b"/api/v1/auth/token",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    async with running(app):
        await app(scope, receive, send)  # type: ignore[arg-type]
    [line] = [r for r in caplog.records if r.name == "connecting_families.request"]
    assert line.status == 499  # type: ignore[attr-defined]
    assert any(
        r.msg == "client disconnected" and r.levelno == logging.INFO for r in caplog.records
    )
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)
