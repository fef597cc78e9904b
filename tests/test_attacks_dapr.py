"""Attacks on the Dapr answers (``dapr=True``): log lines and the bulk envelope read."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware

FORGED = "\nERROR forged line"
EVENT = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [environ["wsgi.input"].read()]


def call(body: bytes, content_type: str, stream: Any = None) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/orders",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": stream if stream is not None else io.BytesIO(body),
    }
    statuses: list[str] = []
    chunks = CloudEventsMiddleware(app, dapr=True)(environ, lambda s, h, e=None: statuses.append(s))
    return statuses[0], b"".join(chunks)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({**EVENT, "bad" + FORGED: "x"}, id="structured"),
        pytest.param(
            {
                "entries": [
                    {
                        "entryId": "e1",
                        "contentType": "application/cloudevents+json",
                        "event": {**EVENT, "bad" + FORGED: "x"},
                    }
                ]
            },
            id="bulk-entry",
        ),
    ],
)
def test_a_dropped_message_is_logged_without_a_raw_newline_from_its_field(
    body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    structured = "entries" not in body
    content_type = "application/cloudevents+json" if structured else "application/json"
    with caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"):
        status, _ = call(json.dumps(body).encode(), content_type)
    assert status == "200 OK"
    messages = [r.getMessage() for r in caplog.records if "dropping" in r.getMessage()]
    assert messages, caplog.records
    assert all("\n" not in m and "\r" not in m for m in messages), messages
    assert any("bad\\nERROR forged line" in m for m in messages), messages


class Trickle(io.RawIOBase):
    """A WSGI input that returns at most ``step`` bytes a read (PEP 3333 allows it)."""

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__()
        self._data = io.BytesIO(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._data.read()
        return self._data.read(min(size, self._step))


def test_a_json_body_read_in_short_reads_reaches_the_app_whole() -> None:
    body = json.dumps({"not": "an envelope", "filler": "x" * 5000}).encode()
    status, answer = call(body, "application/json", Trickle(body, 1000))
    assert (status, answer) == ("200 OK", body)


def test_a_bulk_envelope_read_in_short_reads_is_read_whole() -> None:
    envelope = {
        "entries": [
            {"entryId": f"e{i}", "contentType": "application/cloudevents+json", "event": EVENT}
            for i in range(50)
        ]
    }
    body = json.dumps(envelope).encode()
    status, answer = call(body, "application/json", Trickle(body, 500))
    assert status == "200 OK"
    assert [s["entryId"] for s in json.loads(answer)["statuses"]] == [f"e{i}" for i in range(50)]


def test_a_bulk_message_of_many_entries_without_ids_logs_one_line_for_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two bytes of input (``1,``) per entry must not buy a log line each."""
    body = json.dumps({"entries": [1] * 5000 + [{}] * 5000}).encode()
    with caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"):
        status, answer = call(body, "application/json")
    assert (status, json.loads(answer)) == ("200 OK", {"statuses": []})
    messages = [r.getMessage() for r in caplog.records if "entryId" in r.getMessage()]
    assert len(messages) == 1 and "(and 9999 more)" in messages[0]
    assert len(caplog.records) <= 2  # and the one for "more than max_batch_size"
