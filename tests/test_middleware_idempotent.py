"""Wrapping is idempotent: an app wrapped twice gets each event once, as it was
sent, data type included, under `cloudevents-wsgi serve`, gunicorn and the
Lambda shim."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from werkzeug.test import Client

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, Message, from_http, to_http
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.cli import LocalContext, load_sample

from .servers import EXAMPLES, ROOT, Server, request

STRUCTURED = "application/cloudevents+json"
# A structured event without datacontenttype: its data is JSON (JSON format 3.1).
NO_TYPE_EVENT = {
    "specversion": "1.0",
    "id": "e-1",
    "source": "/tests",
    "type": "com.example.greeting",
    "data": {"name": "Ishmael"},
}


class Recorder:
    """A WSGI app that keeps each environ it is called with, and its body."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls.append((environ, environ["wsgi.input"].read()))
        start_response("204 No Content", [])
        return []


def headers_of(environ: dict[str, Any]) -> dict[str, str]:
    """The HTTP headers an environ holds (lower-case names)."""
    headers = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


# -- in process ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_a_middleware_inside_another_passes_the_event_through(mode: str) -> None:
    app = Recorder()
    twice = CloudEventsMiddleware(CloudEventsMiddleware(app), mode=mode)
    response = Client(twice).post(
        "/", data=json.dumps(NO_TYPE_EVENT), headers={"Content-Type": STRUCTURED}
    )
    assert response.status_code == 204
    [(environ, body)] = app.calls
    event = environ["cloudevent"]
    assert event.get_data() == {"name": "Ishmael"}
    assert event.get_datacontenttype() is None
    # (b) The environ, parsed again by a middleware and by the SDK, is the same event.
    message = Message(headers=headers_of(environ), body=body)
    assert from_http(message) == [event]
    sdk_event = from_http_event(HTTPMessage(dict(message.headers), body))
    assert sdk_event.get_data() == {"name": "Ishmael"}
    assert sdk_event.get_id() == "e-1"


def test_a_batch_through_two_middlewares_calls_the_app_once_per_event() -> None:
    app = Recorder()
    twice = CloudEventsMiddleware(CloudEventsMiddleware(app))
    batch = [dict(NO_TYPE_EVENT, id=str(n)) for n in range(3)]
    response = Client(twice).post(
        "/", data=json.dumps(batch), headers={"Content-Type": "application/cloudevents-batch+json"}
    )
    assert response.status_code == 200
    assert [e["cloudevent"].get_id() for e, _ in app.calls] == ["0", "1", "2"]
    assert all(e["cloudevent"].get_data() == {"name": "Ishmael"} for e, _ in app.calls)


def test_the_inner_middleware_does_not_read_the_outer_ones_environ_again() -> None:
    # An event the outer middleware has handled is not parsed again: even an
    # environ whose headers no longer describe an event gets through as it is.
    app = Recorder()
    inner = CloudEventsMiddleware(app)
    event = CloudEvent({"id": "1", "source": "/s", "type": "t"})
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": STRUCTURED,
        "wsgi.input": io.BytesIO(b"not json"),
        "cloudevent": event,
        "cloudevents_wsgi.content_mode": "structured",
    }
    inner(environ, lambda *a: None)
    [(seen, body)] = app.calls
    assert seen is environ and body == b"not json"


@pytest.mark.parametrize(
    ("attributes", "data"),
    [
        pytest.param({}, {"a": [1, 2]}, id="json-without-datacontenttype"),
        pytest.param({}, "text", id="text-without-datacontenttype"),
        pytest.param({"datacontenttype": "application/json"}, b"{}", id="bytes-under-json"),
        pytest.param({"datacontenttype": "text/plain"}, "", id="empty-text"),
        pytest.param(
            {"datacontenttype": "application/cloudevents+json"},
            {"specversion": "1.0", "id": "2", "source": "/s", "type": "inner"},
            id="data-is-a-cloudevent",
        ),
    ],
)
def test_the_binary_form_falls_back_to_structured_where_it_must(
    attributes: dict[str, Any], data: Any
) -> None:
    app = Recorder()
    event = CloudEvent({"id": "1", "source": "/s", "type": "t", **attributes}, data)
    message = to_http(event, mode="structured")
    Client(CloudEventsMiddleware(app)).post(
        "/", data=message.body, headers={"Content-Type": STRUCTURED}
    )
    [(environ, body)] = app.calls
    assert environ["CONTENT_TYPE"] == STRUCTURED
    assert from_http(Message(headers=headers_of(environ), body=body)) == [event]


# -- the repository's Flask example, wrapped twice ----------------------------------------


def post_and_list(url: str) -> Any:
    status, _, _ = request(
        url + "/events", "POST", json.dumps(NO_TYPE_EVENT).encode(), {"Content-Type": STRUCTURED}
    )
    assert status == 204
    status, _, body = request(url + "/events")
    assert status == 200
    return body


def test_flask_example_under_serve(tmp_path: Path) -> None:
    server = Server(
        [sys.executable, "-m", "cloudevents_wsgi", "serve", "flask_app:app", "--port", "{port}"],
        cwd=EXAMPLES,
        env={"PYTHONPATH": str(ROOT)},
        log=tmp_path / "serve.log",
    )
    try:
        received = post_and_list(server.url)
    finally:
        server.stop()
    assert received == [{"type": "com.example.greeting", "id": "e-1", "data": {"name": "Ishmael"}}]
    assert server.output().count("event 'com.example.greeting' id='e-1'") == 1


def test_flask_example_wrapped_again_under_gunicorn(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn")
    server = Server(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            "127.0.0.1:{port}",
            "--workers",
            "1",
            "tests.double_wrap_app:application",
        ],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        log=tmp_path / "gunicorn.log",
    )
    try:
        received = post_and_list(server.url)
    finally:
        server.stop()
    assert received == [{"type": "com.example.greeting", "id": "e-1", "data": {"name": "Ishmael"}}]


@pytest.fixture
def flask_example(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import flask_app  # type: ignore[import-not-found]

    flask_app.received.clear()
    yield flask_app
    flask_app.received.clear()


def test_flask_example_through_make_lambda_handler(flask_example: Any) -> None:
    handler = make_lambda_handler(flask_example.app)
    http_event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/events",
        "rawQueryString": "",
        "headers": {"content-type": STRUCTURED, "host": "example.com"},
        "requestContext": {
            "http": {"method": "POST", "path": "/events", "protocol": "HTTP/1.1"},
            "domainName": "example.com",
            "stage": "$default",
        },
        "body": json.dumps(NO_TYPE_EVENT),
        "isBase64Encoded": False,
    }
    assert handler(http_event, LocalContext())["statusCode"] == 204
    # A native event: the shim's middleware makes the CloudEvent, the example's passes it on.
    s3 = load_sample("s3-object-created")
    handler(s3, LocalContext())
    greeting, s3_event = flask_example.received
    assert greeting == {"type": "com.example.greeting", "id": "e-1", "data": {"name": "Ishmael"}}
    assert s3_event["type"].startswith("com.amazonaws.s3.ObjectCreated")
    assert isinstance(s3_event["data"], dict)


def test_an_sqs_batch_through_make_lambda_handler_reaches_the_flask_example_once_per_record(
    flask_example: Any,
) -> None:
    batch = load_sample("sqs-batch")
    answer = make_lambda_handler(flask_example.app)(batch, LocalContext())
    assert answer == {"batchItemFailures": []}
    assert [event["id"] for event in flask_example.received] == [
        record["messageId"] for record in batch["Records"]
    ]
