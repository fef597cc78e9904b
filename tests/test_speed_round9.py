"""Issue 13, ninth round: the HTTP request through the Lambda shim with less
interpreter work, each shortcut answering as the long way did.

- the shim's HTTP triggers call their app as they always did: its own
  middleware, any other app, a subclass or a Dapr-configured middleware;
- ``_wsgi.run`` makes its :class:`Response` without the ``__init__`` frame:
  the same object as ``Response()``;
- ``aws_lambda.http.environ`` takes its arguments by position too: the same
  environ as by keyword;
- the middleware calls its app through a local, and tells CloudEvents
  content types by equality with the 23-character prefix (the round-6 test
  compares that with asking ``content_mode`` for every type).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi._wsgi import Response, run
from cloudevents_wsgi.aws_lambda import http, http_apigw_v2, make_lambda_handler
from cloudevents_wsgi.aws_lambda.options import DEFAULT_TEXT_TYPES, Options
from cloudevents_wsgi.spec import FORMAT_PREFIX

from .builders import http_api_event, structured

StartResponse = Callable[..., Any]


def _app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()
    event = environ.get("cloudevent")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"event " + event.get_id().encode() if event is not None else b"plain " + body]


def _options() -> Options:
    return Options(
        deadline_margin_ms=1000,
        websocket_path="/websocket",
        authorizer_path=None,
        event_path="/events",
        routes=None,
        text_types=DEFAULT_TEXT_TYPES,
        server_name="localhost",
        report_batch_item_failures=True,
    )


def _cloudevent_request() -> dict[str, Any]:
    import json

    return http_api_event(
        method="POST",
        headers={"host": "api.example.com", "content-type": "application/cloudevents+json"},
        body=json.dumps(structured(id="e-1")),
    )


def test_format_prefix_is_the_23_characters_the_inline_test_slices() -> None:
    assert len(FORMAT_PREFIX) == 23


def test_the_shim_answers_a_cloudevent_and_a_plain_request_through_its_middleware() -> None:
    handler = make_lambda_handler(_app)
    answer = handler(_cloudevent_request(), None)
    assert (answer["statusCode"], answer["body"]) == (200, "event e-1")
    plain = http_api_event(method="POST", headers={"host": "h"}, body="hello")
    answer = handler(plain, None)
    assert (answer["statusCode"], answer["body"]) == (200, "plain hello")


def test_a_subclass_of_the_middleware_is_called_as_an_instance() -> None:
    calls: list[str] = []

    class Counting(CloudEventsMiddleware):
        def __call__(self, environ: Any, start_response: StartResponse) -> Iterable[bytes]:
            calls.append(environ["PATH_INFO"])
            return super().__call__(environ, start_response)

    event = http_api_event(raw_path="/x")
    answer = http_apigw_v2.handle(Counting(_app), _options(), event, None)
    assert answer["statusCode"] == 200
    assert calls == ["/x"]


def test_a_dapr_middleware_handed_to_an_http_trigger_still_answers_as_dapr() -> None:
    answer = http_apigw_v2.handle(
        CloudEventsMiddleware(_app, dapr=True), _options(), _cloudevent_request(), None
    )
    # Dapr's answer: always 200 and a JSON status, not the app's text.
    assert answer["statusCode"] == 200
    assert answer["body"] == '{"status": "SUCCESS"}'


def test_a_plain_app_handed_to_an_http_trigger_is_called_as_it_is() -> None:
    seen: list[bool] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        seen.append("cloudevent" in environ)
        start_response("204 No Content", [])
        return []

    answer = http_apigw_v2.handle(app, _options(), _cloudevent_request(), None)
    # No middleware in between: the app gets the request unread.
    assert (answer["statusCode"], seen) == (204, [False])


def test_the_response_run_makes_is_the_one_response_makes() -> None:
    made = Response()
    collected = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response = ran_response()
        collected.append({name: _copy(getattr(response, name)) for name in Response.__slots__})
        start_response("200 OK", [])
        return [b"x"]

    # The response object run() builds, seen from inside the app (before
    # start_response) through the bound method it hands over.
    start_responses: list[Any] = []

    def ran_response() -> Response:
        return start_responses[0].__self__  # type: ignore[no-any-return]

    def spying(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_responses.append(start_response)
        return app(environ, start_response)

    response = run(spying, {})
    assert type(response) is Response
    assert collected == [{name: getattr(made, name) for name in Response.__slots__}]
    assert (response.status, response.code, response.headers, response.chunks) == (
        "200 OK",
        200,
        [],
        [b"x"],
    )


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def test_two_runs_share_no_list() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("A", "1")])
        return [b"one"]

    first, second = run(app, {}), run(app, {})
    assert first.chunks is not second.chunks
    assert first.headers is not second.headers


ARGUMENTS: dict[str, Any] = {
    "method": "post",
    "script_name": "/stage%2Fx",
    "path": "/a%20b/c",
    "query": "q=1",
    "headers": [("Host", "h.example:8443"), ("X-Forwarded-Proto", "http"), ("Cookie", "a=1")],
    "body": b"body",
    "remote_addr": "203.0.113.1",
    "protocol": "HTTP/2",
    "default_scheme": "https",
    "domain": "d.example",
}


def _comparable(environ: dict[str, Any]) -> dict[str, Any]:
    environ = dict(environ)
    body = environ.pop("wsgi.input")
    assert isinstance(body, io.BytesIO)
    environ["body"] = body.read()
    assert environ.pop("wsgi.errors") is sys.stderr
    return environ


def test_http_environ_by_position_is_the_environ_by_keyword() -> None:
    by_keyword = http.environ(**ARGUMENTS)
    by_position = http.environ(*ARGUMENTS.values())
    assert _comparable(by_position) == _comparable(by_keyword)
    assert by_keyword["PATH_INFO"] == "/a b/c"
    assert by_keyword["SERVER_NAME"] == "h.example"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/cloudevents+json",
        "APPLICATION/CLOUDEVENTS+JSON; charset=utf-8",
        "application/cloudevents-batch+json",
        "application/cloudevents",
        "application/cloudevent",
        "application/json",
        "appl\u0130cation/cloudevents+json",
    ],
)
def test_the_inline_prefix_test_is_startswith(content_type: str) -> None:
    assert (content_type[:23].lower() == FORMAT_PREFIX) == (
        content_type[:23].lower().startswith(FORMAT_PREFIX)
    )


def test_a_bytes_content_type_still_goes_to_content_mode() -> None:
    # Not PEP 3333 (a broken server): content_mode says what it makes of it,
    # as before this round; it does not pass through as if plain.
    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        pass

    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": b"application/cloudevents+json",
        "wsgi.input": io.BytesIO(b"{}"),
        "CONTENT_LENGTH": "2",
    }
    with pytest.raises(TypeError):
        CloudEventsMiddleware(_app)(environ, start_response)


# -- one frame for a request that is no event ------------------------------------------

from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from unittest import mock  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cloudevents_wsgi import environ as environ_keys  # noqa: E402
from cloudevents_wsgi.delivery import LambdaDelivery  # noqa: E402
from cloudevents_wsgi.origins import ORIGIN_KEYS, Origins  # noqa: E402

_KEYS = st.sampled_from(
    [
        *ORIGIN_KEYS,
        "HTTP_X_AMZ_SNS_MESSAGE_ID",
        "HTTP_AEG_DELIVERY_COUNT",
        "HTTP_CE_ID",
        "HTTP_HOST",
        "cloudevents_wsgi.adapter",
        "HTTP_X_AMZ_SNS_TOPIC_ARN",
    ]
)
_VALUES = st.one_of(st.text(max_size=5), st.none(), st.just(LambdaDelivery({"a": 1})))
_CONTENT_TYPES = st.sampled_from(
    [None, "", "application/json", "text/plain", "application/xml", "APPLICATION/JSON; x=1"]
)
_OPTIONS = st.fixed_dictionaries(
    {
        "native_over_http": st.sampled_from([False, True, ("azure.eventgrid",), ()]),
        "sns_topics": st.sampled_from([None, ("arn:aws:sns:*",)]),
    }
)


@contextmanager
def origin_answers() -> Iterator[list[Any]]:
    """The answers of ``Origins.origin``, in order, while the block runs."""
    asked: list[Any] = []
    real = Origins.origin

    def spy(self: Origins, environ: Any, content_type: Any) -> Any:
        answer = real(self, environ, content_type)
        asked.append(answer)
        return answer

    with mock.patch.object(Origins, "origin", spy):
        yield asked


_OTHER_KEYS = st.sampled_from(
    [
        "HTTP_X_AMZ_SNS_MESSAGE_ID",
        "HTTP_AEG_DELIVERY_COUNT",
        "HTTP_HOST",
        "cloudevents_wsgi.adapter",
        "HTTP_X_AMZ_SNS_TOPIC_ARN",
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE ",
        "http_aeg_event_type",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    extra=st.dictionaries(_OTHER_KEYS, _VALUES, max_size=4),
    content_type=_CONTENT_TYPES,
    native_over_http=st.sampled_from([False, ()]),
    sns_topics=st.sampled_from([None, ("arn:aws:sns:*",)]),
)
def test_origin_is_none_without_its_keys_when_it_reads_no_http(
    extra: dict[str, Any],
    content_type: str | None,
    native_over_http: Any,
    sns_topics: Any,
) -> None:
    origins = Origins(native_over_http=native_over_http, sns_topics=sns_topics)
    assert not origins.reads_http
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": content_type, **extra}
    assert origins.origin(environ, content_type) is None


@settings(max_examples=300, deadline=None)
@given(
    extra=st.dictionaries(_KEYS, _VALUES, max_size=4), content_type=_CONTENT_TYPES, options=_OPTIONS
)
def test_the_middleware_asks_origin_exactly_when_it_could_say_other_than_none(
    extra: dict[str, Any], content_type: str | None, options: dict[str, Any]
) -> None:
    middleware = CloudEventsMiddleware(_app, **options)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "wsgi.input": io.BytesIO(b"{}"),
        "CONTENT_LENGTH": "2",
        **extra,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    environ.pop("HTTP_CE_ID", None)  # no ce-specversion: never a binary event here
    with origin_answers() as asked:
        try:
            middleware(dict(environ), lambda *a: None)
        except Exception:
            pass
    could_answer = middleware.origins.reads_http or any(key in environ for key in ORIGIN_KEYS)
    assert (len(asked) == 1) == could_answer
    if not could_answer:
        assert middleware.origins.origin(environ, content_type) is None


def test_origin_keys_are_the_ones_origin_reads() -> None:
    # Each key alone can make origin() answer, with the options that admit it.
    origins = Origins(native_over_http=("azure.eventgrid",), sns_topics=("arn:aws:sns:*",))
    delivery_key, sns_key, eventgrid_key = ORIGIN_KEYS
    assert delivery_key == environ_keys.LAMBDA_DELIVERY
    assert origins.origin({delivery_key: LambdaDelivery({})}, None) == "lambda"
    assert origins.origin({sns_key: "Notification"}, None) == "sns"
    assert origins.origin({eventgrid_key: "Notification"}, None) == "eventgrid"


def test_a_plain_request_runs_one_python_frame_of_the_middleware() -> None:
    frames: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.endswith(("middleware.py", "origins.py")):
            frames.append(frame.f_code.co_name)

    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(b"{}"),
    }
    middleware = CloudEventsMiddleware(lambda e, s: [b""])
    sys.setprofile(profile)
    try:
        middleware(environ, lambda *a: None)
    finally:
        sys.setprofile(None)
    assert frames == ["__call__"]


_DAPR_EVENT = b'{"specversion":"1.0","id":"d-1","source":"/s","type":"t"}'


def test_a_dapr_middleware_hands_plain_requests_on_without_looping() -> None:
    middleware = CloudEventsMiddleware(_app, dapr=True)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/dapr/subscribe",
        "wsgi.input": io.BytesIO(b""),
    }
    seen: list[str] = []
    body = b"".join(middleware(environ, lambda status, headers: seen.append(status)))
    assert (seen, body) == (["200 OK"], b"plain ")
    # And _receive is the answer with Dapr's decided: the app's own for an event.
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/cloudevents+json",
        "wsgi.input": io.BytesIO(_DAPR_EVENT),
        "CONTENT_LENGTH": str(len(_DAPR_EVENT)),
    }
    body = b"".join(middleware._receive(environ, lambda status, headers: None))
    assert body == b"event d-1"


# -- the depth check's quote pairs and large bodies ------------------------------------

from cloudevents_wsgi import _json  # noqa: E402
from cloudevents_wsgi.errors import InvalidEventError  # noqa: E402

from .test_attacks_speed_round11 import old_json_depth_over  # noqa: E402

_PIECES = st.sampled_from(['"', '""', "[", "]", "{", "}", "\\", '\\"', "\\\\", "a", ",", ":", " "])


@settings(max_examples=1500, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=40), limit=st.integers(min_value=1, max_value=6))
def test_json_depth_over_answers_as_before_on_any_text(pieces: list[str], limit: int) -> None:
    body = "".join(pieces).encode()
    assert _json.json_depth_over(body, limit) == old_json_depth_over(body, limit)


@pytest.mark.parametrize("padding", [0, 70 * 1024])
@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ('{"a": [[["x"]]]}', True),
        ('{"a": "[[[[", "b": [1]}', False),
        ('["]]]]", [[1]]]', False),
        ('{"a": {"b": {"c": {}}}}', True),
        ('"[[[["', False),
    ],
)
def test_check_depth_refuses_as_before_below_and_above_the_count_first_size(
    text: str, deep: bool, padding: int
) -> None:
    # Above _COUNT_FIRST_MAX the bracket count is skipped: the scan alone decides.
    body = text.encode() + b" " * padding  # trailing whitespace: the same JSON
    assert (len(body) > _json._COUNT_FIRST_MAX) == bool(padding)
    if deep:
        with pytest.raises(InvalidEventError):
            _json.check_depth("body", body, 3)
    else:
        _json.check_depth("body", body, 3)
    assert _json.json_depth_over(body, 3) is deep
