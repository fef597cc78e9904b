"""Every check on the request path costs time linear in its input.

Each case times one regular expression or scanner of the package (through
the public function that runs it) on an adversarial input of n and of 4n
characters: unclosed strings, long escape runs, long runs of one character,
many brackets, almost-valid text that fails at its very end. A linear check
takes about 4 times as long on the longer input; one that backtracks takes
16 times or more. The test fails above LIMIT, so noise cannot fail it and a
quadratic scan cannot pass it. No absolute time is asserted: sizes grow until
the shorter input takes at least MIN_SECONDS, and each timing is the fastest
of several runs.
"""

from __future__ import annotations

import gc
import io
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware, InvalidEventError, spec
from cloudevents_wsgi.adapters.aws_dynamodb import deserialize
from cloudevents_wsgi.adapters.google_pubsub import PubSubPushAdapter
from cloudevents_wsgi.aws_lambda import http as lambda_http
from cloudevents_wsgi.environ import encode_header_value
from cloudevents_wsgi.message import Message
from cloudevents_wsgi.receiver import check_depth, content_mode, parse_binary, parse_structured
from cloudevents_wsgi.sns_signature import confirmation_url

LIMIT = 8.0  # 4x the input: linear gives ~4, quadratic ~16
MIN_SECONDS = 0.02
REPEATS = 3
MAX_N = 1 << 22  # a C-speed scan may stay under MIN_SECONDS; judged at this size then
FRESH = itertools.count()  # a different value each time, where a cache would remember it


def fastest(func: Callable[[Any], object], make: Callable[[int], Any], n: int) -> float:
    """The shortest of REPEATS runs of ``func`` on ``make(n)`` (made anew each time)."""
    best = float("inf")
    for _ in range(REPEATS):
        value = make(n)
        # No collection may run inside the timed call. Disabled rather than
        # run first (gc.collect): late in the suite a full collection of the
        # heap costs tens of milliseconds, several times the timing itself.
        enabled = gc.isenabled()
        gc.disable()
        try:
            start = time.perf_counter()
            try:
                func(value)
            except InvalidEventError:
                pass
            best = min(best, time.perf_counter() - start)
        finally:
            if enabled:
                gc.enable()
    return best


def growth(func: Callable[[Any], object], make: Callable[[int], Any], n: int) -> float:
    """How much longer ``func`` takes on ``make(4n)`` than on ``make(n)``,
    with n doubled until ``make(n)`` takes at least MIN_SECONDS."""
    while n < MAX_N and fastest(func, make, n) < MIN_SECONDS:
        n *= 2
    small = fastest(func, make, n)
    return fastest(func, make, 4 * n) / small


def assert_linear(func: Callable[[Any], object], make: Callable[[int], Any], n: int = 1000) -> None:
    ratio = growth(func, make, n)
    if ratio > LIMIT:  # once more, in case the machine was busy
        ratio = min(ratio, growth(func, make, n))
    assert ratio <= LIMIT, f"4x the input took {ratio:.1f}x the time"


def depth(body: bytes) -> None:
    check_depth("body", body)


REQUIRED = [("specversion", "1.0"), ("id", "1"), ("source", "/s"), ("type", "t")]


def ce_ext(value: str) -> object:
    """parse_binary of an event whose ``ce-ext`` header is ``value``."""
    return parse_binary([*REQUIRED, ("ext", value)], None, b"")


CASES = [
    # -- JSON nesting depth (receiver.check_depth and the parse paths) --
    pytest.param(
        depth, lambda n: b"[" * 200 + b'"' + b'\\"' * n, id="depth-unclosed-escaped-quotes"
    ),
    pytest.param(depth, lambda n: b"[" * 200 + b'"' + b"a" * n, id="depth-unclosed-string"),
    pytest.param(depth, lambda n: b"[" * n, id="depth-brackets"),
    pytest.param(depth, lambda n: b"[" * 127 + b"[]" * n, id="depth-flat-at-limit"),
    pytest.param(depth, lambda n: (b"[" * 128 + b"]" * 128) * n, id="depth-many-chains"),
    pytest.param(depth, lambda n: b"[" * 200 + b'"' + b"\\" * n, id="depth-backslash-run"),
    pytest.param(parse_structured, lambda n: b'{"data":"' + b'\\"[' * n, id="structured-unclosed"),
    pytest.param(
        parse_structured, lambda n: b'{"data":[' + b'"[{",' * n + b"1]}", id="structured-strings"
    ),
    # -- binary headers: RFC 7230 quoted strings, percent-decoding --
    pytest.param(ce_ext, lambda n: '"' + "\\a" * n, id="header-unclosed-quoted"),
    pytest.param(ce_ext, lambda n: '"' + "\\" * n, id="header-backslash-run"),
    pytest.param(ce_ext, lambda n: '"' + "\\a" * n + '"', id="header-quoted-pairs"),
    pytest.param(ce_ext, lambda n: "%41" * n + "%4", id="header-bad-percent-at-end"),
    pytest.param(ce_ext, lambda n: "%E2%82%AC" * n, id="header-percent-decoding"),
    pytest.param(ce_ext, lambda n: "%C3%A9" * n + "%FF", id="header-percent-bad-utf8"),
    pytest.param(
        lambda name: parse_binary([*REQUIRED, (name, "v")], None, b""),
        lambda n: "a" * n + "-",
        id="attribute-name",
    ),
    # -- the type system (spec) --
    pytest.param(lambda v: spec.check_string("x", v), lambda n: "é" * n + "\x00", id="string"),
    pytest.param(
        lambda v: spec.parse_timestamp("time", v),
        lambda n: "2024-01-01T00:00:00." + "1" * n + "Z!",
        id="timestamp-long-fraction",
    ),
    pytest.param(
        lambda v: spec.parse_timestamp("time", v),
        lambda n: "2024-01-01T00:00:00." + "1" * n + "Z",
        id="timestamp-valid-fraction",
    ),
    pytest.param(
        lambda v: spec.check_uri_reference("source", v),
        lambda n: "a" * n + " ",
        id="uri-bad-char-at-end",
    ),
    pytest.param(
        lambda v: spec.check_uri("dataschema", v), lambda n: "a" * n + ":", id="uri-long-scheme"
    ),
    pytest.param(
        lambda v: spec.check_uri_reference("source", v),
        lambda n: f"http://[{next(FRESH)}" + "1:" * n + "]:" + "0" * n + "/" + "[" * n,
        id="uri-ip-literal",
    ),
    pytest.param(
        lambda v: spec.check_uri_reference("source", v),
        lambda n: "%4" * n + "%",
        id="uri-percent-run",
    ),
    pytest.param(
        lambda v: spec.check_uri_reference("source", v),
        lambda n: "/" + "#" * n,
        id="uri-many-hashes",
    ),
    # -- media types (RFC 7231 section 3.1.1.1) --
    pytest.param(
        lambda v: spec.parse_media_type("datacontenttype", v),
        lambda n: "a" * n + "/",
        id="media-type-long-token",
    ),
    pytest.param(
        lambda v: spec.parse_media_type("datacontenttype", v),
        lambda n: "a/b" + ";a=b" * n + ";=",
        id="media-type-many-parameters",
    ),
    pytest.param(
        lambda v: spec.parse_media_type("datacontenttype", v),
        lambda n: 'a/b;x="' + "\\a" * n,
        id="media-type-unclosed-quoted",
    ),
    pytest.param(
        lambda v: spec.parse_media_type("datacontenttype", v),
        lambda n: f'a/b;n={next(FRESH)};x="' + "\\a" * n + '"',
        id="media-type-quoted-pairs",
    ),
    pytest.param(
        lambda v: spec.parse_media_type("datacontenttype", v),
        lambda n: f'a/b;n={next(FRESH)};x="' + "\\" * n,
        id="media-type-backslash-run",
    ),
    pytest.param(
        lambda v: spec.parse_media_type("datacontenttype", v),
        lambda n: "a/b" + " " * n + "x",
        id="media-type-white-space",
    ),
    pytest.param(
        lambda v: content_mode(v, False),
        lambda n: "application/cloudevents+json" + "; a=b" * n + ";\x00",
        id="content-mode",
    ),
    # -- writing header values into the environ --
    pytest.param(encode_header_value, lambda n: "é\x01 %" * n, id="encode-header-value"),
    # -- native payloads (regular expressions of the adapters and SNS) --
    pytest.param(
        lambda url: confirmation_url({"Type": "SubscriptionConfirmation", "SubscribeURL": url}),
        lambda n: "https://sns." + "a-" * n + ".amazonaws.com.x/?Action=ConfirmSubscription",
        id="sns-host",
    ),
    pytest.param(
        lambda path: PubSubPushAdapter().convert(
            {"message": {"data": "", "messageId": "1"}, "subscription": "projects/p/subs/s"},
            Message("POST", path, {}, b""),
        ),
        lambda n: "/" + "projects/p" * n + "/topics",
        id="pubsub-topic-in-path",
    ),
    pytest.param(
        lambda number: deserialize({"n": {"N": number}}),
        lambda n: "1" * n + "x",
        id="dynamodb-number",
    ),
    pytest.param(
        lambda number: deserialize({"n": {"N": number}}),
        lambda n: "1" * n,
        id="dynamodb-long-integer",
    ),
    # -- the Lambda shim's answers: an app's repeated response headers --
    pytest.param(
        lambda headers: lambda_http.joined(headers, "set-cookie"),
        lambda n: [("X-Repeated" if i % 2 else "x-repeated", "v" * 8) for i in range(n)],
        id="lambda-answer-repeated-headers",
    ),
]


@pytest.mark.parametrize(("func", "make"), CASES)
def test_check_is_linear(func: Callable[[Any], object], make: Callable[[int], Any]) -> None:
    assert_linear(func, make)


# -- the whole middleware on a hostile request -------------------------------------------


def hostile_body(size: int) -> bytes:
    """Many brackets, then one string never closed: escaped quotes and
    brackets, long runs of backslashes and of one character."""
    unit = b'\\"[' * 200 + b"\\\\" * 150 + b"a" * 400 + b'\\"{' * 200
    body = b"[" * 300 + b'"' + unit * (size // len(unit) + 1)
    return body[:size]


def hostile_request(body: bytes, structured: bool) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if structured:
        environ["CONTENT_TYPE"] = "application/cloudevents+json"
    else:
        environ["CONTENT_TYPE"] = "application/json"
        environ.update(
            {
                "HTTP_CE_SPECVERSION": "1.0",
                "HTTP_CE_ID": "1",
                "HTTP_CE_SOURCE": "/s",
                "HTTP_CE_TYPE": "t",
                "HTTP_CE_EXT": '"' + "\\a" * 2000,
            }
        )
    return environ


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return []


MIDDLEWARE = CloudEventsMiddleware(app)


@pytest.mark.parametrize("structured", [False, True], ids=["binary", "structured"])
def test_the_middleware_is_linear_on_a_hostile_40_kb_and_160_kb_request(structured: bool) -> None:
    def one(body: bytes) -> None:
        answer: list[str] = []
        MIDDLEWARE(hostile_request(body, structured), lambda s, h, e=None: answer.append(s))
        assert answer == ["400 Bad Request"]

    def many(calls: int) -> Callable[[bytes], object]:
        return lambda body: [one(body) for _ in range(calls)]

    # 40 KB (a request of that size took a worker 10+ seconds) against 160 KB,
    # each timing over enough calls to take MIN_SECONDS.
    calls = 1
    while fastest(many(calls), hostile_body, 40_000) < MIN_SECONDS:
        calls *= 2
    small = fastest(many(calls), hostile_body, 40_000)
    large = fastest(many(calls), hostile_body, 160_000)
    assert large / small <= LIMIT, f"4x the request took {large / small:.1f}x the time"
