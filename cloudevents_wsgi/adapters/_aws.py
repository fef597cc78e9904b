"""What the AWS adapters share: reading fields with errors that name their
path, AWS's time formats, and data that is JSON or text.

Private to the package; the adapters' public surface is their modules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote

from .. import spec
from ..errors import InvalidEventError
from ..event import CloudEvent
from ..message import Message
from ..spec import datetime, timedelta, timezone
from .base import Converted

JSON: Final = "application/json"
TEXT: Final = "text/plain; charset=utf-8"
OCTETS: Final = "application/octet-stream"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)

# What a URI reference may hold unencoded, less "%" (so that a "%" in a native
# value is encoded, not mistaken for an escape), "#" (a native name never
# holds a fragment) and "[" "]" (only legal around an IP literal).
_URI_SAFE: Final = "-._~:/?@!$&'()*+,;="


# The characters quote(value, safe=_URI_SAFE) keeps: its always-safe ones and _URI_SAFE.
_QUOTE_SAFE: Final = re.compile(r"[A-Za-z0-9_.\-~:/?@!$&'()*+,;=]*").fullmatch


def path_join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def first_record_from(payload: Any, event_source: str, key: str = "eventSource") -> bool:
    """Whether ``payload["Records"][0][key] == event_source``; never raises."""
    if not isinstance(payload, dict):
        return False
    records = payload.get("Records")
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        return False
    value = records[0].get(key)
    return isinstance(value, str) and value == event_source


class RecordsAdapter:
    """A Lambda event of ``Records`` from one ``eventSource``: one conversion
    per record. Subclasses set ``name`` and ``event_source`` and write
    :meth:`convert_record` (or :meth:`convert_records` for a record that may
    give several events)."""

    name: str
    event_source: str

    def matches(self, payload: Any, message: Message) -> bool:
        return first_record_from(payload, self.event_source)

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        converted: list[Converted] = []
        for index, record in enumerate(records(payload)):
            converted += self._convert_one(record, f"Records[{index}]")
        return converted

    def _convert_one(self, record: dict[str, Any], where: str) -> list[Converted]:
        event_source = string(record, "eventSource", where)
        if event_source != self.event_source:
            raise InvalidEventError(
                f"{where}.eventSource", f"must be {self.event_source!r}", event_source
            )
        return self.convert_records(record, where)

    def convert_records(self, record: dict[str, Any], where: str) -> list[Converted]:
        """The CloudEvents of one record; ``where`` is its path (``Records[2]``)."""
        return [self.convert_record(record, where)]

    def convert_record(self, record: dict[str, Any], where: str) -> Converted:
        """The CloudEvent of one record; ``where`` is its path (``Records[2]``)."""
        raise NotImplementedError


class BatchRecordsAdapter(RecordsAdapter):
    """Records that Lambda can retry one by one (partial batch responses).

    ``record_id_path`` declares, once, where a record's ``itemIdentifier`` is
    (SQS ``("messageId",)``); every event made from a record carries it as
    ``record_id``. Satisfies :class:`~cloudevents_wsgi.adapters.base.BatchAdapter`.
    """

    record_id_path: tuple[str, ...]

    def record_id(self, record: Any) -> str | None:
        """The record's identifier for ``batchItemFailures``; ``None`` if it has none."""
        value = record
        for key in self.record_id_path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) and value else None

    def _convert_one(self, record: dict[str, Any], where: str) -> list[Converted]:
        items = super()._convert_one(record, where)
        container, field = record, where
        for key in self.record_id_path[:-1]:
            container, field = obj_member(container, key, field), path_join(field, key)
        record_id = string(container, self.record_id_path[-1], field)
        return [item._replace(record_id=record_id) for item in items]

    def convert_each(
        self, payload: Any, message: Message
    ) -> list[list[Converted] | InvalidEventError]:
        """Each record's events, or the error that refuses that record alone."""
        outcomes: list[list[Converted] | InvalidEventError] = []
        items = payload.get("Records") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            items = records(payload)  # raises, naming what is wrong
        for index, record in enumerate(items):
            where = f"Records[{index}]"
            try:
                outcomes.append(self._convert_one(obj(record, where), where))
            except InvalidEventError as error:
                outcomes.append(error)
        return outcomes


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidEventError(
            where or "(payload)", f"must be an object, not {spec.json_type(value)}", value
        )
    return value


def member(container: dict[str, Any], key: str, where: str) -> Any:
    if key not in container:
        raise InvalidEventError(path_join(where, key), "is missing")
    return container[key]


def obj_member(container: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    return obj(member(container, key, where), path_join(where, key))


def optional_string(container: dict[str, Any], key: str, where: str) -> str | None:
    """A string member, or ``None`` when it is absent or JSON null."""
    value = container.get(key)
    return None if value is None else _check_string(path_join(where, key), value)


def string(container: dict[str, Any], key: str, where: str) -> str:
    """A string member that must be there."""
    if container.get(key) is None:
        raise InvalidEventError(path_join(where, key), "is missing")
    return _check_string(path_join(where, key), container[key])


def _check_string(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidEventError(field, f"must be a string, not {spec.json_type(value)}", value)
    return value


# Every record a plain object, told at C speed (no generator frame per call).
_ONLY_DICTS: Final = frozenset((dict,))


def records(payload: Any, where: str = "") -> list[dict[str, Any]]:
    """The non-empty ``Records`` array of objects of a Lambda event."""
    if type(payload) is dict:
        items = payload.get("Records")
        if type(items) is list and items and set(map(type, items)) == _ONLY_DICTS:
            return list(items)  # the usual case: nothing below would object
    body = obj(payload, where)
    key = path_join(where, "Records")
    items = member(body, "Records", where)
    if not isinstance(items, list):
        raise InvalidEventError(key, f"must be an array, not {spec.json_type(items)}", items)
    if not items:
        raise InvalidEventError(key, "must not be empty", items)
    return [obj(item, f"{key}[{index}]") for index, item in enumerate(items)]


def timestamp(container: dict[str, Any], key: str, where: str) -> datetime | None:
    """An RFC 3339 member (AWS writes ``2019-09-03T19:37:27.192Z``)."""
    value = container.get(key)
    if value is None:
        return None
    return spec.parse_timestamp(path_join(where, key), value)


# Year 9999 is 2.5e11 seconds, 2.5e14 milliseconds after the epoch: a number
# of more digits is out of the range of dates whatever its unit.
_EPOCH_DIGITS_MAX: Final = 20
_EPOCH_MAX: Final = 10**_EPOCH_DIGITS_MAX


def epoch(field: str, value: Any, *, scale: int) -> datetime:
    """Seconds (``scale=1``) or milliseconds (``scale=1000``) since the epoch.

    A number, or a string of digits (SQS sends ``"1545082649636"``); digits
    below the microsecond are cut, as :func:`spec.parse_timestamp` does.
    """
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit():
            raise InvalidEventError(field, "must be a number of epoch units in digits", value)
        if len(value.lstrip("0")) > _EPOCH_DIGITS_MAX:
            # Checked first: converting a number of many digits costs time
            # quadratic in their count.
            raise InvalidEventError(field, "is out of the range of dates", value)
        number = Decimal(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, int) and not -_EPOCH_MAX < value < _EPOCH_MAX:
            raise InvalidEventError(field, "is out of the range of dates", value)
        # repr() of a float is the shortest text that reads back the same,
        # which is what the JSON said.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise InvalidEventError(field, "must be a finite number", value)
    else:
        raise InvalidEventError(field, f"must be a number, not {spec.json_type(value)}", value)
    micros = int(number * 1_000_000 / scale)
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise InvalidEventError(field, "is out of the range of dates", value) from None


def json_or_text(text: str) -> tuple[Any, str]:
    """Text that holds a JSON object or array becomes that JSON; other text
    (including bare scalars such as ``42``, which are more often text that
    looks like a number than JSON) stays text."""
    stripped = text.lstrip(" \t\r\n")
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(text, parse_constant=_reject_constant), JSON
        except (ValueError, RecursionError):
            pass
    return text, TEXT


def json_or_bytes(raw: bytes) -> tuple[Any, str]:
    """Bytes that are UTF-8 JSON (an object or array) become that JSON; other
    bytes stay bytes."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw, OCTETS
    data, content_type = json_or_text(text)
    return (data, JSON) if content_type == JSON else (raw, OCTETS)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def inner_cloudevent(data: Any, field: str) -> CloudEvent | None:
    """The CloudEvent that a message body holds in the JSON format (an object
    with ``specversion``), or ``None`` for any other data. An invalid one is
    refused, its errors named under ``field``."""
    if type(data) is not dict or "specversion" not in data:
        return None
    from ..receiver import event_from_json  # only when a body holds a CloudEvent

    inner: CloudEvent = prefixed(f"{field}.", event_from_json, data)
    return inner


def source_reference(value: str, field: str) -> str:
    """A native name or ARN as a URI reference: characters a URI reference
    cannot hold are percent-encoded (UTF-8); everything else is kept.
    Raises :class:`InvalidEventError` naming ``field`` (the native field the
    name came from: ``Records[0].eventSourceARN``) for text no URI can hold
    (a lone surrogate)."""
    if type(value) is str and _QUOTE_SAFE(value):
        return value  # nothing for quote() to encode
    try:
        return quote(value, safe=_URI_SAFE)
    except UnicodeEncodeError:
        raise InvalidEventError(field, "is not valid text", value) from None


def event(attributes: Mapping[str, Any], data: Any, paths: Mapping[str, str]) -> CloudEvent:
    """A :class:`CloudEvent`; an invalid attribute is reported under the native
    field it came from (``paths`` maps attribute names to field paths)."""
    try:
        return CloudEvent(attributes, data)
    except InvalidEventError as exc:
        field = paths.get(exc.field)
        if field is None:
            raise
        raise InvalidEventError(field, exc.reason, exc.value) from None


def prefixed(prefix: str, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, its errors naming their fields under ``prefix``."""
    try:
        return function(*args)
    except InvalidEventError as exc:
        raise exc.within(prefix) from None
