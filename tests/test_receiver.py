"""The strict receiver: one case per MUST of the HTTP binding and JSON format."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message, UnsupportedFormatError, from_http
from cloudevents_wsgi.receiver import content_mode, parse_batch, parse_binary, parse_structured

REQUIRED = {"ce-specversion": "1.0", "ce-id": "A234-1234", "ce-source": "/s", "ce-type": "t.e"}
MINIMAL = {"specversion": "1.0", "id": "A234-1234", "source": "/s", "type": "t.e"}


def binary(
    extra: dict[str, str] | None = None, content_type: str | None = None, body: bytes = b""
) -> Any:
    return parse_binary(pairs({**REQUIRED, **(extra or {})}), content_type, body)


def pairs(headers: dict[str, str]) -> list[tuple[str, str]]:
    """The ce- headers as parse_binary takes them: (attribute name, raw value)."""
    return [(name[3:], value) for name, value in headers.items()]


def structured(**members: Any) -> Any:
    return parse_structured(json.dumps({**MINIMAL, **members}).encode())


def rejected(call: Any, *args: Any, **kwargs: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- content mode detection -------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "specversion_header", "mode"),
    [
        pytest.param("application/cloudevents+json", False, "structured", id="structured"),
        pytest.param("Application/CloudEvents+JSON; charset=UTF-8", False, "structured", id="case"),
        pytest.param("application/cloudevents+json", True, "structured", id="body-wins"),
        pytest.param("application/cloudevents-batch+json", False, "batch", id="batch"),
        pytest.param("application/json", True, "binary", id="binary"),
        pytest.param(None, True, "binary", id="binary-no-type"),
        pytest.param("application/json", False, None, id="plain-json"),
        pytest.param(None, False, None, id="nothing"),
    ],
)
def test_content_mode_is_read_from_headers(
    content_type: str | None, specversion_header: bool, mode: str | None
) -> None:
    assert content_mode(content_type, specversion_header) == mode


@pytest.mark.parametrize(
    "content_type",
    [
        "application/cloudevents+xml",
        "application/cloudevents",
        "application/cloudevents-batch+avro",
        "application/cloudevents+json; charset=latin-1",
    ],
)
def test_unreadable_event_format_is_415(content_type: str) -> None:
    error = rejected(content_mode, content_type, False)
    assert isinstance(error, UnsupportedFormatError)
    assert error.status == 415
    assert error.field == "content-type"


def test_request_without_event_is_none() -> None:
    assert from_http(Message(headers={"content-type": "text/html"}, body=b"<p>")) is None


# -- binary content mode ------------------------------------------------------


def test_binary_event_keeps_every_attribute() -> None:
    event = binary(
        {"ce-time": "2018-04-05T17:31:00Z", "ce-subject": "s", "ce-ext": "v"},
        "application/json; charset=utf-8",
        b'{"a": 1}',
    )
    assert event.get_attributes() == {
        "specversion": "1.0",
        "id": "A234-1234",
        "source": "/s",
        "type": "t.e",
        "time": datetime(2018, 4, 5, 17, 31, tzinfo=timezone.utc),
        "subject": "s",
        "ext": "v",
        "datacontenttype": "application/json; charset=utf-8",
    }
    assert event.get_data() == {"a": 1}


def test_binary_event_invents_nothing() -> None:
    event = binary()
    assert event.get_time() is None
    assert event.get_datacontenttype() is None
    assert event.get_data() is None
    assert set(event.get_attributes()) == {"specversion", "id", "source", "type"}


@pytest.mark.parametrize("missing", ["ce-id", "ce-source", "ce-type"])
def test_binary_event_needs_required_attributes(missing: str) -> None:
    headers = {k: v for k, v in REQUIRED.items() if k != missing}
    error = rejected(parse_binary, pairs(headers), None, b"")
    assert error.field == missing[3:]


def test_ce_datacontenttype_header_is_forbidden_in_binary_mode() -> None:
    error = rejected(binary, {"ce-datacontenttype": "text/plain"}, "text/plain", b"x")
    assert error.field == "datacontenttype"


@pytest.mark.parametrize("header", ["ce-foo-bar", "ce-foo_bar", "ce-é", "ce-"])
def test_binary_attribute_names_are_lower_case_letters_and_digits(header: str) -> None:
    error = rejected(binary, {header: "x"})
    assert error.field == header[3:]


def test_ce_data_header_is_not_an_attribute() -> None:
    assert rejected(binary, {"ce-data": "x"}).field == "data"


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        pytest.param("Euro%20%E2%82%AC%20%F0%9F%98%80", "Euro € 😀", id="spec-example"),
        pytest.param("Euro%20%e2%82%ac", "Euro €", id="lower-hex"),
        pytest.param("%41%42", "AB", id="needlessly-encoded"),
        pytest.param('"quoted \\"value\\""', 'quoted "value"', id="quoted-string"),
        pytest.param('"a%20b"', "a b", id="quoted-then-percent"),
        pytest.param("%2541", "%41", id="exactly-one-round"),
        pytest.param("  padded\t", "padded", id="optional-whitespace"),
        pytest.param("caf\xc3\xa9", "café", id="raw-utf8-as-latin1"),
    ],
)
def test_binary_header_values_are_unquoted_then_percent_decoded_once(
    raw: str, decoded: str
) -> None:
    assert binary({"ce-ext": raw}).get_extension("ext") == decoded


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("%C0%A0", id="overlong-utf8"),
        pytest.param("%FF", id="invalid-utf8"),
        pytest.param("%ED%A0%80", id="surrogate"),
        pytest.param("50%", id="lone-percent"),
        pytest.param("%zz", id="bad-hex"),
        pytest.param('"unterminated', id="open-quote"),
        pytest.param("a%0Ab", id="control-character"),
    ],
)
def test_bad_header_values_are_rejected(raw: str) -> None:
    assert rejected(binary, {"ce-ext": raw}).field == "ext"


def test_binary_specversion_must_be_1_0() -> None:
    error = rejected(binary, {"ce-specversion": "0.3"})
    assert error.field == "specversion"
    assert error.value == "0.3"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("ce-time", "2018-04-05 17:31:00Z"),
        ("ce-source", "has space"),
        ("ce-source", "1nvalid-scheme:x"),
        ("ce-dataschema", "relative/path"),
        ("ce-dataschema", "https://x.example/schema#frag"),
        ("ce-subject", ""),
        ("ce-id", ""),
    ],
)
def test_binary_typed_attributes_are_checked(header: str, value: str) -> None:
    assert rejected(binary, {header: value}).field == header[3:]


@pytest.mark.parametrize(
    ("content_type", "body", "data"),
    [
        pytest.param("application/json", b'{"a":[1,2]}', {"a": [1, 2]}, id="json"),
        pytest.param("APPLICATION/JSON", b"[1]", [1], id="json-case-insensitive"),
        pytest.param("text/json", b"1", 1, id="any-slash-json"),
        pytest.param("application/vnd.x+json; v=2", b'"s"', "s", id="plus-json"),
        pytest.param("application/json", b'\xef\xbb\xbf{"a":1}', {"a": 1}, id="json-bom"),
        pytest.param("text/plain", "héllo".encode(), "héllo", id="text"),
        pytest.param("text/plain; charset=iso-8859-1", b"h\xe9llo", "héllo", id="text-charset"),
        pytest.param("application/xml; charset=utf-8", b"<a/>", "<a/>", id="charset-is-text"),
        pytest.param("application/octet-stream", b"\x00\xff", b"\x00\xff", id="binary"),
        pytest.param("application/json", b"", None, id="empty-body"),
    ],
)
def test_binary_data_follows_the_content_type(content_type: str, body: bytes, data: Any) -> None:
    assert binary(content_type=content_type, body=body).get_data() == data


def test_binary_data_without_content_type_stays_bytes() -> None:
    assert binary(body=b'{"a":1}').get_data() == b'{"a":1}'


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/json", b"{not json", id="bad-json"),
        pytest.param("application/json", b"NaN", id="nan"),
        pytest.param("application/json", b"\xff", id="bad-utf8"),
        pytest.param("application/json", b"[" * 100_000 + b"]" * 100_000, id="too-deep"),
        pytest.param("text/plain", b"\xff\xfe\xfa", id="bad-text"),
    ],
)
def test_binary_data_that_contradicts_its_content_type_is_rejected(
    content_type: str, body: bytes
) -> None:
    assert rejected(binary, content_type=content_type, body=body).field == "data"


@pytest.mark.parametrize("content_type", ["xyz", "text/", "text/plain; charset", "a/b;=x"])
def test_content_type_must_be_a_media_type(content_type: str) -> None:
    assert rejected(binary, content_type=content_type, body=b"x").field == "datacontenttype"


def test_unknown_charset_is_rejected() -> None:
    error = rejected(binary, content_type="text/plain; charset=no-such", body=b"x")
    assert error.field == "datacontenttype"


# -- structured content mode (JSON format) ------------------------------------


def test_structured_body_wins_over_ce_headers() -> None:
    message = Message(
        headers={"content-type": "application/cloudevents+json", "ce-id": "header-id"},
        body=json.dumps(MINIMAL).encode(),
    )
    events = from_http(message)
    assert events is not None
    assert events[0].get_id() == "A234-1234"


def test_json_string_data_is_never_parsed_again() -> None:
    event = structured(datacontenttype="application/json", data='{"a": 1}')
    assert event.get_data() == '{"a": 1}'


def test_data_base64_without_datacontenttype_is_bytes() -> None:
    event = structured(data_base64="AAEC")
    assert event.get_data() == b"\x00\x01\x02"
    assert event.get_datacontenttype() is None


@pytest.mark.parametrize("value", ["not base64!", "AAE", 5])
def test_bad_data_base64_is_rejected(value: Any) -> None:
    assert rejected(structured, data_base64=value).field == "data_base64"


def test_null_attribute_is_unset() -> None:
    event = structured(subject=None, ext=None, data=None)
    assert event.get_subject() is None
    assert "ext" not in event.get_attributes()
    assert event.get_data() is None


@pytest.mark.parametrize(
    ("members", "field"),
    [
        pytest.param({"ext": 1.5}, "ext", id="float"),
        pytest.param({"ext": [1]}, "ext", id="array"),
        pytest.param({"ext": {"a": 1}}, "ext", id="object"),
        pytest.param({"ext": 2**31}, "ext", id="integer-too-large"),
        pytest.param({"ext": -(2**31) - 1}, "ext", id="integer-too-small"),
        pytest.param({"ext": "a\u0007b"}, "ext", id="control-character"),
        pytest.param({"ext": "a\u0085b"}, "ext", id="c1-control"),
        pytest.param({"ext": "\ufdd0"}, "ext", id="noncharacter"),
        pytest.param({"ext": "\ud800"}, "ext", id="lone-surrogate"),
        pytest.param({"type": 5}, "type", id="type-not-string"),
        pytest.param({"source": "a b"}, "source", id="source-not-uri-reference"),
        pytest.param({"source": "x:/%zz"}, "source", id="source-bad-percent"),
        pytest.param({"source": "//h/[x]"}, "source", id="source-bracket-in-path"),
        pytest.param({"dataschema": "/relative"}, "dataschema", id="dataschema-relative"),
        pytest.param({"time": "2018-02-30T00:00:00Z"}, "time", id="time-no-such-day"),
        pytest.param({"time": "2018-04-05T24:00:00Z"}, "time", id="time-hour-24"),
        pytest.param(
            {"time": "\uff12\uff10\uff11\uff18-04-05T00:00:00Z"}, "time", id="time-non-ascii-digits"
        ),
        pytest.param({"time": 1522949460}, "time", id="time-number"),
        pytest.param({"data": 1, "data_base64": "AA=="}, "data_base64", id="data-and-base64"),
        pytest.param(
            {"datacontenttype": 'text/plain; charset="x'}, "datacontenttype", id="ct-quote"
        ),
        pytest.param({"data": "x", "specversion": "0.3"}, "specversion", id="specversion-0.3"),
        pytest.param(
            {"extensionnametoolongbutthatisonlyashould": True, "x_y": 1}, "x_y", id="name"
        ),
    ],
)
def test_structured_type_system_violations_are_rejected(
    members: dict[str, Any], field: str
) -> None:
    assert rejected(structured, **members).field == field


@pytest.mark.parametrize(
    ("members", "attribute", "value"),
    [
        pytest.param({"ext": True}, "ext", True, id="boolean"),
        pytest.param({"ext": 2**31 - 1}, "ext", 2**31 - 1, id="integer-max"),
        pytest.param({"ext": -(2**31)}, "ext", -(2**31), id="integer-min"),
        pytest.param(
            {"source": "urn:event:from-myapi"}, "source", "urn:event:from-myapi", id="urn"
        ),
        pytest.param({"source": "//[::1]:8080/p"}, "source", "//[::1]:8080/p", id="ipv6-host"),
        pytest.param({"source": "a/b%20c?q#f"}, "source", "a/b%20c?q#f", id="relative"),
        pytest.param(
            {"time": "2018-04-05t17:31:00.5z"},
            "time",
            datetime(2018, 4, 5, 17, 31, 0, 500000, tzinfo=timezone.utc),
            id="time-lower-case-t-z",
        ),
        pytest.param(
            {"time": "2018-04-05T17:31:00-00:30"},
            "time",
            datetime(2018, 4, 5, 17, 31, tzinfo=timezone(-timedelta(minutes=30))),
            id="time-negative-offset",
        ),
    ],
)
def test_structured_attribute_values_are_typed(
    members: dict[str, Any], attribute: str, value: Any
) -> None:
    assert structured(**members).get_attributes()[attribute] == value


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"event"', b"{", b"\xff", b'{"a": NaN}', b"\xfe\xff\x00{\x00}"],
)
def test_structured_body_must_be_a_utf8_json_object(body: bytes) -> None:
    with pytest.raises(InvalidEventError):
        parse_structured(body)


# -- batched content mode -------------------------------------------------------


def test_batch_must_be_an_array() -> None:
    assert rejected(parse_batch, json.dumps(MINIMAL).encode()).field == "body"


def test_batch_longer_than_the_limit_is_413() -> None:
    error = rejected(parse_batch, json.dumps([MINIMAL] * 3).encode(), max_batch=2)
    assert error.status == 413


def test_batch_error_names_the_index_and_attribute() -> None:
    body = json.dumps([MINIMAL, {**MINIMAL, "time": "noon"}]).encode()
    error = rejected(parse_batch, body)
    assert error.field == "[1].time"
    assert error.value == "noon"


def test_batch_events_may_differ_in_datacontenttype() -> None:
    body = json.dumps(
        [{**MINIMAL, "datacontenttype": "text/plain", "data": "x"}, {**MINIMAL, "data": {"a": 1}}]
    ).encode()
    assert [e.get_data() for e in parse_batch(body)] == ["x", {"a": 1}]


def test_problem_names_field_reason_and_value() -> None:
    error = rejected(structured, time="lunchtime")
    assert error.problem() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "time: is not an RFC 3339 timestamp (got 'lunchtime')",
        "field": "time",
        "reason": "is not an RFC 3339 timestamp",
        "value": "'lunchtime'",
    }


# -- leap seconds (RFC 3339 section 5.6 and 5.7) ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "2016-12-31T23:59:60Z",
            datetime(2016, 12, 31, 23, 59, 59, 999999, timezone.utc),
            id="utc",
        ),
        pytest.param(
            "2016-12-31t23:59:60.5z",
            datetime(2016, 12, 31, 23, 59, 59, 999999, timezone.utc),
            id="lower-case-fraction",
        ),
        pytest.param(
            "1990-12-31T15:59:60-08:00",
            datetime(1990, 12, 31, 15, 59, 59, 999999, timezone(timedelta(hours=-8))),
            id="rfc3339-example",
        ),
        pytest.param(
            "2016-12-31T23:59:60+05:30",
            datetime(2016, 12, 31, 23, 59, 59, 999999, timezone(timedelta(hours=5, minutes=30))),
            id="local-23:59:60",
        ),
    ],
)
def test_a_leap_second_is_a_valid_time(text: str, expected: datetime) -> None:
    for event in (binary({"ce-time": text}), structured(time=text)):
        assert event.get_time() == expected
        assert event.get_time().utcoffset() == expected.utcoffset()
        assert event.time_text() == text.upper()


@pytest.mark.parametrize(
    "text", ["2016-12-31T12:00:60Z", "2016-12-31T23:59:61Z", "2016-02-30T23:59:60Z"]
)
def test_second_60_outside_a_leap_second_is_refused(text: str) -> None:
    assert rejected(structured, time=text).field == "time"
    assert rejected(binary, {"ce-time": text}).field == "time"
