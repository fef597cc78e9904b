"""Amazon S3 event notifications to CloudEvents.

A notification (``{"Records": [{"eventSource": "aws:s3", ...}]}``) becomes
one CloudEvent per record, following the CloudEvents adapter
https://github.com/cloudevents/spec/blob/main/cloudevents/adapters/aws-s3.md
for the record format documented at
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html

==============  ==========================================================
``type``        ``com.amazonaws.s3.`` + ``eventName`` (``ObjectCreated:Put``)
``source``      ``eventSource`` + ``.`` + ``awsRegion`` + ``.`` + bucket name
``id``          ``x-amz-request-id`` + ``.`` + ``x-amz-id-2``
``subject``     the object key, URL-decoded
``time``        ``eventTime`` (written out as S3 wrote it)
data            the record (``application/json``)
==============  ==========================================================

Object keys arrive form-encoded (``+`` for a space, then ``%XX`` escapes of
UTF-8), so ``New+File.jpg`` is the key ``New File.jpg``. Some samples (AWS's
own documentation of replication and restore events) write ``eventName`` with
the ``s3:`` prefix of the notification *configuration*
(``s3:ObjectRestore:Completed``); the prefix is dropped, so both spellings give
``com.amazonaws.s3.ObjectRestore:Completed``.

The ``s3:TestEvent`` S3 sends when a notification is configured
(``{"Service": "Amazon S3", "Event": "s3:TestEvent", ...}``) has no region and
no records; it becomes one CloudEvent of type ``com.amazonaws.s3.TestEvent``,
source ``aws:s3.`` + ``Bucket``, id ``RequestId`` + ``.`` + ``HostId``, time
``Time``, no subject, and the whole test event as data.
"""

from __future__ import annotations

import functools
from typing import Any, Final
from urllib.parse import unquote_plus

from .. import spec
from .._json import encode_native
from ..errors import InvalidEventError
from ..event import CloudEvent
from ..message import Message
from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "S3Adapter"]

TYPE_PREFIX: Final = "com.amazonaws.s3."
EVENT_SOURCE: Final = "aws:s3"
# The prefix of configuration event names, sometimes seen in eventName.
CONFIGURATION_PREFIX: Final = "s3:"

TEST_EVENT: Final = {"Service": "Amazon S3", "Event": "s3:TestEvent"}
TEST_EVENT_SOURCE_PREFIX: Final = "aws:s3."
# Bound once: a classmethod looked up on its class is unspecialised in CPython
# 3.11, on every record (measured).
_checked: Final = CloudEvent._checked


class S3Adapter:
    """S3 event notifications (and the ``s3:TestEvent``)."""

    name = "aws.s3"

    def matches(self, payload: Any, message: Message) -> bool:
        return _aws.first_record_from(payload, EVENT_SOURCE) or _is_test_event(payload)

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        if _is_test_event(payload):
            return [_test_event(payload)]
        # A loop, not a comprehension: a Python frame fewer (CPython 3.11).
        converted = []
        for index, record in enumerate(_aws.records(payload)):
            converted.append(_record(record, index))
        return converted


def _is_test_event(payload: Any) -> bool:
    # TEST_EVENT's items, compared in order.
    return (
        isinstance(payload, dict)
        and payload.get("Service") == "Amazon S3"
        and payload.get("Event") == "s3:TestEvent"
    )


def _record(record: dict[str, Any], index: int) -> Converted:
    """The event of ``Records[index]``: the usual case read directly (one
    function, not two: a Python frame fewer a record); anything missing or
    wrong raises, and the checked reading (:func:`_checked_record`) then says
    what, naming the field."""
    try:
        s3 = record["s3"]
        key = s3["object"]["key"]
        bucket_name = s3["bucket"]["name"]
        response = record["responseElements"]
        event_name = record["eventName"]
        region = record["awsRegion"]
        request_id = response["x-amz-request-id"]
        host_id = response["x-amz-id-2"]
        time = record.get("eventTime")
        if not (
            type(key) is str
            and type(bucket_name) is str
            and type(event_name) is str
            and type(region) is str
            and type(request_id) is str
            and type(host_id) is str
            and event_name
            and record["eventSource"] == EVENT_SOURCE
            # not event_name.startswith(CONFIGURATION_PREFIX), without the
            # slow argument parsing of str.startswith (3.11)
            and event_name[:3] != CONFIGURATION_PREFIX
        ):
            raise TypeError
        event_type = TYPE_PREFIX + event_name
        event_id = f"{request_id}.{host_id}"
        subject = unquote_plus(key, errors="strict") if "%" in key or "+" in key else key
        attributes: dict[str, Any] = {
            "specversion": spec.SPECVERSION,
            "type": event_type,
            "source": (
                _source(region, bucket_name)
                if len(region) + len(bucket_name) <= spec.CACHED_LENGTH
                else _source.__wrapped__(region, bucket_name)
            ),
            "id": event_id,
            "subject": subject,
        }
        usual_time = True
        if time is not None:
            # Aware, or it raises; and whether ce-time may be the text as it is.
            attributes["time"], usual_time = spec.parse_usual_timestamp("time", time)
        attributes["datacontenttype"] = _aws.JSON
        source = attributes["source"]
        strings = event_type + event_id + subject + source
        if subject and strings.isascii() and strings.isprintable():
            # Each attribute checked once, here: non-empty printable ASCII is what
            # spec.check_non_empty accepts at once (type, id, subject), the source
            # was checked above (and is ASCII here) and datacontenttype is a
            # constant. The eventTime text is kept: ce-time is written as S3 wrote
            # it, as the receiver does. Header-plain (no space, '"' or '%': the
            # values binary mode writes as they are; the time text in the usual
            # spelling) is told here, once, for the writer.
            plain = usual_time and " " not in strings and '"' not in strings and "%" not in strings
            event = _checked(attributes, record, time, plain)
        else:
            del attributes["specversion"]
            if time is not None:
                attributes["time"] = time  # checked above; its text kept, as above
            event = CloudEvent(attributes, record)  # the constructor says what is wrong
        # The record is JSON as the Lambda runtime (or the middleware) decoded it.
        event._received_as(encode_native(record))
        return Converted(event, record)
    except (KeyError, TypeError, UnicodeDecodeError, InvalidEventError):
        return _checked_record(record, f"Records[{index}]")


# Sources repeat (one per bucket): those already made and checked, bounded
# like every cache of the package (keys of spec.CACHED_LENGTH at most).
@functools.lru_cache(maxsize=spec.CACHE_SIZE)
def _source(region: str, bucket_name: str) -> str:
    """``aws:s3.<region>.<bucket>`` as a checked URI reference."""
    # A refusal here sends the record to _checked_record, which names the field.
    source = _aws.source_reference(f"{EVENT_SOURCE}.{region}.{bucket_name}", "source")
    return spec.check_uri_reference("source", source)


def _checked_record(record: dict[str, Any], where: str) -> Converted:
    event_source = _aws.string(record, "eventSource", where)
    if event_source != EVENT_SOURCE:
        raise InvalidEventError(
            f"{where}.eventSource", f"must be {EVENT_SOURCE!r} in an S3 notification", event_source
        )
    region = _aws.string(record, "awsRegion", where)
    event_name = _aws.string(record, "eventName", where)
    s3 = _aws.obj_member(record, "s3", where)
    bucket = _aws.obj_member(s3, "bucket", f"{where}.s3")
    bucket_name = _aws.string(bucket, "name", f"{where}.s3.bucket")
    s3_object = _aws.obj_member(s3, "object", f"{where}.s3")
    key_path = f"{where}.s3.object.key"
    key = _aws.string(s3_object, "key", f"{where}.s3.object")
    response = _aws.obj_member(record, "responseElements", where)
    request_id = _aws.string(response, "x-amz-request-id", f"{where}.responseElements")
    host_id = _aws.string(response, "x-amz-id-2", f"{where}.responseElements")
    try:
        subject = unquote_plus(key, errors="strict")
    except UnicodeDecodeError:
        raise InvalidEventError(key_path, "is not a URL-encoded UTF-8 object key", key) from None
    if event_name.startswith(CONFIGURATION_PREFIX):
        event_name = event_name[len(CONFIGURATION_PREFIX) :]
    if not event_name:
        raise InvalidEventError(f"{where}.eventName", "must name the event", record["eventName"])
    _aws.timestamp(record, "eventTime", where)  # checked, naming the field
    attributes = {
        "type": TYPE_PREFIX + event_name,
        "source": _aws.source_reference(
            f"{event_source}.{region}.{bucket_name}", f"{where}.s3.bucket.name"
        ),
        "id": f"{request_id}.{host_id}",
        "subject": subject,
        "time": record.get("eventTime"),  # checked above; kept as text, as the fast path does
        "datacontenttype": _aws.JSON,
    }
    paths = {
        "type": f"{where}.eventName",
        "source": f"{where}.s3.bucket.name",
        "id": f"{where}.responseElements.x-amz-request-id",
        "subject": key_path,
    }
    return Converted(_aws.event(attributes, record, paths), record)


def _test_event(payload: dict[str, Any]) -> Converted:
    bucket = _aws.string(payload, "Bucket", "")
    request_id = _aws.string(payload, "RequestId", "")
    host_id = _aws.string(payload, "HostId", "")
    _aws.timestamp(payload, "Time", "")  # checked, naming the field
    attributes = {
        "type": TYPE_PREFIX + payload["Event"][len(CONFIGURATION_PREFIX) :],
        "source": _aws.source_reference(TEST_EVENT_SOURCE_PREFIX + bucket, "Bucket"),
        "id": f"{request_id}.{host_id}",
        "time": payload.get("Time"),  # checked above; kept as text
        "datacontenttype": _aws.JSON,
    }
    paths = {"source": "Bucket", "id": "RequestId"}
    return Converted(_aws.event(attributes, payload, paths), payload)


ADAPTER: Final = S3Adapter()
