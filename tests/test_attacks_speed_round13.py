"""Attacks on issue 13's twelfth round, after its fix: the Lambda shim's own
``POST`` of a native event calls ``CloudEventsMiddleware.deliver(environ,
True)`` (``clean``), which takes ``headerless_message`` for the request's
Message and has ``write_binary`` clear only ``CONTENT_TYPE``.

Compared before this file was written, old code (6207b89) against new
(45d6cf0) in separate processes: every sample under shared/fixtures (whole,
each record alone), 77 synthetic events and 11 of other triggers (Kafka,
tumbling window, Firehose, S3 Batch, Cognito, a reentrant handler), through
``make_lambda_handler`` with 8 apps and 6 option sets, and through
``native.handle`` with 7 user middlewares: no difference in answers,
exceptions, environs, reports or log lines (38,000 cases, 24,000 of them
clean deliveries). What differs is kept here:

- an adapter of a user's middleware got a fresh, writable headers dict
  where request_message's key cache was cold or full; the clean path always
  hands the remembered read-only Message (pinned below);

The attack also found six faults, all fixed (the clean promise checked on
the instance as on the class; ``run_one``, ``environ.write_binary`` and
``environ.request_message`` checked to be the package's own where clean
hands on to them or passes them over, and ``clean`` handed on only when
true; a ``str``-subclass content type never told clean). Their tests below
assert the behaviour before the change, which the fixes restored:

- an instance's replaced ``deliver`` or ``_event_environ`` with the old
  signature;
- a replaced ``middleware.run_one`` with the old signature, clean or not;
- a replaced ``environ.request_message``, which is still asked;
- ``native.post`` given a ``str`` subclass as ``content_type``, which is not
  remembered in ``environ._HEADERLESS`` for later deliveries;
- ``write_binary`` replaced during a delivery (by an adapter).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, spec
from cloudevents_wsgi import environ as keys
from cloudevents_wsgi import middleware as middleware_module
from cloudevents_wsgi.adapters.base import Converted
from cloudevents_wsgi.aws_lambda import make_lambda_handler, native
from cloudevents_wsgi.aws_lambda.options import DEFAULT_TEXT_TYPES, Options
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY

from . import builders
from .conftest import FIXTURES, fixture_paths, load_fixture
from .test_linear_time import assert_linear


class Context:
    aws_request_id = "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    function_name = "f"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


CONTEXT = Context()


def _options(event_path: str = "/events", routes: Any = None) -> Options:
    return Options(
        deadline_margin_ms=1000,
        websocket_path="/websocket",
        authorizer_path=None,
        event_path=event_path,
        routes=routes,
        text_types=DEFAULT_TEXT_TYPES,
        server_name="localhost",
        report_batch_item_failures=True,
    )


class App:
    """Keeps what it saw of each environ (body read) and answers as told."""

    def __init__(self, kind: str = "ok") -> None:
        self.kind = kind
        self.seen: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        self.seen.append({**_comparable(environ), "body": body})
        if self.kind == "raise":
            raise ValueError("boom")
        if self.kind == "mutate":
            environ["HTTP_CE_SPOOF"] = "x"
            environ.pop("CONTENT_TYPE", None)
            environ["PATH_INFO"] = "/changed"
        if self.kind == "503":
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"path": environ["PATH_INFO"], "n": len(body)}).encode()]


def _comparable(environ: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in environ.items():
        if key in ("wsgi.input", "wsgi.errors", "aws.context"):
            continue
        if isinstance(value, LambdaDelivery):
            value = ("LambdaDelivery", value.routes, value.fell_back)
        elif isinstance(value, CloudEvent):
            value = ("CloudEvent", sorted(value._attributes.items()), repr(value.get_data()))
        else:
            value = (type(value).__name__, repr(value))
        seen[key] = value
    return seen


@contextmanager
def _clean_calls() -> Iterator[list[bool]]:
    """What native.post's takes_clean_delivery answered, call by call (its
    answers unchanged)."""
    answers: list[bool] = []
    told = native.takes_clean_delivery

    def counting(app: object) -> bool:
        answer = told(app)
        answers.append(answer)
        return answer

    native.takes_clean_delivery = counting  # type: ignore[assignment]
    try:
        yield answers
    finally:
        native.takes_clean_delivery = told


def _answer(call: Callable[[], Any]) -> Any:
    try:
        return ("answer", call())
    except Exception as exc:
        return (type(exc).__name__, str(exc), getattr(exc, "status", None))


# -- 1. every native sample: deliver(environ, True) against deliver(environ) --------


def _native_variants() -> list[Any]:
    paths = [p for kind in ("aws", "azure", "gcp") for p in fixture_paths(kind, "**/*.json")]
    params = []
    for path in paths:
        data = load_fixture(path)
        variants = [data]
        if isinstance(data, dict) and isinstance(data.get("Records"), list):
            variants += [{**data, "Records": [r]} for r in data["Records"][:3]]
        if isinstance(data, list):
            variants += [item for item in data[:3]]
        kept = [v for v in variants if native._content_type(v) == "application/json"]
        if kept:
            params.append(pytest.param(kept, id=str(path.relative_to(FIXTURES))))
    if not params:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared is not present"))]
    return params


def _deliver(event: Any, kind: str, clean: bool) -> Any:
    app = App(kind)
    middleware = CloudEventsMiddleware(app)
    options = _options(routes={"com.amazonaws.s3.*": "/s3"})
    delivery = LambdaDelivery(
        copy.deepcopy(event),
        routes=options.routes,
        fallback=partial(native._invocation_event, context=CONTEXT),
    )
    environ = native.post_environ(
        options, options.event_path, "application/json", b"", delivery.payload, CONTEXT
    )
    environ[LAMBDA_DELIVERY] = delivery

    def call() -> Any:
        response = middleware.deliver(environ, clean)
        return response.status, response.headers, response.body

    answer = _answer(call)
    results = [(r.index, r.status, r.record_id, r.ok) for r in delivery.results]
    return answer, app.seen, results, delivery.fell_back


@pytest.mark.parametrize("events", _native_variants())
def test_every_native_sample_delivers_clean_as_scanned(events: list[Any]) -> None:
    for event in events:
        for kind in ("ok", "raise", "mutate", "503"):
            assert _deliver(event, kind, True) == _deliver(event, kind, False), kind


# -- 2. what reaches the app on the clean path ---------------------------------------


def _s3(key: Any) -> dict[str, Any]:
    event = builders.s3_event("k")
    event["Records"][0]["s3"]["object"]["key"] = key
    return event


def _sqs(body: str, **attributes: Any) -> dict[str, Any]:
    record = {**builders.sqs_message(body=body), "messageAttributes": attributes}
    return {"Records": [record]}


SYNTHETIC = {
    "s3-percent": _s3("a%2Fb%ZZ%"),
    "s3-plus-unicode": _s3("caf%C3%A9+\u00e9\u4e2d"),
    "s3-bidi": _s3("%E2%80%AE"),
    "sqs-text-spoofing-attributes": _sqs(
        "x",
        ce_type={"dataType": "String", "stringValue": "evil"},
        content_type={"dataType": "String", "stringValue": "text/evil"},
    ),
    # A CloudEvent without data or datacontenttype: binary with no
    # CONTENT_TYPE, where the POST's own application/json must not stay.
    "sqs-cloudevent-no-data": _sqs(
        json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"})
    ),
    "kinesis-bytes": builders.kinesis_batch("1"),
    "dynamodb": builders.dynamodb_batch("1"),
    "headers-in-payload": {"headers": {"ce-id": "1"}, "HTTP_CE_ID": "x", "CONTENT_TYPE": "y"},
    **{f"fallback-{type(v).__name__}-{i}": v for i, v in enumerate([None, 0, 1.5, "", [1], {}])},
}


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_the_clean_path_gives_the_app_only_its_events_keys(name: str) -> None:
    app = App()
    handler = make_lambda_handler(app, event_path="/ev")
    with _clean_calls() as answers:
        handler(copy.deepcopy(SYNTHETIC[name]), CONTEXT)  # raises if it failed
    assert answers == [True]
    (seen,) = app.seen
    event = seen["cloudevent"]
    attributes = dict(event[1])
    headers = {key for key in seen if key.startswith("HTTP_")}
    content_type = attributes.pop("datacontenttype", None)
    if seen.get("CONTENT_TYPE") == ("str", repr("application/cloudevents+json")):
        assert headers == set()
    else:
        assert headers == {"HTTP_CE_" + attribute.upper() for attribute in attributes}
        assert seen.get("CONTENT_TYPE") == (
            None if content_type is None else ("str", repr(content_type))
        )
    if name == "sqs-cloudevent-no-data":
        assert "CONTENT_TYPE" not in seen


# -- 3. the Message an adapter gets on the clean path ---------------------------------


class HeaderAdapter:
    """Matches ``{"watched": true}``; its event's data tells what it saw."""

    name = "user.headers"

    def __init__(self, mutate: bool = False) -> None:
        self.mutate = mutate
        self.messages: list[Any] = []

    def matches(self, payload: Any, message: Any) -> bool:
        return isinstance(payload, dict) and payload.get("watched") is True

    def convert(self, payload: Any, message: Any) -> list[Converted]:
        self.messages.append(message)
        if self.mutate:
            message.headers["x-added"] = "1"
        ct = message.header("content-type")
        data = {"ct": ct, "ct_type": type(ct).__name__}
        attributes = {"id": "1", "source": "/u", "type": "user.t"}
        event = CloudEvent({**attributes, "datacontenttype": "application/json"}, data)
        return [Converted(event, None)]


def _events_of(app: App) -> list[Any]:
    return [json.loads(seen["body"]) for seen in app.seen]


def test_an_adapter_gets_the_request_method_path_and_type_read_only() -> None:
    adapter = HeaderAdapter()
    app = App()
    middleware = CloudEventsMiddleware(app, adapters=[adapter])
    path = "/a%20b//c/./~!$&'()*+,;=:@"
    with _clean_calls() as answers:
        native.handle(middleware, _options(path), {"watched": True}, CONTEXT)
    assert answers == [True]
    (message,) = adapter.messages
    assert (message.method, message.path, dict(message.headers), message.body) == (
        "POST",
        path,
        {"content-type": "application/json"},
        b"",
    )
    with pytest.raises(TypeError):
        message.headers["x"] = "y"  # type: ignore[index]


def test_an_adapter_that_mutates_headers_is_refused_even_with_the_key_caches_full() -> None:
    # Before: with _NOT_HEADERS full (many server keys seen), request_message
    # built a fresh Message with a dict, which the adapter could write; the
    # clean path always hands the remembered read-only one.
    kept = set(keys._NOT_HEADERS)
    keys._NOT_HEADERS.clear()
    keys._NOT_HEADERS.update(f"round13.server.key{index}" for index in range(spec.CACHE_SIZE))
    try:
        environ = native.post_environ(_options(), "/events", "application/json", b"", {}, None)
        assert type(keys.request_message(environ).headers) is dict  # what deliver once used
        app = App()
        middleware = CloudEventsMiddleware(app, adapters=[HeaderAdapter(mutate=True)])
        answer = _answer(lambda: native.handle(middleware, _options(), {"watched": True}, CONTEXT))
    finally:
        keys._NOT_HEADERS.clear()
        keys._NOT_HEADERS.update(kept)
    assert answer[0] == "EventFailedError" and answer[2] == 400
    assert app.seen == []


# -- 4. the remembered Messages stay bounded -------------------------------------------


def test_headerless_messages_are_bounded_and_long_paths_not_remembered() -> None:
    kept = dict(keys._HEADERLESS)
    keys._HEADERLESS.clear()
    try:
        app = App()
        for index in range(100):
            handler = make_lambda_handler(app, event_path=f"/p{index}")
            handler({"n": index}, CONTEXT)
        assert len(keys._HEADERLESS) == keys._MESSAGES_MAX
        keys._HEADERLESS.clear()
        long = "/" + "p" * spec.CACHED_LENGTH
        make_lambda_handler(app, event_path=long)({}, CONTEXT)
        assert keys._HEADERLESS == {}
        assert [seen["PATH_INFO"][1] for seen in app.seen[-2:]] == [repr("/p99"), repr(long)]
    finally:
        keys._HEADERLESS.clear()
        keys._HEADERLESS.update(kept)


# -- 5. faults: the old behaviour, which the new code does not keep -----------------


def _ok_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


S3 = builders.s3_event("k%2B")


def test_an_instances_replaced_deliver_keeps_its_signature() -> None:
    middleware = CloudEventsMiddleware(_ok_app)
    own = middleware.deliver
    calls: list[int] = []

    def spy(environ: Any) -> Any:  # the signature deliver had
        calls.append(1)
        return own(environ)

    middleware.deliver = spy  # type: ignore[method-assign]
    assert native.handle(middleware, _options(), copy.deepcopy(S3), CONTEXT)["statusCode"] == 200
    assert calls == [1]


def test_an_instances_replaced_event_environ_keeps_its_signature() -> None:
    middleware = CloudEventsMiddleware(_ok_app)
    own = middleware._event_environ

    def spy(environ: Any, item: Any, mode: str, body: Any = None, adapter: Any = None) -> Any:
        return own(environ, item, mode, body, adapter)

    middleware._event_environ = spy  # type: ignore[method-assign]
    assert native.handle(middleware, _options(), copy.deepcopy(S3), CONTEXT)["statusCode"] == 200


@pytest.mark.parametrize("extra", [None, {"x": 1}], ids=["clean", "not-clean"])
def test_a_replaced_run_one_keeps_its_signature(
    monkeypatch: pytest.MonkeyPatch, extra: Any
) -> None:
    own = middleware_module.run_one
    calls: list[int] = []

    def spy(middleware: Any, environ: Any, item: Any, mode: str, adapter: Any = None) -> Any:
        calls.append(1)
        return own(middleware, environ, item, mode, adapter)

    monkeypatch.setattr(middleware_module, "run_one", spy)
    middleware = CloudEventsMiddleware(_ok_app)
    answer = native.handle(middleware, _options(), copy.deepcopy(S3), CONTEXT, environ=extra)
    assert answer["statusCode"] == 200
    assert calls == [1]


def test_a_replaced_request_message_is_still_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    own = keys.request_message
    calls: list[int] = []

    def spy(environ: Any) -> Any:
        calls.append(1)
        return own(environ)

    monkeypatch.setattr(keys, "request_message", spy)
    assert make_lambda_handler(_ok_app)(copy.deepcopy(S3), CONTEXT)["statusCode"] == 200
    assert calls == [1]


class _Type(str):
    """A content type whose lower() says otherwise than its characters."""

    def lower(self) -> str:
        return "text/evil"


def test_a_str_subclass_content_type_is_not_remembered_for_later_requests() -> None:
    kept = dict(keys._HEADERLESS)
    keys._HEADERLESS.clear()
    try:
        app = App()
        middleware = CloudEventsMiddleware(app, adapters=[HeaderAdapter()])
        options = _options("/round13-subclass")
        delivery = LambdaDelivery({"watched": True})
        native.post(middleware, options, delivery, CONTEXT, None, _Type("application/json"))
        native.handle(middleware, options, {"watched": True}, CONTEXT)  # a later, plain one
        first, later = _events_of(app)
        assert first["ct_type"] == "_Type"  # its own request: as before
        assert later["ct_type"] == "str"
        assert all(type(m.header("content-type")) is str for m in keys._HEADERLESS.values())
    finally:
        keys._HEADERLESS.clear()
        keys._HEADERLESS.update(kept)


def test_write_binary_replaced_during_the_delivery_keeps_its_signature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = keys.write_binary

    def spy(environ: Any, event: Any, body: Any = None) -> None:
        own(environ, event, body)

    class Patching(HeaderAdapter):
        def convert(self, payload: Any, message: Any) -> list[Converted]:
            monkeypatch.setattr(keys, "write_binary", spy)
            return super().convert(payload, message)

    app = App()
    middleware = CloudEventsMiddleware(app, adapters=[Patching()])
    assert native.handle(middleware, _options(), {"watched": True}, CONTEXT)["statusCode"] == 200


# -- 6. cost -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda n: _s3("%2F" * n),
        lambda n: [{"b": [i, None, True]} for i in range(n)],
        lambda n: builders.s3_event("k") | {"pad": [[1]] * n},
    ],
    ids=["s3-key", "fallback-list", "s3-padded"],
)
def test_the_clean_path_is_linear(make: Callable[[int], Any]) -> None:
    handler = make_lambda_handler(_ok_app)

    def run(event: Any) -> None:
        handler(event, CONTEXT)  # raises if the event failed: timed only when delivered

    assert_linear(run, make, 200)
