"""Apache Kafka records (Amazon MSK and self-managed Kafka event sources) to CloudEvents.

Event shape: https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html and
https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html::

    {"eventSource": "aws:kafka" | "SelfManagedKafka",
     "eventSourceArn": "arn:aws:kafka:...",          (MSK only)
     "bootstrapServers": "b-1.example:9092,...",
     "records": {"<topic>-<partition>": [{"topic", "partition", "offset",
                 "timestamp", "timestampType", "key", "value", "headers"}]}}

``key`` and ``value`` are base64; ``headers`` is a list of one-member objects
whose value is an array of byte values (``[{"ce_id": [49, 50]}]``).

One CloudEvent per record, in offset order within each partition:

- a record with a ``content-type`` header ``application/cloudevents+json``
  (or another ``application/cloudevents`` type) is a structured CloudEvent:
  the value is the event in the JSON format (CloudEvents Kafka protocol
  binding, section 3.2);
- a record with ``ce_specversion`` among its headers is a binary CloudEvent:
  the ``ce_`` headers are its attributes, ``content-type`` its
  ``datacontenttype``, the value its data (Kafka binding, section 3.1);
- a value that is a CloudEvent in the JSON format (an object with
  ``specversion``), whatever the headers, is that CloudEvent;
- any other record becomes:

  ==============  ===========================================================
  ``type``        ``com.amazonaws.kafka.record`` (MSK) or
                  ``com.amazonaws.kafka.selfmanaged.record``
  ``source``      ``eventSourceArn`` ``/`` topic (MSK); for self-managed
                  Kafka ``kafka://`` first bootstrap server ``/`` topic
  ``id``          ``<topic>-<partition>-<offset>``
  ``subject``     the key, when it is UTF-8 text
  ``time``        ``timestamp`` (epoch milliseconds)
  data            the value: JSON (``application/json``) when it is UTF-8
                  JSON of an object or array, else bytes
                  (``application/octet-stream``); no data for a null value
  ==============  ===========================================================

Every event carries ``record_id`` ``<topic>-<partition>-<offset>``; the
Lambda shim turns a failed one into Kafka's partial batch ``itemIdentifier``
``{"partition": "<topic>-<partition>", "offset": <offset>}``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

from ..errors import InvalidEventError
from ..message import Message
from ..receiver import parse_binary, parse_structured
from . import _aws
from .base import Converted

__all__ = ["ADAPTER", "EVENT_SOURCES", "KafkaAdapter", "records_of"]

MSK: Final = "aws:kafka"
SELF_MANAGED: Final = "SelfManagedKafka"
EVENT_SOURCES: Final = (MSK, SELF_MANAGED)
TYPES: Final = {
    MSK: "com.amazonaws.kafka.record",
    SELF_MANAGED: "com.amazonaws.kafka.selfmanaged.record",
}


def records_of(payload: Any) -> list[Any]:
    """Every record of a Kafka event, partition after partition, each in the
    order Lambda sent it (offset order); never raises."""
    partitions = payload.get("records") if isinstance(payload, dict) else None
    if not isinstance(partitions, dict):
        return []
    flat: list[Any] = []
    for items in partitions.values():
        if isinstance(items, list):
            flat += items
    return flat


def partition_key(record: Any) -> str | None:
    """``<topic>-<partition>``, as the ``records`` map and the partial batch
    response name a partition; ``None`` when the record lacks them."""
    if not isinstance(record, dict):
        return None
    topic, partition = record.get("topic"), record.get("partition")
    if not isinstance(topic, str) or type(partition) is not int:
        return None
    return f"{topic}-{partition}"


class KafkaAdapter:
    """Kafka records delivered to Lambda (MSK and self-managed).

    Satisfies :class:`~cloudevents_wsgi.adapters.base.BatchAdapter`.
    """

    name = "aws.kafka"
    event_source = MSK

    def matches(self, payload: Any, message: Message) -> bool:
        return (
            isinstance(payload, dict)
            and payload.get("eventSource") in EVENT_SOURCES
            and isinstance(payload.get("records"), dict)
        )

    def record_id(self, record: Any) -> str | None:
        """``<topic>-<partition>-<offset>``, or ``None``. Never raises."""
        key = partition_key(record)
        offset = record.get("offset") if isinstance(record, dict) else None
        if key is None or type(offset) is not int:
            return None
        return f"{key}-{offset}"

    def records_of(self, payload: Any) -> list[Any]:
        return records_of(payload)

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        converted: list[Converted] = []
        for outcome in self.convert_each(payload, message):
            if isinstance(outcome, InvalidEventError):
                raise outcome
            converted += outcome
        return converted

    def convert_each(
        self, payload: Any, message: Message
    ) -> list[list[Converted] | InvalidEventError]:
        body = _aws.obj(payload, "")
        event_source = _aws.string(body, "eventSource", "")
        if event_source not in EVENT_SOURCES:
            raise InvalidEventError("eventSource", f"must be one of {EVENT_SOURCES}", event_source)
        partitions = _aws.obj_member(body, "records", "")
        source_base = _source_base(body, event_source)
        outcomes: list[list[Converted] | InvalidEventError] = []
        for key, items in partitions.items():
            where = f"records.{key}"
            if not isinstance(items, list):
                raise InvalidEventError(where, "must be an array of records", items)
            for index, record in enumerate(items):
                at = f"{where}[{index}]"
                try:
                    item = _record(_aws.obj(record, at), at, event_source, source_base)
                except InvalidEventError as error:
                    outcomes.append(error)
                else:
                    outcomes.append([item])
        return outcomes


def _source_base(body: dict[str, Any], event_source: str) -> tuple[str, str]:
    """The source up to the topic, and the field it comes from."""
    arn = _aws.optional_string(body, "eventSourceArn", "")
    if arn:
        return arn, "eventSourceArn"
    servers = _aws.string(body, "bootstrapServers", "")
    return "kafka://" + servers.split(",")[0].strip(), "bootstrapServers"


def _bytes(record: dict[str, Any], key: str, where: str) -> bytes | None:
    encoded = record.get(key)
    if encoded is None:
        return None
    if not isinstance(encoded, str):
        raise InvalidEventError(f"{where}.{key}", "must be base64 text", encoded)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidEventError(f"{where}.{key}", "is not valid base64", encoded) from None


def _headers(record: dict[str, Any], where: str) -> list[tuple[str, bytes]]:
    raw = record.get("headers")
    if raw is None:
        return []
    field = f"{where}.headers"
    if not isinstance(raw, list):
        raise InvalidEventError(field, "must be an array", raw)
    headers: list[tuple[str, bytes]] = []
    for index, entry in enumerate(raw):
        for name, value in _aws.obj(entry, f"{field}[{index}]").items():
            if not isinstance(value, list) or not all(
                type(b) is int and 0 <= b <= 255 for b in value
            ):
                raise InvalidEventError(f"{field}[{index}].{name}", "must be an array of bytes")
            headers.append((name, bytes(value)))
    return headers


def _text(field: str, value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEventError(field, "is not UTF-8 text") from None


def _record(
    record: dict[str, Any], where: str, event_source: str, source_base: tuple[str, str]
) -> Converted:
    topic = _aws.string(record, "topic", where)
    partition, offset = record.get("partition"), record.get("offset")
    if type(partition) is not int:
        raise InvalidEventError(f"{where}.partition", "must be an integer", partition)
    if type(offset) is not int:
        raise InvalidEventError(f"{where}.offset", "must be an integer", offset)
    record_id = f"{topic}-{partition}-{offset}"
    value = _bytes(record, "value", where)
    headers = _headers(record, where)
    content_type: str | None = None
    ce_headers: list[tuple[str, str]] = []
    for name, raw in headers:
        lower = name.lower()
        if lower == "content-type":
            content_type = _text(f"{where}.headers.{name}", raw)
        elif lower.startswith("ce_"):
            ce_headers.append((lower[3:], _text(f"{where}.headers.{name}", raw)))
    if content_type is not None and content_type.lower().startswith("application/cloudevents"):
        event = _aws.prefixed(f"{where}.value.", parse_structured, value or b"")
        return Converted(event, record, record_id)
    if any(name == "specversion" for name, _ in ce_headers):
        event = _aws.prefixed(
            f"{where}.headers.", parse_binary, ce_headers, content_type, value or b""
        )
        return Converted(event, record, record_id)
    key = _bytes(record, "key", where)
    subject: str | None = None
    if key is not None:
        try:
            subject = key.decode("utf-8") or None
        except UnicodeDecodeError:
            subject = None
    data: Any = None
    data_type: str | None = None
    if value is not None:
        data, data_type = _aws.json_or_bytes(value)
        inner_event = _aws.inner_cloudevent(data, f"{where}.value")
        if inner_event is not None:
            return Converted(inner_event, record, record_id)
    stamp = record.get("timestamp")
    attributes = {
        "type": TYPES[event_source],
        # Each part made a URI reference on its own: the same text ("/" is
        # kept), and a refusal (of this record, as before) names the part's field.
        "source": (
            _aws.source_reference(source_base[0], source_base[1])
            + "/"
            + _aws.source_reference(topic, f"{where}.topic")
        ),
        "id": record_id,
        "subject": subject,
        "time": None if stamp is None else _aws.epoch(f"{where}.timestamp", stamp, scale=1000),
        "datacontenttype": data_type,
    }
    paths = {"source": f"{where}.topic", "id": f"{where}.offset", "subject": f"{where}.key"}
    return Converted(_aws.event(attributes, data, paths), record, record_id)


ADAPTER: Final = KafkaAdapter()
