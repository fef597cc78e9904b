"""The handler under the real Lambda runtime client (awslambdaric), against a
Runtime API served by the test itself.

The Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
the client long-polls ``GET /2018-06-01/runtime/invocation/next``, which answers
an event with its request id, deadline and function ARN in headers, then posts
the handler's result to ``.../invocation/<id>/response`` or its error to
``.../invocation/<id>/error`` (``.../init/error`` when the handler cannot load).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import load_fixture, require_fixture

pytest.importorskip("awslambdaric")

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "/2018-06-01/runtime"
TIMEOUT = 30.0


class RuntimeAPI:
    """A minimal Lambda Runtime API: hands out queued events, records answers."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.answers: queue.Queue[tuple[str, str, dict[str, str], Any]] = queue.Queue()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self.send_error(404)
                    return
                request_id, event = api.events.get()  # long poll, as Lambda does
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int((time.time() + 60) * 1000)))
                self.send_header(
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:eu-west-1:123456789012:function:test",
                )
                self.send_header(
                    "Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"
                )
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path[len(PREFIX) :].strip("/").split("/")
                if parts == ["init", "error"]:
                    request_id, kind = "", "init-error"
                elif len(parts) == 3 and parts[0] == "invocation":
                    request_id, kind = parts[1], parts[2]
                else:
                    self.send_error(404)
                    return
                api.answers.put((request_id, kind, dict(self.headers), json.loads(body or b"null")))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def invoke(self, request_id: str, event: Any) -> tuple[str, dict[str, str], Any]:
        self.events.put((request_id, event))
        answer_id, kind, headers, body = self.answers.get(timeout=TIMEOUT)
        assert answer_id in (request_id, ""), (answer_id, kind, body)
        return kind, headers, body


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[RuntimeAPI]:
    api = RuntimeAPI()
    api.thread.start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "LAMBDA_TASK_ROOT": str(ROOT),
        "_HANDLER": "cloudevents_wsgi.aws_lambda.handler",
        "AWS_LAMBDA_FUNCTION_NAME": "test",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "eu-west-1",
        "CLOUDEVENTS_WSGI_APP": "tests.lambda_app_for_runtime:application",
        "REFUSE_EVENT_ID": "refuse-me",
    }
    log = (tmp_path / "runtime.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "awslambdaric", "cloudevents_wsgi.aws_lambda.handler"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield api
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        api.server.shutdown()
        api.server.server_close()


def test_http_api_event_through_the_runtime(runtime: RuntimeAPI) -> None:
    event = load_fixture(require_fixture("aws/apigw-http-v2/powertools-post-cookies.json"))
    kind, _, answer = runtime.invoke("req-http", event)
    assert kind == "response"
    assert answer == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "cookies": ["a=1", "b=2"],
        "body": json.dumps(
            {
                "method": "POST",
                "path": "/my/path",
                "query": "parameter1=value1&parameter1=value2&parameter2=value",
                "cookie": "cookie1; cookie2",
                "remote_addr": "192.168.0.1/32",
                "body": '{"message": "hello world", "username": "tom"}',
                "request_id": "req-http",
            }
        ),
        "isBase64Encoded": False,
    }


def test_function_url_event_through_the_runtime(runtime: RuntimeAPI) -> None:
    event = load_fixture(require_fixture("aws/function-url/go-post-base64-body.json"))
    kind, _, answer = runtime.invoke("req-url", event)
    assert kind == "response"
    assert json.loads(answer["body"])["body"] == "<idk/>"


def test_structured_cloudevent_and_its_failure_through_the_runtime(runtime: RuntimeAPI) -> None:
    event = {"specversion": "1.0", "id": "ok-1", "source": "/tests", "type": "test.ok"}
    kind, _, answer = runtime.invoke("req-ce", event)
    assert (kind, answer) == (
        "response",
        {"statusCode": 204, "headers": {}, "body": "", "isBase64Encoded": False},
    )

    refused = dict(event, id="refuse-me")
    kind, _, error = runtime.invoke("req-ce-refused", refused)
    assert kind == "error"
    assert error["errorType"] == "EventFailedError"
    assert "500 Internal Server Error" in error["errorMessage"]


def test_sqs_batch_through_the_runtime(runtime: RuntimeAPI) -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-three-records.json"))
    event["Records"][1]["messageId"] = "refuse-me"
    kind, _, answer = runtime.invoke("req-sqs", event)
    assert (kind, answer) == ("response", {"batchItemFailures": [{"itemIdentifier": "refuse-me"}]})


def test_unrecognised_event_is_an_invocation_whose_result_is_the_apps_answer(
    runtime: RuntimeAPI,
) -> None:
    kind, _, answer = runtime.invoke("req-unknown", {"hello": "world"})
    assert (kind, answer) == ("response", {"got": {"hello": "world"}, "id": "req-unknown"})


def test_kafka_batch_with_one_failure_through_the_runtime(runtime: RuntimeAPI) -> None:
    def record(offset: int, ce_id: str) -> dict[str, Any]:
        headers = {
            "ce_specversion": "1.0",
            "ce_type": "com.example.sale",
            "ce_source": "/shop",
            "ce_id": ce_id,
        }
        return {
            "topic": "sales",
            "partition": 0,
            "offset": offset,
            "timestamp": 1545084650987,
            "timestampType": "CREATE_TIME",
            "key": None,
            "value": "eyJuIjogMX0=",
            "headers": [{name: list(value.encode())} for name, value in headers.items()],
        }

    event = {
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:eu-west-1:123456789012:cluster/demo/1",
        "bootstrapServers": "b-1.demo:9092",
        "records": {
            "sales-0": [record(7, "s-7"), record(8, "refuse-me"), record(9, "s-9")],
            "sales-1": [dict(record(3, "s-3"), partition=1)],
        },
    }
    kind, _, answer = runtime.invoke("req-kafka", event)
    assert (kind, answer) == (
        "response",
        {"batchItemFailures": [{"itemIdentifier": {"partition": "sales-0", "offset": 8}}]},
    )


def test_tumbling_window_through_the_runtime(runtime: RuntimeAPI) -> None:
    event = load_fixture(require_fixture("aws/dynamodb/go-time-window-insert-modify-remove.json"))
    kind, _, answer = runtime.invoke("req-window", event)
    assert (kind, answer) == (
        "response",
        {"state": {"1": "state1", "count": "3"}, "batchItemFailures": []},
    )
