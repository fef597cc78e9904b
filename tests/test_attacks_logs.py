"""Attacks on log lines: a control character from an event never reaches a
log line raw. The Lambda runtime logs an invocation error's message as one
``[ERROR]`` line, so the shim's error messages are log lines too.
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import BatchFailedError, EventFailedError, make_lambda_handler

from .lambda_apps import CONTEXT

FORGED = "\nERROR forged line\r"
BAD_KEY = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "bad" + FORGED: "x"}


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return []


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(BAD_KEY, id="structured"),
        pytest.param([BAD_KEY, BAD_KEY], id="batch"),
    ],
)
def test_an_invocation_error_message_carries_no_raw_control_character(event: Any) -> None:
    handler = make_lambda_handler(CloudEventsMiddleware(app))
    with pytest.raises((EventFailedError, BatchFailedError)) as caught:
        handler(event, CONTEXT)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message, message
    assert "bad\\nERROR forged line" in message
