"""The S3 adapter's fast path (issue 13) against the reading it replaced.

The fast path builds the CloudEvent without the constructor's checks when
type, id and subject are printable ASCII, with the source made and checked
once per bucket. Whatever the record, it must give what
``CloudEvent(attributes, record)`` gave: the same event (attributes, data,
written headers), or the same refusal (field, reason, value).
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import unquote_plus

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import InvalidEventError, spec
from cloudevents_wsgi._json import encode_native
from cloudevents_wsgi.adapters import _aws, aws_s3
from cloudevents_wsgi.adapters.base import Converted
from cloudevents_wsgi.event import CloudEvent
from cloudevents_wsgi.writer import write_headers


def _previous_well_formed_record(record: dict[str, Any]) -> Converted:
    """aws_s3._well_formed_record as it was before the fast path (a905f25),
    but for ``eventTime``, now kept as its text (the constructor keeps a
    string ``time``), as the receiver keeps a ``ce-time`` header's."""
    s3 = record["s3"]
    key = s3["object"]["key"]
    bucket_name = s3["bucket"]["name"]
    response = record["responseElements"]
    event_name = record["eventName"]
    region = record["awsRegion"]
    request_id = response["x-amz-request-id"]
    host_id = response["x-amz-id-2"]
    time = record.get("eventTime")
    for value in (key, bucket_name, event_name, region, request_id, host_id):
        if type(value) is not str:
            raise TypeError
    if (
        record["eventSource"] != aws_s3.EVENT_SOURCE
        or not event_name
        or event_name.startswith(aws_s3.CONFIGURATION_PREFIX)
    ):
        raise TypeError
    if time is not None:
        spec.parse_timestamp("time", time)  # its refusal, as before
    attributes = {
        "type": aws_s3.TYPE_PREFIX + event_name,
        "source": _aws.source_reference(f"{aws_s3.EVENT_SOURCE}.{region}.{bucket_name}", "source"),
        "id": f"{request_id}.{host_id}",
        "subject": unquote_plus(key, errors="strict") if "%" in key or "+" in key else key,
        "time": time,
        "datacontenttype": _aws.JSON,
    }
    event = CloudEvent(attributes, record)
    event._received_as(encode_native(record))
    return Converted(event, record)


def _previous_record(record: dict[str, Any]) -> Converted:
    try:
        return _previous_well_formed_record(record)
    except (KeyError, TypeError, UnicodeDecodeError, InvalidEventError):
        return aws_s3._checked_record(record, "Records[0]")


def _outcome(convert: Any, record: dict[str, Any]) -> Any:
    try:
        converted = convert(record)
    except InvalidEventError as error:
        return ("refused", error.field, error.reason, error.value)
    event = converted.event
    headers: dict[str, Any] = {}
    write_headers(event, headers, lambda name: name)
    return (
        "event",
        list(event._attributes.items()),
        event.get_data() is record,
        event._data_json,
        event.time_text(),
        headers,
        converted.native is record,
    )


def _record(
    key: Any, bucket: Any, event_name: Any, region: Any, request_id: Any, host_id: Any, time: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventName": event_name,
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": host_id},
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}},
    }
    if time is not _MISSING:
        record["eventTime"] = time
    return record


_MISSING = object()

NEAR_KEYS = [
    "",
    "+",
    "%",
    "%2",
    "%zz",
    "%ff",
    "%C3%A9",
    "a+b",
    "a%20b",
    "a b",
    "é",
    "\x00",
    "\x7f",
    "\ud800",
    "%00",
    "%0A",
    "%7F",
    "key\n",
    "\u2028",
    "photos/2024/cat.jpg",
    'a"b',  # header-plain or not: each of space, '"' and '%'
    "a%22b",
]
NEAR_BUCKETS = [
    "",
    "b",
    "my-bucket",
    "a b",
    "é",
    "a#b",
    "a#b#c",
    "%",
    "%41",
    "[::1]",
    "\x00",
    "\ud800",
    "b" * (spec.CACHED_LENGTH - 9),
    "b" * (spec.CACHED_LENGTH - 8),
    "b" * (spec.CACHED_LENGTH + 1),
    "é" * 200,
]
NEAR_NAMES = [
    "ObjectCreated:Put",
    "",
    "s3:",
    "s3:ObjectCreated:Put",
    "S3:ObjectCreated:Put",
    "Object Created",
    "ObjectCreated\x00",
    "ObjectCreated\x7f",
    "Objéct",
    "\ud800",
    "\t",
]
NEAR_IDS = [
    "C3D13FE58DE4C810",
    "",
    " ",
    "a\x00",
    "é",
    "\ud800",
    "a\nb",
    "x" * 300,
    'a"',
    "a%",
    "a b",
]
NEAR_TIMES = [
    _MISSING,
    None,
    "1970-01-01T00:00:00.000Z",
    "2024-06-30T23:59:60Z",
    "2024-06-30T15:59:60-08:00",
    "2024-01-01T00:00:00+23:59",
    "2024-01-01T00:00:00+24:00",
    "2024-01-01t00:00:00z",
    "2024-01-01T00:00:00",
    "2024-01-01T00:00:00.123456789Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01 00:00:00Z",
    "",
    1700000000,
    "\uff12\uff10\uff12\uff14-01-01T00:00:00Z",  # full-width digits,
]
NEAR_REGIONS = ["us-east-1", "", "a b", "é", "\x00", 'us"1', "us%41", "us%"]


def _strings(near: list[Any]) -> st.SearchStrategy[Any]:
    return (
        st.sampled_from(near)
        | st.text(max_size=12)
        | st.text(st.characters(max_codepoint=127), max_size=12)
        | st.sampled_from([None, 1, ["a"]])
    )


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=_strings(NEAR_KEYS),
    bucket=_strings(NEAR_BUCKETS),
    event_name=_strings(NEAR_NAMES),
    region=_strings(NEAR_REGIONS),
    request_id=_strings(NEAR_IDS),
    host_id=_strings(NEAR_IDS),
    time=st.sampled_from(NEAR_TIMES) | st.text(max_size=30),
)
@example("", "b", "ObjectCreated:Put", "us-east-1", "R", "H", _MISSING)
@example("+", "b", "ObjectCreated:Put", "us-east-1", "R", "H", None)
@example("%", "b", "ObjectCreated:Put", "us-east-1", "R", "H", None)
@example("k", "b", "ObjectCreated:Put\x00", "us-east-1", "R", "H", None)
@example("k", "b\x00", "ObjectCreated:Put", "us-east-1", "R", "H", None)
@example("k", "b", "ObjectCreated:Put", "us-east-1", "R", "H\x1f", None)
@example("k", "b", "ObjectCreated:Put", "us-east-1", "R", "H", "2024-06-30T23:59:60Z")
@example("k", "b", "ObjectCreated:Put", "us-east-1", "R", "H", "2024-01-01t00:00:00z")
@example('a"b', "b", "ObjectCreated:Put", "us-east-1", "R", "H", None)
@example("k", "b", "ObjectCreated:Put", "us%41", "R", "H", None)
@example("k", "b", "ObjectCreated:Put", "us-east-1", "R%", "H", None)
@example("k", "b", "Object Created", "us-east-1", "R", "H", "1970-01-01T00:00:00.000Z")
def test_fast_path_gives_what_the_constructor_gave(
    key: Any, bucket: Any, event_name: Any, region: Any, request_id: Any, host_id: Any, time: Any
) -> None:
    record = _record(key, bucket, event_name, region, request_id, host_id, time)
    before = copy.deepcopy(record)
    expected = _outcome(_previous_record, record)
    assert _outcome(lambda r: aws_s3._record(r, 0), record) == expected
    # Twice: the second time from the source cache.
    assert _outcome(lambda r: aws_s3._record(r, 0), record) == expected
    assert record == before


def test_source_cache_keeps_only_short_keys() -> None:
    aws_s3._source.cache_clear()
    for length in (spec.CACHED_LENGTH - 9, spec.CACHED_LENGTH - 8, 10 * spec.CACHED_LENGTH):
        record = _record("k", "b" * length, "ObjectCreated:Put", "us-east-1", "R", "H", None)
        assert aws_s3._record(record, 0).event.get_source() == f"aws:s3.us-east-1.{'b' * length}"
    # "us-east-1" is 9 characters: only the first bucket fits CACHED_LENGTH.
    assert aws_s3._source.cache_info().currsize == 1
    for index in range(spec.CACHE_SIZE + 10):
        record = _record("k", f"b{index}", "ObjectCreated:Put", "us-east-1", "R", "H", None)
        aws_s3._record(record, 0)
    assert aws_s3._source.cache_info().currsize == spec.CACHE_SIZE
