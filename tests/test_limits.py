"""Every limit: configurable, with a safe default, answered 413/400, never a
crash or a memory blow-up."""

from __future__ import annotations

import base64
import io
import json
import tracemalloc
import zlib
from typing import Any

import pytest

from cloudevents_wsgi import (
    CloudEventsMiddleware,
    ConfigurationError,
    InvalidEventError,
    Message,
    PayloadTooLargeError,
    from_http,
)
from cloudevents_wsgi.adapters.aws_logs import MAX_DECOMPRESSED_SIZE, LogsAdapter
from cloudevents_wsgi.delivery import LambdaDelivery

from . import builders

MiB = 1024 * 1024


class App:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.events.append(environ.get("cloudevent"))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


class EndlessInput:
    """A wsgi.input that never ends: any read gets what it asks for."""

    def __init__(self) -> None:
        self.bytes_read = 0
        self.largest_read = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("an unbounded read of an endless body")
        self.bytes_read += size
        self.largest_read = max(self.largest_read, size)
        return b" " * size


def event(**changes: Any) -> dict[str, Any]:
    value = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}
    value.update(changes)
    return value


def environ(
    body: bytes, content_type: str = "application/cloudevents+json", **extra: Any
) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **extra,
    }


def call(
    middleware: Any, env: dict[str, Any]
) -> tuple[int, dict[str, str], dict[str, Any] | bytes]:
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer[:] = [status, headers]

    body = b"".join(middleware(env, start_response))
    headers = dict(answer[1])
    if headers.get("Content-Type") == "application/problem+json":
        problem = json.loads(body)
        assert problem["field"] is not None and problem["reason"]
        return int(answer[0][:3]), headers, problem
    return int(answer[0][:3]), headers, body


def test_defaults_are_safe() -> None:
    middleware = CloudEventsMiddleware(App())
    assert middleware.max_body_size == 10 * MiB
    assert middleware.max_batch_size == 1000
    assert middleware.max_json_depth == 128
    assert middleware.max_headers == 100
    assert middleware.max_header_size == 8192
    assert LogsAdapter().max_decompressed_size == MAX_DECOMPRESSED_SIZE == 10 * MiB


@pytest.mark.parametrize(
    "option",
    [
        "max_body_size",
        "max_batch_size",
        "max_json_depth",
        "max_attributes",
        "max_headers",
        "max_header_size",
    ],
)
@pytest.mark.parametrize("value", [0, -1, True, "10", 1.5, None])
def test_limits_must_be_positive_integers(option: str, value: Any) -> None:
    with pytest.raises(ConfigurationError):
        CloudEventsMiddleware(App(), **{option: value})


@pytest.mark.parametrize("value", [0, -1, True, "10"])
def test_decompression_limit_must_be_a_positive_integer(value: Any) -> None:
    with pytest.raises(ConfigurationError):
        LogsAdapter(max_decompressed_size=value)


# -- body size ---------------------------------------------------------------------------


def test_body_over_the_limit_is_413_before_being_read() -> None:
    app = App()
    stream = EndlessInput()
    env = environ(b"", CONTENT_LENGTH=str(10**12))
    env["wsgi.input"] = stream
    status, _, problem = call(CloudEventsMiddleware(app), env)
    assert status == 413
    assert isinstance(problem, dict) and problem["field"] == "body"
    assert stream.bytes_read == 0 and app.events == []


def test_body_limit_is_configurable() -> None:
    body = json.dumps(event(data="x" * 100)).encode()
    app = App()
    status, _, _ = call(CloudEventsMiddleware(app, max_body_size=len(body)), environ(body))
    assert status == 200 and len(app.events) == 1
    status, _, _ = call(CloudEventsMiddleware(app, max_body_size=len(body) - 1), environ(body))
    assert status == 413 and len(app.events) == 1


@pytest.mark.parametrize("limit", [1024, 10 * MiB])
def test_chunked_body_without_content_length_is_cut_at_the_limit(limit: int) -> None:
    app = App()
    stream = EndlessInput()
    env = environ(b"")
    del env["CONTENT_LENGTH"]
    env["wsgi.input"] = stream
    env["wsgi.input_terminated"] = True
    status, _, _ = call(CloudEventsMiddleware(app, max_body_size=limit), env)
    assert status == 413
    assert stream.bytes_read <= limit + 1
    assert app.events == []


def test_chunked_body_within_the_limit_is_read() -> None:
    body = json.dumps(event()).encode()
    app = App()
    env = environ(body)
    env["wsgi.input_terminated"] = True
    del env["CONTENT_LENGTH"]
    status, _, _ = call(CloudEventsMiddleware(app), env)
    assert status == 200 and app.events[0].get_id() == "1"


def test_native_body_over_the_limit_is_413_when_trusted() -> None:
    app = App()
    stream = EndlessInput()
    env = environ(b"", "application/json", CONTENT_LENGTH=str(11 * MiB))
    env["wsgi.input"] = stream
    env["cloudevents_wsgi.lambda_delivery"] = LambdaDelivery()
    status, _, _ = call(CloudEventsMiddleware(app), env)
    assert status == 413 and stream.bytes_read == 0


def test_large_non_event_bodies_are_never_read() -> None:
    app = App()
    stream = EndlessInput()
    for content_type in ("application/octet-stream", "application/json", "text/plain"):
        env = environ(b"", content_type, CONTENT_LENGTH=str(100 * MiB))
        env["wsgi.input"] = stream
        status, _, _ = call(CloudEventsMiddleware(app), env)
        assert status == 200
    assert stream.bytes_read == 0


# -- batch length ---------------------------------------------------------------------------


def batch(n: int) -> bytes:
    return json.dumps([event(id=str(i)) for i in range(n)]).encode()


def test_default_batch_limit() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app)
    status, _, _ = call(middleware, environ(batch(1000), "application/cloudevents-batch+json"))
    assert status == 200 and len(app.events) == 1000
    app.events.clear()
    status, _, _ = call(middleware, environ(batch(1001), "application/cloudevents-batch+json"))
    assert status == 413 and app.events == []


def test_batch_limit_is_configurable() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app, max_batch_size=2)
    status, _, _ = call(middleware, environ(batch(2), "application/cloudevents-batch+json"))
    assert status == 200
    status, _, _ = call(middleware, environ(batch(3), "application/cloudevents-batch+json"))
    assert status == 413 and len(app.events) == 2
    with pytest.raises(PayloadTooLargeError):
        from_http(
            Message(headers={"content-type": "application/cloudevents-batch+json"}, body=batch(3)),
            max_batch=2,
        )


# -- JSON nesting -------------------------------------------------------------------------------


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def test_default_depth_limit() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app)
    # The event object is one level; its data 127 more.
    ok = '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":' + nested(127) + "}"
    status, _, _ = call(middleware, environ(ok.encode()))
    assert status == 200
    deep = '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":' + nested(128) + "}"
    status, _, problem = call(middleware, environ(deep.encode()))
    assert status == 400 and isinstance(problem, dict) and "deeper" in problem["reason"]


def test_depth_limit_is_configurable() -> None:
    app = App()
    body = json.dumps(event(data=[[[1]]])).encode()
    assert call(CloudEventsMiddleware(app, max_json_depth=4), environ(body))[0] == 200
    assert call(CloudEventsMiddleware(app, max_json_depth=3), environ(body))[0] == 400


DEPTH = 100_000


@pytest.mark.parametrize(
    "content_type, body, extra",
    [
        ("application/cloudevents+json", nested(DEPTH), {}),
        ("application/cloudevents+json", '{"data":' * DEPTH + "1" + "}" * DEPTH, {}),
        ("application/cloudevents-batch+json", nested(DEPTH), {}),
        ("application/cloudevents+json", "[" * DEPTH, {}),  # never closed
        (
            "application/json",
            nested(DEPTH),
            {
                "HTTP_CE_SPECVERSION": "1.0",
                "HTTP_CE_ID": "1",
                "HTTP_CE_SOURCE": "/s",
                "HTTP_CE_TYPE": "t",
            },
        ),
        (
            "application/json",
            '{"Records":' + nested(DEPTH) + "}",
            {"cloudevents_wsgi.lambda_delivery": LambdaDelivery()},
        ),
        ("application/json", nested(DEPTH), {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification"}),
        ("application/json", nested(DEPTH), {"HTTP_AEG_EVENT_TYPE": "Notification"}),
    ],
    ids=[
        "structured",
        "objects",
        "batch",
        "unclosed",
        "binary-data",
        "trusted",
        "sns",
        "eventgrid",
    ],
)
def test_100000_deep_json_is_a_400_not_a_recursion_error(
    content_type: str, body: str, extra: dict[str, Any]
) -> None:
    app = App()
    # SNS and Event Grid over HTTP are read only when opted in to.
    middleware = CloudEventsMiddleware(app, sns_topics={"*"}, native_over_http={"azure.eventgrid"})
    status, headers, _ = call(middleware, environ(body.encode(), content_type, **extra))
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert app.events == []


def test_100000_deep_json_over_http_with_opt_in_is_refused_or_passed_through() -> None:
    app = App()
    status, _, _ = call(
        CloudEventsMiddleware(app, native_over_http=True),
        environ(nested(DEPTH).encode(), "application/json"),
    )
    assert status in (200, 400)
    assert app.events in ([], [None])


@pytest.mark.parametrize(
    "content_type", ["application/cloudevents+json", "application/cloudevents-batch+json"]
)
def test_100000_deep_json_in_the_receiver_alone_is_invalid(content_type: str) -> None:
    with pytest.raises(InvalidEventError):
        from_http(Message(headers={"content-type": content_type}, body=nested(DEPTH).encode()))


def test_100000_deep_json_inside_an_sqs_message_body() -> None:
    record = builders.sqs_message(
        message_id="m-1", body=nested(DEPTH), queue="q", region="us-east-1", sent="1714557600000"
    )
    app = App()
    body = json.dumps({"Records": [record]}).encode()
    status, _, _ = call(
        CloudEventsMiddleware(app),
        environ(body, "application/json", **{"cloudevents_wsgi.lambda_delivery": LambdaDelivery()}),
    )
    assert status in (200, 400)  # the body as text, or refused; never a crash


# -- ce- headers ------------------------------------------------------------------------------


def binary(extra_headers: int = 0, value_size: int = 1) -> dict[str, Any]:
    env = environ(b"{}", "application/json")
    env.update(
        {
            "HTTP_CE_SPECVERSION": "1.0",
            "HTTP_CE_ID": "1",
            "HTTP_CE_SOURCE": "/s",
            "HTTP_CE_TYPE": "t",
        }
    )
    for i in range(extra_headers):
        env[f"HTTP_CE_X{i}"] = "v"
    env["HTTP_CE_BIG"] = "v" * value_size
    return env


def test_default_header_limits() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app)
    assert call(middleware, binary(95))[0] == 200  # 4 + 95 + 1 = 100
    status, _, problem = call(middleware, binary(96))
    assert status == 400 and isinstance(problem, dict) and problem["field"] == "headers"
    assert call(middleware, binary(0, 8192))[0] == 200
    status, _, problem = call(middleware, binary(0, 8193))
    assert status == 400 and isinstance(problem, dict) and problem["field"] == "big"
    assert len(app.events) == 2


def test_header_limits_are_configurable() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app, max_attributes=5, max_header_size=10)
    assert call(middleware, binary(0, 10))[0] == 200
    assert call(middleware, binary(1, 10))[0] == 400
    assert call(middleware, binary(0, 11))[0] == 400


def test_many_huge_headers_are_refused() -> None:
    app = App()
    status, _, _ = call(CloudEventsMiddleware(app), binary(10_000, 1 * MiB))
    assert status == 400 and app.events == []


# -- CloudWatch Logs decompression bomb --------------------------------------------------------


def bomb(size: int) -> str:
    """gzip'd JSON that inflates to ``size`` bytes, built without holding them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip
    head = (
        b'{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s",'
        b'"logEvents":[{"id":"1","timestamp":1,"message":"'
    )
    parts = [compressor.compress(head)]
    chunk = b"A" * MiB
    for _ in range(size // MiB):
        parts.append(compressor.compress(chunk))
    parts.append(compressor.compress(b'"}]}'))
    parts.append(compressor.flush())
    return base64.b64encode(b"".join(parts)).decode()


def test_logs_decompression_bomb_is_413_without_inflating_it() -> None:
    payload = {"awslogs": {"data": bomb(200 * MiB)}}
    assert len(payload["awslogs"]["data"]) < 1 * MiB
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLargeError):
            LogsAdapter().convert(payload, Message())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_DECOMPRESSED_SIZE  # far below the 200 MiB it inflates to


def test_logs_decompression_limit_is_configurable() -> None:
    payload = {"awslogs": {"data": bomb(1 * MiB)}}
    with pytest.raises(PayloadTooLargeError):
        LogsAdapter(max_decompressed_size=MiB).convert(payload, Message())
    events = LogsAdapter(max_decompressed_size=2 * MiB).convert(payload, Message())
    assert events[0].event.get_type() == "com.amazonaws.logs.DATA_MESSAGE"


def test_logs_bomb_through_the_middleware_is_413() -> None:
    app = App()
    body = json.dumps({"awslogs": {"data": bomb(100 * MiB)}}).encode()
    status, _, problem = call(
        CloudEventsMiddleware(app),
        environ(body, "application/json", **{"cloudevents_wsgi.lambda_delivery": LambdaDelivery()}),
    )
    assert status == 413 and isinstance(problem, dict) and problem["field"] == "awslogs.data"
    assert app.events == []


# -- the depth limit applies only where JSON is parsed ------------------------------------


def binary_with_data(content_type: str, data: bytes) -> dict[str, Any]:
    env = environ(data, content_type)
    env.update(
        {
            "HTTP_CE_SPECVERSION": "1.0",
            "HTTP_CE_ID": "1",
            "HTTP_CE_SOURCE": "/s",
            "HTTP_CE_TYPE": "t",
        }
    )
    return env


@pytest.mark.parametrize("seed", [0, 1, 9])  # 0 and 1 were refused as "nested too deeply"
def test_binary_octet_stream_data_of_random_bytes_is_accepted(seed: int) -> None:
    import random

    data = random.Random(seed).randbytes(2 * MiB + 1)
    assert data.count(b"[") + data.count(b"{") > 128  # what the old check refused
    app = App()
    status, _, _ = call(
        CloudEventsMiddleware(app), binary_with_data("application/octet-stream", data)
    )
    assert status == 200 and app.events[0].get_data() == data


@pytest.mark.parametrize("content_type", ["text/plain", "text/csv; charset=utf-8"])
def test_binary_text_data_starting_with_many_brackets_is_accepted(content_type: str) -> None:
    data = "[" * 100_000 + " not JSON"
    app = App()
    status, _, _ = call(CloudEventsMiddleware(app), binary_with_data(content_type, data.encode()))
    assert status == 200 and app.events[0].get_data() == data


def test_binary_json_data_deeper_than_the_limit_is_400_naming_data() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app, max_json_depth=8)
    ok = binary_with_data("application/vnd.example+json", nested(8).encode())
    assert call(middleware, ok)[0] == 200
    status, _, problem = call(
        middleware, binary_with_data("application/vnd.example+json", nested(9).encode())
    )
    assert status == 400 and isinstance(problem, dict) and problem["field"] == "data"


@pytest.mark.parametrize(
    ("data", "depth"),
    [
        pytest.param({"s": "[" * 500 + "\\" + '"' + "{" * 500}, 2, id="brackets-in-strings"),
        pytest.param(["\\", "[[[[", "\\\\", "]]", '\\"[['] * 300, 2, id="escapes"),
        pytest.param([[1], {"a": 1}, []] * 500, 3, id="many-shallow"),
    ],
)
def test_depth_counts_only_brackets_outside_strings(data: Any, depth: int) -> None:
    app = App()
    body = json.dumps(event(data=data)).encode()
    assert call(CloudEventsMiddleware(app, max_json_depth=depth), environ(body))[0] == 200
    status, _, problem = call(CloudEventsMiddleware(app, max_json_depth=depth - 1), environ(body))
    assert status == 400 and isinstance(problem, dict) and "deeper" in problem["reason"]


# -- max_attributes in every content mode ---------------------------------------------------


def test_max_attributes_caps_a_structured_event() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app, max_attributes=10)
    ok = event(**{f"x{i}": "v" for i in range(6)}, data={"a": 1})
    assert call(middleware, environ(json.dumps(ok).encode()))[0] == 200
    over = event(**{f"x{i}": "v" for i in range(7)})
    status, _, problem = call(middleware, environ(json.dumps(over).encode()))
    assert status == 400 and isinstance(problem, dict) and problem["field"] == "attributes"
    assert len(app.events) == 1


def test_max_attributes_caps_each_event_of_a_batch() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app, max_attributes=5)
    body = json.dumps([event(), event(x0="v", x1="v")]).encode()
    status, _, problem = call(middleware, environ(body, "application/cloudevents-batch+json"))
    assert status == 400 and isinstance(problem, dict) and problem["field"] == "[1].attributes"
    assert app.events == []


def test_max_attributes_caps_a_binary_event() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app, max_attributes=6)
    assert call(middleware, binary(1))[0] == 200  # 4 required, x0 and big
    status, _, problem = call(middleware, binary(2))
    assert status == 400 and isinstance(problem, dict) and problem["field"] == "headers"


def test_max_attributes_caps_the_receiver_alone() -> None:
    body = json.dumps(event(**{f"x{i}": "v" for i in range(200)})).encode()
    message = Message("POST", "/", {"content-type": "application/cloudevents+json"}, body)
    with pytest.raises(InvalidEventError, match="attributes"):
        from_http(message)
    assert len(from_http(message, max_attributes=204) or []) == 1


def test_700000_extension_attributes_are_refused_before_an_environ_is_built() -> None:
    members = ",".join(f'"x{i}":"v"' for i in range(700_000))
    body = ('{"specversion":"1.0","id":"1","source":"/s","type":"t",' + members + "}").encode()
    app = App()
    for mode in ("binary", "structured"):
        status, _, problem = call(
            CloudEventsMiddleware(app, mode=mode, max_body_size=20 * MiB), environ(body)
        )
        assert status == 400 and isinstance(problem, dict) and problem["field"] == "attributes"
        assert "100" in problem["reason"]
    assert app.events == []


def test_max_headers_is_a_deprecated_alias_of_max_attributes() -> None:
    with pytest.warns(DeprecationWarning, match="max_attributes"):
        middleware = CloudEventsMiddleware(App(), max_headers=5)
    assert middleware.max_attributes == middleware.max_headers == 5
    assert call(middleware, binary(0))[0] == 200
    assert call(middleware, binary(1))[0] == 400
    with pytest.raises(ConfigurationError, match="max_attributes"):
        CloudEventsMiddleware(App(), max_headers=5, max_attributes=6)


# -- bodies are read to their end, whatever each read() returns -------------------------------


class TrickleInput:
    """A wsgi.input whose every read returns 1 to ``k`` bytes (PEP 3333 allows it)."""

    def __init__(self, data: bytes, k: int) -> None:
        self.data = data
        self.at = 0
        self.k = k
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        step = 1 + self.reads % self.k
        if size is not None and size >= 0:
            step = min(step, size)
        chunk = self.data[self.at : self.at + step]
        self.at += len(chunk)
        return chunk


@pytest.mark.parametrize("k", [1, 3, 1000])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_short_reads_are_read_to_the_end(k: int, chunked: bool) -> None:
    body = json.dumps(event(data={"text": "x" * 5000})).encode()
    app = App()
    env = environ(body)
    env["wsgi.input"] = TrickleInput(body, k)
    if chunked:
        del env["CONTENT_LENGTH"]
        env["wsgi.input_terminated"] = True
    status, _, _ = call(CloudEventsMiddleware(app), env)
    assert status == 200 and app.events[0].get_data() == {"text": "x" * 5000}


def test_short_reads_still_stop_at_the_limit() -> None:
    body = json.dumps(event(data="x" * 5000)).encode()
    env = environ(body)
    del env["CONTENT_LENGTH"]
    env["wsgi.input_terminated"] = True
    stream = TrickleInput(body, 7)
    env["wsgi.input"] = stream
    status, _, _ = call(CloudEventsMiddleware(App(), max_body_size=1000), env)
    assert status == 413 and stream.at <= 1001


# -- a problem+json answer stays small ----------------------------------------------------------


@pytest.mark.parametrize(
    "member",
    [
        pytest.param(("X" * 3 * MiB, "v"), id="name"),
        pytest.param(("ext", "\x00" * 3 * MiB), id="value"),
        pytest.param(("ext", [["x" * 1000] * 1000] * 3), id="container"),
    ],
)
def test_problem_answers_stay_small(member: tuple[str, Any]) -> None:
    name, value = member
    body = json.dumps({**event(), name: value}).encode()
    status, headers, problem = call(
        CloudEventsMiddleware(App(), max_body_size=20 * MiB), environ(body)
    )
    assert status == 400
    assert int(headers["Content-Length"]) < 2048
    assert isinstance(problem, dict)
    assert all(len(str(problem[key])) < 1024 for key in ("field", "detail", "value", "reason"))
