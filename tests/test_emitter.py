"""The emitter: events posted to a real HTTP server on 127.0.0.1, to a URL or to K_SINK."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event

from cloudevents_wsgi import (
    CloudEvent,
    CloudEventsMiddleware,
    CloudEventsWSGIError,
    ConfigurationError,
    EmitError,
)
from cloudevents_wsgi.emitter import emit, emit_batch

from .servers import free_port

EVENT = CloudEvent(
    {
        "type": "com.example.greeting",
        "source": "/greeter",
        "id": "g-1",
        "time": "2024-05-01T10:00:00.123456789Z",
        "datacontenttype": "application/json",
    },
    {"name": "Ishmael"},
)


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Sink:
    """A WSGI server in a thread: records the events and request headers it
    receives and answers with ``self.answer`` (status, headers, body)."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self.requests: list[dict[str, Any]] = []
        self.answer: tuple[str, list[tuple[str, str]], bytes] = ("202 Accepted", [], b"")
        middleware = CloudEventsMiddleware(self.app)

        def record(environ: dict[str, Any], start_response: Any) -> Any:
            self.requests.append(
                {k: v for k, v in environ.items() if k.startswith("HTTP_") or k == "PATH_INFO"}
                | {"QUERY_STRING": environ.get("QUERY_STRING", "")}
            )
            return middleware(environ, start_response)

        self.server: WSGIServer = make_server("127.0.0.1", 0, record, handler_class=Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.events.append(environ["cloudevent"])
        status, headers, body = self.answer
        start_response(status, headers)
        return [body]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    sink = Sink()
    yield sink
    sink.close()


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_emit_delivers_an_equal_event(sink: Sink, mode: str) -> None:
    answer = emit(EVENT, sink.url + "?q=1", mode=mode, headers={"Authorization": "Bearer t"})
    assert (answer.status, answer.reason, answer.body) == (202, "Accepted", b"")
    assert answer.url == sink.url + "?q=1"
    assert sink.events == [EVENT]
    assert sink.events[0].time_text() == "2024-05-01T10:00:00.123456789Z"
    request = sink.requests[0]
    assert (request["PATH_INFO"], request["QUERY_STRING"]) == ("/events", "q=1")
    assert request["HTTP_AUTHORIZATION"] == "Bearer t"
    assert request["HTTP_USER_AGENT"].startswith("cloudevents-wsgi/")
    assert ("HTTP_CE_ID" in request) is (mode == "binary")


def test_the_event_headers_win_over_extra_headers(sink: Sink) -> None:
    emit(EVENT, sink.url, headers={"ce-id": "forged", "Content-Type": "text/plain"})
    assert sink.events == [EVENT]


def test_emit_batch(sink: Sink) -> None:
    other = CloudEvent({"type": "t", "source": "/s", "id": "2"}, b"\x00")
    emit_batch([EVENT, other], sink.url)
    assert sink.events == [EVENT, other]


def test_a_reply_in_the_answer(sink: Sink) -> None:
    reply = CloudEvent({"type": "com.example.reply", "source": "/sink", "id": "r-1"}, b"ok")
    sink.answer = (
        "200 OK",
        [
            ("ce-specversion", "1.0"),
            ("ce-id", "r-1"),
            ("ce-source", "/sink"),
            ("ce-type", "com.example.reply"),
        ],
        b"ok",
    )
    answer = emit(EVENT, sink.url, headers={"Prefer": "reply"})
    assert answer.headers["ce-id"] == "r-1"
    assert answer.reply() == reply
    sink.answer = ("202 Accepted", sink.answer[1], b"ok")
    assert emit(EVENT, sink.url).reply() is None  # a 202 is never a reply


def test_a_non_2xx_answer_raises_naming_status_and_url(sink: Sink) -> None:
    sink.answer = ("503 Service Unavailable", [("Content-Type", "text/plain")], b"busy")
    with pytest.raises(EmitError) as caught:
        emit(EVENT, sink.url)
    error = caught.value
    assert isinstance(error, CloudEventsWSGIError)
    assert (error.url, error.status, error.reason, error.body) == (
        sink.url,
        503,
        "Service Unavailable",
        b"busy",
    )
    assert str(error) == f"{sink.url} answered 503 Service Unavailable"


def test_a_redirect_is_not_followed(sink: Sink) -> None:
    sink.answer = ("307 Temporary Redirect", [("Location", "http://127.0.0.1:9/")], b"")
    with pytest.raises(EmitError) as caught:
        emit(EVENT, sink.url)
    assert caught.value.status == 307


def test_no_server_raises_with_no_status() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(EmitError) as caught:
        emit(EVENT, url)
    assert (caught.value.url, caught.value.status) == (url, None)
    assert str(caught.value).startswith(f"cannot send to {url}: ")


def test_a_server_that_does_not_answer_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with pytest.raises(EmitError) as caught:
            emit(EVENT, url, timeout=0.2)
    assert caught.value.status is None
    assert caught.value.reason == "no answer within 0.2 s"


# -- K_SINK -------------------------------------------------------------------------


def test_without_a_url_the_event_goes_to_k_sink(
    sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("K_SINK", sink.url)
    monkeypatch.setenv(
        "K_CE_OVERRIDES", '{"extensions": {"extra": "an extra attribute", "additional": "42"}}'
    )
    assert emit(EVENT).url == sink.url
    [received] = sink.events
    assert received.get_extension("extra") == "an extra attribute"
    assert received.get_extension("additional") == "42"
    assert received.get_data() == EVENT.get_data()
    assert received.time_text() == EVENT.time_text()
    # The SDK reads what went to the sink.
    sdk = from_http_event(HTTPMessage(*_binary(received)))
    assert sdk.get_extension("extra") == "an extra attribute"


def _binary(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    from cloudevents_wsgi import to_http

    message = to_http(event)
    return dict(message.headers), message.body


def test_overrides_apply_to_k_sink_only(sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K_CE_OVERRIDES", '{"extensions": {"extra": "x"}}')
    emit(EVENT, sink.url)
    assert sink.events == [EVENT]


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        pytest.param('{"extensions": {"type": "other"}}', "extensions only", id="spec-attribute"),
        pytest.param('{"extensions": {"Bad-Name": "x"}}', "lower-case", id="bad-name"),
        pytest.param('{"extensions": ["x"]}', "extensions", id="not-an-object"),
        pytest.param("{not json", "not JSON", id="not-json"),
    ],
)
def test_bad_overrides_are_refused(
    sink: Sink, monkeypatch: pytest.MonkeyPatch, overrides: str, match: str
) -> None:
    monkeypatch.setenv("K_SINK", sink.url)
    monkeypatch.setenv("K_CE_OVERRIDES", overrides)
    with pytest.raises(ConfigurationError, match=match):
        emit(EVENT)
    assert sink.events == []


@pytest.mark.parametrize(
    ("url", "options", "match"),
    [
        pytest.param(None, {}, "K_SINK", id="no-url"),
        pytest.param("ftp://127.0.0.1/", {}, "http", id="scheme"),
        pytest.param("http:///path", {}, "http", id="no-host"),
        pytest.param("http://u:p@127.0.0.1/", {}, "credentials", id="credentials"),
        pytest.param("http://127.0.0.1:99999/", {}, "port", id="port"),
        pytest.param("http://127.0.0.1/", {"timeout": 0}, "timeout", id="timeout"),
    ],
)
def test_bad_arguments_are_refused(
    monkeypatch: pytest.MonkeyPatch, url: str | None, options: dict[str, Any], match: str
) -> None:
    monkeypatch.delenv("K_SINK", raising=False)
    with pytest.raises(ConfigurationError, match=match):
        emit(EVENT, url, **options)


def test_the_readme_example_runs(
    sink: Sink, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Emitting events", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("K_SINK", sink.url)
    monkeypatch.delenv("K_CE_OVERRIDES", raising=False)
    exec(code, {})
    assert capsys.readouterr().out == "202 None\n"
    assert [event.get_id() for event in sink.events] == ["o-1"]
    sink.answer = ("500 Internal Server Error", [], b"")
    with pytest.raises(SystemExit, match=f"not delivered: {sink.url} answered 500"):
        exec(code, {})


def test_importing_the_package_loads_neither_the_emitter_nor_http_client() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cloudevents_wsgi; "
        "print(sorted(m for m in ('http.client', 'cloudevents_wsgi.emitter') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
