"""Amazon SQS messages (Lambda event source) to CloudEvents.

``{"Records": [{"eventSource": "aws:sqs", "messageId": ..., "body": ...}]}``
(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html) becomes one
CloudEvent per message:

==============  ===============================================================
``type``        ``com.amazonaws.sqs.message``
``source``      ``eventSourceARN`` (the queue)
``id``          ``messageId``
``time``        ``attributes.SentTimestamp`` (epoch milliseconds), in UTC
data            ``body``: JSON (``application/json``) when it is a JSON object
                or array, else the text (``text/plain``)
==============  ===============================================================

There is no subject. Every event made from a message carries the message's
``messageId`` as its ``record_id``, so that a failure is reported against the
right message in ``batchItemFailures``.

Envelopes nest: when a body is an S3 notification, an SNS message document
(SNS to SQS without raw delivery; which in turn may hold an S3 notification),
or an EventBridge event, the innermost events become the CloudEvents, unless
the adapter is built with ``unwrap=False``. They are converted by the S3,
SNS and EventBridge adapters, exactly as if they had arrived on their own. A
body that is a CloudEvent in the JSON format (an object with ``specversion``)
becomes that CloudEvent.
"""

from __future__ import annotations

from typing import Any, Final

from ..detect import nested_adapter
from ..message import Message
from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "SQSAdapter"]

TYPE: Final = "com.amazonaws.sqs.message"
EVENT_SOURCE: Final = "aws:sqs"

# The modules of the envelopes an SQS body may hold, tried in this order
# (each recognises only its own kind, so the order never decides); each is
# imported by the first body that might be one (detect.MIGHT_MATCH): the
# first SQS event of plain messages imports no other adapter.
NESTED: Final = ("aws_s3", "aws_sns", "aws_eventbridge")

_NO_HEADERS: Final = Message()


class SQSAdapter(_aws.BatchRecordsAdapter):
    """SQS messages delivered to Lambda.

    ``unwrap=False`` keeps every SQS message as an event of its own, whatever
    its body holds.
    """

    name = "aws.sqs"
    event_source = EVENT_SOURCE
    # The itemIdentifier of Lambda's partial batch responses (with-sqs.html).
    record_id_path = ("messageId",)

    def __init__(self, *, unwrap: bool = True) -> None:
        self.unwrap = unwrap

    def convert_records(self, record: dict[str, Any], where: str) -> list[Converted]:
        message_id = _aws.string(record, "messageId", where)
        body = _aws.string(record, "body", where)
        data, content_type = _aws.json_or_text(body)
        if self.unwrap and content_type == _aws.JSON:
            inner_event = _aws.inner_cloudevent(data, f"{where}.body")
            if inner_event is not None:
                return [Converted(inner_event, record)]
            adapter = nested_adapter(data, NESTED, _NO_HEADERS)
            if adapter is not None:
                inner: list[Converted] = _aws.prefixed(
                    f"{where}.body.", adapter.convert, data, _NO_HEADERS
                )
                return inner
        attributes = {
            "type": TYPE,
            "source": _aws.source_reference(
                _aws.string(record, "eventSourceARN", where), f"{where}.eventSourceARN"
            ),
            "id": message_id,
            "time": _sent(record, where),
            "datacontenttype": content_type,
        }
        paths = {"source": f"{where}.eventSourceARN", "id": f"{where}.messageId"}
        return [Converted(_aws.event(attributes, data, paths), record)]


def _sent(record: dict[str, Any], where: str) -> Any:
    attributes = record.get("attributes")
    if attributes is None:
        return None
    attributes = _aws.obj(attributes, f"{where}.attributes")
    sent = attributes.get("SentTimestamp")
    if sent is None:
        return None
    return _aws.epoch(f"{where}.attributes.SentTimestamp", sent, scale=1000)


ADAPTER: Final = SQSAdapter()
