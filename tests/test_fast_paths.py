"""Hypothesis: every fast path gives what the slow path it shortcuts gives.

Each test runs the fast path and its reference (the code it replaced, or the
slow path with the shortcut turned off) on the same input and compares the
outcome: the same value, or the same exception (type, field and reason).
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import environ as keys
from cloudevents_wsgi import event as event_module
from cloudevents_wsgi import receiver, writer
from cloudevents_wsgi.adapters import _aws
from cloudevents_wsgi.errors import InvalidEventError
from cloudevents_wsgi.event import CloudEvent

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def outcome(function: Callable[..., Any], *args: Any) -> Any:
    """What ``function(*args)`` gives: ("ok", value) or ("raised", what)."""
    try:
        return ("ok", function(*args))
    except InvalidEventError as error:
        return ("raised", type(error), error.field, error.reason, repr(error.value))
    except (ValueError, TypeError, RecursionError) as error:
        return ("raised", type(error), str(error))


def event_state(result: Any) -> Any:
    if result[0] == "ok" and isinstance(result[1], CloudEvent):
        event = result[1]
        return ("ok", event._attributes, event._data, event._time_text)
    return result


# -- JSON values -----------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@SETTINGS
@given(JSON_VALUES)
def test_encode_json_is_the_encoder(value: Any) -> None:
    assert outcome(writer.encode_json, value) == outcome(writer._JSON.encode, value)


def test_encode_json_refuses_a_cycle_as_the_encoder_does() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    assert outcome(writer.encode_json, cycle) == outcome(writer._JSON.encode, cycle)
    assert outcome(writer.encode_json, cycle)[1] is ValueError


# -- environ scans ---------------------------------------------------------------

ENVIRON_KEYS = (
    st.sampled_from(
        [
            "REQUEST_METHOD",
            "CONTENT_TYPE",
            "HTTP_HOST",
            "HTTP_CE_ID",
            "HTTP_CE_SPECVERSION",
            "HTTP_CE_Mixed",
            "HTTP_CE_",
            "HTTP_C",
            "HTTP_X_AMZ_SNS_MESSAGE_TYPE",
            "wsgi.input",
            "",
            "H",
        ]
    )
    | st.text(alphabet=string.ascii_letters + "_.-", max_size=12)
    | st.builds(lambda p, s: p + s, st.sampled_from(["HTTP_", "HTTP_CE_"]), st.text(max_size=10))
)
ENVIRONS = st.dictionaries(ENVIRON_KEYS, st.text(max_size=5), max_size=12)


def reference_ce_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key[8:].lower(), value) for key, value in environ.items() if key[:8] == "HTTP_CE_"]


def reference_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


@SETTINGS
@given(ENVIRONS)
def test_environ_scans_are_the_comprehensions(environ: dict[str, Any]) -> None:
    for _ in range(2):  # the second time, from the caches
        assert keys.ce_headers(environ) == reference_ce_headers(environ)
        assert keys.request_headers(environ) == reference_headers(environ)
        cleared = dict(environ)
        keys._clear_event_keys(cleared)
        expected = {
            k: v
            for k, v in environ.items()
            if k[:8] != "HTTP_CE_" and k not in ("CONTENT_TYPE", "HTTP_CONTENT_TYPE")
        }
        assert cleared == expected
        assert list(cleared) == list(expected)


# -- events from JSON ------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "datacontenttype",
        "dataschema",
        "data",
        "data_base64",
        "partitionkey",
        "Bad",
        "ext1",
    ]
)
ATTRIBUTE_VALUES = (
    st.sampled_from(
        [
            "1.0",
            "0.3",
            "",
            " ",
            "x",
            "a b",
            "https://example.com/x",
            "/relative",
            "http://[bad",
            "2024-05-01T12:34:56.789Z",
            "2024-13-01T12:34:56Z",
            "2024-05-01t12:34:56z",
            "application/json",
            "text/plain; charset=utf-8",
            "not a type",
            "caf\u00e9",
            "\x00",
            "aGk=",
        ]
    )
    | st.none()
    | st.integers(-(2**32), 2**32)
    | st.booleans()
    | st.text(max_size=6)
)
REQUIRED = {
    "specversion": "1.0",
    "id": "1",
    "source": "https://example.com/s",
    "type": "t",
}


OPTIONAL = {
    "subject": "s",
    "time": "2024-05-01T12:34:56.789Z",
    "datacontenttype": "application/json",
    "dataschema": "https://example.com/schema",
    "partitionkey": "p",
    "data": {"a": [1, 2.5]},
}


@st.composite
def json_events(draw: Any) -> dict[str, Any]:
    # Mostly valid events with a change or two (where the shortcuts must
    # agree to the letter), sometimes anything.
    obj: dict[str, Any] = dict(REQUIRED) if draw(st.integers(0, 3)) else {}
    for name in draw(st.lists(st.sampled_from(sorted(OPTIONAL)), max_size=6)):
        obj[name] = OPTIONAL[name]
    for name, value in draw(st.lists(st.tuples(NAMES, ATTRIBUTE_VALUES), max_size=3)):
        obj[name] = value
    return obj


EDGE_EVENTS = [
    {**REQUIRED, "subject": ""},
    {**REQUIRED, "id": ""},
    {**REQUIRED, "type": ""},
    {**REQUIRED, "specversion": "0.3"},
    {**REQUIRED, "time": "2024-13-01T00:00:00Z"},
    {**REQUIRED, "time": 5},
    {**REQUIRED, "datacontenttype": "bad"},
    {**REQUIRED, "dataschema": "/relative"},
    {**REQUIRED, "source": "http://[bad"},
    {**REQUIRED, "partitionkey": None},
    {**REQUIRED, "partitionkey": ""},
    {**REQUIRED, "data": None, "data_base64": "aGk="},
    {**REQUIRED, "Bad": "x"},
    {**REQUIRED, "subject": "caf\u00e9"},
    {**REQUIRED, "subject": "\x00"},
]


def edge_examples(test: Callable[..., Any]) -> Callable[..., Any]:
    for obj in EDGE_EVENTS:
        test = example(obj)(test)
    return test


@SETTINGS
@edge_examples
@given(json_events())
def test_plain_event_from_json_gives_the_full_check(
    obj: dict[str, Any],
) -> None:
    fast = event_state(outcome(receiver.event_from_json, obj))
    plain = receiver._plain_event_from_json
    try:
        receiver._plain_event_from_json = lambda obj: None  # type: ignore[assignment]
        slow = event_state(outcome(receiver.event_from_json, obj))
    finally:
        receiver._plain_event_from_json = plain  # type: ignore[assignment]
    assert fast == slow


@SETTINGS
@edge_examples
@given(json_events())
def test_cloudevent_init_shortcuts_give_the_full_check(obj: dict[str, Any]) -> None:
    fast = event_state(outcome(CloudEvent, obj, None))
    saved = event_module._NON_EMPTY_STRINGS, event_module._SEEN_VALID
    try:
        event_module._NON_EMPTY_STRINGS = frozenset()
        event_module._SEEN_VALID = set()  # type: ignore[misc]
        slow = event_state(outcome(CloudEvent, obj, None))
    finally:
        event_module._NON_EMPTY_STRINGS, event_module._SEEN_VALID = saved  # type: ignore[misc]
    assert fast == slow


@SETTINGS
@edge_examples
@given(json_events())
def test_parse_binary_plain_path_gives_the_per_header_path(obj: dict[str, Any]) -> None:
    # The same values as quoted strings take the per-header path (a '"' in a
    # value rules the plain one out); unquoted, they are the same values.
    pairs = [
        (k, v)
        for k, v in obj.items()
        if isinstance(v, str) and k.isalnum() and v == v.strip(" \t") and '"' not in v
    ]
    quoted = [(k, '"' + v.replace("\\", "\\\\") + '"') for k, v in pairs]
    fast = outcome(receiver.parse_binary, pairs, None, b"")
    slow = outcome(receiver.parse_binary, quoted, None, b"")
    if fast[0] == "ok":
        assert slow[0] == "ok"
        assert (fast[1]._attributes, fast[1]._data) == (slow[1]._attributes, slow[1]._data)
    else:
        assert fast[:4] == slow[:4]


# -- AWS helpers -------------------------------------------------------------------


@SETTINGS
@given(st.text(max_size=20) | st.text(alphabet=string.printable, max_size=20))
def test_source_reference_is_quote(value: str) -> None:
    try:
        expected: Any = quote(value, safe=_aws._URI_SAFE)
    except UnicodeEncodeError:
        expected = "raised"
    try:
        got: Any = _aws.source_reference(value, "where")
    except InvalidEventError as error:
        assert error.field == "where"
        got = "raised"
    assert got == expected


RECORDS = st.one_of(
    st.none(),
    st.integers(),
    st.lists(st.one_of(st.dictionaries(st.text(max_size=3), st.integers()), st.integers())),
    st.dictionaries(st.text(max_size=3), st.integers()),
)


@SETTINGS
@given(RECORDS)
def test_records_fast_path_is_the_checked_reading(records: Any) -> None:
    payload = {"Records": records}

    def checked(payload: Any) -> Any:
        body = _aws.obj(payload, "")
        items = _aws.member(body, "Records", "")
        if not isinstance(items, list):
            raise InvalidEventError("Records", f"must be an array, not {type(items)}", items)
        if not items:
            raise InvalidEventError("Records", "must not be empty", items)
        return [_aws.obj(item, f"Records[{index}]") for index, item in enumerate(items)]

    fast, slow = outcome(_aws.records, payload), outcome(checked, payload)
    assert fast[0] == slow[0]
    if fast[0] == "ok":
        assert fast == slow
    else:
        assert fast[2] == slow[2]


@pytest.mark.parametrize(
    "payload",
    [
        {"Service": "Amazon S3", "Event": "s3:TestEvent"},
        {"Service": "Amazon S3"},
        {"Event": "s3:TestEvent"},
        [],
        None,
    ],
)
def test_s3_test_event_predicate(payload: Any) -> None:
    from cloudevents_wsgi.adapters import aws_s3

    expected = isinstance(payload, dict) and all(
        payload.get(key) == value for key, value in aws_s3.TEST_EVENT.items()
    )
    assert aws_s3._is_test_event(payload) == expected


def test_encoder_probe_found_the_c_encoder() -> None:
    # Where the C accelerator exists (CPython), the fast encoder is in use.
    if json.encoder.c_make_encoder is not None:
        assert writer._C_ENCODE is not None
