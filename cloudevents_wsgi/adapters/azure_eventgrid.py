"""Azure Event Grid events, in the Event Grid schema, into CloudEvents.

Event Grid delivers a JSON array of events (a single object from some
senders); each becomes one CloudEvent. Deliveries in Event Grid's
*CloudEvents* schema are plain CloudEvents JSON and never match this adapter:
the core receiver reads them.

https://learn.microsoft.com/azure/event-grid/event-schema
https://learn.microsoft.com/azure/event-grid/webhook-event-delivery

Before any event is converted, the middleware must ask
:func:`validation_response`: the subscription validation handshake is
answered with ``{"validationResponse": code}`` and never reaches the app.
"""

from __future__ import annotations

from typing import Any, Final

from .. import spec
from ..errors import InvalidEventError
from ..event import CloudEvent
from ..message import Message
from .base import Converted

__all__ = ["ADAPTER", "EventGridAdapter", "validation_response"]

#: Event Grid member -> CloudEvents attribute (DESIGN.md, "Native events").
ATTRIBUTES: Final = {
    "id": "id",
    "topic": "source",
    "eventType": "type",
    "subject": "subject",
    "eventTime": "time",
}

#: Event Grid members kept as CloudEvents extensions, when not empty.
#: ``dataVersion`` is the schema version of ``data``, which a consumer may
#: need; ``metadataVersion`` describes the Event Grid envelope itself (always
#: "1"), which the CloudEvent replaces, so it is not kept. Both stay in the
#: native payload.
EXTENSIONS: Final = {"dataVersion": "dataversion"}

#: The members every Event Grid event carries and a CloudEvent never does.
SIGNATURE: Final = ("eventType", "eventTime")

VALIDATION_EVENT_TYPE: Final = "Microsoft.EventGrid.SubscriptionValidationEvent"

DATA_CONTENT_TYPE: Final = "application/json"


def _first(payload: Any) -> Any:
    if type(payload) is list:
        return payload[0] if payload else None
    return payload


def _is_event_grid_event(item: Any) -> bool:
    return (
        type(item) is dict
        and all(name in item for name in SIGNATURE)
        and ("topic" in item or "subject" in item)
        and "specversion" not in item
    )


def validation_response(payload: Any) -> dict[str, str] | None:
    """The answer to Event Grid's subscription validation handshake, or ``None``.

    ``payload`` is the decoded request body. When it is the handshake (an
    event of type ``Microsoft.EventGrid.SubscriptionValidationEvent``, alone),
    the result is the JSON object to answer with, status 200:
    ``{"validationResponse": <data.validationCode>}``. A handshake without a
    usable code, or mixed with other events, raises
    :class:`InvalidEventError`. Anything else gives ``None``.
    """
    items = payload if type(payload) is list else [payload]
    for index, item in enumerate(items):
        if type(item) is not dict or item.get("eventType") != VALIDATION_EVENT_TYPE:
            continue
        at = f"[{index}]." if type(payload) is list else ""
        if len(items) != 1:
            raise InvalidEventError(
                f"{at}eventType",
                "a subscription validation event is delivered alone, never in a batch",
                VALIDATION_EVENT_TYPE,
            )
        data = item.get("data")
        if type(data) is not dict or "validationCode" not in data:
            raise InvalidEventError(
                f"{at}data.validationCode", "is required in a subscription validation event"
            )
        code = spec.check_non_empty(f"{at}data.validationCode", data["validationCode"])
        return {"validationResponse": code}
    return None


class EventGridAdapter:
    """Event Grid schema events (an array, or one object) into CloudEvents."""

    name = "azure.eventgrid"

    def matches(self, payload: Any, message: Message) -> bool:
        # The first event decides: a later malformed one is reported by
        # convert(), with its index, rather than passed to the app as a request.
        return _is_event_grid_event(_first(payload))

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        if type(payload) is list:
            return [_convert_one(item, f"[{index}].") for index, item in enumerate(payload)]
        return [_convert_one(payload, "")]


def _convert_one(item: Any, at: str) -> Converted:
    if type(item) is not dict:
        raise InvalidEventError(
            at.rstrip(".") or "body", "an Event Grid event is a JSON object", spec.json_type(item)
        )
    attributes: dict[str, Any] = {}
    for member, attribute in ATTRIBUTES.items():
        value = item.get(member)
        if attribute == "subject":
            if value is None or value == "":
                continue  # Event Grid sends "" for "no subject"; CloudEvents has none.
            attributes["subject"] = spec.check_string(at + member, value)
            continue
        if value is None:
            raise InvalidEventError(at + member, "is required in an Event Grid event")
        if attribute == "time":
            # Event Grid writes 7 fractional digits; the 7th is cut (microseconds).
            attributes["time"] = spec.parse_timestamp(at + member, value)
        elif attribute == "source":
            attributes["source"] = spec.check_uri_reference(at + member, value)
        else:
            attributes[attribute] = spec.check_non_empty(at + member, value)
    for member, extension in EXTENSIONS.items():
        value = item.get(member)
        if value is not None and value != "":
            attributes[extension] = spec.check_string(at + member, value)
    data = item.get("data")
    if data is not None:
        attributes["datacontenttype"] = DATA_CONTENT_TYPE
    return Converted(event=CloudEvent(attributes, data), native=item)


ADAPTER: Final = EventGridAdapter()
