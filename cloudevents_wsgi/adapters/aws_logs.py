"""Amazon CloudWatch Logs subscription deliveries to CloudEvents.

A subscription filter with a Lambda destination sends
``{"awslogs": {"data": base64(gzip(JSON))}}``
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html);
the JSON inside is a ``DATA_MESSAGE`` (a batch of log events of one stream)
or a ``CONTROL_MESSAGE`` (a health check). Either, or that decoded JSON on its
own, becomes one CloudEvent:

==============  ================================================================
``type``        ``com.amazonaws.logs.`` + ``messageType``
``source``      ``logGroup`` (the name: the payload has no region to build an
                ARN from); for a control message, whose ``logGroup`` is empty,
                ``owner`` (``CloudwatchLogs``)
``id``          the first log event's ``id`` (a control message's event has an
                empty id: then its ``timestamp``, in digits)
``subject``     ``logStream`` (left out when empty)
``time``        the first log event's ``timestamp`` (epoch milliseconds)
data            the decoded JSON (``application/json``)
==============  ================================================================

The data is decompressed whether gzip or zlib wraps it (both are seen), and
never beyond ``max_decompressed_size`` bytes: a larger payload is refused with
:class:`~cloudevents_wsgi.PayloadTooLargeError` (413).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any, Final

from .. import spec
from ..errors import ConfigurationError, InvalidEventError, PayloadTooLargeError
from ..message import Message
from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "MAX_DECOMPRESSED_SIZE", "LogsAdapter"]

MESSAGE_TYPES: Final = {
    "DATA_MESSAGE": "com.amazonaws.logs.DATA_MESSAGE",
    "CONTROL_MESSAGE": "com.amazonaws.logs.CONTROL_MESSAGE",
}
# CloudWatch Logs sends at most 1 MB of log events per delivery; ten times
# that leaves room and still stops a decompression bomb early.
MAX_DECOMPRESSED_SIZE: Final = 10 * 1024 * 1024

_DATA_FIELD: Final = "awslogs.data"
# zlib window bits 32 + 15: read a gzip or a zlib header, whichever is there.
_GZIP_OR_ZLIB: Final = 47


class LogsAdapter:
    """CloudWatch Logs subscription deliveries (encoded, or decoded)."""

    name = "aws.logs"

    def __init__(self, *, max_decompressed_size: int = MAX_DECOMPRESSED_SIZE) -> None:
        if (
            isinstance(max_decompressed_size, bool)
            or not isinstance(max_decompressed_size, int)
            or max_decompressed_size < 1
        ):
            raise ConfigurationError(
                f"max_decompressed_size must be a positive integer, not {max_decompressed_size!r}"
            )
        self.max_decompressed_size = max_decompressed_size

    def matches(self, payload: Any, message: Message) -> bool:
        if not isinstance(payload, dict):
            return False
        envelope = payload.get("awslogs")
        if isinstance(envelope, dict):
            return isinstance(envelope.get("data"), str)
        message_type = payload.get("messageType")
        return (
            isinstance(message_type, str)
            and message_type in MESSAGE_TYPES
            and "logEvents" in payload
        )

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        body = _aws.obj(payload, "")
        if "awslogs" not in body:
            return [Converted(_decoded(body, ""), body)]
        envelope = _aws.obj_member(body, "awslogs", "")
        encoded = _aws.string(envelope, "data", "awslogs")
        decoded = self._decode(encoded)
        event = _aws.prefixed(f"{_DATA_FIELD}.", _decoded, decoded, "")
        return [Converted(event, body)]

    def _decode(self, encoded: str) -> dict[str, Any]:
        try:
            compressed = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):  # ValueError: non-ASCII text
            raise InvalidEventError(_DATA_FIELD, "is not valid base64") from None
        inflater = zlib.decompressobj(wbits=_GZIP_OR_ZLIB)
        try:
            raw = inflater.decompress(compressed, self.max_decompressed_size + 1)
        except zlib.error as exc:
            raise InvalidEventError(_DATA_FIELD, f"is not gzip or zlib data ({exc})") from None
        if len(raw) > self.max_decompressed_size:
            raise PayloadTooLargeError(
                _DATA_FIELD,
                f"decompresses to more than {self.max_decompressed_size} bytes",
            )
        if not inflater.eof:
            raise InvalidEventError(_DATA_FIELD, "is truncated compressed data")
        if inflater.unused_data:
            raise InvalidEventError(_DATA_FIELD, "has bytes after the compressed data")
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise InvalidEventError(_DATA_FIELD, "does not decompress to UTF-8 JSON") from None
        return _aws.obj(document, _DATA_FIELD)


def _decoded(document: Any, where: str) -> Any:
    document = _aws.obj(document, where)
    message_type = _aws.string(document, "messageType", where)
    event_type = MESSAGE_TYPES.get(message_type)
    if event_type is None:
        raise InvalidEventError(
            _aws.path_join(where, "messageType"),
            f"is not one of {', '.join(MESSAGE_TYPES)}",
            message_type,
        )
    log_group = _aws.string(document, "logGroup", where)
    log_stream = _aws.optional_string(document, "logStream", where)
    events_path = _aws.path_join(where, "logEvents")
    events = _aws.member(document, "logEvents", where)
    if not isinstance(events, list):
        raise InvalidEventError(events_path, f"must be an array, not {spec.json_type(events)}")
    if not events:
        raise InvalidEventError(events_path, "must not be empty", events)
    first_path = f"{events_path}[0]"
    first = _aws.obj(events[0], first_path)
    first_id = _aws.string(first, "id", first_path)
    timestamp = _aws.member(first, "timestamp", first_path)
    time = _aws.epoch(f"{first_path}.timestamp", timestamp, scale=1000)
    source = log_group
    source_path = _aws.path_join(where, "logGroup")
    if not log_group and message_type == "CONTROL_MESSAGE":
        source = _aws.optional_string(document, "owner", where) or ""
        source_path = _aws.path_join(where, "owner")
    if not first_id and message_type == "CONTROL_MESSAGE":
        first_id = str(timestamp)
    attributes = {
        "type": event_type,
        "source": _aws.source_reference(source, source_path),
        "id": first_id,
        "subject": log_stream or None,
        "time": time,
        "datacontenttype": _aws.JSON,
    }
    paths = {
        "source": source_path,
        "id": f"{first_path}.id",
        "subject": _aws.path_join(where, "logStream"),
    }
    return _aws.event(attributes, document, paths)


ADAPTER: Final = LogsAdapter()
