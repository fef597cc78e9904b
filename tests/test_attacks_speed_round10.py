"""Issue 13, tenth round, read as an attacker: the speed commits after c1ac1b2
were to change nothing anyone can observe.

- ``CloudEventsMiddleware.__call__`` now holds the whole answer (one frame for
  a plain request) and ``_receive``, Dapr's way back in, is the class's own
  ``__call__`` with Dapr's decided. It called ``self(...)``: a subclass's
  ``__call__`` with the WSGI signature then raised ``TypeError`` for every
  Dapr request (events retried for ever), one taking more arguments recursed
  without end, and a tracer patched on the class counted each Dapr request
  twice. ``_receive`` runs the class's own ``__call__`` again.
- A subclass that overrides ``_receive`` had it run for every request (the
  class's ``__call__`` handed each on to it); after the round it ran only for
  Dapr. Such a subclass gets a ``__call__`` through its ``_receive`` when it is
  made; the class itself keeps its one frame.
- ``Origins.origin`` is asked only when ``reads_http`` or one of its keys is
  in the environ: over every sample of ../shared/fixtures, under every opt-in,
  a request it was not asked about would have been answered ``None`` and is
  passed to the app unread and untouched.
- ``aws_lambda.http.respond`` takes ``read`` and ``write`` by position or by
  keyword, the same answer; the S3 adapter's loop makes what the
  comprehension made.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable
from typing import Any
from unittest import mock

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi import environ as keys
from cloudevents_wsgi import middleware as middleware_module
from cloudevents_wsgi.adapters import _aws, aws_s3
from cloudevents_wsgi.aws_lambda import http, http_apigw_v2
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.origins import ORIGIN_KEYS, Origins

from .builders import http_api_event
from .conftest import fixture_paths, load_fixture
from .test_speed_round9 import _options, origin_answers

_EVENT = b'{"specversion":"1.0","id":"r10-1","source":"/s","type":"t"}'
_BAD_EVENT = b'{"specversion":"1.0","id":"r10-2","source":"/s"}'


def _app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    event = environ.get("cloudevent")
    return [b"event " + event.get_id().encode() if event is not None else b"plain"]


def _environ(content_type: str | None, body: bytes, **extra: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/p",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    environ.update(extra)
    return environ


def _answer(app: Any, environ: dict[str, Any]) -> tuple[list[str], bytes]:
    statuses: list[str] = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    return statuses, body


_REQUESTS = [
    ("application/json", b"{}", (["200 OK"], b"plain")),
    ("application/cloudevents+json", _EVENT, (["200 OK"], b'{"status": "SUCCESS"}')),
    ("application/cloudevents+json", _BAD_EVENT, (["200 OK"], b'{"status": "DROP"}')),
]


# -- 1. a subclass's __call__ under Dapr --------------------------------------------------


@pytest.mark.parametrize(("content_type", "body", "expected"), _REQUESTS)
def test_a_subclass_call_with_the_wsgi_signature_answers_dapr_requests_once(
    content_type: str, body: bytes, expected: tuple[list[str], bytes]
) -> None:
    calls: list[str] = []

    class Logged(CloudEventsMiddleware):
        def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
            calls.append(environ["PATH_INFO"])
            return super().__call__(environ, start_response)

    answer = _answer(Logged(_app, dapr=True), _environ(content_type, body))
    assert (answer, calls) == (expected, ["/p"])


@pytest.mark.parametrize(("content_type", "body", "expected"), _REQUESTS)
def test_a_subclass_call_taking_more_arguments_is_not_called_again_by_dapr(
    content_type: str, body: bytes, expected: tuple[list[str], bytes]
) -> None:
    calls: list[tuple[Any, ...]] = []

    class Traced(CloudEventsMiddleware):
        def __call__(self, environ: Any, start_response: Any, *more: Any) -> Iterable[bytes]:
            calls.append(more)
            return super().__call__(environ, start_response)

    answer = _answer(Traced(_app, dapr=True), _environ(content_type, body))
    assert (answer, calls) == (expected, [()])


def test_a_tracer_patched_on_the_class_counts_each_dapr_request_once() -> None:
    counted: list[int] = []
    own = CloudEventsMiddleware.__call__

    def traced(self: Any, environ: Any, start_response: Any, *more: Any) -> Iterable[bytes]:
        counted.append(len(more))
        return own(self, environ, start_response, *more)

    middleware = CloudEventsMiddleware(_app, dapr=True)
    with mock.patch.object(CloudEventsMiddleware, "__call__", traced):
        answers = [_answer(middleware, _environ(ct, body)) for ct, body, _ in _REQUESTS]
    assert answers == [expected for _, _, expected in _REQUESTS]
    assert counted == [0, 0, 0]


def test_dapr_hands_requests_on_to_the_class_own_call() -> None:
    assert middleware_module._OWN_CALL is CloudEventsMiddleware.__dict__["__call__"]
    middleware = CloudEventsMiddleware(_app, dapr=True)
    with mock.patch.object(
        CloudEventsMiddleware, "__call__", side_effect=AssertionError("called again")
    ):
        assert _answer(middleware._receive, _environ("application/cloudevents+json", _EVENT)) == (
            ["200 OK"],
            b"event r10-1",
        )


# -- 2. a subclass's _receive ---------------------------------------------------------------


class _Receiving(CloudEventsMiddleware):
    """Marks every request it receives (as a subclass may have)."""

    def _receive(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        environ["HTTP_X_RECEIVED"] = "yes"
        return super()._receive(environ, start_response)


@pytest.mark.parametrize("dapr", [False, True])
@pytest.mark.parametrize(
    ("content_type", "body"), [("application/json", b"{}"), ("text/plain", b"x"), (None, b"")]
)
def test_a_subclass_receive_answers_every_plain_request(
    dapr: bool, content_type: str | None, body: bytes
) -> None:
    seen: list[Any] = []

    def app(environ: Any, start_response: Any) -> Iterable[bytes]:
        seen.append(environ.get("HTTP_X_RECEIVED"))
        return _app(environ, start_response)

    assert _answer(_Receiving(app, dapr=dapr), _environ(content_type, body)) == (
        ["200 OK"],
        b"plain",
    )
    assert seen == ["yes"]


def test_a_subclass_receive_answers_every_event() -> None:
    seen: list[Any] = []

    def app(environ: Any, start_response: Any) -> Iterable[bytes]:
        seen.append(environ.get("HTTP_X_RECEIVED"))
        return _app(environ, start_response)

    environ = _environ("application/cloudevents+json", _EVENT)
    assert _answer(_Receiving(app), environ) == (["200 OK"], b"event r10-1")
    assert seen == ["yes"]


def test_a_subclass_of_a_receiving_subclass_with_its_own_call_still_receives() -> None:
    calls: list[str] = []

    class Outer(_Receiving):
        def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
            calls.append("outer")
            return super().__call__(environ, start_response)

    environ = _environ("application/json", b"{}")
    assert _answer(Outer(_app), environ) == (["200 OK"], b"plain")
    assert (calls, environ.get("HTTP_X_RECEIVED")) == (["outer"], "yes")


def test_the_class_and_subclasses_without_their_own_receive_keep_one_frame() -> None:
    class Plain(CloudEventsMiddleware):
        pass

    assert Plain.__call__ is CloudEventsMiddleware.__call__ is middleware_module._OWN_CALL
    frames: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.endswith(("middleware.py", "origins.py")):
            frames.append(frame.f_code.co_name)

    for middleware in (CloudEventsMiddleware(_app), Plain(_app)):
        environ = _environ("application/json", b"{}")
        sys.setprofile(profile)
        try:
            middleware(environ, lambda *a: None)
        finally:
            sys.setprofile(None)
    assert frames == ["__call__", "__call__"]


# -- 3. origin() not asked: over every sample, the answer it would have given -------------

_CONFIGS: list[dict[str, Any]] = [
    {},
    {"native_over_http": True},
    {"native_over_http": ["azure.eventgrid"]},
    {"native_over_http": ["google.pubsub"]},
    {"native_over_http": []},
    {"sns_topics": ["arn:aws:sns:*"]},
    {"webhook_origins": ["*"]},
    {"dapr": True},
    {"mode": "structured"},
]
_EXTRAS: list[dict[str, Any]] = [
    {},
    {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": ""},
    {"HTTP_AEG_EVENT_TYPE": ""},
    {keys.LAMBDA_DELIVERY: None},
    {keys.LAMBDA_DELIVERY: {"payload": {}}},
    {"HTTP_X_AMZ_SNS_MESSAGE_ID": "1", "HTTP_AEG_DELIVERY_COUNT": "0"},
]
_FIXTURES = fixture_paths("", "**/*.json")


@pytest.mark.skipif(not _FIXTURES, reason="../shared/fixtures is not present")
def test_every_sample_not_asked_about_is_passed_through_unread_as_origin_would() -> None:
    bodies = [path.read_bytes() for path in _FIXTURES]
    real = Origins.origin  # asked below without the spy
    passed = skipped = 0
    with origin_answers() as asked:
        for options in _CONFIGS:
            middleware = CloudEventsMiddleware(_app, **options)
            for body in bodies:
                for content_type in ("application/json", None, "text/plain; charset=utf-8"):
                    for extra in _EXTRAS:
                        environ = _environ(content_type, body, **extra)
                        before = dict(environ)
                        could = middleware.origins.reads_http or any(
                            k in before for k in ORIGIN_KEYS
                        )
                        asked.clear()
                        if could:
                            # Asked, as before (what it answers is other tests').
                            try:
                                _answer(middleware, environ)
                            except Exception:
                                pass  # a LAMBDA_DELIVERY that is no LambdaDelivery
                            assert len(asked) == 1
                            continue
                        statuses, answer = _answer(middleware, environ)
                        assert asked == []
                        skipped += 1
                        assert real(middleware.origins, before, content_type) is None
                        assert (statuses, answer) == (["200 OK"], b"plain")
                        if middleware.dapr:
                            # Dapr looks for a bulk envelope (as before): the
                            # body is read, and left whole for the app.
                            before["wsgi.input"] = environ["wsgi.input"]
                            assert environ["wsgi.input"].read() == body
                        else:
                            assert environ["wsgi.input"].tell() == 0
                        assert environ == before
                        passed += 1
    assert passed == skipped > 1000


def test_a_lambda_delivery_key_of_another_type_is_asked_about_and_refused() -> None:
    # The key's presence, not its type, is what makes origin() asked: it
    # answers None for a value that is no LambdaDelivery, as before.
    for value in (None, "x", {"payload": {}}, 0):
        origins = Origins()
        assert origins.origin({keys.LAMBDA_DELIVERY: value}, "application/json") is None
        environ = _environ("application/json", b"{}", **{keys.LAMBDA_DELIVERY: value})
        assert _answer(CloudEventsMiddleware(_app), environ) == (["200 OK"], b"plain")
    assert Origins().origin({keys.LAMBDA_DELIVERY: LambdaDelivery({})}, None) == "lambda"


@pytest.mark.parametrize("flip", [True, False])
def test_reads_http_flipped_after_construction_is_read_per_request(flip: bool) -> None:
    asked: list[Any] = []
    middleware = CloudEventsMiddleware(_app, native_over_http=not flip)
    middleware.origins.reads_http = flip
    real = Origins.origin

    def spy(self: Origins, environ: Any, content_type: Any) -> Any:
        asked.append(content_type)
        return real(self, environ, content_type)

    with mock.patch.object(Origins, "origin", spy):
        _answer(middleware, _environ("application/json", b"{}"))
    assert asked == (["application/json"] if flip else [])


# -- 4. respond's read and write; the S3 loop -----------------------------------------------


def test_respond_answers_the_same_with_read_and_write_by_keyword_or_position() -> None:
    options = _options()
    middleware = CloudEventsMiddleware(_app)
    for body, content_type in (
        (b"{}", "application/json"),
        (_EVENT, "application/cloudevents+json"),
    ):
        event = http_api_event(
            method="POST", body=body.decode(), headers={"content-type": content_type, "host": "h"}
        )
        by_position = http.respond(
            middleware,
            options,
            http_apigw_v2.KIND,
            json.loads(json.dumps(event)),
            None,
            http_apigw_v2.read,
            http_apigw_v2.write,
        )
        by_keyword = http.respond(
            middleware,
            options,
            http_apigw_v2.KIND,
            json.loads(json.dumps(event)),
            None,
            read=http_apigw_v2.read,
            write=http_apigw_v2.write,
        )
        assert by_position == by_keyword


def _converted_view(items: list[Any]) -> list[Any]:
    return [(item.event, item.native, item.record_id) for item in items]


@pytest.mark.skipif(not fixture_paths("aws/s3"), reason="../shared/fixtures is not present")
def test_the_s3_loop_makes_what_the_comprehension_made() -> None:
    adapter = aws_s3.S3Adapter()
    compared = 0
    for path in fixture_paths("aws/s3"):
        payload = load_fixture(path)
        if aws_s3._is_test_event(payload) or not isinstance(payload.get("Records"), list):
            continue
        try:
            expected: Any = [
                aws_s3._record(record, index) for index, record in enumerate(_aws.records(payload))
            ]
        except Exception as error:
            expected = (type(error), str(error))
        try:
            got: Any = adapter.convert(payload, None)  # type: ignore[arg-type]
        except Exception as error:
            got = (type(error), str(error))
        if isinstance(expected, list):
            assert isinstance(got, list) and type(got) is list
            assert _converted_view(got) == _converted_view(expected)
        else:
            assert got == expected
        compared += 1
    assert compared > 0
