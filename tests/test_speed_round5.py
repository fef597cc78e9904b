"""Issue 13, fifth round: what the S3-through-the-shim path now takes as told
instead of finding again gives what finding it gave.

- ``environ.request_message``: one remembered Message for requests with no
  header but Content-Type (the shim's POST), equal to the one built each time;
- ``spec.parse_usual_timestamp``: parse_timestamp's value and the spelling
  check timestamp_text makes;
- ``CloudEvent._checked(plain=True)``: the binary-mode writer's headers are
  those it wrote after checking each value.
"""

from __future__ import annotations

import io
import sys
from datetime import datetime
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_wsgi import InvalidEventError, Message, spec
from cloudevents_wsgi import environ as keys
from cloudevents_wsgi.adapters import aws_s3
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.aws_lambda.options import Options
from cloudevents_wsgi.cli import load_sample
from cloudevents_wsgi.event import CloudEvent
from cloudevents_wsgi.writer import write_headers

# The shim's options as make_lambda_handler makes them by default.
OPTIONS = Options(
    event_path="/",
    routes=None,
    text_types=("text/plain",),
    server_name="lambda",
    report_batch_item_failures=True,
)


def _shim_environ(**extra: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "lambda",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "https",
    }
    environ.update(extra)
    return environ


def _built(environ: dict[str, Any]) -> Message:
    return Message(
        environ.get("REQUEST_METHOD", "POST"),
        environ.get("PATH_INFO", "/"),
        keys.request_headers(environ),
    )


@pytest.fixture(autouse=True)
def _fresh_messages() -> Any:
    saved = dict(keys._HEADERLESS)
    keys._HEADERLESS.clear()
    yield
    keys._HEADERLESS.clear()
    keys._HEADERLESS.update(saved)


def test_a_headerless_request_gets_one_remembered_read_only_message() -> None:
    environ = _shim_environ()
    first = keys.request_message(environ)  # may learn the keys first
    second = keys.request_message(_shim_environ())
    assert first == second == _built(environ)
    assert keys.request_message(_shim_environ()) is keys.request_message(_shim_environ())
    assert dict(second.headers) == {"content-type": "application/json"}
    assert isinstance(second.headers, MappingProxyType)
    with pytest.raises(TypeError):
        second.headers["x-injected"] = "1"  # type: ignore[index]


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification"},
        {"HTTP_AEG_EVENT_TYPE": "Notification"},
        {"HTTP_CONTENT_TYPE": "text/plain"},
        {"HTTP_X": ""},
        {"HTTP_CE_ID": "1"},
    ],
)
def test_a_request_with_a_header_gets_its_headers(extra: dict[str, str]) -> None:
    keys.request_message(_shim_environ())
    remembered = keys.request_message(_shim_environ())
    environ = _shim_environ(**extra)
    message = keys.request_message(environ)
    assert message == _built(environ)
    assert message is not remembered and not isinstance(message.headers, MappingProxyType)
    assert keys.request_message(_shim_environ()) is remembered


@pytest.mark.parametrize(
    "extra",
    [
        {"REQUEST_METHOD": "PUT"},
        {"PATH_INFO": "/hooks/s3"},
        {"CONTENT_TYPE": "application/cloudevents+json"},
        {"CONTENT_TYPE": ""},
    ],
)
def test_method_path_and_content_type_each_their_own_message(extra: dict[str, str]) -> None:
    plain = keys.request_message(_shim_environ())
    environ = _shim_environ(**extra)
    message = keys.request_message(environ)
    assert message == _built(environ)
    assert message != plain
    assert keys.request_message(_shim_environ()) == plain


def test_no_content_type_is_no_header() -> None:
    environ = _shim_environ()
    del environ["CONTENT_TYPE"]
    keys.request_message(environ)
    assert keys.request_message(environ) == _built(environ)
    assert dict(keys.request_message(environ).headers) == {}


class _Text(str):
    pass


@pytest.mark.parametrize(
    "extra",
    [
        {"REQUEST_METHOD": _Text("POST")},
        {"PATH_INFO": _Text("/")},
        {"CONTENT_TYPE": _Text("application/json")},
        {"PATH_INFO": "/" + "p" * (spec.CACHED_LENGTH + 1)},
    ],
)
def test_what_is_not_plain_short_text_is_answered_but_not_remembered(
    extra: dict[str, str],
) -> None:
    environ = _shim_environ(**extra)
    keys.request_message(environ)
    assert keys.request_message(environ) == _built(environ)
    assert keys._HEADERLESS == {}


def test_the_remembered_messages_are_bounded() -> None:
    for index in range(keys._MESSAGES_MAX + 20):
        environ = _shim_environ(PATH_INFO=f"/p{index}")
        keys.request_message(environ)
        assert keys.request_message(environ) == _built(environ)
    assert len(keys._HEADERLESS) == keys._MESSAGES_MAX


def _sns_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["cloudevents_wsgi.adapter"].encode()]


def test_the_shim_with_extra_headers_gives_the_adapters_those_headers() -> None:
    # Nested use (environ= of native.handle) may add header keys: never the
    # remembered headerless Message then.
    from cloudevents_wsgi.aws_lambda import native
    from cloudevents_wsgi.middleware import CloudEventsMiddleware

    seen: list[Message] = []

    class Spy:
        name = "spy"

        def matches(self, payload: Any, message: Message) -> bool:
            seen.append(message)
            return False

        def convert(self, payload: Any, message: Message) -> list[Any]:
            raise AssertionError

    app = CloudEventsMiddleware(_sns_app, adapters=[Spy()])
    event = load_sample("s3-object-created")
    for extra in (None, {"HTTP_X_TRACE": "abc"}, None):
        native.handle(app, OPTIONS, event, None, environ=extra)
    assert [dict(m.headers) for m in seen] == [
        {"content-type": "application/json"},
        {"x-trace": "abc", "content-type": "application/json"},
        {"content-type": "application/json"},
    ]


# -- spec.parse_usual_timestamp -----------------------------------------------------

TIMES = [
    "1970-01-01T00:00:00.000Z",
    "2024-05-01T10:00:00Z",
    "2024-06-30T23:59:60Z",
    "2024-06-30T15:59:60-08:00",
    "2024-06-30T23:59:60z",
    "2024-01-01t00:00:00z",
    "2024-01-01T00:00:00+23:59",
    "2024-01-01T00:00:00+24:00",
    "2024-01-01T00:00:00.123456789Z",
    "2024-01-01T00:00:00.1234567890123Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01 00:00:00Z",
    "2024-01-01T00:00:00",
    "",
    "\uff12\uff10\uff12\uff14-01-01T00:00:00Z",
    1700000000,
    None,
    _Text("2024-05-01T10:00:00Z"),
]


def _parsed(call: Any, value: Any) -> Any:
    try:
        return call("time", value)
    except InvalidEventError as error:
        return ("refused", error.field, error.reason)


def _check_usual(value: Any) -> None:
    expected = _parsed(spec.parse_timestamp, value)
    got = _parsed(spec.parse_usual_timestamp, value)
    if isinstance(expected, tuple):
        assert got == expected
        return
    parsed, usual = got
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()
    assert isinstance(parsed, datetime)
    # Usual: timestamp_text gives the text back as it is.
    assert usual == (type(value) is str and spec.timestamp_text(value) == value)


@pytest.mark.parametrize("value", TIMES)
def test_parse_usual_timestamp_is_parse_timestamp_and_the_spelling_check(value: Any) -> None:
    _check_usual(value)


@given(
    st.from_regex(
        r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,12})?"
        r"([Zz]|[+-][0-9]{2}:[0-9]{2})?\Z"
    )
    | st.text(max_size=35)
)
def test_parse_usual_timestamp_agrees_on_generated_text(value: str) -> None:
    _check_usual(value)


# -- the header-plain mark ------------------------------------------------------------


def _s3_record(key: str, request_id: str = "R", time: str | None = None) -> dict[str, Any]:
    record = load_sample("s3-object-created")["Records"][0]
    record["s3"]["object"]["key"] = key
    record["responseElements"]["x-amz-request-id"] = request_id
    if time is not None:
        record["eventTime"] = time
    return record


def _generic_headers(event: CloudEvent) -> dict[str, str]:
    unmarked = CloudEvent._checked(dict(event._attributes), event._data, event._time_text)
    headers: dict[str, str] = {}
    write_headers(unmarked, headers, "ce-".__add__)
    return headers


@pytest.mark.parametrize(
    ("key", "request_id", "time", "plain"),
    [
        ("books/moby-dick.epub", "R", None, True),
        ("a+b", "R", None, False),  # a space in the subject
        ("a%22b", "R", None, False),  # '"'
        ("a%2525", "R", None, False),  # '%'
        ("k", "R%", None, False),
        ("k", 'R"', None, False),
        ("k", "R", "2024-01-01t00:00:00z", False),  # not the usual spelling
        ("k", "R", "2024-06-30T23:59:60Z", True),
        ("k", "R", "2024-05-01T10:00:00.123456789Z", True),
    ],
)
def test_the_s3_adapter_marks_plain_only_what_the_writer_would_write_as_it_is(
    key: str, request_id: str, time: str | None, plain: bool
) -> None:
    event = aws_s3._record(_s3_record(key, request_id, time), 0).event
    assert event._plain is plain
    headers: dict[str, str] = {}
    write_headers(event, headers, "ce-".__add__)
    assert headers == _generic_headers(event)


def test_the_time_header_is_s3s_text() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("204 No Content", [])
        return []

    event = load_sample("s3-object-created")
    make_lambda_handler(app)(event, None)
    assert seen["HTTP_CE_TIME"] == event["Records"][0]["eventTime"]
    assert seen["cloudevent"].get_time() == datetime.fromisoformat("2024-05-01T10:00:00+00:00")


def test_an_event_made_by_the_constructor_is_never_marked() -> None:
    event = CloudEvent({"id": "1", "source": "s", "type": "t", "subject": "a b"})
    assert event._plain is False
    headers: dict[str, str] = {}
    write_headers(event, headers, "ce-".__add__)
    assert headers["ce-subject"] == "a%20b"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="fromisoformat's RFC 3339 is 3.11's")
def test_the_fast_path_of_parse_usual_timestamp_is_fromisoformat() -> None:
    assert spec.parse_usual_timestamp("time", "2024-05-01T10:00:00.5Z") == (
        datetime.fromisoformat("2024-05-01T10:00:00.5+00:00"),
        True,
    )
