"""The writer: to_http and to_http_batch, read back by from_http and by the SDK."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import (
    CloudEvent,
    InvalidEventError,
    Message,
    from_http,
    to_http,
    to_http_batch,
)
from cloudevents_wsgi.spec import canonical_string

STRUCTURED = "application/cloudevents+json"
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- events the receiver accepts -------------------------------------------------------

# Text the spec allows in a String: no control characters, surrogates or noncharacters.
SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co")), min_size=1, max_size=16
) | st.sampled_from(["100% ünïcode", "a b", '"quoted"', "%41", " lead", "trail ", "€", "𝄞"])
SOURCES = st.sampled_from(
    ["/s", "urn:example:a", "https://example.com/a?b=c#d", "//host/p%20q", "a", "mailto:x@y"]
)
TIMES = st.builds(
    lambda when, digits, offset, t: (
        f"{when.year:04d}-{when:%m-%d}{t}{when:%H:%M:%S}{digits}{offset}"
    ),
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    st.sampled_from(["", ".5", ".123456", ".123456789", ".000000001"]),
    st.sampled_from(["Z", "z", "+00:00", "+05:30", "-08:00", "+23:59"]),
    st.sampled_from(["T", "t"]),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/vnd.example+json; charset=utf-8",
        "text/plain",
        "text/plain; charset=utf-8",
        "text/csv; charset=latin-1",
        "application/xml; charset=utf-16",
        "application/octet-stream",
        "image/png",
        "application/cloudevents+json",
        "Application/JSON",
        "text/plain; charset=no-such-charset",
    ]
)
EXTENSION_NAMES = st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True).filter(
    lambda n: (
        n not in ("specversion", "id", "source", "type", "datacontenttype", "dataschema")
        and n not in ("subject", "time", "data")
    )
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
DATA = (
    st.none()
    | JSON.map(lambda v: ("data", v))
    | st.binary(max_size=24).map(lambda b: ("data_base64", b))
)


@st.composite
def json_format_events(draw: st.DrawFn) -> dict[str, Any]:
    """An event in the JSON format (a dict, bytes data as bytes)."""
    obj: dict[str, Any] = {
        "specversion": "1.0",
        "id": draw(SAFE_TEXT),
        "source": draw(SOURCES),
        "type": draw(SAFE_TEXT),
    }
    optional = {
        "subject": SAFE_TEXT,
        "time": TIMES,
        "dataschema": st.sampled_from(["https://example.com/schema", "urn:s"]),
        "datacontenttype": CONTENT_TYPES,
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            obj[name] = draw(strategy)
    extensions = draw(
        st.dictionaries(
            EXTENSION_NAMES,
            SAFE_TEXT | st.just("") | st.booleans() | st.integers(-(2**31), 2**31 - 1),
            max_size=3,
        )
    )
    obj.update(extensions)
    data = draw(DATA)
    if data is not None:
        obj[data[0]] = data[1]
    return obj


def received(obj: dict[str, Any]) -> CloudEvent:
    """The event the receiver makes of ``obj`` sent in structured mode."""
    if isinstance(obj.get("data_base64"), bytes):
        import base64

        obj = {**obj, "data_base64": base64.b64encode(obj["data_base64"]).decode()}
    events = from_http(Message(headers={"content-type": STRUCTURED}, body=json.dumps(obj).encode()))
    assert events is not None and len(events) == 1
    return events[0]


def canonical(event: CloudEvent) -> dict[str, str]:
    return {name: canonical_string(value) for name, value in event.get_attributes().items()}


def read_back(message: Message) -> CloudEvent:
    events = from_http(message)
    assert events is not None and len(events) == 1
    return events[0]


# -- the round trip ----------------------------------------------------------------------


@SETTINGS
@given(json_format_events())
@example({"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data": {"a": 1}})
@example(
    {
        "specversion": "1.0",
        "id": "1",
        "source": "/s",
        "type": "t",
        "datacontenttype": "application/cloudevents+json",
        "data": {"specversion": "1.0", "id": "2", "source": "/s", "type": "inner"},
    }
)
def test_structured_round_trip_gives_an_equal_event(obj: dict[str, Any]) -> None:
    event = received(obj)
    message = to_http(event, mode="structured")
    assert message.headers == {"content-type": STRUCTURED}
    again = read_back(message)
    assert again == event
    assert type(again.get_data()) is type(event.get_data())
    assert again.time_text() == event.time_text()


@SETTINGS
@given(json_format_events())
@example({"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data": {"a": 1}})
@example({"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data": ""})
@example({"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data_base64": b"\x00\xff"})
@example(
    {
        "specversion": "1.0",
        "id": "1",
        "source": "/s",
        "type": "t",
        "subject": "100% ünïcode",
        "time": "2024-02-29T23:59:59.123456789+05:30",
        "datacontenttype": "text/plain; charset=utf-8",
        "data": "héllo",
    }
)
def test_binary_round_trip_gives_an_equal_event(obj: dict[str, Any]) -> None:
    event = received(obj)
    message = to_http(event)
    again = read_back(message)
    assert again.get_data() == event.get_data()
    assert type(again.get_data()) is type(event.get_data())
    assert again.time_text() == event.time_text()
    if "ce-specversion" in message.headers:
        # Binary mode carries extension values as strings (HTTP binding 3.1.3).
        assert canonical(again) == canonical(event)
        assert all(value.isascii() and value.isprintable() for value in message.headers.values())
    else:
        assert message.headers == {"content-type": STRUCTURED}
        assert again == event


@pytest.mark.parametrize(
    ("attributes", "data", "binary"),
    [
        pytest.param({}, {"a": 1}, False, id="json-without-datacontenttype"),
        pytest.param({}, "text", False, id="text-without-datacontenttype"),
        pytest.param({}, b"\x00", True, id="bytes-without-datacontenttype"),
        pytest.param({}, None, True, id="no-data"),
        pytest.param({"datacontenttype": "application/json"}, {"a": 1}, True, id="json"),
        pytest.param({"datacontenttype": "application/json"}, b"{}", False, id="bytes-as-json"),
        pytest.param({"datacontenttype": "text/plain"}, "", False, id="empty-text"),
        pytest.param({"datacontenttype": "text/plain"}, b"x", False, id="bytes-as-text"),
        pytest.param({"datacontenttype": "image/png"}, b"\x89PNG", True, id="image"),
        pytest.param({"datacontenttype": "application/xml"}, "<a/>", False, id="text-as-bytes"),
        pytest.param(
            {"datacontenttype": "application/cloudevents+json"},
            {"specversion": "1.0", "id": "2", "source": "/s", "type": "inner"},
            False,
            id="data-is-a-cloudevent",
        ),
    ],
)
def test_binary_mode_falls_back_to_structured_only_where_it_must(
    attributes: dict[str, Any], data: Any, binary: bool
) -> None:
    event = CloudEvent({"id": "1", "source": "/s", "type": "t", **attributes}, data)
    message = to_http(event, mode="binary")
    assert ("ce-specversion" in message.headers) is binary
    assert read_back(message) == event


def test_binary_message_shape() -> None:
    event = CloudEvent(
        {
            "id": "1",
            "source": "/s",
            "type": "t",
            "subject": "a b%",
            "time": "2021-06-01T12:00:00.123456789Z",
            "datacontenttype": "application/json",
            "count": 3,
            "flag": True,
        },
        {"k": "v"},
    )
    assert to_http(event) == Message(
        "POST",
        "/",
        {
            "ce-specversion": "1.0",
            "ce-id": "1",
            "ce-source": "/s",
            "ce-type": "t",
            "ce-subject": "a%20b%25",
            "ce-time": "2021-06-01T12:00:00.123456789Z",
            "ce-count": "3",
            "ce-flag": "true",
            "content-type": "application/json",
        },
        b'{"k":"v"}',
    )
    assert to_http(event, method="PUT", path="/hook")[:2] == ("PUT", "/hook")


def test_structured_message_shape() -> None:
    when = datetime(2021, 6, 1, 12, tzinfo=timezone.utc)
    event = CloudEvent({"id": "1", "source": "/s", "type": "t", "time": when, "at": when}, b"\x01")
    message = to_http(event, mode="structured")
    assert message.headers == {"content-type": STRUCTURED}
    assert json.loads(message.body) == {
        "specversion": "1.0",
        "id": "1",
        "source": "/s",
        "type": "t",
        "time": "2021-06-01T12:00:00Z",
        "at": "2021-06-01T12:00:00Z",
        "data_base64": "AQ==",
    }


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        to_http(CloudEvent({"id": "1", "source": "/s", "type": "t"}), mode="batch")


def test_data_json_cannot_hold_is_refused_naming_the_field() -> None:
    event = CloudEvent(
        {"id": "1", "source": "/s", "type": "t", "datacontenttype": "application/json"},
        {"n": float("inf")},
    )
    for mode in ("binary", "structured"):
        with pytest.raises(InvalidEventError) as caught:
            to_http(event, mode=mode)
        assert caught.value.field == "data"
    with pytest.raises(InvalidEventError) as caught:
        to_http_batch([CloudEvent({"id": "0", "source": "/s", "type": "t"}), event])
    assert caught.value.field == "[1].data"


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "text/plain", "text/plain; charset=latin-1"]
)
def test_data_with_a_lone_surrogate_is_refused_naming_the_field(content_type: str | None) -> None:
    # The receiver reads a JSON "\ud800" escape into such a string; no UTF-8 can hold it.
    event = CloudEvent(
        {"id": "1", "source": "/s", "type": "t", "datacontenttype": content_type}, "a\ud800"
    )
    for mode in ("binary", "structured"):
        with pytest.raises(InvalidEventError, match="holds U\\+D800") as caught:
            to_http(event, mode=mode)
        assert caught.value.field == "data"


# -- batches -------------------------------------------------------------------------


@SETTINGS
@given(st.lists(json_format_events(), max_size=4))
def test_batch_round_trip_gives_equal_events(objs: list[dict[str, Any]]) -> None:
    events = [received(obj) for obj in objs]
    message = to_http_batch(events)
    assert message.headers == {"content-type": "application/cloudevents-batch+json"}
    assert from_http(message) == events


def test_an_empty_batch_is_an_empty_array() -> None:
    assert to_http_batch([]) == Message(
        "POST", "/", {"content-type": "application/cloudevents-batch+json"}, b"[]"
    )


# -- the SDK reads what the writer writes ---------------------------------------------

SDK_CONTENT_TYPES = st.sampled_from(
    ["application/json", "text/plain; charset=utf-8", "application/octet-stream"]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    json_format_events().filter(
        lambda obj: obj.get("datacontenttype") in (None, "application/json")
    ),
    st.sampled_from(["binary", "structured"]),
)
def test_the_sdk_reads_what_to_http_writes(obj: dict[str, Any], mode: str) -> None:
    event = received(obj)
    message = to_http(event, mode=mode)
    sdk_event = from_http_event(HTTPMessage(dict(message.headers), message.body))
    ours = event.get_attributes()
    theirs = sdk_event.get_attributes()
    # The SDK's CloudEvent sets time when an event has none; nothing else is added.
    assert ours.keys() <= theirs.keys() <= ours.keys() | {"time"}
    for name, value in ours.items():
        if name == "time":
            assert theirs[name] == value
        elif "ce-specversion" in message.headers:
            assert theirs[name] == canonical_string(value)
        else:
            assert theirs[name] == value
    data = event.get_data()
    if isinstance(data, bytes) and "ce-specversion" in message.headers:
        # The SDK's own rule: bytes that are UTF-8 (or JSON) read back as text (or JSON).
        assert sdk_event.get_data() in (data, _utf8(data), _json(data))
    else:
        assert sdk_event.get_data() == data


def _utf8(data: bytes) -> Any:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def test_the_readme_example_runs() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Writing events", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    request = namespace["request"]
    assert request.get_method() == "POST"
    assert from_http(namespace["message"]) == [namespace["event"], namespace["event"]]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_format_events(), SDK_CONTENT_TYPES, st.sampled_from(["binary", "structured"]))
def test_the_sdk_reads_text_and_bytes_data_to_http_writes(
    obj: dict[str, Any], content_type: str, mode: str
) -> None:
    obj = {**obj, "datacontenttype": content_type}
    if content_type.startswith("text/") and "data" in obj:
        obj["data"] = json.dumps(obj["data"])  # text data under a text type
    event = received(obj)
    message = to_http(event, mode=mode)
    sdk_event = from_http_event(HTTPMessage(dict(message.headers), message.body))
    assert sdk_event.get_id() == event.get_id()
    assert sdk_event.get_datacontenttype() == content_type
    data = event.get_data()
    if isinstance(data, bytes) and "ce-specversion" in message.headers:
        # The SDK's own rule: bytes that are UTF-8 (or JSON) read back as text (or JSON).
        assert sdk_event.get_data() in (data, _utf8(data), _json(data))
    elif data == "" and "ce-specversion" not in message.headers:
        assert sdk_event.get_data() in ("", None)
    else:
        assert sdk_event.get_data() == data


def _native_samples() -> list[Any]:
    from cloudevents_wsgi.aws_lambda import http_event_kind
    from cloudevents_wsgi.cli import load_sample, sample_names

    # The packaged samples but the HTTP requests (API Gateway...), which carry no event.
    return [
        pytest.param(name, id=name)
        for name in sample_names()
        if http_event_kind(load_sample(name)) is None
    ]


@pytest.mark.parametrize("name", _native_samples())
@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_native_events_round_trip(name: str, mode: str) -> None:
    # Events the adapters make (datetimes without their text, bytes data...)
    # are written and read back as equal events too.
    from cloudevents_wsgi.cli import load_sample
    from cloudevents_wsgi.detect import find_adapter

    payload = load_sample(name)
    body = json.dumps(payload).encode()
    message = Message(headers={"content-type": "application/json"}, body=body)
    adapter = find_adapter(payload, message)
    assert adapter is not None
    for item in adapter.convert(payload, message):
        event = item.event
        again = read_back(to_http(event, mode=mode))
        assert canonical(again) == canonical(event)
        assert again.get_data() == event.get_data()
        if mode == "structured":
            assert again == event
        assert to_http(again, mode=mode) == to_http(event, mode=mode)
