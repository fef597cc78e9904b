"""Issue 13, twelfth round: the Lambda shim's own ``POST`` of a native event
skips the two scans of its environ's keys (request_message's header scan,
write_binary's clearing of CloudEvents keys), because the shim made that
environ and knows it holds no header and no CloudEvents key. Each test
checks the short way against the long way it replaces.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import make_lambda_handler, native
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import (
    LAMBDA_DELIVERY,
    headerless_message,
    request_message,
    write_binary,
)

from .builders import http_api_event
from .conftest import fixture_paths, load_fixture
from .lambda_apps import CONTEXT, Recorder
from .test_attacks_speed_linear import s3_record
from .test_speed_round9 import _options

_ORIGINAL_DELIVER = CloudEventsMiddleware.deliver


def _exactly_the_class(app: object) -> bool:
    """takes_clean_delivery, but for the deliver replaced by a test's spy."""
    return type(app) is CloudEventsMiddleware


def _sample_paths() -> list[Any]:
    """Every sample event of ../shared (each kind of every provider), or a
    skipping placeholder when it is absent."""
    paths = [
        path
        for provider in ("aws", "azure", "gcp", "cloudevents")
        for path in fixture_paths(provider, "**/*.json")
    ]
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared is not present"))]
    return [pytest.param(p, id=f"{p.parent.name}/{p.stem}") for p in paths]


def _comparable(environ: dict[str, Any]) -> dict[str, Any]:
    """An environ the app saw, its objects replaced by what they hold."""
    seen = dict(environ)
    seen.pop("wsgi.input")
    seen.pop("wsgi.errors")
    delivery = seen.pop(LAMBDA_DELIVERY, None)
    seen["delivery"] = None if delivery is None else type(delivery).__name__
    for key, value in seen.items():
        if type(value).__eq__ is object.__eq__:  # a window, a context: by what it holds
            seen[key] = repr(value)
    return seen


def _outcome(event: Any, clean_allowed: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    """What the shim answers ``event``, what its app saw and what it logged,
    with the shim's clean delivery allowed or turned into the full scans."""
    calls: list[bool] = []

    def deliver(self: CloudEventsMiddleware, environ: Any, clean: bool = False) -> Any:
        calls.append(clean)
        return _ORIGINAL_DELIVER(self, environ, clean and clean_allowed)

    app = Recorder(status="200 OK", headers=[("Content-Type", "text/plain")], body=b"done")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("cloudevents_wsgi")
    keep = Keep(logging.DEBUG)
    logger.addHandler(keep)
    # The spy forwards clean: the shim may tell it as it tells the class's own
    # deliver (takes_clean_delivery refuses any replaced deliver).
    monkeypatch.setattr(native, "takes_clean_delivery", _exactly_the_class)
    monkeypatch.setattr(CloudEventsMiddleware, "deliver", deliver)
    try:
        try:
            answer: Any = make_lambda_handler(app)(event, CONTEXT)
        except Exception as exc:  # the shim's failure, compared as such
            answer = (type(exc).__name__, getattr(exc, "status", None), getattr(exc, "body", None))
    finally:
        monkeypatch.setattr(CloudEventsMiddleware, "deliver", _ORIGINAL_DELIVER)
        logger.removeHandler(keep)
    return (
        answer,
        [_comparable(environ) for environ in app.environs],
        [(r.levelno, r.getMessage()) for r in records],
        calls,
    )


@pytest.mark.parametrize("path", _sample_paths())
def test_the_clean_delivery_gives_what_the_full_scans_gave_on_every_sample(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load_fixture(path)
    short = _outcome(event, True, monkeypatch)
    long = _outcome(event, False, monkeypatch)
    assert short[:3] == long[:3]
    assert short[3] == long[3]  # the same deliveries, the same clean flags asked


def test_an_s3_notification_takes_the_clean_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without ../shared too: the comparison above would be empty if no sample
    # ever took the clean way.
    record = s3_record("New+File%21.jpg")
    short = _outcome({"Records": [record]}, True, monkeypatch)
    long = _outcome({"Records": [record]}, False, monkeypatch)
    assert short[3] == [True]
    assert short[:3] == long[:3]
    (seen,) = short[1]
    assert seen["HTTP_CE_SUBJECT"] == "New%20File!.jpg"  # the key decoded, then header-encoded
    assert seen["CONTENT_TYPE"] == "application/json"
    assert "HTTP_CONTENT_TYPE" not in seen


def test_an_http_event_never_reaches_deliver(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _outcome(http_api_event(), True, monkeypatch)[3] == []


# -- the pieces --------------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)


@given(method=_TEXT, path=_TEXT, content_type=st.none() | _TEXT)
def test_headerless_message_is_request_message_of_an_environ_without_headers(
    method: str, path: str, content_type: str | None
) -> None:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "wsgi.input": io.BytesIO(b""),
        LAMBDA_DELIVERY: None,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    expected = request_message(environ)
    got = headerless_message(method, path, content_type)
    assert got == expected
    assert dict(got.headers) == dict(expected.headers)


def _post_environ(event: Any) -> dict[str, Any]:
    environ = native.post_environ(_options(), "/events", "application/json", b"", event, CONTEXT)
    environ[LAMBDA_DELIVERY] = LambdaDelivery(event)
    return environ


def _written(environ: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    body = environ["wsgi.input"].read()
    return _comparable(environ), body


_REQUIRED = {"id": "1", "source": "/s", "type": "t"}


@pytest.mark.parametrize(
    "event",
    [
        CloudEvent(_REQUIRED, {"a": 1}),
        CloudEvent({**_REQUIRED, "datacontenttype": "text/plain"}, "x"),
        CloudEvent({**_REQUIRED, "subject": "a b%"}, b"\x00\xff"),
        CloudEvent({**_REQUIRED, "datacontenttype": "application/json"}),
        CloudEvent({**_REQUIRED, "ext": 5, "time": "2024-01-01T00:00:00Z"}),
    ],
    ids=["json-untyped", "text", "bytes-subject", "json-no-data", "extension-time"],
)
def test_write_binary_clean_writes_what_the_scan_wrote(event: CloudEvent) -> None:
    scanned, clean = _post_environ({}), _post_environ({})
    write_binary(scanned, event)
    write_binary(clean, event, None, True)
    assert _written(clean) == _written(scanned)


def _s3_notification() -> dict[str, Any]:
    return {"Records": [s3_record("k")]}


def test_a_subclass_deliver_that_takes_the_environ_alone_still_gets_the_shims_post() -> None:
    seen: list[str] = []

    class Mine(CloudEventsMiddleware):
        def deliver(self, environ: Any) -> Any:  # type: ignore[override]
            seen.append(environ["PATH_INFO"])
            return super().deliver(environ)

    app = Recorder()
    delivery = LambdaDelivery(_s3_notification())
    response = native.post(Mine(app), _options(), delivery, CONTEXT)
    assert response.code == 200
    assert seen == ["/events"]
    assert app.environ["cloudevent"].get_type() == "com.amazonaws.s3.ObjectCreated:Put"


@pytest.fixture
def deliveries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    calls: list[bool] = []

    def deliver(self: CloudEventsMiddleware, environ: Any, clean: bool = False) -> Any:
        calls.append(clean)
        return _ORIGINAL_DELIVER(self, environ, clean)

    monkeypatch.setattr(native, "takes_clean_delivery", _exactly_the_class)
    monkeypatch.setattr(CloudEventsMiddleware, "deliver", deliver)
    yield calls


def test_extra_environ_keys_turn_the_scans_back_on(deliveries: list[bool]) -> None:
    # A caller's extra keys (tumbling windows add theirs) may be anything: a
    # stale ce- key is still cleared, and a header still reaches the adapters.
    app = Recorder()
    middleware = CloudEventsMiddleware(app)
    extra = {"HTTP_CE_SPOOFED": "x", "HTTP_X_TRACE": "t"}
    response = native.post(
        middleware, _options(), LambdaDelivery(_s3_notification()), CONTEXT, extra
    )
    assert response.code == 200
    assert deliveries == [False]
    assert "HTTP_CE_SPOOFED" not in app.environ
    assert app.environ["HTTP_X_TRACE"] == "t"
    assert app.environ["HTTP_CE_ID"] == "R.H"


def test_the_shims_own_middleware_is_told_its_environ_is_clean(deliveries: list[bool]) -> None:
    app = Recorder()
    response = native.post(
        CloudEventsMiddleware(app), _options(), LambdaDelivery(_s3_notification()), CONTEXT
    )
    assert response.code == 200
    assert deliveries == [True]


def test_only_the_class_as_defined_takes_the_clean_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cloudevents_wsgi import environ as keys
    from cloudevents_wsgi.middleware import takes_clean_delivery

    class Mine(CloudEventsMiddleware):
        pass

    app = CloudEventsMiddleware(Recorder())
    assert takes_clean_delivery(app)
    assert not takes_clean_delivery(Mine(Recorder()))
    assert not takes_clean_delivery(Recorder())
    for owner, name in (
        (CloudEventsMiddleware, "deliver"),
        (CloudEventsMiddleware, "_event_environ"),
        (app, "deliver"),
        (app, "_event_environ"),
    ):
        original = getattr(owner, name)
        with monkeypatch.context() as patch:
            patch.setattr(owner, name, lambda *args, f=original: f(*args))
            assert not takes_clean_delivery(app), (owner, name)
        assert takes_clean_delivery(app)
    # The module functions are checked where they are called: replaced, the
    # replacement is called with the arguments it always took.
    calls: list[int] = []

    def old_write_binary(environ: Any, event: CloudEvent, body: Any = None) -> None:
        calls.append(1)
        write_binary(environ, event, body)

    monkeypatch.setattr(keys, "write_binary", old_write_binary)
    assert takes_clean_delivery(app)
    response = native.post(app, _options(), LambdaDelivery(_s3_notification()), CONTEXT)
    assert response.code == 200 and calls == [1]
