"""Request logs are structured and hold no personal data."""

import json
import logging

import httpx
import pytest

from connecting_families.request_log import JsonFormatter


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
