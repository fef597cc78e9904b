"""CloudEventsMiddleware in-process, through werkzeug's test client."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from werkzeug.test import Client, EnvironBuilder

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY

BINARY_HEADERS = {
    "ce-specversion": "1.0",
    "ce-id": "evt-1",
    "ce-source": "/orders",
    "ce-type": "com.example.order.created",
    "ce-time": "2024-05-01T10:00:00Z",
    "ce-subject": "order%2042",
    "Content-Type": "application/json",
}
EVENT = {
    "specversion": "1.0",
    "id": "evt-1",
    "source": "/orders",
    "type": "com.example.order.created",
    "time": "2024-05-01T10:00:00Z",
    "subject": "order 42",
    "datacontenttype": "application/json",
    "data": {"total": 12},
}


class Recorder:
    """A WSGI app that keeps each environ it is called with and its body."""

    def __init__(self, status: str = "204 No Content") -> None:
        self.status = status
        self.calls: list[tuple[dict[str, Any], bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = environ.get("CONTENT_LENGTH")
        body = environ["wsgi.input"].read(int(length)) if length else environ["wsgi.input"].read()
        self.calls.append((environ, body))
        start_response(self.status, [("Content-Type", "text/plain")])
        return [b"seen"]


def post(app: Any, body: bytes, headers: dict[str, str], **kwargs: Any) -> Any:
    return Client(app).post("/hook", data=body, headers=headers, **kwargs)


def sdk_event(environ: dict[str, Any], body: bytes) -> Any:
    """What code parsing the normalised request with the SDK gets."""
    headers = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if "CONTENT_TYPE" in environ:
        headers["content-type"] = environ["CONTENT_TYPE"]
    return from_http_event(HTTPMessage(headers=headers, body=body))


# -- single events ---------------------------------------------------------------


def test_binary_event_reaches_the_app_normalised() -> None:
    app = Recorder()
    response = post(CloudEventsMiddleware(app), b'{"total": 12}', BINARY_HEADERS)
    assert response.status_code == 204
    [(environ, body)] = app.calls
    event = environ["cloudevent"]
    assert isinstance(event, CloudEvent)
    assert (event.get_id(), event.get_subject(), event.get_data()) == (
        "evt-1",
        "order 42",
        {"total": 12},
    )
    assert body == b'{"total": 12}'
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "13"
    assert environ["HTTP_CE_SUBJECT"] == "order%2042"
    assert environ["HTTP_CE_TIME"] == "2024-05-01T10:00:00Z"
    assert environ["cloudevents_wsgi.content_mode"] == "binary"
    assert "HTTP_CONTENT_TYPE" not in environ


def test_structured_event_is_normalised_into_binary_form() -> None:
    app = Recorder()
    post(
        CloudEventsMiddleware(app),
        json.dumps(EVENT).encode(),
        {"Content-Type": "application/cloudevents+json", "ce-id": "ignored"},
    )
    [(environ, body)] = app.calls
    assert json.loads(body) == {"total": 12}
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["HTTP_CE_ID"] == "evt-1"
    assert environ["HTTP_CE_SUBJECT"] == "order%2042"
    assert environ["cloudevents_wsgi.content_mode"] == "structured"
    assert environ["CONTENT_LENGTH"] == str(len(body))


def test_structured_mode_puts_the_event_as_json_in_the_body() -> None:
    app = Recorder()
    post(CloudEventsMiddleware(app, mode="structured"), b'{"total": 12}', BINARY_HEADERS)
    [(environ, body)] = app.calls
    assert environ["CONTENT_TYPE"] == "application/cloudevents+json"
    assert not [k for k in environ if k.startswith("HTTP_CE_")]
    assert json.loads(body) == EVENT


@pytest.mark.parametrize("mode", ["binary", "structured"])
@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        pytest.param("application/json", {"total": 12}, id="json"),
        pytest.param("text/plain; charset=utf-8", "grüße", id="text"),
        pytest.param("application/octet-stream", None, id="bytes"),
    ],
)
def test_sdk_parsing_the_normalised_request_gets_the_same_event(
    mode: str, content_type: str, data: Any
) -> None:
    members = {**EVENT, "datacontenttype": content_type, "ext": "x y"}
    if data is None:
        del members["data"]
        members["data_base64"] = "AP8="
    else:
        members["data"] = data
    app = Recorder()
    post(
        CloudEventsMiddleware(app, mode=mode),
        json.dumps(members).encode(),
        {"Content-Type": "application/cloudevents+json"},
    )
    [(environ, body)] = app.calls
    ours = environ["cloudevent"]
    theirs = sdk_event(environ, body)
    assert theirs.get_attributes() == ours.get_attributes()
    assert theirs.get_data() == ours.get_data()


def test_app_answer_is_passed_back_unchanged() -> None:
    app = Recorder("202 Accepted")
    response = post(CloudEventsMiddleware(app), b"{}", BINARY_HEADERS)
    assert (response.status_code, response.data) == (202, b"seen")


# -- pass-through ------------------------------------------------------------------


class Unreadable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the middleware read a body that cannot be an event")


def test_get_passes_through_with_the_same_environ() -> None:
    seen: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [])
        return [b"page"]

    environ = EnvironBuilder(
        "/books", method="GET", headers={"ce-specversion": "1.0"}
    ).get_environ()
    snapshot = dict(environ)
    result = CloudEventsMiddleware(app)(environ, lambda *a: None)
    assert list(result) == [b"page"]
    assert seen[0] is environ
    assert environ == snapshot


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=x", "", "text/plain"]
)
def test_non_event_post_is_never_read(content_type: str) -> None:
    app = Recorder()
    environ = EnvironBuilder("/upload", method="POST", data=b"x" * 10).get_environ()
    environ["CONTENT_TYPE"] = content_type
    environ["wsgi.input"] = Unreadable()
    seen: list[Any] = []
    CloudEventsMiddleware(lambda e, s: seen.append(e) or [])(environ, lambda *a: None)
    assert seen == [environ]
    assert app.calls == []


def test_non_event_body_reaches_the_app_byte_for_byte() -> None:
    app = Recorder()
    payload = bytes(range(256)) * 100
    post(CloudEventsMiddleware(app), payload, {"Content-Type": "application/octet-stream"})
    [(environ, body)] = app.calls
    assert body == payload
    assert "cloudevent" not in environ


def test_method_outside_the_configured_ones_passes_through() -> None:
    app = Recorder()
    Client(CloudEventsMiddleware(app)).delete("/x", headers=BINARY_HEADERS)
    [(environ, _)] = app.calls
    assert "cloudevent" not in environ


# -- invalid input ---------------------------------------------------------------------


def called_never() -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise AssertionError("the app must not be called")

    return CloudEventsMiddleware(app, max_body_size=1000)


@pytest.mark.parametrize(
    ("headers", "body", "status", "field"),
    [
        pytest.param({**BINARY_HEADERS, "ce-time": "soon"}, b"{}", 400, "time", id="bad-time"),
        pytest.param({**BINARY_HEADERS, "ce-id": ""}, b"{}", 400, "id", id="empty-id"),
        pytest.param(BINARY_HEADERS, b"{oops", 400, "data", id="bad-json-data"),
        pytest.param(
            {"Content-Type": "application/cloudevents+json"}, b"[]", 400, "event", id="array"
        ),
        pytest.param(
            {"Content-Type": "application/cloudevents+json"}, b"\xff", 400, "body", id="utf8"
        ),
        pytest.param(
            {"Content-Type": "application/cloudevents+xml"}, b"<e/>", 415, "content-type", id="xml"
        ),
        pytest.param(
            {"Content-Type": "application/cloudevents+json"}, b" " * 1001, 413, "body", id="too-big"
        ),
        pytest.param(
            {"Content-Type": "application/cloudevents-batch+json"},
            json.dumps([EVENT, {**EVENT, "id": 1}]).encode(),
            400,
            "[1].id",
            id="batch",
        ),
    ],
)
def test_invalid_event_gets_problem_json_and_never_reaches_the_app(
    headers: dict[str, str], body: bytes, status: int, field: str
) -> None:
    response = post(called_never(), body, headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["field"] == field
    assert response.json["status"] == status
    assert response.headers["Content-Length"] == str(len(response.data))


def test_body_over_the_limit_is_refused_without_reading() -> None:
    environ = EnvironBuilder("/", method="POST", headers=BINARY_HEADERS).get_environ()
    environ["CONTENT_LENGTH"] = "5000"
    environ["wsgi.input"] = Unreadable()
    statuses: list[str] = []
    called_never()(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["413 Content Too Large"]


@pytest.mark.parametrize(
    ("length", "field"), [("abc", "content-length"), ("-1", "content-length"), ("50", "body")]
)
def test_lying_content_length_is_400(length: str, field: str) -> None:
    environ = EnvironBuilder("/", method="POST", headers=BINARY_HEADERS, data=b"{}").get_environ()
    environ["CONTENT_LENGTH"] = length
    statuses: list[str] = []
    body = called_never()(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["400 Bad Request"]
    assert json.loads(b"".join(body))["field"] == field


def test_chunked_body_is_read_to_its_end() -> None:
    app = Recorder()
    environ = EnvironBuilder("/", method="POST", headers=BINARY_HEADERS).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(b'{"total": 12}')
    environ["wsgi.input_terminated"] = True
    CloudEventsMiddleware(app)(environ, lambda *a: None)
    [(seen, body)] = app.calls
    assert seen["cloudevent"].get_data() == {"total": 12}
    assert body == b'{"total": 12}'


# -- batches ------------------------------------------------------------------------------


def batch(*ids: str) -> bytes:
    return json.dumps([{**EVENT, "id": i} for i in ids]).encode()


BATCH_HEADERS = {"Content-Type": "application/cloudevents-batch+json"}


def test_batch_calls_the_app_once_per_event_each_with_its_own_environ() -> None:
    app = Recorder()
    response = post(CloudEventsMiddleware(app), batch("a", "b", "c"), BATCH_HEADERS)
    assert response.status_code == 200
    assert response.json == {"results": [{"id": i, "status": 204} for i in "abc"]}
    environs = [e for e, _ in app.calls]
    assert [e["cloudevent"].get_id() for e in environs] == ["a", "b", "c"]
    assert [e["cloudevents_wsgi.batch_index"] for e in environs] == [0, 1, 2]
    assert {e["cloudevents_wsgi.batch_size"] for e in environs} == {3}
    assert len({id(e) for e in environs}) == 3
    assert [json.loads(b) for _, b in app.calls] == [{"total": 12}] * 3


def test_empty_batch_calls_nothing_and_answers_204() -> None:
    response = post(called_never(), b"[]", BATCH_HEADERS)
    assert response.status_code == 204


def test_batch_status_is_the_first_failure_and_every_event_is_still_tried() -> None:
    calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        event_id = environ["cloudevent"].get_id()
        calls.append(event_id)
        if event_id == "b":
            raise RuntimeError("database down")
        start_response("409 Conflict" if event_id == "c" else "200 OK", [])
        return [b""]

    delivery = LambdaDelivery()
    results = delivery.results
    environ = EnvironBuilder(
        "/", method="POST", headers=BATCH_HEADERS, data=batch("a", "b", "c")
    ).get_environ()
    environ[LAMBDA_DELIVERY] = delivery
    statuses: list[str] = []
    body = CloudEventsMiddleware(app)(environ, lambda status, headers: statuses.append(status))
    assert calls == ["a", "b", "c"]
    assert statuses == ["500 Internal Server Error"]
    assert json.loads(b"".join(body))["results"] == [
        {"id": "a", "status": 200},
        {"id": "b", "status": 500, "reason": "the application raised RuntimeError"},
        {"id": "c", "status": 409, "reason": "the application answered 409 Conflict"},
    ]
    assert [(r.index, r.status, r.ok) for r in results] == [
        (0, 200, True),
        (1, 500, False),
        (2, 409, False),
    ]
    assert isinstance(results[1].exc_info[1], RuntimeError)


# -- webhook handshake ---------------------------------------------------------------------


def handshake(app: Any, origin: str) -> Any:
    return Client(app).open("/hook", method="OPTIONS", headers={"WebHook-Request-Origin": origin})


def test_handshake_is_left_to_the_app_by_default() -> None:
    """No origin is granted until webhook_origins names some (OPTIONS /admin/login/ too)."""
    for path in ("/hook", "/admin/login/"):
        app = Recorder("204 No Content")
        response = Client(CloudEventsMiddleware(app)).open(
            path, method="OPTIONS", headers={"WebHook-Request-Origin": "eventemitter.example.com"}
        )
        assert response.status_code == 204
        assert "WebHook-Allowed-Origin" not in response.headers
        assert len(app.calls) == 1


def test_handshake_grants_every_origin_when_configured_with_a_star() -> None:
    response = handshake(
        CloudEventsMiddleware(called_never().app, webhook_origins={"*"}),
        "eventemitter.example.com",
    )
    assert response.status_code == 200
    assert response.headers["WebHook-Allowed-Origin"] == "*"
    assert response.headers["WebHook-Allowed-Rate"] == "*"
    assert response.headers["Allow"] == "POST"


def test_handshake_restricted_to_configured_origins() -> None:
    app = CloudEventsMiddleware(Recorder(), webhook_origins={"good.example.com"}, webhook_rate=120)
    granted = handshake(app, "good.example.com")
    assert granted.headers["WebHook-Allowed-Origin"] == "good.example.com"
    assert granted.headers["WebHook-Allowed-Rate"] == "120"
    refused = handshake(app, "evil.example.com")
    assert refused.status_code == 403
    assert "WebHook-Allowed-Origin" not in refused.headers
    assert refused.json["field"] == "webhook-request-origin"


def test_handshake_can_be_left_to_the_app() -> None:
    app = Recorder("204 No Content")
    response = handshake(CloudEventsMiddleware(app, webhook_origins=()), "x.example.com")
    assert "WebHook-Allowed-Origin" not in response.headers
    assert len(app.calls) == 1


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "batch"},
        {"max_body_size": 0},
        {"max_body_size": True},
        {"max_batch_size": "10"},
        {"methods": "POST"},
        {"webhook_origins": "a.example.com"},
        {"webhook_rate": 0},
    ],
)
def test_bad_options_raise_configuration_error(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        CloudEventsMiddleware(Recorder(), **options)


def test_app_must_be_callable() -> None:
    with pytest.raises(ConfigurationError):
        CloudEventsMiddleware("app")  # type: ignore[arg-type]


def test_time_is_written_out_as_it_came_to_the_nanosecond() -> None:
    app = Recorder()
    members = {**EVENT, "time": "2024-05-01T10:00:00.123456789+02:00"}
    post(
        CloudEventsMiddleware(app, mode="structured"),
        json.dumps(members).encode(),
        {"Content-Type": "application/cloudevents+json"},
    )
    post(
        CloudEventsMiddleware(app),
        json.dumps(members).encode(),
        {"Content-Type": "application/cloudevents+json"},
    )
    (_, structured_body), (binary_env, _) = app.calls
    assert json.loads(structured_body)["time"] == "2024-05-01T10:00:00.123456789+02:00"
    assert binary_env["HTTP_CE_TIME"] == "2024-05-01T10:00:00.123456789+02:00"
    assert binary_env["cloudevent"].get_time().microsecond == 123456


# -- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        pytest.param(BINARY_HEADERS, b"[" * 40 + b"]" * 40, id="binary-data"),
        pytest.param(
            {"Content-Type": "application/cloudevents+json"},
            json.dumps({**EVENT, "data": json.loads("[" * 40 + "]" * 40)}).encode(),
            id="structured",
        ),
    ],
)
def test_json_nested_deeper_than_the_limit_is_400(headers: dict[str, str], body: bytes) -> None:
    response = post(CloudEventsMiddleware(Recorder(), max_json_depth=32), body, headers)
    assert response.status_code == 400
    # Binary mode: the body is the event's data.
    assert response.json["field"] == ("data" if "ce-id" in headers else "body")
    assert "deeper than 32" in response.json["reason"]


def test_json_as_deep_as_the_limit_is_accepted() -> None:
    app = Recorder()
    body = b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}' + b""
    response = post(CloudEventsMiddleware(app, max_json_depth=1), body, BINARY_HEADERS)
    assert response.status_code == 204
    assert app.calls[0][0]["cloudevent"].get_data() == json.loads(body)


def test_too_many_ce_headers_is_400() -> None:
    headers = {**BINARY_HEADERS, **{f"ce-ext{i}": "x" for i in range(10)}}
    response = post(CloudEventsMiddleware(Recorder(), max_attributes=12), b"{}", headers)
    assert response.status_code == 400
    assert response.json["field"] == "headers"


def test_oversized_ce_header_is_400() -> None:
    headers = {**BINARY_HEADERS, "ce-ext": "x" * 101}
    response = post(CloudEventsMiddleware(Recorder(), max_header_size=100), b"{}", headers)
    assert response.status_code == 400
    assert response.json["field"] == "ext"


@pytest.mark.parametrize("mode", ["binary", "structured"])
@pytest.mark.parametrize("form", ["binary", "structured"])
def test_a_leap_second_keeps_its_text_in_the_rewritten_environ(mode: str, form: str) -> None:
    text = "2016-12-31T23:59:60.25+01:00"
    app = Recorder()
    if form == "binary":
        response = post(
            CloudEventsMiddleware(app, mode=mode), b"{}", {**BINARY_HEADERS, "ce-time": text}
        )
    else:
        body = json.dumps({**EVENT, "time": text}).encode()
        headers = {"Content-Type": "application/cloudevents+json"}
        response = post(CloudEventsMiddleware(app, mode=mode), body, headers)
    assert response.status_code == 204
    environ, body = app.calls[0]
    event = environ["cloudevent"]
    assert event.get_time() == datetime(
        2016, 12, 31, 23, 59, 59, 999999, timezone(timedelta(hours=1))
    )
    if mode == "binary":
        assert environ["HTTP_CE_TIME"] == text
    else:
        assert json.loads(body)["time"] == text
