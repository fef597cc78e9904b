"""Google Cloud Pub/Sub push deliveries into CloudEvents.

A push subscription POSTs ``{"message": PubsubMessage, "subscription": name}``
https://cloud.google.com/pubsub/docs/push#receive_push
and the CloudEvent is the one Google itself sends for a published message
(Eventarc, Cloud Functions 2nd gen): type
``google.cloud.pubsub.topic.v1.messagePublished``, data a
``MessagePublishedData`` object, which is exactly the push body's shape.
https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/pubsub/v1/data.proto

The source names the topic, ``//pubsub.googleapis.com/projects/P/topics/T``,
but a push body does not carry it. Like Google's Functions Frameworks
(``_parse_pubsub_topic`` in functions-framework-python's event_conversion.py),
the topic is read from the request path when the push endpoint's URL holds
``projects/P/topics/T``; otherwise the source is the subscription that pushed,
``//pubsub.googleapis.com/projects/P/subscriptions/S``, the one resource the
delivery does name (the Frameworks would leave an empty resource there).

The message's payload stays base64 inside the data, as in Google's
CloudEvents; :func:`message_bytes` decodes it.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

from .. import spec
from ..errors import InvalidEventError
from ..event import CloudEvent
from ..message import Message
from .base import Converted

__all__ = ["ADAPTER", "PubSubPushAdapter", "message_bytes"]

EVENT_TYPE: Final = "google.cloud.pubsub.topic.v1.messagePublished"
SOURCE_PREFIX: Final = "//pubsub.googleapis.com/"
DATA_CONTENT_TYPE: Final = "application/json"

#: PubsubMessage members -> the CloudEvents attribute they give, each with its
#: two spellings: push bodies carry the JSON (camelCase) name, and often the
#: protobuf (snake_case) one as well, with the same value.
ATTRIBUTES: Final = {
    "id": ("messageId", "message_id"),
    "time": ("publishTime", "publish_time"),
}

# A topic's resource name, as a push endpoint's path may carry it.
_TOPIC_IN_PATH: Final = re.compile(r"projects/[^/?#]+/topics/[^/?#]+")


class PubSubPushAdapter:
    """Pub/Sub push request bodies into ``messagePublished`` CloudEvents."""

    name = "google.pubsub"

    def matches(self, payload: Any, message: Message) -> bool:
        if type(payload) is not dict or "subscription" not in payload:
            return False
        if "context" in payload or "specversion" in payload:
            return False
        pubsub_message = payload.get("message")
        return type(pubsub_message) is dict and any(
            name in pubsub_message for name in ATTRIBUTES["id"]
        )

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        if type(payload) is not dict:
            raise InvalidEventError(
                "body", "a Pub/Sub push body is a JSON object", spec.json_type(payload)
            )
        subscription = spec.check_non_empty("subscription", payload.get("subscription"))
        pubsub_message = payload.get("message")
        if type(pubsub_message) is not dict:
            raise InvalidEventError(
                "message", "must be a JSON object", spec.json_type(pubsub_message)
            )
        attributes: dict[str, Any] = {"type": EVENT_TYPE}
        for attribute, spellings in ATTRIBUTES.items():
            value, field = _one_value(pubsub_message, spellings)
            if value is None:
                if attribute == "id":
                    raise InvalidEventError(field, "is required")
                continue  # never invent a time
            if attribute == "time":
                attributes["time"] = spec.parse_timestamp(field, value)
            else:
                attributes[attribute] = spec.check_non_empty(field, value)
        if "attributes" in pubsub_message and type(pubsub_message["attributes"]) is not dict:
            raise InvalidEventError(
                "message.attributes",
                "must be a JSON object",
                spec.json_type(pubsub_message["attributes"]),
            )
        _decode("message.data", pubsub_message.get("data"))
        topic = _TOPIC_IN_PATH.search(message.path)
        resource = topic.group() if topic else subscription
        attributes["source"] = spec.check_uri_reference(
            "path" if topic else "subscription", SOURCE_PREFIX + resource
        )
        attributes["datacontenttype"] = DATA_CONTENT_TYPE
        data = {"message": dict(pubsub_message), "subscription": subscription}
        return [Converted(event=CloudEvent(attributes, data), native=payload)]


def message_bytes(data: Any) -> bytes:
    """The decoded payload of a Pub/Sub message, ``b""`` when it has none.

    ``data`` is a ``messagePublished`` CloudEvent's data (``event.get_data()``,
    from this adapter, the legacy adapter or Google's own CloudEvents) or a
    push body: ``{"message": {"data": <base64>, ...}, ...}``.
    """
    pubsub_message = data.get("message") if type(data) is dict else None
    if type(pubsub_message) is not dict:
        raise InvalidEventError(
            "message", "a Pub/Sub message is a JSON object", spec.json_type(pubsub_message)
        )
    return _decode("message.data", pubsub_message.get("data"))


def _one_value(members: dict[str, Any], spellings: tuple[str, str]) -> tuple[Any, str]:
    """The value under either spelling, and its field; both present must agree."""
    camel, snake = (members.get(name) for name in spellings)
    if camel is not None and snake is not None and camel != snake:
        raise InvalidEventError(
            f"message.{spellings[1]}", f"differs from message.{spellings[0]}", snake
        )
    if camel is None and snake is not None:
        return snake, f"message.{spellings[1]}"
    return camel, f"message.{spellings[0]}"


def _decode(field: str, value: Any) -> bytes:
    if value is None:
        return b""
    if type(value) is not str:
        raise InvalidEventError(field, "must be a base64 string", spec.json_type(value))
    # Protobuf's JSON mapping writes bytes as standard base64 and reads the
    # URL-safe alphabet too, with or without padding.
    text = value.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidEventError(field, "is not valid base64 (RFC 4648)", value) from None


ADAPTER: Final = PubSubPushAdapter()
