"""Amazon SNS messages to CloudEvents.

Two shapes carry the same SNS message document
(https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html):

- the Lambda event, ``{"Records": [{"EventSource": "aws:sns",
  "EventSubscriptionArn": ..., "Sns": {...}}]}``
  (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html);
- the document itself, as SNS POSTs it to an HTTP(S) subscriber and as it
  appears in the body of an SQS message.

Following the CloudEvents adapter
https://github.com/cloudevents/spec/blob/main/cloudevents/adapters/aws-sns.md:

==============  ==============================================================
``type``        ``com.amazonaws.sns.`` + ``Type`` (``Notification``...)
``source``      the subscription ARN of a Lambda record
                (``EventSubscriptionArn``, AWS's own), else ``TopicArn``;
                always ``TopicArn`` for a SubscriptionConfirmation and for a
                bare document (over HTTP the ``x-amz-sns-subscription-arn``
                header is not signed, so it never sets an attribute)
``id``          ``MessageId``
``subject``     ``Subject`` (left out when absent, null or empty; only on
                notifications)
``time``        ``Timestamp``
data            a notification's ``Message``: JSON (``application/json``) when
                it is a JSON object or array, else the text (``text/plain``);
                for a subscription or unsubscribe confirmation, the whole
                document (``application/json``), which holds ``SubscribeURL``
                and ``Token``
==============  ==============================================================

Envelopes nest: when a notification's ``Message`` is an S3 notification (S3
publishing to a topic), the S3 events become the CloudEvents, one per S3
record, unless the adapter is built with ``unwrap=False``.

Signatures are checked by :mod:`cloudevents_wsgi.sns_signature`, not here.
"""

from __future__ import annotations

from typing import Any, Final

from ..detect import nested_adapter
from ..errors import InvalidEventError
from ..message import Message
from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "SNSAdapter"]

TYPE_PREFIX: Final = "com.amazonaws.sns."
EVENT_SOURCE: Final = "aws:sns"
NOTIFICATION: Final = "Notification"
MESSAGE_TYPES: Final = (NOTIFICATION, "SubscriptionConfirmation", "UnsubscribeConfirmation")
# Which message types take the subscription ARN as source (when there is one).
SOURCE_IS_SUBSCRIPTION: Final = {
    "Notification": True,
    "SubscriptionConfirmation": False,
    "UnsubscribeConfirmation": True,
}
SUBSCRIPTION_HEADER: Final = "x-amz-sns-subscription-arn"

_NO_HEADERS: Final = Message()
# The module of the one notification an SNS message may hold (S3's to a
# topic), imported by the first message that might be one.
_NESTED: Final = ("aws_s3",)


class SNSAdapter:
    """SNS notifications, in a Lambda event or as the bare message document.

    ``unwrap=False`` keeps the SNS notification as the event even when its
    message is an S3 notification.
    """

    name = "aws.sns"

    def __init__(self, *, unwrap: bool = True) -> None:
        self.unwrap = unwrap

    def matches(self, payload: Any, message: Message) -> bool:
        return _aws.first_record_from(payload, EVENT_SOURCE, "EventSource") or is_document(payload)

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        if is_document(payload):
            # Only signed fields: the subscription header is anyone's to send.
            return self.convert_document(payload)
        converted: list[Converted] = []
        for index, record in enumerate(_aws.records(payload)):
            where = f"Records[{index}]"
            event_source = _aws.string(record, "EventSource", where)
            if event_source != EVENT_SOURCE:
                raise InvalidEventError(
                    f"{where}.EventSource", f"must be {EVENT_SOURCE!r}", event_source
                )
            converted += self.convert_document(
                _aws.obj_member(record, "Sns", where),
                subscription_arn=_aws.optional_string(record, "EventSubscriptionArn", where),
                native=record,
                where=f"{where}.Sns",
            )
        return converted

    def convert_document(
        self,
        document: Any,
        *,
        subscription_arn: str | None = None,
        native: Any = None,
        where: str = "",
    ) -> list[Converted]:
        """The CloudEvents of one SNS message document (``native`` defaults to
        the document; ``where`` is its field path, for errors: a refused
        ``subscription_arn`` is named ``EventSubscriptionArn`` beside a
        ``where`` ending in ``Sns``, under it otherwise)."""
        document = _aws.obj(document, where)
        message_type = _aws.string(document, "Type", where)
        if message_type not in MESSAGE_TYPES:
            raise InvalidEventError(
                _aws.path_join(where, "Type"),
                f"is not an SNS message type ({', '.join(MESSAGE_TYPES)})",
                message_type,
            )
        topic_arn = _aws.string(document, "TopicArn", where)
        subject = None
        if message_type == NOTIFICATION:
            text = _aws.string(document, "Message", where)
            data, content_type = _aws.json_or_text(text)
            if self.unwrap and content_type == _aws.JSON:
                inner_event = _aws.inner_cloudevent(data, _aws.path_join(where, "Message"))
                if inner_event is not None:
                    return [Converted(inner_event, document if native is None else native)]
            adapter = (
                nested_adapter(data, _NESTED, _NO_HEADERS)
                if self.unwrap and content_type == _aws.JSON
                else None
            )
            if adapter is not None:
                prefix = _aws.path_join(where, "Message") + "."
                inner: list[Converted] = _aws.prefixed(prefix, adapter.convert, data, _NO_HEADERS)
                return inner
            subject = _aws.optional_string(document, "Subject", where) or None
        else:
            data, content_type = document, _aws.JSON
        source, source_path = topic_arn, _aws.path_join(where, "TopicArn")
        if SOURCE_IS_SUBSCRIPTION[message_type] and subscription_arn:
            # A Lambda record's: beside its Sns document (where: Records[i].Sns);
            # a caller's document elsewhere ("" at the top): under where.
            source = subscription_arn
            parent = "" if where == "Sns" else where.removesuffix(".Sns")
            source_path = _aws.path_join(parent, "EventSubscriptionArn")
        attributes = {
            "type": TYPE_PREFIX + message_type,
            "source": _aws.source_reference(source, source_path),
            "id": _aws.string(document, "MessageId", where),
            "subject": subject,
            "time": _aws.timestamp(document, "Timestamp", where),
            "datacontenttype": content_type,
        }
        paths = {
            "source": _aws.path_join(where, "TopicArn"),
            "id": _aws.path_join(where, "MessageId"),
            "subject": _aws.path_join(where, "Subject"),
        }
        event = _aws.event(attributes, data, paths)
        return [Converted(event, document if native is None else native)]


def is_document(payload: Any) -> bool:
    """Whether ``payload`` looks like an SNS message document (cheap; never raises)."""
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("Type"), str)
        and payload["Type"] in MESSAGE_TYPES
        and isinstance(payload.get("MessageId"), str)
        and isinstance(payload.get("TopicArn"), str)
    )


ADAPTER: Final = SNSAdapter()
