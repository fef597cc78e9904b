"""A WSGI app for tests/test_lambda_runtime.py, loaded by the real Lambda runtime
client through ``CLOUDEVENTS_WSGI_APP=tests.lambda_app_for_runtime:application``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    event = environ.get("cloudevent")
    window = environ.get("aws.window")
    if window is not None and event is not None:
        # A tumbling window: count the records in its state.
        window.state = dict(window.state, count=str(int(window.state.get("count", "0")) + 1))
    if event is not None and event.get_type() == "com.amazonaws.lambda.invocation":
        # A direct invoke: the answer is the invocation's result.
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"got": event.get_data(), "id": event.get_id()}).encode()]
    if event is not None:
        # The test names the event to refuse, to exercise failure reports.
        refused = event.get_id() == os.environ.get("REFUSE_EVENT_ID")
        start_response("500 Internal Server Error" if refused else "204 No Content", [])
        return []
    seen = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["SCRIPT_NAME"] + environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "cookie": environ.get("HTTP_COOKIE"),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "body": environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode(),
        "request_id": environ["aws.context"].aws_request_id,
    }
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
    )
    return [json.dumps(seen).encode()]
