"""Attacks on issue 13's twelfth round: the Lambda shim's own ``POST`` of a
native event tells ``CloudEventsMiddleware.deliver`` that its environ is
clean (``deliver(environ, True)``), which then skips request_message's
header scan and write_binary's clearing of CloudEvents keys.

Compared here: the clean delivery against the full scans it replaced (the
same code with ``clean`` forced off), on every sample event, each record of a
sample batch alone, synthetic S3, SNS, SQS, EventBridge, Event Grid and
fallback payloads, with apps that read, raise, refuse, fail and mutate their
environ; that no header or CloudEvents key reaches the app but the event's
own; that the callers not told ``clean`` are unchanged; that the changed
paths stay linear. The five faults the attack found (a str-subclass
``event_path``; subclasses and replaced ``deliver``, ``_event_environ`` or
``write_binary`` with the signatures they had) are tests of the behaviour
before the change, which the fix restored.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware
from cloudevents_wsgi import environ as keys
from cloudevents_wsgi.aws_lambda import make_lambda_handler, native
from cloudevents_wsgi.aws_lambda.options import DEFAULT_TEXT_TYPES, Options
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY, request_message, write_binary

from .conftest import FIXTURES, fixture_paths, load_fixture
from .test_attacks_speed_linear import s3_record as linear_s3_record
from .test_linear_time import FRESH, assert_linear

_ORIGINAL_DELIVER = CloudEventsMiddleware.deliver


class Context:
    aws_request_id = "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000

    def __repr__(self) -> str:
        return "Context"


CONTEXT = Context()


class App:
    """Keeps what it saw of each call (its body read) and answers as told."""

    def __init__(self, kind: str = "ok") -> None:
        self.kind = kind
        self.seen: list[dict[str, Any]] = []
        self.environs: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        self.environs.append(environ)
        self.seen.append({**_comparable(environ), "body": body})
        if self.kind == "raise":
            raise ValueError("boom")
        if self.kind == "mutate":
            environ["HTTP_CE_SPOOF"] = "x"
            environ["HTTP_CONTENT_TYPE"] = "text/evil"
            environ.pop("CONTENT_TYPE", None)
            environ["PATH_INFO"] = "/changed"
        if self.kind == "400":
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [b'{"field":"x","reason":"nope"}']
        if self.kind == "503":
            start_response("503 Service Unavailable", [("Content-Type", "text/html")])
            return [b"<h1>down</h1>"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"path": environ["PATH_INFO"], "n": len(body)}).encode()]


def _comparable(environ: dict[str, Any]) -> dict[str, Any]:
    """An environ, its objects replaced by what they hold."""
    seen: dict[str, Any] = {}
    for key, value in environ.items():
        if key in ("wsgi.input", "wsgi.errors"):
            continue
        if isinstance(value, LambdaDelivery):
            value = ("LambdaDelivery", value.routes, value.fell_back)
        elif isinstance(value, CloudEvent):
            value = ("CloudEvent", list(value._attributes.items()), repr(value.get_data()))
        elif type(value).__eq__ is object.__eq__:
            value = repr(value)
        seen[key] = (type(value).__name__, value)
    return seen


@contextmanager
def _deliveries(clean_allowed: bool) -> Iterator[list[bool]]:
    """The ``clean`` flag of each deliver() call; with ``clean_allowed``
    false, every delivery takes the full scans (the code before the change)."""
    flags: list[bool] = []

    def deliver(self: CloudEventsMiddleware, environ: Any, clean: bool = False) -> Any:
        flags.append(clean)
        return _ORIGINAL_DELIVER(self, environ, clean and clean_allowed)

    # The spy forwards clean: the shim may tell it as it tells the class's own
    # deliver (takes_clean_delivery refuses any replaced deliver).
    told = native.takes_clean_delivery
    native.takes_clean_delivery = _exactly_the_class  # type: ignore[assignment]
    CloudEventsMiddleware.deliver = deliver  # type: ignore[method-assign]
    try:
        yield flags
    finally:
        CloudEventsMiddleware.deliver = _ORIGINAL_DELIVER  # type: ignore[method-assign]
        native.takes_clean_delivery = told


def _exactly_the_class(app: object) -> bool:
    return type(app) is CloudEventsMiddleware


@contextmanager
def _kept() -> Iterator[tuple[list[Any], list[Any]]]:
    """The results reported to deliveries, and the package's log lines."""
    reports: list[Any] = []
    lines: list[Any] = []
    report = LambdaDelivery.report

    def keep_report(self: LambdaDelivery, result: Any) -> None:
        reports.append(
            (
                result.index,
                result.status,
                result.record_id,
                result.reason,
                result.ok,
                None if result.exc_info is None else result.exc_info[0].__name__,
            )
        )
        report(self, result)

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append((record.name, record.levelno, record.getMessage()))

    handler = Keep(logging.DEBUG)
    logger = logging.getLogger("cloudevents_wsgi")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    LambdaDelivery.report = keep_report  # type: ignore[method-assign]
    try:
        yield reports, lines
    finally:
        LambdaDelivery.report = report  # type: ignore[method-assign]
        logger.removeHandler(handler)
        logger.setLevel(level)


def _answer(call: Callable[[], Any]) -> Any:
    try:
        return ("answer", call())
    except Exception as exc:
        cause = exc.__cause__
        return (
            type(exc).__name__,
            str(exc),
            getattr(exc, "status", None),
            getattr(exc, "body", None),
            None if cause is None else type(cause).__name__,
        )


OPTIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "routes": {
        "event_path": "/ev",
        "routes": {"com.amazonaws.s3.*": "/hooks/s3", "*invocation": "/inv", "*": "/all"},
        "server_name": "example.org",
        "report_batch_item_failures": False,
        "text_types": (),
    },
}
APPS = ("ok", "raise", "400", "503", "mutate")


def _outcome(event: Any, kind: str, options: dict[str, Any], clean_allowed: bool) -> Any:
    app = App(kind)
    handler = make_lambda_handler(app, **options)
    with _deliveries(clean_allowed) as flags, _kept() as (reports, lines):
        answer = _answer(lambda: handler(copy.deepcopy(event), CONTEXT))
    return answer, app.seen, reports, lines, flags, app.environs


def _assert_same_as_scanned(event: Any) -> int:
    """The clean delivery answers, calls, reports and logs as the full scans
    did, with every app and option set; returns how many clean deliveries ran."""
    clean = 0
    for kind in APPS:
        for options in OPTIONS.values():
            short = _outcome(event, kind, options, True)
            long = _outcome(event, kind, options, False)
            assert short[:5] == long[:5], (kind, options)
            _assert_only_the_events_keys(short[5])
            clean += short[4].count(True)
    return clean


def _assert_only_the_events_keys(environs: list[dict[str, Any]]) -> None:
    """No header reaches the app but the binary-mode keys of its own event."""
    for environ in environs:
        if LAMBDA_DELIVERY not in environ:
            continue  # an HTTP event's request: its headers are the client's
        event = environ["cloudevent"]
        headers = {key for key in environ if key.startswith("HTTP_")}
        names = {key[8:].lower() for key in headers if key.startswith("HTTP_CE_")}
        assert "HTTP_CONTENT_TYPE" not in headers or environ.get("PATH_INFO") == "/changed"
        if environ.get("PATH_INFO") == "/changed":  # the mutating app's own keys, after its call
            headers -= {"HTTP_CE_SPOOF", "HTTP_CONTENT_TYPE"}
            names.discard("spoof")
        assert all(key.startswith("HTTP_CE_") for key in headers), headers
        if environ.get("CONTENT_TYPE") == "application/cloudevents+json":
            assert names == set()
        else:
            assert names == set(event._attributes) - {"datacontenttype"}


# -- 1. every sample event, each record of a batch alone ---------------------------


def _variants(path: Path) -> list[tuple[str, Any]]:
    data = load_fixture(path)
    variants: list[tuple[str, Any]] = [("whole", data)]
    if isinstance(data, dict) and isinstance(data.get("Records"), list):
        for index, record in enumerate(data["Records"][:4]):
            variants.append((f"record{index}", {**data, "Records": [record]}))
    if isinstance(data, list):
        for index, item in enumerate(data[:4]):
            variants.append((f"item{index}", item))
            variants.append((f"list-of-item{index}", [item]))
    if isinstance(data, dict) and isinstance(data.get("tests"), list):
        for index, test in enumerate(data["tests"][:8]):
            if isinstance(test, dict) and "event" in test:
                variants.append((f"test{index}", test["event"]))
    return variants


def _sample_params() -> list[Any]:
    paths = [
        p
        for provider in ("aws", "azure", "gcp", "cloudevents")
        for p in fixture_paths(provider, "**/*.json")
    ]
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared is not present"))]
    return [pytest.param(p, id=str(p.relative_to(FIXTURES))) for p in paths]


@pytest.mark.parametrize("path", _sample_params())
def test_every_sample_and_each_of_its_records_alone_gets_what_the_scans_gave(path: Path) -> None:
    for _, event in _variants(path):
        _assert_same_as_scanned(event)


def test_the_samples_take_the_clean_delivery() -> None:
    # The comparison above is empty if no sample takes the clean way: S3,
    # SNS, EventBridge, a stream record alone, Event Grid, Pub/Sub push do.
    paths = {
        "aws/s3/powertools-put.json": True,
        "aws/sns/go-notification.json": True,
        "aws/eventbridge/powertools-ec2-state-change.json": True,
        "aws/sqs/go-single-record.json": True,
        "gcp/pubsub-push/google-cloudevents-text.json": True,
        "aws/apigw-http-v2/rust-minimal.json": False,
    }
    found = [(name, FIXTURES / name) for name in paths if (FIXTURES / name).is_file()]
    if not found:
        pytest.skip("../shared is not present")
    for name, path in found:
        flags = _outcome(load_fixture(path), "ok", {}, True)[4]
        assert (flags == [True]) is paths[name], (name, flags)


# -- 2. synthetic events ------------------------------------------------------------


def s3_record(key: str = "k", **fields: Any) -> dict[str, Any]:
    """The linear-time tests' S3 record, ``fields`` set (``None``: removed)."""
    record = linear_s3_record(key)
    for name, value in fields.items():
        if value is None:
            record.pop(name, None)
        else:
            record[name] = value
    return record


def sns(message: str, **attributes: Any) -> dict[str, Any]:
    notification = {
        "Type": "Notification",
        "MessageId": "m-1",
        "TopicArn": "arn:aws:sns:us-east-1:1:t",
        "Message": message,
        "Timestamp": "2024-01-01T00:00:00.000Z",
        "MessageAttributes": attributes,
    }
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": notification}]}


def sqs(body: str, **attributes: Any) -> dict[str, Any]:
    record = {
        "messageId": "m-1",
        "receiptHandle": "r",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "messageAttributes": attributes,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
        "awsRegion": "us-east-1",
    }
    return {"Records": [record]}


def eventbridge(**fields: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": "e-1",
        "detail-type": "Thing Happened",
        "source": "my.app",
        "account": "123456789012",
        "time": "2024-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"a": 1},
    }
    event.update(fields)
    return event


_GRID = {
    "id": "g-1",
    "topic": "/subscriptions/x",
    "subject": "/s",
    "eventType": "My.Event",
    "eventTime": "2024-01-01T00:00:00Z",
    "data": {"a": 1},
    "dataVersion": "1",
    "metadataVersion": "1",
}
_SQS_CE_ATTRIBUTES = {
    "ce_id": {"stringValue": "1", "dataType": "String"},
    "ce_specversion": {"stringValue": "1.0", "dataType": "String"},
    "ce_type": {"stringValue": "t", "dataType": "String"},
    "ce_source": {"stringValue": "/s", "dataType": "String"},
    "content-type": {"stringValue": "text/plain", "dataType": "String"},
}


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


SYNTHETIC = {
    **{
        f"s3-key-{index}": {"Records": [s3_record(key)]}
        for index, key in enumerate(
            [
                "a%2Fb",
                "a+b",
                "caf%C3%A9",
                "%",
                "%zz",
                "\x00",
                "a\nb",
                "ключ",
                "a%00b",
                "%E2%80%8F",
                "x" * 5000,
                "",
                "HTTP_CE_ID",
                "a%0D%0Ace-id:%20x",
                "\ud800",
                "😀",
                "%25",
            ]
        )
    },
    "s3-two": {"Records": [s3_record("a"), s3_record("b")]},
    "s3-none": {"Records": []},
    "s3-no-time": {"Records": [s3_record(eventTime=None)]},
    "s3-bad-time": {"Records": [s3_record(eventTime="yesterday")]},
    "s3-name-bidi": {"Records": [s3_record(eventName="Object:\u202e")]},
    "s3-record-not-object": {"Records": [1]},
    "s3-test-event": {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2024-01-01T00:00:00.000Z",
        "Bucket": "b",
        "RequestId": "r",
        "HostId": "h",
    },
    "sns-text": sns("hello"),
    "sns-s3": sns(json.dumps({"Records": [s3_record("k")]})),
    "sns-cloudevent": sns(
        json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"})
    ),
    "sns-spoofing-attributes": sns(
        "m",
        ce_id={"Type": "String", "Value": "spoof"},
        **{"content-type": {"Type": "String", "Value": "text/x"}},
    ),
    "sns-surrogate": sns("\ud800"),
    "sqs-text": sqs("hi"),
    "sqs-s3": sqs(json.dumps({"Records": [s3_record("q")]})),
    "sqs-ce-attributes": sqs("x", **_SQS_CE_ATTRIBUTES),
    "sqs-large": sqs("y" * 300_000),
    "eventbridge": eventbridge(),
    "eventbridge-unicode": eventbridge(**{"detail-type": "Ünïcode ✓"}),
    "eventbridge-no-detail": {k: v for k, v in eventbridge().items() if k != "detail"},
    "eventbridge-spoofing-detail": eventbridge(
        detail={"HTTP_CE_ID": "x", "CONTENT_TYPE": "text/evil", "specversion": "1.0"}
    ),
    "eventgrid-one": _GRID,
    "eventgrid-list-of-one": [_GRID],
    "eventgrid-list-of-two": [_GRID, {**_GRID, "id": "g-2"}],
    "fallback-empty-object": {},
    "fallback-object": {"a": 1},
    "fallback-list": [1, 2],
    "fallback-empty-list": [],
    "fallback-zero": 0,
    "fallback-float": 1.5,
    "fallback-string": "str",
    "fallback-none": None,
    "fallback-true": True,
    "fallback-nested-63": _nested(63),
    "fallback-nested-64": _nested(64),
    "fallback-nested-200": _nested(200),
    "fallback-large": {"x": "y" * 1_100_000},
    "fallback-surrogate": {"s": "\ud800"},
    "fallback-nan": {"x": float("nan")},
    "fallback-spoofing-keys": {
        "HTTP_CE_ID": "spoof",
        "CONTENT_TYPE": "text/evil",
        "HTTP_CONTENT_TYPE": "x",
        "cloudevents_wsgi.lambda_delivery": 1,
    },
    "fallback-control-keys": {"\x00": "\x01\n\r"},
    "fallback-cloudevent": {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"},
    "fallback-specversion-not-text": {"specversion": 1},
}


@pytest.mark.parametrize("event", list(SYNTHETIC.values()), ids=list(SYNTHETIC))
def test_a_synthetic_event_gets_what_the_scans_gave(event: Any) -> None:
    _assert_same_as_scanned(event)


def test_the_synthetic_events_mostly_take_the_clean_delivery() -> None:
    clean = sum(_outcome(event, "ok", {}, True)[4].count(True) for event in SYNTHETIC.values())
    # All but the two payloads with a "specversion" key (structured: a body,
    # hence the WSGI round trip).
    assert clean == len(SYNTHETIC) - 2


_KEY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    | _KEY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEY_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=_KEY_TEXT, name=st.sampled_from(["ObjectCreated:Put", "ObjectRemoved:Delete"]))
def test_any_s3_key_gets_what_the_scans_gave(key: str, name: str) -> None:
    event = {"Records": [s3_record(key, eventName=name)]}
    for kind in ("ok", "mutate"):
        assert _outcome(event, kind, {}, True)[:5] == _outcome(event, kind, {}, False)[:5]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=_JSON)
def test_any_fallback_payload_gets_what_the_scans_gave(payload: Any) -> None:
    short = _outcome(payload, "ok", OPTIONS["routes"], True)
    assert short[:5] == _outcome(payload, "ok", OPTIONS["routes"], False)[:5]
    _assert_only_the_events_keys(short[5])


# -- 3. the environ a clean delivery starts from -------------------------------------


def test_what_an_app_writes_into_its_environ_never_reaches_the_next_event() -> None:
    app = App("mutate")
    handler = make_lambda_handler(app)
    event = {"Records": [s3_record("k")]}
    handler(copy.deepcopy(event), CONTEXT)
    handler(copy.deepcopy(event), CONTEXT)
    second = app.seen[1]
    assert "HTTP_CE_SPOOF" not in second and "HTTP_CONTENT_TYPE" not in second
    assert second["CONTENT_TYPE"] == ("str", "application/json")
    assert second["PATH_INFO"] == ("str", "/events")


def _options(**fields: Any) -> Options:
    given = {
        "event_path": "/events",
        "routes": None,
        "text_types": DEFAULT_TEXT_TYPES,
        "server_name": "localhost",
        "report_batch_item_failures": True,
    }
    return Options(**{**given, **fields})


def _post_environ(event: Any) -> dict[str, Any]:
    environ = native.post_environ(_options(), "/events", "application/json", b"", event, CONTEXT)
    environ[LAMBDA_DELIVERY] = LambdaDelivery(event)
    return environ


def test_the_shims_environ_holds_no_header_and_its_message_is_the_scanned_one() -> None:
    for event in SYNTHETIC.values():
        environ = _post_environ(event)
        assert not [key for key in environ if key.startswith("HTTP_")]
        scanned = request_message(environ)
        short = keys.headerless_message("POST", "/events", "application/json")
        assert short == scanned and dict(short.headers) == {"content-type": "application/json"}


class _Watching:
    """A user's adapter that keeps the request each payload came with."""

    name = "test.watching"

    def __init__(self) -> None:
        self.messages: list[tuple[Any, Any, dict[str, Any], Any]] = []

    def matches(self, payload: Any, message: Any) -> bool:
        self.messages.append((message.method, message.path, dict(message.headers), message.body))
        return isinstance(payload, dict) and payload.get("watched") is True

    def convert(self, payload: Any, message: Any) -> list[Any]:
        from cloudevents_wsgi.adapters.base import Converted

        attributes = {"id": "w", "source": "/w", "type": message.header("content-type")}
        return [Converted(CloudEvent(attributes, None), None)]


@pytest.mark.parametrize(
    "event",
    [{"watched": True}, {"Records": [s3_record("k")]}, {"a": 1}],
    ids=["user-adapter", "s3", "fallback"],
)
def test_a_users_adapter_sees_the_request_the_scans_gave_it(event: Any) -> None:
    seen = []
    for clean_allowed in (True, False):
        adapter, app = _Watching(), App()
        middleware = CloudEventsMiddleware(app, adapters=[adapter])
        with _deliveries(clean_allowed) as flags:
            answer = _answer(lambda app=middleware: native.handle(app, _options(), event, CONTEXT))
        assert flags == [True]
        seen.append((answer, adapter.messages, app.seen))
    assert seen[0] == seen[1]
    assert seen[0][1] == [("POST", "/events", {"content-type": "application/json"}, b"")]


@pytest.mark.parametrize(
    ("event", "flags"),
    [
        pytest.param({"Records": [s3_record("a")]}, [True], id="s3-one"),
        pytest.param({"Records": [s3_record("a"), s3_record("b")]}, [True], id="s3-two"),
        pytest.param({"a": 1}, [True], id="fallback"),
        pytest.param(sqs("x"), [True], id="sqs-one"),
        pytest.param({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}, [], id="ce"),
        pytest.param(
            {
                "Records": [],
                "window": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T00:01:00Z"},
                "state": {},
            },
            [False],
            id="tumbling-window-extra-key",
        ),
    ],
)
def test_only_the_shims_own_post_without_extra_keys_is_told_clean(
    event: Any, flags: list[bool]
) -> None:
    assert _outcome(event, "ok", {}, True)[4] == flags


def test_a_subclass_is_never_told_clean() -> None:
    class Mine(CloudEventsMiddleware):
        pass

    app = App()
    with _deliveries(True) as flags:
        native.handle(Mine(app), _options(), {"Records": [s3_record("k")]}, CONTEXT)
    assert flags == [False]
    assert app.seen[0]["HTTP_CE_SUBJECT"] == ("str", "k")


# -- 4. the callers not told clean ------------------------------------------------


def test_the_public_deliver_with_the_environ_alone_still_clears_stale_keys() -> None:
    app = App()
    environ = _post_environ({"Records": [s3_record("k")]})
    environ.update(HTTP_CE_STALE="x", HTTP_CONTENT_TYPE="text/evil", HTTP_X_TRACE="t")
    response = CloudEventsMiddleware(app).deliver(environ)
    assert response.code == 200
    (seen,) = app.seen
    assert "HTTP_CE_STALE" not in seen and "HTTP_CONTENT_TYPE" not in seen
    assert seen["HTTP_X_TRACE"] == ("str", "t")
    assert seen["HTTP_CE_ID"] == ("str", "R.H")


def test_deliver_told_clean_trusts_its_caller() -> None:
    # clean is the caller's promise, not checked: a stale key given with it
    # stays (only the shim's own post, whose environ is post_environ's, says it).
    app = App()
    environ = _post_environ({"Records": [s3_record("k")]})
    environ["HTTP_CE_STALE"] = "x"
    CloudEventsMiddleware(app).deliver(environ, True)
    assert app.seen[0]["HTTP_CE_STALE"] == ("str", "x")


def test_write_binary_with_its_default_arguments_still_clears_stale_keys() -> None:
    event = CloudEvent(
        {"id": "1", "source": "/s", "type": "t", "datacontenttype": "text/plain"}, "x"
    )
    environ = {
        "HTTP_CE_STALE": "x",
        "HTTP_CONTENT_TYPE": "a/b",
        "CONTENT_TYPE": "c/d",
        "HTTP_X": "y",
    }
    write_binary(environ, event)
    assert "HTTP_CE_STALE" not in environ and "HTTP_CONTENT_TYPE" not in environ
    assert environ["CONTENT_TYPE"] == "text/plain" and environ["HTTP_X"] == "y"
    told = {"HTTP_CE_STALE": "x", "HTTP_CONTENT_TYPE": "a/b", "CONTENT_TYPE": "c/d"}
    write_binary(told, event, None, True)
    assert told["HTTP_CE_STALE"] == "x" and told["HTTP_CONTENT_TYPE"] == "a/b"
    assert told["CONTENT_TYPE"] == "text/plain"


# -- 5. faults: behaviour of the code before the change ---------------------------


def _answering_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["cloudevent"].get_source().encode()]


@pytest.fixture
def fresh_messages() -> Iterator[None]:
    saved = dict(keys._HEADERLESS)
    keys._HEADERLESS.clear()
    yield
    keys._HEADERLESS.clear()
    keys._HEADERLESS.update(saved)


class _PathWithEq(str):
    """A str subclass defining __eq__ (Python then sets __hash__ to None)."""

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other)


class _CaseInsensitivePath(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and str.lower(self) == str.lower(other)

    def __hash__(self) -> int:
        return hash(str.lower(self))


@pytest.mark.parametrize("event", [{"Records": [s3_record("k")]}, {"a": 1}], ids=["s3", "fallback"])
def test_an_event_path_of_a_str_subclass_with_eq_is_delivered(
    event: Any, fresh_messages: None
) -> None:
    # check_path accepts any str subclass; request_message asked the types
    # and built the Message; headerless_message raises TypeError: unhashable.
    handler = make_lambda_handler(_answering_app, event_path=_PathWithEq("/events"))
    answer = handler(event, CONTEXT)
    assert answer is not None


def test_a_path_equal_to_another_does_not_lend_it_its_message(fresh_messages: None) -> None:
    push = {
        "subscription": "projects/p/subscriptions/s",
        "message": {"messageId": "1", "data": "eA=="},
    }
    first = make_lambda_handler(
        _answering_app, event_path=_CaseInsensitivePath("/projects/P/topics/A")
    )
    second = make_lambda_handler(_answering_app, event_path="/projects/p/topics/a")
    assert first(dict(push), CONTEXT)["body"] == "//pubsub.googleapis.com/projects/P/topics/A"
    # The Pub/Sub adapter reads the topic from the request path: the second
    # handler's own path, not the first one's remembered Message.
    assert second(dict(push), CONTEXT)["body"] == "//pubsub.googleapis.com/projects/p/topics/a"


def test_a_subclass_event_environ_with_the_old_signature_still_runs() -> None:
    class Old(CloudEventsMiddleware):
        def _event_environ(  # type: ignore[override]
            self, environ: Any, item: Any, content_mode: str, body: Any = None, adapter: Any = None
        ) -> dict[str, Any]:
            return super()._event_environ(environ, item, content_mode, body, adapter)

    answer = native.handle(Old(_answering_app), _options(), {"Records": [s3_record("k")]}, CONTEXT)
    assert answer["statusCode"] == 200


def test_deliver_replaced_on_the_class_with_the_old_signature_still_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def deliver(self: CloudEventsMiddleware, environ: Any) -> Any:
        seen.append(environ["PATH_INFO"])
        return _ORIGINAL_DELIVER(self, environ)

    monkeypatch.setattr(CloudEventsMiddleware, "deliver", deliver)
    answer = make_lambda_handler(_answering_app)({"Records": [s3_record("k")]}, CONTEXT)
    assert answer["statusCode"] == 200 and seen == ["/events"]


def test_write_binary_wrapped_with_the_old_signature_still_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def wrapped(environ: dict[str, Any], event: CloudEvent, body: bytes | None = None) -> None:
        write_binary(environ, event, body)

    monkeypatch.setattr(keys, "write_binary", wrapped)
    answer = make_lambda_handler(_answering_app)({"Records": [s3_record("k")]}, CONTEXT)
    assert answer["statusCode"] == 200


# -- 6. cost: n and 4n, ratios only --------------------------------------------------


def _ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]


# The shim's own middleware class (told clean), without a body limit that a
# large n would reach (the 4n input refused would make the ratio meaningless).
_UNLIMITED = CloudEventsMiddleware(_ok, max_body_size=1 << 40)


def _invoke(event: Any) -> object:
    with _deliveries(True) as flags:
        answer = native.handle(_UNLIMITED, _options(), event, CONTEXT)
    assert flags == [True]  # and the app answered 2xx: else EventFailedError
    return answer


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda n: {"Records": [s3_record("%2F+é" * n)]}, id="s3-key"),
        pytest.param(lambda n: {f"k{i}": i for i in range(n)}, id="fallback-keys"),
        pytest.param(lambda n: eventbridge(**{"detail-type": "T" * n}), id="eventbridge-type"),
        pytest.param(lambda n: sqs("b" * n), id="sqs-one-body"),
    ],
)
def test_the_clean_delivery_is_linear(make: Callable[[int], Any]) -> None:
    assert_linear(_invoke, make)


def _write_many_extensions(n: int) -> tuple[dict[str, Any], CloudEvent]:
    attributes = {"id": "1", "source": "/s", "type": "t", "datacontenttype": "text/plain"}
    fresh = next(FRESH)
    attributes.update({f"x{fresh}e{i}": "v" for i in range(n)})
    return _post_environ({}), CloudEvent(attributes, "x")


def test_write_binary_clean_is_linear_in_the_attributes() -> None:
    assert_linear(
        lambda value: write_binary(value[0], value[1], None, True), _write_many_extensions, 200
    )


def test_headerless_message_is_linear_in_the_path() -> None:
    assert_linear(
        lambda path: keys.headerless_message("POST", path, "application/json"),
        lambda n: f"/{next(FRESH)}" + "p" * n,
    )
