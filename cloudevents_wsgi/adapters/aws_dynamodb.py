"""Amazon DynamoDB Streams records (Lambda event source) to CloudEvents.

``{"Records": [{"eventSource": "aws:dynamodb", "eventName": "INSERT", ...}]}``
(https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html; record format:
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Record.html)
becomes one CloudEvent per record:

==============  ================================================================
``type``        ``com.amazonaws.dynamodb.`` + ``eventName`` (INSERT, MODIFY,
                REMOVE)
``source``      ``eventSourceARN`` (the stream)
``id``          ``eventID``
``time``        ``dynamodb.ApproximateCreationDateTime`` (epoch seconds; left
                out when absent)
data            the record's ``dynamodb`` object, as DynamoDB wrote it
                (``application/json``); :func:`deserialize` turns its
                ``Keys``/``NewImage``/``OldImage`` into plain Python
==============  ================================================================

There is no subject. The native record is the whole record; its
``record_id`` is ``dynamodb.SequenceNumber``, which is what Lambda's
``batchItemFailures`` expects for streams.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from .. import spec
from ..errors import InvalidEventError
from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "DynamoDBAdapter", "deserialize"]

EVENT_SOURCE: Final = "aws:dynamodb"
EVENT_TYPES: Final = {
    "INSERT": "com.amazonaws.dynamodb.INSERT",
    "MODIFY": "com.amazonaws.dynamodb.MODIFY",
    "REMOVE": "com.amazonaws.dynamodb.REMOVE",
}


class DynamoDBAdapter(_aws.BatchRecordsAdapter):
    """DynamoDB Streams records delivered to Lambda."""

    name = "aws.dynamodb"
    event_source = EVENT_SOURCE
    # The itemIdentifier of Lambda's partial batch responses (with-ddb.html).
    record_id_path = ("dynamodb", "SequenceNumber")

    def convert_record(self, record: dict[str, Any], where: str) -> Converted:
        return _record(record, where)


def _record(record: dict[str, Any], where: str) -> Converted:
    event_name = _aws.string(record, "eventName", where)
    event_type = EVENT_TYPES.get(event_name)
    if event_type is None:
        raise InvalidEventError(
            f"{where}.eventName", f"is not one of {', '.join(EVENT_TYPES)}", event_name
        )
    stream = _aws.obj_member(record, "dynamodb", where)
    # Checked here, in field order; record_id_path makes it the record_id.
    _aws.string(stream, "SequenceNumber", f"{where}.dynamodb")
    created = stream.get("ApproximateCreationDateTime")
    attributes = {
        "type": event_type,
        "source": _aws.source_reference(
            _aws.string(record, "eventSourceARN", where), f"{where}.eventSourceARN"
        ),
        "id": _aws.string(record, "eventID", where),
        "time": None
        if created is None
        else _aws.epoch(f"{where}.dynamodb.ApproximateCreationDateTime", created, scale=1),
        "datacontenttype": _aws.JSON,
    }
    paths = {"source": f"{where}.eventSourceARN", "id": f"{where}.eventID"}
    return Converted(_aws.event(attributes, stream, paths), record)


# DynamoDB numbers: up to 38 significant digits, which a float cannot hold.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_INT_DIGITS = 40  # sign and 38 digits, with room


def deserialize(attribute_value_map: Any) -> dict[str, Any]:
    """A DynamoDB item (a map of names to AttributeValues, as in ``NewImage``)
    as plain Python.

    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html

    ``S`` -> ``str``; ``N`` -> ``int`` when the number is written as an
    integer, else ``decimal.Decimal`` (exact, like DynamoDB's own 38 digits;
    a float would round); ``B`` -> ``bytes`` (from base64); ``BOOL`` ->
    ``bool``; ``NULL`` -> ``None``; ``M`` -> ``dict``; ``L`` -> ``list``;
    ``SS``/``NS``/``BS`` -> ``set`` of those. Raises
    :class:`~cloudevents_wsgi.InvalidEventError` naming the attribute path
    (``"tags[2].N"``) when a value is malformed.
    """
    return _map(attribute_value_map, "")


def _map(value: Any, where: str) -> dict[str, Any]:
    items = _aws.obj(value, where)
    return {name: _value(item, _aws.path_join(where, name)) for name, item in items.items()}


def _value(attribute_value: Any, where: str) -> Any:
    wrapper = _aws.obj(attribute_value, where)
    if len(wrapper) != 1:
        raise InvalidEventError(
            where,
            "must be an AttributeValue: an object with exactly one type key",
            attribute_value,
        )
    ((kind, value),) = wrapper.items()
    field = f"{where}.{kind}"
    reader = _READERS.get(kind)
    if reader is None:
        raise InvalidEventError(
            field, f"is not an AttributeValue type ({', '.join(_READERS)})", attribute_value
        )
    return reader(value, field)


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidEventError(field, f"must be a string, not {spec.json_type(value)}", value)
    return value


def _number(value: Any, field: str) -> int | Decimal:
    text = _string(value, field).strip()
    # DynamoDB numbers hold at most 38 digits; int() of a longer text is
    # quadratic (and refused past 4300 digits), Decimal() is linear and exact.
    if len(text) <= _INT_DIGITS and _INTEGER.fullmatch(text):
        return int(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise InvalidEventError(field, "is not a number", value)
    return number


def _binary(value: Any, field: str) -> bytes:
    try:
        return base64.b64decode(_string(value, field), validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text
        raise InvalidEventError(field, "is not valid base64", value) from None


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidEventError(field, f"must be a boolean, not {spec.json_type(value)}", value)
    return value


def _null(value: Any, field: str) -> None:
    if value is not True:
        raise InvalidEventError(field, "must be true", value)


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidEventError(field, f"must be an array, not {spec.json_type(value)}", value)
    return [_value(item, f"{field}[{index}]") for index, item in enumerate(value)]


def _set_of(read: Callable[[Any, str], Any]) -> Callable[[Any, str], set[Any]]:
    def read_set(value: Any, field: str) -> set[Any]:
        if not isinstance(value, list):
            raise InvalidEventError(field, f"must be an array, not {spec.json_type(value)}", value)
        return {read(item, f"{field}[{index}]") for index, item in enumerate(value)}

    return read_set


_READERS: Final[dict[str, Callable[[Any, str], Any]]] = {
    "S": _string,
    "N": _number,
    "B": _binary,
    "BOOL": _bool,
    "NULL": _null,
    "M": _map,
    "L": _list,
    "SS": _set_of(_string),
    "NS": _set_of(_number),
    "BS": _set_of(_binary),
}


ADAPTER: Final = DynamoDBAdapter()
