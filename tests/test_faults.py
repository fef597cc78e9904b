"""Faults: the app raising mid-batch, clients that hang up mid-body, bodies
that end early, and app exceptions for single events."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware, Message, from_http, to_http
from cloudevents_wsgi.aws_lambda import BatchFailedError, make_lambda_handler
from cloudevents_wsgi.delivery import LambdaDelivery

from . import builders

ROOT = Path(__file__).resolve().parent.parent


class App:
    """Records every call; raises for the event ids in ``fail``."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.fail = fail or set()
        self.seen: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        event = environ["cloudevent"]
        self.seen.append(event.get_id())
        if event.get_id() in self.fail:
            raise RuntimeError(f"the app failed on {event.get_id()}")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def event(event_id: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": event_id, "source": "/s", "type": "t", "data": {"n": 1}}


def body_of(event_id: str) -> bytes:
    return json.dumps(event(event_id)).encode()


def environ(body: bytes, content_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/events",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **extra,
    }


def call(middleware: Any, env: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer[:] = [status, headers]

    body = b"".join(middleware(env, start_response))
    return int(answer[0][:3]), dict(answer[1]), body


# -- the app raising mid-batch -------------------------------------------------------------


def test_app_raising_mid_batch_fails_that_event_only(caplog: pytest.LogCaptureFixture) -> None:
    app = App(fail={"e-1"})
    body = json.dumps([event("e-0"), event("e-1"), event("e-2")]).encode()
    with caplog.at_level("ERROR", logger="cloudevents_wsgi"):
        status, _, answer = call(
            CloudEventsMiddleware(app), environ(body, "application/cloudevents-batch+json")
        )
    assert status == 500  # so that the sender retries
    assert json.loads(answer) == {
        "results": [
            {"id": "e-0", "status": 200},
            {"id": "e-1", "status": 500, "reason": "the application raised RuntimeError"},
            {"id": "e-2", "status": 200},
        ]
    }
    assert app.seen == ["e-0", "e-1", "e-2"]  # each once, none lost
    assert "the application raised" in caplog.text


def sqs_batch(n: int) -> dict[str, Any]:
    return builders.sqs_batch(
        *({"n": i} for i in range(n)),
        id_format="m-{}",
        queue="books",
        region="us-east-1",
        sent="1714557600000",
    )


def test_app_raising_mid_sqs_batch_reports_that_record_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(fail={"m-2"})
    with caplog.at_level("ERROR"):
        answer = make_lambda_handler(app)(sqs_batch(5), None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert app.seen == ["m-0", "m-1", "m-2", "m-3", "m-4"]


def test_app_raising_for_several_sqs_records_reports_each_once() -> None:
    app = App(fail={"m-0", "m-3", "m-4"})
    answer = make_lambda_handler(app)(sqs_batch(5), None)
    reported = [item["itemIdentifier"] for item in answer["batchItemFailures"]]
    assert reported == ["m-0", "m-3", "m-4"]
    assert app.seen == ["m-0", "m-1", "m-2", "m-3", "m-4"]


def test_app_raising_for_every_sqs_record_fails_the_batch() -> None:
    app = App(fail={"m-0", "m-1"})
    with pytest.raises(BatchFailedError) as caught:
        make_lambda_handler(app)(sqs_batch(2), None)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert app.seen == ["m-0", "m-1"]


# -- an app exception for a single event ---------------------------------------------------


def test_app_exception_for_a_single_event_propagates() -> None:
    app = App(fail={"e-0"})
    body = json.dumps(event("e-0")).encode()
    with pytest.raises(RuntimeError, match="the app failed on e-0"):
        call(CloudEventsMiddleware(app), environ(body, "application/cloudevents+json"))
    binary = environ(
        b"{}",
        "application/json",
        HTTP_CE_SPECVERSION="1.0",
        HTTP_CE_ID="e-0",
        HTTP_CE_SOURCE="/s",
        HTTP_CE_TYPE="t",
    )
    with pytest.raises(RuntimeError):
        call(CloudEventsMiddleware(app), binary)


@pytest.mark.parametrize(
    "lambda_event",
    [
        event("e-0"),
        {
            "version": "0",
            "id": "e-0",
            "detail-type": "Book Uploaded",
            "source": "com.example.books",
            "account": "123456789012",
            "time": "2024-05-01T10:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"key": "a.epub"},
        },
    ],
    ids=["cloudevent", "eventbridge"],
)
def test_app_exception_for_a_single_event_is_a_lambda_error(lambda_event: Any) -> None:
    app = App(fail={"e-0"})
    with pytest.raises(RuntimeError, match="the app failed on e-0"):
        make_lambda_handler(app)(lambda_event, None)
    assert app.seen == ["e-0"]


# -- bodies that end early, in-process --------------------------------------------------------


class ShortInput(io.BytesIO):
    """What a server hands over when the client hung up: fewer bytes than announced."""


@pytest.mark.parametrize(
    "content_type, extra",
    [
        ("application/cloudevents+json", {}),
        ("application/cloudevents-batch+json", {}),
        (
            "application/json",
            {
                "HTTP_CE_SPECVERSION": "1.0",
                "HTTP_CE_ID": "1",
                "HTTP_CE_SOURCE": "/s",
                "HTTP_CE_TYPE": "t",
            },
        ),
        ("application/json", {"cloudevents_wsgi.lambda_delivery": LambdaDelivery()}),
    ],
    ids=["structured", "batch", "binary", "native"],
)
def test_body_shorter_than_its_content_length_is_400(content_type: str, extra: Any) -> None:
    body = json.dumps([event("e-0")] if "batch" in content_type else event("e-0")).encode()
    seen: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ.get("cloudevent"))
        start_response("200 OK", [])
        return []

    for cut in (0, 1, len(body) // 2, len(body) - 1):
        env = environ(body[:cut], content_type, **extra)
        env["CONTENT_LENGTH"] = str(len(body))  # the client announced it all
        status, headers, answer = call(CloudEventsMiddleware(app), env)
        assert status == 400, cut
        assert headers["Content-Type"] == "application/problem+json"
        problem = json.loads(answer)
        assert problem["field"] == "body" and "ended after" in problem["reason"]
    assert seen == []


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "+5", "\uff15", "0x10"])
def test_content_length_that_is_not_a_number_is_400(length: str) -> None:
    env = environ(json.dumps(event("e-0")).encode(), "application/cloudevents+json")
    env["CONTENT_LENGTH"] = length
    status, _, answer = call(CloudEventsMiddleware(App()), env)
    assert status == 400
    assert json.loads(answer)["field"] == "content-length"


def test_content_length_shorter_than_the_body_reads_only_what_was_announced() -> None:
    """A lying (short) Content-Length cuts the JSON: 400, and no event."""
    body = json.dumps(event("e-0")).encode()
    env = environ(body, "application/cloudevents+json")
    env["CONTENT_LENGTH"] = str(len(body) - 5)
    app = App()
    status, _, _ = call(CloudEventsMiddleware(app), env)
    assert status == 400 and app.seen == []


# -- a client hanging up mid-body under a real gunicorn -------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("gunicorn")
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "10",
            "tests.fault_app:application",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/calls", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def calls(address: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"http://{address}/calls", timeout=10) as response:
        result: list[dict[str, Any]] = json.loads(response.read())
        return result


def hang_up_mid_body(address: str, head: bytes, body: bytes, announced: int) -> None:
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + f"Content-Length: {announced}\r\n\r\n".encode() + body)
        sock.shutdown(socket.SHUT_WR)
        try:
            sock.recv(65536)  # whatever the server says (or nothing)
        except OSError:
            pass


def post(address: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://{address}/events", body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("mode", ["structured", "binary", "batch"])
def test_client_hanging_up_mid_body_never_reaches_the_app(gunicorn: str, mode: str) -> None:
    full = json.dumps([event("partial")] if mode == "batch" else event("partial")).encode()
    head = b"POST /events HTTP/1.1\r\nHost: localhost\r\n"
    if mode == "structured":
        head += b"Content-Type: application/cloudevents+json\r\n"
    elif mode == "batch":
        head += b"Content-Type: application/cloudevents-batch+json\r\n"
    else:
        head += (
            b"Content-Type: application/json\r\nce-specversion: 1.0\r\nce-id: partial\r\n"
            b"ce-source: /s\r\nce-type: t\r\n"
        )
        full = b'{"data": "' + b"x" * 1000 + b'"}'
    for cut in (0, 10, len(full) // 2, len(full) - 1):
        hang_up_mid_body(gunicorn, head, full[:cut], len(full) + 1000)
    # The server is still up, answers the next request, and never saw the partial event.
    status, _ = post(gunicorn, body_of("whole"), {"Content-Type": "application/cloudevents+json"})
    assert status == 200
    # Its JSON data has no datacontenttype, which binary form cannot carry as
    # it is: the app reads the event in structured form.
    whole = from_http(
        Message(headers={"content-type": "application/cloudevents+json"}, body=body_of("whole"))
    )
    assert whole is not None
    expected = len(to_http(whole[0], mode="structured").body)
    assert calls(gunicorn) == [{"id": "whole", "length": expected}]


def test_client_hanging_up_mid_chunked_body_never_reaches_the_app(gunicorn: str) -> None:
    host, port = gunicorn.split(":")
    body = json.dumps(event("partial")).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /events HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/cloudevents+json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + f"{len(body):x}\r\n".encode()
            + body[: len(body) // 2]
        )
        sock.shutdown(socket.SHUT_WR)
        try:
            sock.recv(65536)
        except OSError:
            pass
    status, _ = post(
        gunicorn,
        json.dumps(event("whole")).encode(),
        {"Content-Type": "application/cloudevents+json"},
    )
    assert status == 200
    assert [c["id"] for c in calls(gunicorn)] == ["whole"]
