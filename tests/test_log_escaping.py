"""A log line never carries a raw control character that came from a request.

Each logger call whose arguments a client (or an event's sender) chooses logs
them with %r, so a "\\n" in the input cannot end the line and forge another.
One case per such call.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import BatchFailedError, make_lambda_handler

FORGED = "\nERROR forged line"


def failing_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise RuntimeError("the app failed")


def lines_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The first line of each record: its message, without any traceback."""
    return [record.getMessage() for record in caplog.records]


def assert_escaped(caplog: pytest.LogCaptureFixture, logged: str) -> None:
    messages = lines_of(caplog)
    assert any(logged in message for message in messages), messages
    assert not any("\n" in message or "\r" in message for message in messages), messages


def test_a_lambda_http_path_with_a_newline_is_escaped(caplog: pytest.LogCaptureFixture) -> None:
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/books%0AERROR%20forged%20line",
        "rawQueryString": "",
        "headers": {"host": "example.org"},
        "requestContext": {
            "domainName": "example.org",
            "stage": "$default",
            "http": {"method": "GET", "path": "/books", "protocol": "HTTP/1.1", "sourceIp": "1"},
        },
        "isBase64Encoded": False,
    }
    with caplog.at_level(logging.ERROR, logger="cloudevents_wsgi"):
        answer = make_lambda_handler(failing_app)(event, object())
    assert answer["statusCode"] == 500
    assert_escaped(caplog, "ERROR forged line")


def test_a_record_id_with_a_newline_is_escaped(caplog: pytest.LogCaptureFixture) -> None:
    records = [
        {
            "messageId": f"m-{index}" + FORGED,
            "body": "{}",
            "attributes": {"SentTimestamp": "1", "MessageGroupId": "A"},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:queue.fifo",
        }
        for index in range(2)
    ]
    # A newline is no valid CloudEvent id: each record is refused, and logged.
    handler = make_lambda_handler(CloudEventsMiddleware(failing_app, methods=["PUT"]))
    with caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"):
        with pytest.raises(BatchFailedError):
            handler({"Records": records}, object())
    assert_escaped(caplog, "ERROR forged line")


def test_a_malformed_lambda_http_event_is_logged_escaped(caplog: pytest.LogCaptureFixture) -> None:
    event = {
        "version": "2.0",
        "rawPath": "/",
        "requestContext": {"http": {"method": FORGED}},
        "headers": {FORGED: 1},
        "isBase64Encoded": "yes" + FORGED,
    }
    with caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"):
        try:
            make_lambda_handler(failing_app)(event, object())
        except Exception:
            pass
    assert not any("\n" in message for message in lines_of(caplog)), lines_of(caplog)
