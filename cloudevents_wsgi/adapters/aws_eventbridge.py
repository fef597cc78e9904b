"""Amazon EventBridge (CloudWatch Events) events to CloudEvents.

An EventBridge event (``version``, ``id``, ``detail-type``, ``source``,
``account``, ``time``, ``region``, ``resources``, ``detail``) becomes one
CloudEvent, as AWS's own transform to CloudEvents does it:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations-cloudevents.html
(envelope: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html)

==============  ====================================================
``type``        ``detail-type``
``source``      ``source``
``id``          ``id``
``time``        ``time``
``awsregion``   ``region`` (the extension AWS's transform names)
data            ``detail`` (``application/json``)
==============  ====================================================

There is no subject. Scheduled events (``"source": "aws.events"``) and S3
events sent to EventBridge (``"source": "aws.s3"``) are EventBridge events
like any other. ``account`` and ``resources`` stay in the native event: AWS's
transform maps no other extension. A ``detail`` that is a CloudEvent in the
JSON format (an object with ``specversion``) becomes that CloudEvent.
"""

from __future__ import annotations

from typing import Any, Final

from ..errors import InvalidEventError
from ..message import Message
from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "EventBridgeAdapter"]

# CloudEvents attribute -> EventBridge field, for the string attributes.
ATTRIBUTES: Final = {
    "type": "detail-type",
    "source": "source",
    "id": "id",
    "awsregion": "region",
}


class EventBridgeAdapter:
    """EventBridge events (including scheduled events)."""

    name = "aws.eventbridge"

    def matches(self, payload: Any, message: Message) -> bool:
        return (
            isinstance(payload, dict)
            and isinstance(payload.get("detail-type"), str)
            and isinstance(payload.get("source"), str)
            and "detail" in payload
        )

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        envelope = _aws.obj(payload, "")
        detail = _aws.member(envelope, "detail", "")
        if not isinstance(detail, dict):
            raise InvalidEventError("detail", "must be an object", detail)
        inner_event = _aws.inner_cloudevent(detail, "detail")
        if inner_event is not None:
            return [Converted(inner_event, envelope)]
        attributes: dict[str, Any] = {
            "type": _aws.string(envelope, "detail-type", ""),
            "source": _aws.source_reference(_aws.string(envelope, "source", ""), "source"),
            "id": _aws.string(envelope, "id", ""),
            "awsregion": _aws.optional_string(envelope, "region", ""),
            "time": _aws.timestamp(envelope, "time", ""),
            "datacontenttype": _aws.JSON,
        }
        event = _aws.event(attributes, detail, ATTRIBUTES)
        return [Converted(event, envelope)]


ADAPTER: Final = EventBridgeAdapter()
