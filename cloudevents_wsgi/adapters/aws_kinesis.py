"""Amazon Kinesis Data Streams records (Lambda event source) to CloudEvents.

``{"Records": [{"eventSource": "aws:kinesis", "kinesis": {...}, ...}]}``
(https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html) becomes one
CloudEvent per record:

==============  ================================================================
``type``        ``com.amazonaws.kinesis.record``
``source``      ``eventSourceARN`` (the stream)
``id``          ``eventID`` (``shardId-...:sequence number``)
``subject``     ``kinesis.partitionKey``
``time``        ``kinesis.approximateArrivalTimestamp`` (epoch seconds)
data            ``kinesis.data`` base64-decoded: JSON (``application/json``)
                when the bytes are UTF-8 text of a JSON object or array, else
                the bytes (``application/octet-stream``)
==============  ================================================================

Data that is a CloudEvent in the JSON format (an object with
``specversion``) becomes that CloudEvent. Bytes stay bytes: gzip-compressed
CloudWatch Logs records sent through a stream are delivered compressed, as
the producer wrote them. ``record_id`` is ``kinesis.sequenceNumber``, as
Lambda's ``batchItemFailures`` expects.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

from ..errors import InvalidEventError
from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "KinesisAdapter"]

TYPE: Final = "com.amazonaws.kinesis.record"
EVENT_SOURCE: Final = "aws:kinesis"


class KinesisAdapter(_aws.BatchRecordsAdapter):
    """Kinesis Data Streams records delivered to Lambda."""

    name = "aws.kinesis"
    event_source = EVENT_SOURCE
    # The itemIdentifier of Lambda's partial batch responses (with-kinesis.html).
    record_id_path = ("kinesis", "sequenceNumber")

    def convert_record(self, record: dict[str, Any], where: str) -> Converted:
        return _record(record, where)


def _record(record: dict[str, Any], where: str) -> Converted:
    inner = f"{where}.kinesis"
    kinesis = _aws.obj_member(record, "kinesis", where)
    encoded = _aws.string(kinesis, "data", inner)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text
        raise InvalidEventError(f"{inner}.data", "is not valid base64", encoded) from None
    data, content_type = _aws.json_or_bytes(raw)
    inner_event = _aws.inner_cloudevent(data, f"{inner}.data")
    if inner_event is not None:
        return Converted(inner_event, record)
    arrival = kinesis.get("approximateArrivalTimestamp")
    attributes = {
        "type": TYPE,
        "source": _aws.source_reference(
            _aws.string(record, "eventSourceARN", where), f"{where}.eventSourceARN"
        ),
        "id": _aws.string(record, "eventID", where),
        "subject": _aws.string(kinesis, "partitionKey", inner),
        "time": None
        if arrival is None
        else _aws.epoch(f"{inner}.approximateArrivalTimestamp", arrival, scale=1),
        "datacontenttype": content_type,
    }
    paths = {
        "source": f"{where}.eventSourceARN",
        "id": f"{where}.eventID",
        "subject": f"{inner}.partitionKey",
    }
    return Converted(_aws.event(attributes, data, paths), record)


ADAPTER: Final = KinesisAdapter()
