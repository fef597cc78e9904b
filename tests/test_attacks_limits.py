"""Attacks on the limits: numbers a client writes that Python will not read.

Python refuses to convert a decimal string of more than 4,300 digits to an
int (ValueError, CVE-2020-10735's fix); a request whose ``Content-Length``
is such a number, or a digit int() does not take ("²" is a digit to
``str.isdigit``), gets a problem+json answer, never a 500.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware

HUGE = "9" * 5000
BINARY = {
    "HTTP_CE_SPECVERSION": "1.0",
    "HTTP_CE_ID": "1",
    "HTTP_CE_SOURCE": "/s",
    "HTTP_CE_TYPE": "t",
}


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


def call(middleware: Any, length: str, content_type: str, **extra: Any) -> tuple[int, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": length,
        "wsgi.input": io.BytesIO(b"{}"),
        **extra,
    }
    statuses: list[str] = []
    body = b"".join(middleware(environ, lambda s, h, e=None: statuses.append(s)))
    return int(statuses[0][:3]), body


EVENTS = [
    pytest.param("application/cloudevents+json", {}, id="structured"),
    pytest.param("application/cloudevents-batch+json", {}, id="batch"),
    pytest.param("application/json", BINARY, id="binary"),
]


@pytest.mark.parametrize(("content_type", "extra"), EVENTS)
@pytest.mark.parametrize("dapr", [False, True], ids=["plain", "dapr"])
def test_a_content_length_of_5000_digits_is_413_not_500(
    content_type: str, extra: dict[str, str], dapr: bool
) -> None:
    status, body = call(CloudEventsMiddleware(app, dapr=dapr), HUGE, content_type, **extra)
    if dapr:
        assert (status, json.loads(body)) == (200, {"status": "DROP"})
    else:
        assert status == 413
        problem = json.loads(body)
        assert problem["field"] == "body" and len(body) < 2048


@pytest.mark.parametrize("length", ["²", "١٢", "0" * 5000 + "2"])
@pytest.mark.parametrize("dapr", [False, True], ids=["plain", "dapr"])
def test_a_content_length_of_other_digits_is_answered_not_500(length: str, dapr: bool) -> None:
    status, body = call(
        CloudEventsMiddleware(app, dapr=dapr), length, "application/cloudevents+json"
    )
    assert status in (200, 400)  # 200: Dapr's DROP, or 2 bytes "{}" read: an invalid event
    assert json.loads(body)


@pytest.mark.parametrize("native", [True, {"aws.sqs"}])
def test_a_json_upload_with_a_5000_digit_length_passes_through(native: Any) -> None:
    """Not proved an event: never refused, the body left to the app."""
    status, body = call(
        CloudEventsMiddleware(app, native_over_http=native), HUGE, "application/json"
    )
    assert (status, body) == (200, b"app")


# -- a request that cannot be proved an event reaches the app byte for byte ------------


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [environ["wsgi.input"].read()]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"native_over_http": True}, id="native"),
        pytest.param({"native_over_http": {"aws.sqs"}}, id="sqs"),
        pytest.param({"native_over_http": True, "dapr": True}, id="dapr"),
    ],
)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_body_without_length_or_end_of_input_is_left_in_the_stream(
    options: dict[str, Any], content_type: str
) -> None:
    """No CONTENT_LENGTH and no wsgi.input_terminated: the middleware cannot
    read the body, so it must not take the stream from the app either."""
    body = json.dumps({"Records": [{"eventSource": "aws:sqs"}]}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/upload",
        "CONTENT_TYPE": content_type,
        "wsgi.input": io.BytesIO(body),
    }
    statuses: list[str] = []
    answer = b"".join(
        CloudEventsMiddleware(echo, **options)(environ, lambda s, h, e=None: statuses.append(s))
    )
    assert (statuses, answer) == (["200 OK"], body)
