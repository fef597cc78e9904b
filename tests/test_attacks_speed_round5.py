"""Attacks on the fifth speed round (issue 13) before it is called done.

What the round takes as told instead of finding again (the S3 adapter's
header-plain mark and kept eventTime text, the remembered headerless Message
of ``environ.request_message``, built-in adapters asked at once once imported)
against what finding it gave; and the time texts, records and environs that
reach those paths.
"""

from __future__ import annotations

import copy
import io
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import (
    CloudEventsMiddleware,
    InvalidEventError,
    Message,
    detect,
    from_http,
    spec,
    to_http,
)
from cloudevents_wsgi import environ as keys
from cloudevents_wsgi.adapters import _aws, aws_s3
from cloudevents_wsgi.aws_lambda import make_lambda_handler, native
from cloudevents_wsgi.aws_lambda.errors import EventFailedError
from cloudevents_wsgi.cli import load_sample, main
from cloudevents_wsgi.event import CloudEvent
from cloudevents_wsgi.writer import binary_data, write_headers

from .test_adapters_exclusive import JSON, SHAPED
from .test_linear_time import assert_linear
from .test_speed_round5 import OPTIONS, _built, _shim_environ

FRESH = count()
NO_HEADERS = Message()


class _Str(str):
    pass


def _s3_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def _s3_record(**changes: Any) -> dict[str, Any]:
    """The sample's record, with ``changes`` at dotted paths (``s3.object.key``)."""
    record: dict[str, Any] = load_sample("s3-object-created")["Records"][0]
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = record
        for name in parents:
            target = target[name]
        if value is _ABSENT:
            target.pop(last, None)
        else:
            target[last] = value
    return record


_ABSENT = object()


def _generic_headers(event: CloudEvent) -> dict[str, str]:
    """The headers the writer gives the same event when not told it is plain."""
    unmarked = CloudEvent._checked(dict(event._attributes), event._data, event._time_text)
    headers: dict[str, str] = {}
    write_headers(unmarked, headers, "ce-".__add__)
    return headers


def _headers(event: CloudEvent) -> dict[str, str]:
    headers: dict[str, str] = {}
    write_headers(event, headers, "ce-".__add__)
    return headers


def _seen_by_app() -> tuple[list[dict[str, Any]], Callable[..., list[bytes]]]:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        seen.append({**environ, "body": body})
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return seen, app


def _environ_message(environ: dict[str, Any]) -> Message:
    """The request the app got, as an HTTP client would send it on."""
    return Message(
        environ["REQUEST_METHOD"],
        environ["PATH_INFO"],
        keys.request_headers(environ),
        environ["body"],
    )


# == faults ==========================================================================

# -- 1. a leap second at the ends of datetime's range: OverflowError escaped ---------
#
# spec._leap_second turned the moment into UTC before asking whether it had to:
# "0001-01-01T00:00:60+01:00" (UTC: year 0) and "9999-12-31T23:59:60-01:00"
# (UTC: year 10000) raised OverflowError, not InvalidEventError, out of
# parse_timestamp: a ce-time header crashed the middleware's request (500 from
# the server), an S3 eventTime was "could not be converted (OverflowError)"
# rather than a refusal naming Records[i].eventTime.

RANGE_END_LEAPS = [
    # (text, the datetime it is taken as, or None: refused)
    ("9999-12-31T23:59:60-01:00", "9999-12-31T23:59:59.999999-01:00"),  # 23:59 local
    ("9999-12-31T23:59:60-00:30", "9999-12-31T23:59:59.999999-00:30"),
    ("0001-01-01T23:59:60+23:59", "0001-01-01T23:59:59.999999+23:59"),  # 23:59 local
    ("0001-01-01T00:00:60+01:00", None),  # UTC 0000-12-31T23:59:60: no such year
    ("0001-01-01T00:59:60+01:00", None),
    ("0001-01-01T00:00:60+00:01", None),
    ("9999-12-31T22:59:60-01:00", "9999-12-31T22:59:59.999999-01:00"),  # 23:59 UTC
]


@pytest.mark.parametrize(("text", "taken"), RANGE_END_LEAPS)
def test_a_leap_second_at_the_ends_of_the_range_never_overflows(
    text: str, taken: str | None
) -> None:
    for parse in (spec.parse_timestamp, lambda f, v: spec.parse_usual_timestamp(f, v)[0]):
        if taken is None:
            with pytest.raises(InvalidEventError) as caught:
                parse("time", text)
            assert caught.value.field == "time"
        else:
            parsed = parse("time", text)
            assert parsed == datetime.fromisoformat(taken)
            assert parsed.utcoffset() == datetime.fromisoformat(taken).utcoffset()


@pytest.mark.parametrize(("text", "taken"), RANGE_END_LEAPS)
def test_a_ce_time_at_the_ends_of_the_range_is_answered_not_raised(
    text: str, taken: str | None
) -> None:
    seen, app = _seen_by_app()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "text/plain",
        "HTTP_CE_SPECVERSION": "1.0",
        "HTTP_CE_ID": "1",
        "HTTP_CE_SOURCE": "/s",
        "HTTP_CE_TYPE": "t",
        "HTTP_CE_TIME": text,
        "CONTENT_LENGTH": "1",
        "wsgi.input": io.BytesIO(b"x"),
    }
    statuses: list[str] = []
    body = b"".join(
        CloudEventsMiddleware(app)(
            environ, lambda status, headers, exc=None: statuses.append(status)
        )
    )
    if taken is None:
        assert statuses == ["400 Bad Request"] and not seen
        assert b"time" in body
    else:
        assert statuses == ["200 OK"]
        assert seen[0]["cloudevent"].get_time() == datetime.fromisoformat(taken)
        assert seen[0]["HTTP_CE_TIME"] == text


@pytest.mark.parametrize(("text", "taken"), RANGE_END_LEAPS)
def test_an_s3_event_time_at_the_ends_of_the_range_in_the_middle_of_a_notification(
    text: str, taken: str | None
) -> None:
    payload = _s3_event(_s3_record(), _s3_record(eventTime=text), _s3_record())
    if taken is None:
        with pytest.raises(InvalidEventError) as caught:
            aws_s3.ADAPTER.convert(payload, NO_HEADERS)
        assert caught.value.field == "Records[1].eventTime"
        seen, app = _seen_by_app()
        with pytest.raises(EventFailedError) as failed:
            make_lambda_handler(app)(payload, None)
        assert failed.value.status == 400 and not seen
        assert "OverflowError" not in str(failed.value)
    else:
        converted = aws_s3.ADAPTER.convert(payload, NO_HEADERS)
        assert [c.event.get_time() for c in converted][1] == datetime.fromisoformat(taken)
        assert _headers(converted[1].event)["ce-time"] == text


# -- 2. a str subclass time read through its own methods ------------------------------
#
# _parse_timestamp vetted a str subclass's characters with the expression, then
# gave datetime.fromisoformat ``value.upper()`` (and asked ``"t" in value``):
# the subclass's own methods, which may say another moment than its characters.
# The S3 fast path takes eventTime of any type to parse_usual_timestamp.


class _LyingTime(str):
    def upper(self) -> str:  # type: ignore[override]
        return "2030-01-01T00:00:00Z"

    def __contains__(self, other: object) -> bool:
        return True


def test_a_str_subclass_timestamp_is_read_by_its_characters() -> None:
    text = _LyingTime("2024-01-01t00:00:00z")
    expected = datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    assert spec.parse_timestamp("time", text) == expected
    assert spec.parse_usual_timestamp("time", text) == (expected, False)
    assert CloudEvent({"id": "1", "source": "s", "type": "t", "time": text}).get_time() == expected
    event = aws_s3._record(_s3_record(eventTime=text), 0).event
    assert event.get_time() == expected
    assert event._plain is False
    assert _headers(event)["ce-time"] == "2024-01-01T00:00:00Z" == event.time_text()


# -- 3. request_message answered another request's remembered Message ----------------
#
# The remembered headerless Message was looked up by (method, path, content
# type) before their types were asked: a str subclass equal (by its __eq__ and
# __hash__) to another request's method got that request's Message, and an
# unhashable value raised TypeError where the built Message was answered.


class _EqualToAll(str):
    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return hash(str.__str__(self).replace("DELETE", "POST").replace("/other", "/"))


@pytest.fixture
def _fresh_messages() -> Iterator[None]:
    saved = dict(keys._HEADERLESS)
    keys._HEADERLESS.clear()
    yield
    keys._HEADERLESS.clear()
    keys._HEADERLESS.update(saved)


def _characters(message: Message) -> tuple[Any, ...]:
    """What a message says, by the characters of its strings."""

    def text(value: Any) -> Any:
        return str.__str__(value) if isinstance(value, str) else value

    return (
        text(message.method),
        text(message.path),
        {text(k): text(v) for k, v in message.headers.items()},
        message.body,
    )


@pytest.mark.usefixtures("_fresh_messages")
@pytest.mark.parametrize(
    "extra",
    [
        {"REQUEST_METHOD": _EqualToAll("DELETE")},
        {"PATH_INFO": _EqualToAll("/other")},
        {"CONTENT_TYPE": _EqualToAll("application/json")},
    ],
)
def test_a_lookalike_key_never_gets_another_request_s_message(extra: dict[str, Any]) -> None:
    keys.request_message(_shim_environ())
    remembered = keys.request_message(_shim_environ())
    environ = _shim_environ(**extra)
    message = keys.request_message(environ)
    assert message is not remembered
    assert _characters(message) == _characters(_built(environ))


@pytest.mark.usefixtures("_fresh_messages")
@pytest.mark.parametrize(
    "extra",
    [{"PATH_INFO": ["/"]}, {"CONTENT_TYPE": {"a": "b"}}, {"REQUEST_METHOD": ["POST"]}],
)
def test_an_unhashable_value_is_answered_as_built(extra: dict[str, Any]) -> None:
    keys.request_message(_shim_environ())
    environ = _shim_environ(**extra)
    assert keys.request_message(environ) == _built(environ)
    assert keys._HEADERLESS.keys() == {("POST", "/", "application/json")}


# -- 4. a source no URI can hold named "source", not the record's field -------------
#
# _checked_record (and _test_event) made the source with _aws.source_reference
# outside _aws.event, whose paths name the native field: a bucket name or
# region with a lone surrogate (a JSON "\ud800" escape) was refused as
# "source", without the record's index, in the middle of a notification.


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"s3__bucket__name": "b\ud800"}, "Records[1].s3.bucket.name"),
        ({"s3__bucket__name": _Str("b\ud800")}, "Records[1].s3.bucket.name"),
        ({"awsRegion": "us-east-1\udfff"}, "Records[1].s3.bucket.name"),
    ],
)
def test_an_unencodable_source_is_refused_naming_the_record(
    changes: dict[str, Any], field: str
) -> None:
    payload = _s3_event(_s3_record(), _s3_record(**changes))
    with pytest.raises(InvalidEventError) as caught:
        aws_s3.ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == field


def test_an_unencodable_test_event_bucket_is_refused_naming_bucket() -> None:
    payload = {**aws_s3.TEST_EVENT, "Bucket": "b\ud800", "RequestId": "r", "HostId": "h"}
    with pytest.raises(InvalidEventError) as caught:
        aws_s3.ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == "Bucket"


# == what held ======================================================================

# -- header-plain: the S3 fast path's mark against the writer's own checks -----------

_ODD = st.sampled_from(
    [
        *' "%+\x00\x1f\x7f\x80\x85\xa0\u2028\u2029\u3000\ufeff\ufffe\ud800\t\n\r~:/#[]?@é',
        "%20",
        "%22",
        "%25",
        "%2",
        "%zz",
        "+",
        "%E2%80%A8",
        "%C3%A9",
        "%00",
        "%7F",
        "%FF",
    ]
)
_TEXT = st.lists(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=3) | _ODD, max_size=5
).map("".join)
_TIMES = st.sampled_from(
    [
        None,
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00.000Z",
        "2024-05-01t10:00:00z",
        "2024-05-01T10:00:00z",
        "2024-06-30T23:59:60Z",
        "2024-06-30T23:59:60z",
        "2024-06-30T15:59:60-08:00",
        "2024-05-01T10:00:00.1234567891234Z",
        "2024-05-01T10:00:00.1234567890000+05:30",
        "2024-05-01T10:00:00-00:00",
        "2024-05-01T10:00:00+23:59",
        "2024-05-01T10:00:00+24:00",
        "\uff12\uff10\uff12\uff14-05-01T10:00:00Z",
        "2024-05-01T10:00:00\u2028Z",
        "",
        1714557600,
    ]
) | st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,12})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)


def _convert_one(record: dict[str, Any]) -> CloudEvent | InvalidEventError:
    try:
        return aws_s3._record(record, 0).event
    except InvalidEventError as error:
        return error


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(
    key=_TEXT,
    bucket=_TEXT,
    region=_TEXT,
    request_id=_TEXT,
    host_id=_TEXT,
    name=_TEXT,
    time=_TIMES,
    subclass=st.sampled_from([None, "key", "bucket", "region", "request_id", "time"]),
)
@example(
    key="a",
    bucket="b",
    region="r",
    request_id="\u2028",
    host_id="h",
    name="n",
    time=None,
    subclass=None,
)
@example(
    key="k%2B",
    bucket="b",
    region="r",
    request_id="i",
    host_id="h",
    name="N",
    time=None,
    subclass=None,
)
def test_no_s3_record_is_marked_plain_where_the_writer_would_encode(
    key: str,
    bucket: str,
    region: str,
    request_id: str,
    host_id: str,
    name: str,
    time: Any,
    subclass: str | None,
) -> None:
    values: dict[str, Any] = {
        "key": key,
        "bucket": bucket,
        "region": region,
        "request_id": request_id,
        "host_id": host_id,
        "time": time,
    }
    if subclass is not None and isinstance(values[subclass], str):
        values[subclass] = _Str(values[subclass])
    record = _s3_record(
        s3__object__key=values["key"],
        s3__bucket__name=values["bucket"],
        awsRegion=values["region"],
        eventName=name,
        eventTime=_ABSENT if time is None else values["time"],
    )
    record["responseElements"]["x-amz-request-id"] = values["request_id"]
    record["responseElements"]["x-amz-id-2"] = values["host_id"]
    event = _convert_one(record)
    if isinstance(event, InvalidEventError):
        return
    headers = _headers(event)
    assert headers == _generic_headers(event)
    if event._plain:
        assert all(
            type(v) is str for v in event._attributes.values() if not isinstance(v, datetime)
        )
        assert subclass is None
    # Read back, the headers are the event.
    body = binary_data(event, event._data_json)
    assert body is not None
    [back] = from_http(
        Message("POST", "/", {**headers, "content-type": "application/json"}, body)
    ) or [None]
    assert back == event
    assert back.time_text() == event.time_text()


# -- time text: through the shim, the receiver, to_http and the CLI -----------------


@settings(max_examples=150, suppress_health_check=list(HealthCheck), deadline=None)
@given(time=_TIMES)
def test_the_shim_s_ce_time_reads_back_as_the_same_time(time: Any) -> None:
    seen, app = _seen_by_app()
    payload = _s3_event(_s3_record(eventTime=_ABSENT if time is None else time))
    try:
        expected = aws_s3.ADAPTER.convert(payload, NO_HEADERS)[0].event
    except InvalidEventError:
        with pytest.raises(EventFailedError):
            make_lambda_handler(app)(payload, None)
        assert not seen
        return
    make_lambda_handler(app)(payload, None)
    [environ] = seen
    assert environ.get("HTTP_CE_TIME") == expected.time_text()
    if isinstance(time, str) and spec.timestamp_text(time) == time:
        assert environ["HTTP_CE_TIME"] == time  # as S3 wrote it
    [back] = from_http(_environ_message(environ)) or [None]
    assert back.get_time() == expected.get_time() == environ["cloudevent"].get_time()
    if back.get_time() is not None:
        assert back.get_time().utcoffset() == expected.get_time().utcoffset()
    # Structured: the same text in JSON.
    structured = to_http(environ["cloudevent"], mode="structured")
    assert json.loads(structured.body).get("time") == expected.time_text()
    assert [e.get_time() for e in from_http(structured) or []] == [expected.get_time()]


@pytest.mark.parametrize(
    "time",
    [
        "2024-05-01T10:00:00.123456789Z",
        "2024-05-01T10:00:00.1234567891234+05:30",
        "2024-06-30T23:59:60Z",
        "2024-05-01T10:00:00-00:00",
    ],
)
def test_cli_convert_carries_eventtime_as_s3_wrote_it(
    time: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s3.json"
    path.write_text(json.dumps(_s3_event(_s3_record(eventTime=time))))
    assert main(["convert", str(path)]) == 0
    [event] = json.loads(capsys.readouterr().out)
    assert event["time"] == time


# -- request_message: staleness, mutation, bounds, threads --------------------------


@pytest.mark.usefixtures("_fresh_messages")
def test_an_environ_changed_between_calls_is_read_again() -> None:
    environ = _shim_environ()
    first = keys.request_message(environ)
    keys.request_message(environ)
    environ["HTTP_X_AMZ_SNS_MESSAGE_TYPE"] = "Notification"
    assert keys.request_message(environ) == _built(environ)
    assert keys.request_message(environ).headers["x-amz-sns-message-type"] == "Notification"
    del environ["HTTP_X_AMZ_SNS_MESSAGE_TYPE"]
    environ["CONTENT_TYPE"] = "text/plain"
    assert keys.request_message(environ) == _built(environ)
    environ["CONTENT_TYPE"] = "application/json"
    assert keys.request_message(environ) is first


@pytest.mark.usefixtures("_fresh_messages")
def test_a_user_adapter_cannot_change_the_remembered_message() -> None:
    attempts: list[str] = []

    class Meddler:
        name = "meddler"

        def matches(self, payload: Any, message: Message) -> bool:
            for attempt in (
                lambda: message.headers.__setitem__("x", "1"),  # type: ignore[attr-defined]
                lambda: message.headers.pop("content-type"),  # type: ignore[attr-defined]
                lambda: setattr(message, "method", "GET"),
                lambda: message.headers.clear(),  # type: ignore[attr-defined]
            ):
                try:
                    attempt()
                except (TypeError, AttributeError):
                    attempts.append("refused")
            return False

        def convert(self, payload: Any, message: Message) -> list[Any]:
            raise AssertionError

    seen, app = _seen_by_app()
    # The environ's keys learnt first (until then each request builds its own).
    native.handle(CloudEventsMiddleware(app), OPTIONS, load_sample("s3-object-created"), None)
    seen.clear()
    middleware = CloudEventsMiddleware(app, adapters=[Meddler()])
    for _ in range(3):
        native.handle(middleware, OPTIONS, load_sample("s3-object-created"), None)
    assert attempts == ["refused"] * 12
    assert len(seen) == 3
    [message] = keys._HEADERLESS.values()
    assert dict(message.headers) == {"content-type": "application/json"}
    assert message.method == "POST"


@pytest.mark.usefixtures("_fresh_messages")
def test_threads_delivering_at_once_each_get_their_request_and_the_bound_holds() -> None:
    seen, app = _seen_by_app()
    middleware = CloudEventsMiddleware(app)
    handler = make_lambda_handler(middleware)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            barrier.wait()
            for index in range(40):
                environ = _shim_environ(PATH_INFO=f"/w{worker}/{index}")
                message = keys.request_message(environ)
                assert message == _built(environ), (message, environ["PATH_INFO"])
                handler(load_sample("s3-object-created"), None)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert len(seen) == 8 * 40
    # Bounded: at most one entry past the bound per thread that raced to it.
    assert len(keys._HEADERLESS) <= keys._MESSAGES_MAX + len(threads)


# -- find_adapter: adapters asked at once once imported, as before ------------------


def _previous_find_adapter(
    payload: Any, message: Message, user_adapters: Any = (), *, unwrap: bool = True
) -> Any:
    """detect.find_adapter before this round: MIGHT_MATCH guarding every module."""
    for adapter in user_adapters:
        if adapter.matches(payload, message):
            return adapter
    for name in detect.BUILTIN_MODULES:
        if detect.MIGHT_MATCH[name](payload):
            adapter = detect._adapter(name, unwrap)
            if adapter.matches(payload, message):
                return adapter
    return None


ALL_ADAPTERS = {unwrap: detect.builtin_adapters(unwrap=unwrap) for unwrap in (True, False)}


class _Claims:
    """A user adapter that claims payloads holding ``key``."""

    name = "claims"

    def __init__(self, key: str) -> None:
        self.key = key

    def matches(self, payload: Any, message: Message) -> bool:
        return isinstance(payload, dict) and self.key in payload

    def convert(self, payload: Any, message: Message) -> list[Any]:
        raise AssertionError


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(
    payload=st.one_of(JSON, SHAPED),
    loaded=st.sets(st.sampled_from(detect.BUILTIN_MODULES)),
    unwrap=st.booleans(),
    user=st.sampled_from([(), ("Records",), ("Event", "subscription")]),
)
def test_find_adapter_is_what_the_guarded_search_found(
    payload: Any, loaded: set[str], unwrap: bool, user: tuple[str, ...]
) -> None:
    saved = dict(detect._builtin)
    try:
        # Some modules loaded (for either unwrap value), the others not.
        detect._builtin.clear()
        for name in loaded:
            detect._adapter(name, unwrap if len(name) % 2 else not unwrap)
        adapters = [_Claims(key) for key in user]
        got = detect.find_adapter(payload, NO_HEADERS, adapters, unwrap=unwrap)
        assert got is _previous_find_adapter(payload, NO_HEADERS, adapters, unwrap=unwrap)
    finally:
        detect._builtin.clear()
        detect._builtin.update(saved)


_HOSTILE = st.sampled_from(
    [
        None,
        [],
        "",
        "Records",
        0,
        1.5,
        float("nan"),
        True,
        [None],
        [[]],
        {"Records": None},
        {"Records": "aws:s3"},
        {"Records": [None]},
        {"Records": [[]]},
        {"Records": [{"eventSource": ["aws:s3"]}]},
        {"Records": [{"eventSource": {"a": 1}}]},
        {"Records": [{"EventSource": ["aws:sns"]}]},
        {"eventSource": ["aws:kafka"], "records": {}},
        {"eventSource": {"x": 1}, "records": {}},
        {"awslogs": {"data": ["x"]}},
        {"messageType": ["DATA_MESSAGE"], "logEvents": []},
        {"messageType": {"a": 1}, "logEvents": []},
        {"Type": ["Notification"], "MessageId": "m", "TopicArn": "t"},
        {"Type": {"a": 1}, "MessageId": "m", "TopicArn": "t"},
        {"Service": ["Amazon S3"], "Event": {"a": 1}},
        {"context": [], "eventId": "1"},
        {"subscription": "s", "message": ["id"]},
        {"detail-type": ["x"], "source": "s", "detail": {}},
        [{"eventType": "x", "topic": None}],
        [{"id": [], "eventType": [], "subject": [], "eventTime": [], "data": []}],
    ]
)


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(payload=st.one_of(JSON, SHAPED, _HOSTILE))
def test_every_builtin_matches_never_raises_and_implies_its_predicate(payload: Any) -> None:
    for unwrap, adapters in ALL_ADAPTERS.items():
        for name, adapter in zip(detect.BUILTIN_MODULES, adapters, strict=True):
            matched = adapter.matches(payload, NO_HEADERS)
            assert isinstance(matched, bool), (name, unwrap)
            if matched:
                assert detect.MIGHT_MATCH[name](payload), (name, unwrap)


# -- complexity: n vs 4n --------------------------------------------------------------


def _record_batch(n: int) -> dict[str, Any]:
    tag = next(FRESH)
    record = _s3_record()
    return _s3_event(
        *({**record, "s3": {**record["s3"], "object": {"key": f"k{tag}/{i}"}}} for i in range(n))
    )


def _shared_records(n: int) -> dict[str, Any]:
    """n records, one object repeated (cheap to make at the sizes a C-speed scan needs)."""
    return _s3_event(*[_s3_record(s3__object__key=f"k{next(FRESH)}")] * n)


def test_records_is_linear_in_the_records() -> None:
    assert_linear(_aws.records, _shared_records, n=100_000)


def test_an_s3_notification_is_linear_in_its_records() -> None:
    assert_linear(lambda p: aws_s3.ADAPTER.convert(p, NO_HEADERS), _record_batch, n=500)


def test_records_with_one_non_object_at_the_end_is_linear() -> None:
    def make(n: int) -> dict[str, Any]:
        payload = _shared_records(n)
        payload["Records"].append([])
        return payload

    def records(payload: dict[str, Any]) -> object:
        try:
            return _aws.records(payload)
        except InvalidEventError as error:
            return error

    assert_linear(records, make, n=20_000)


# -- a fault in the middle of a notification ----------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"eventTime": "2024-02-30T00:00:00Z"}, "Records[2].eventTime"),
        ({"eventTime": "2024-05-01T10:00:00"}, "Records[2].eventTime"),
        ({"eventTime": ["2024-05-01T10:00:00Z"]}, "Records[2].eventTime"),
        ({"eventTime": "2024-05-01T10:00:60Z"}, "Records[2].eventTime"),
        ({"s3__object__key": "%FF"}, "Records[2].s3.object.key"),
        ({"s3__object__key": 7}, "Records[2].s3.object.key"),
        ({"eventName": ""}, "Records[2].eventName"),
        ({"eventName": "s3:"}, "Records[2].eventName"),
        ({"eventSource": "aws:sqs"}, "Records[2].eventSource"),
        ({"awsRegion": None}, "Records[2].awsRegion"),
        ({"responseElements": []}, "Records[2].responseElements"),
        ({"responseElements__x-amz-request-id": "\x00"}, "Records[2].responseElements"),
    ],
)
def test_one_bad_record_in_the_middle_refuses_the_notification_naming_it(
    changes: dict[str, Any], field: str
) -> None:
    bad = _s3_record()
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = bad
        for name in parents:
            target = target[name]
        target[last] = value
    good = _s3_record()
    payload = _s3_event(good, copy.deepcopy(good), bad, copy.deepcopy(good))
    with pytest.raises(InvalidEventError) as caught:
        aws_s3.ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field.startswith(field)
    seen, app = _seen_by_app()
    with pytest.raises(EventFailedError) as failed:
        make_lambda_handler(app)(payload, None)
    assert failed.value.status == 400 and not seen
    # The good records alone are converted as ever, marked plain.
    alone = aws_s3.ADAPTER.convert(_s3_event(good, copy.deepcopy(good)), NO_HEADERS)
    assert [c.event._plain for c in alone] == [True, True]
