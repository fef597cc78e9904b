"""A strict CloudEvents 1.0 receiver for HTTP: binary, structured and batched.

IO-free: headers and body bytes in, :class:`CloudEvent` objects or an
:class:`InvalidEventError` out. It follows the HTTP protocol binding and the
JSON event format:
https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md
https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final
from urllib.parse import unquote_to_bytes

from . import spec
from ._json import (
    MAX_ATTRIBUTES,
    MAX_BATCH,
    MAX_DEPTH,
    check_depth,
    decode_text,
    encode_decoded,
    load_json,
    parse_json,
)
from .errors import InvalidEventError, PayloadTooLargeError, UnsupportedFormatError
from .event import CloudEvent
from .message import Message, is_plain_header_value
from .spec import (
    BATCH,
    BATCH_TYPE,
    BINARY,
    FORMAT_PREFIX,
    STRUCTURED,
    STRUCTURED_TYPE,
    datetime,
)

__all__ = [
    "BATCH",
    "BINARY",
    "MAX_ATTRIBUTES",
    "MAX_BATCH",
    "MAX_DEPTH",
    "STRUCTURED",
    "check_depth",
    "content_mode",
    "event_from_json",
    "from_http",
    "parse_batch",
    "parse_binary",
    "parse_structured",
]

_FORMAT_PREFIX: Final = FORMAT_PREFIX
# Bound once: a classmethod looked up on its class is unspecialised in CPython
# 3.11, on every event (measured).
_checked: Final = CloudEvent._checked


def content_mode(content_type: str | None, has_specversion_header: bool) -> str | None:
    """Which content mode a request uses, or ``None`` if it is not a CloudEvent.

    Looks at headers only, so a request that is not an event is never read.
    Raises :class:`UnsupportedFormatError` for an event format other than
    JSON (``application/cloudevents+xml``...).
    """
    if content_type and content_type[:23].lower().startswith(_FORMAT_PREFIX):
        essence, params = spec.parse_media_type("content-type", content_type)
        if essence.startswith(_FORMAT_PREFIX):
            charset = params.get("charset", "utf-8").lower()
            if essence == STRUCTURED_TYPE:
                mode = STRUCTURED
            elif essence == BATCH_TYPE:
                mode = BATCH
            else:
                raise UnsupportedFormatError(
                    "content-type",
                    f"only the JSON event format is supported ({STRUCTURED_TYPE}, {BATCH_TYPE})",
                    content_type,
                )
            if charset not in ("utf-8", "utf8"):
                raise UnsupportedFormatError(
                    "content-type", "the JSON event format is always UTF-8", content_type
                )
            return mode
    return BINARY if has_specversion_header else None


def from_http(
    message: Message,
    *,
    max_batch: int = MAX_BATCH,
    max_depth: int = MAX_DEPTH,
    max_attributes: int = MAX_ATTRIBUTES,
) -> list[CloudEvent] | None:
    """The events a request carries, or ``None`` if it carries no CloudEvent.

    ``max_batch`` caps the events of a batch (more: 413), ``max_depth`` the
    nesting of JSON arrays and objects wherever JSON is parsed, and
    ``max_attributes`` the context attributes of each event (more: 400).
    """
    headers = message.headers
    mode = content_mode(headers.get("content-type"), "ce-specversion" in headers)
    if mode is None:
        return None
    if mode == STRUCTURED:
        return [parse_structured(message.body, max_depth=max_depth, max_attributes=max_attributes)]
    if mode == BATCH:
        return parse_batch(
            message.body, max_batch=max_batch, max_depth=max_depth, max_attributes=max_attributes
        )
    pairs = [(name[3:], value) for name, value in headers.items() if name.startswith("ce-")]
    return [
        parse_binary(
            pairs,
            headers.get("content-type"),
            message.body,
            max_depth=max_depth,
            max_attributes=max_attributes,
        )
    ]


# -- binary content mode ----------------------------------------------------


def parse_binary(
    headers: Iterable[tuple[str, str]],
    content_type: str | None,
    body: bytes,
    *,
    max_depth: int = MAX_DEPTH,
    max_attributes: int = MAX_ATTRIBUTES,
) -> CloudEvent:
    """An event in binary content mode.

    ``headers`` are (attribute name, raw header value) pairs: the ``ce-``
    headers with the prefix taken off and the name lower-cased.
    ``content_type`` becomes ``datacontenttype``. The body is the data: parsed
    (and its nesting capped at ``max_depth``) only when that media type is
    JSON. More than ``max_attributes`` headers: :class:`InvalidEventError`.
    """
    attributes: dict[str, Any] = dict(headers)
    if len(attributes) > max_attributes:
        raise _too_many("headers", max_attributes, len(attributes))
    raws = attributes.values()
    joined = "".join(raws)
    time_text = attributes.get("time")
    if is_plain_header_value(joined) and "" not in raws and attributes.keys() <= _VALID_NAMES:
        # The usual case: every name already seen valid, every value plain
        # (printable ASCII with nothing to unquote or decode, so a valid
        # non-empty String as it is). What is left: the typed attributes.
        try:
            if "specversion" in attributes and attributes["specversion"] != spec.SPECVERSION:
                attributes["specversion"] = spec.check_context_attribute(
                    "specversion", attributes["specversion"]
                )
            if "source" in attributes:
                spec.check_uri_reference("source", attributes["source"])
            if "dataschema" in attributes:
                spec.check_uri("dataschema", attributes["dataschema"])
            if time_text is not None:
                attributes["time"] = spec.parse_timestamp("time", time_text)
        except InvalidEventError:
            # Report the first bad attribute in header order, as the
            # per-header path does, whatever order the checks above ran in.
            for attribute, value in list(attributes.items()):
                checker = _CHECKERS.get(attribute)
                if checker is not None and not isinstance(value, datetime):
                    checker(attribute, value)
            raise
    else:
        for attribute, raw in attributes.items():
            if attribute in _NOT_HEADERS:
                raise InvalidEventError(attribute, _NOT_HEADERS[attribute], "ce-" + attribute)
            if not spec.is_name(attribute):
                spec.check_name(attribute)
            if len(_VALID_NAMES) < spec.CACHE_SIZE and len(attribute) <= spec.CACHED_LENGTH:
                _VALID_NAMES.add(attribute)  # within bounds on memory
            value = _header_value(attribute, raw)
            checker = _CHECKERS.get(attribute)
            attributes[attribute] = (
                checker(attribute, value)
                if checker is not None
                else spec.check_string(attribute, value)
            )
    if len(attributes) < 4 or not attributes.keys() >= _REQUIRED:
        for attribute in spec.REQUIRED:
            if attribute not in attributes:
                raise InvalidEventError(
                    attribute, f"is a required attribute; the ce-{attribute} header is missing"
                )
    data: Any = None
    data_json: bytes | None = None
    if content_type is not None:
        essence, params = spec.parse_media_type("datacontenttype", content_type)
        attributes["datacontenttype"] = content_type
        if body:
            if spec.is_json(essence):
                data, decoded = parse_json("data", body, params.get("charset", "utf-8"), max_depth)
                if decoded:
                    data_json = body  # msgspec read it: UTF-8 JSON, no BOM, finite numbers
            else:
                data = _binary_data(essence, params, body, max_depth)
    elif body:
        data = body
    event = _checked(attributes, data, time_text)
    if data_json is not None:
        event._received_as(data_json)
    return event


# Attribute names already seen to be valid (names repeat from request to request).
# A set, not lru_cache: the fast path tests all of an event's names at once.
_VALID_NAMES: set[str] = set(spec.REQUIRED + spec.OPTIONAL) - {"datacontenttype"}
_REQUIRED = frozenset(spec.REQUIRED)
_NOT_HEADERS: Final = {
    "datacontenttype": "in binary mode it is the Content-Type header; a ce-datacontenttype "
    "header must not be sent",
    "data": "is not an attribute name",
    "data_base64": "is not an attribute name",
}
# Binary mode carries every value as a string; the typed attributes are
# checked (and time parsed) here, extensions are plain strings.
_CHECKERS: Final[dict[str, Callable[[str, Any], Any]]] = {
    "specversion": spec.check_context_attribute,
    "id": spec.check_non_empty,
    "source": spec.check_uri_reference,
    "type": spec.check_non_empty,
    "dataschema": spec.check_uri,
    "subject": spec.check_non_empty,
    "time": spec.parse_timestamp,
}


def _header_value(attribute: str, raw: str) -> str:
    """Undo RFC 7230 quoting, then exactly one round of percent-decoding."""
    value = raw.strip(" \t")
    if value.startswith('"'):
        # A quoted-string is '"', then any characters but '"' and '\\' or
        # quoted pairs ('\\' and one character), then '"'. With every pair taken
        # out (left to right, as the grammar reads them), what is left holds no
        # '"' and no '\\' (an unpaired one). Two C-speed passes: linear, where
        # the equivalent regular expression's repeat stack grew faster.
        inner = value[1:-1] if len(value) > 1 and value.endswith('"') else None
        if inner is None or any(c in spec._quoted_pair().sub("", inner) for c in '"\\'):
            raise InvalidEventError(attribute, "has a malformed quoted string", raw)
        value = spec._quoted_pair().sub(r"\1", inner)
    if "%" not in value and value.isascii():
        return value
    if spec._bad_percent().search(value):
        raise InvalidEventError(attribute, "has a '%' that does not start a %XX escape", raw)
    try:
        encoded = value.encode("latin-1")
    except UnicodeEncodeError:
        try:
            encoded = value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidEventError(attribute, "is not valid text", raw) from None
    try:
        return unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEventError(
            attribute, "percent-decodes to bytes that are not valid UTF-8", raw
        ) from None


def _binary_data(essence: str, params: Mapping[str, str], body: bytes, max_depth: int) -> Any:
    if spec.is_json(essence):
        return load_json("data", body, params.get("charset", "utf-8"), max_depth)
    if essence.startswith("text/") or "charset" in params:
        return decode_text("data", body, params.get("charset", "utf-8"))
    return body


# -- structured and batched content modes (the JSON event format) ----------


def parse_structured(
    body: bytes, *, max_depth: int = MAX_DEPTH, max_attributes: int = MAX_ATTRIBUTES
) -> CloudEvent:
    """An event in structured content mode, JSON format.

    JSON nested deeper than ``max_depth``, or an event with more than
    ``max_attributes`` attributes: :class:`InvalidEventError`.
    """
    obj, decoded = parse_json("body", body, max_depth=max_depth)
    event = event_from_json(obj, max_attributes)
    if decoded:
        # msgspec read it: the data reads back as msgspec writes it (no
        # infinity, no lone surrogate to refuse).
        data = obj.get("data")
        if data is not None:
            event._received_as(encode_decoded(data))
    return event


def parse_batch(
    body: bytes,
    *,
    max_batch: int = MAX_BATCH,
    max_depth: int = MAX_DEPTH,
    max_attributes: int = MAX_ATTRIBUTES,
) -> list[CloudEvent]:
    """A batch in the JSON batch format; every event is checked before any is returned.

    More than ``max_batch`` events: :class:`PayloadTooLargeError`; the other
    limits as :func:`parse_structured`, for each event.
    """
    items, decoded = parse_json("body", body, max_depth=max_depth)
    if type(items) is not list:
        raise InvalidEventError("body", "a JSON batch must be a JSON array", _kind(items))
    if len(items) > max_batch:
        raise PayloadTooLargeError(
            "body", f"the batch holds more than {max_batch} events", len(items)
        )
    events: list[CloudEvent] = []
    for index, item in enumerate(items):
        try:
            if events and type(item) is dict:
                first = events[0].get_specversion()
                if item.get("specversion") != first:
                    raise InvalidEventError(
                        "specversion",
                        f"all events of a batch share one specversion ({first!r})",
                        item.get("specversion"),
                    )
            event = event_from_json(item, max_attributes)
            if decoded and type(item) is dict and item.get("data") is not None:
                event._received_as(encode_decoded(item["data"]))
            events.append(event)
        except InvalidEventError as error:
            raise error.within(f"[{index}].") from None
    return events


def event_from_json(obj: Any, max_attributes: int = MAX_ATTRIBUTES) -> CloudEvent:
    """An event from a decoded JSON-format object.

    More than ``max_attributes`` members besides ``data`` and ``data_base64``:
    :class:`InvalidEventError`, before any member is checked.
    """
    if type(obj) is not dict:
        raise InvalidEventError(
            "event", "a CloudEvent in the JSON format is a JSON object", _kind(obj)
        )
    if len(obj) > max_attributes:
        count = len(obj) - ("data" in obj) - ("data_base64" in obj)
        if count > max_attributes:
            raise _too_many("attributes", max_attributes, count)
    event = _plain_event_from_json(obj)
    if event is not None:
        return event
    for name in spec.REQUIRED:
        if obj.get(name) is None:
            raise InvalidEventError(name, "is a required attribute and is missing")
    attributes: dict[str, Any] = {}
    data: Any = None
    data_base64: Any = None
    for name, value in obj.items():
        if value is None:
            continue  # null: the attribute (or data) is not set
        if name == "data":
            data = value
        elif name == "data_base64":
            data_base64 = value
        else:
            if name not in _VALID_NAMES:
                spec.check_name(name)
            checker = _JSON_CHECKERS.get(name)
            attributes[name] = (
                checker(name, value) if checker is not None else spec.check_extension(name, value)
            )
            if (
                name not in _PLAIN_JSON_NAMES
                and len(_PLAIN_JSON_NAMES) < spec.CACHE_SIZE
                and len(name) <= spec.CACHED_LENGTH
            ):
                _PLAIN_JSON_NAMES.add(name)  # checked valid above; bounds on memory
    if data_base64 is not None:
        if data is not None:
            raise InvalidEventError("data_base64", "an event has data or data_base64, never both")
        data = _decode_base64("data_base64", data_base64)
    time = obj.get("time")
    return _checked(attributes, data, time if type(time) is str else None)


def _plain_event_from_json(obj: dict[str, Any]) -> CloudEvent | None:
    """The usual event, checked in fewer steps; None leaves it to the full check.

    Taken only when every member but ``data`` has a name already seen valid
    and a string value that, joined with the others, is printable ASCII: such
    a value passes check_string (no forbidden character), and what is left to
    check is what the full check would, but for that: non-empty strings and
    the typed attributes. Anything it objects to is decided by the full check,
    so the verdict (and the error, of the first bad member) is the same.
    """
    keys = obj.keys()
    if not keys <= _PLAIN_JSON_NAMES or not keys >= _REQUIRED:
        return None
    attributes = obj.copy()
    data = attributes.pop("data", None)
    try:
        joined = "".join(attributes.values())  # TypeError: a value is not a string
    except TypeError:
        return None
    if not (joined.isascii() and joined.isprintable()):
        return None
    # The typed attributes (_JSON_CHECKERS), each checked as the full check would.
    if not attributes["id"] or not attributes["type"] or attributes["specversion"] != "1.0":
        return None
    try:
        attributes["source"] = spec.check_uri_reference("source", attributes["source"])
        if "subject" in attributes and not attributes["subject"]:
            return None
        if "time" in attributes:
            attributes["time"] = spec.parse_timestamp("time", attributes["time"])
        if "datacontenttype" in attributes:
            spec.parse_media_type("datacontenttype", attributes["datacontenttype"])
        if "dataschema" in attributes:
            spec.check_uri("dataschema", attributes["dataschema"])
    except InvalidEventError:
        return None
    time = obj.get("time")
    return _checked(attributes, data, time if type(time) is str else None)


def _json_specversion(field: str, value: Any) -> str:
    return value if value == spec.SPECVERSION else spec.check_context_attribute(field, value)  # type: ignore[no-any-return]


# The JSON format gives each attribute its JSON type; these are checked (and
# time parsed) by name, extensions by the type of their value.
_JSON_CHECKERS: Final[dict[str, Callable[[str, Any], Any]]] = {
    "specversion": _json_specversion,
    "id": spec.check_non_empty,
    "source": spec.check_uri_reference,
    "type": spec.check_non_empty,
    "datacontenttype": spec.check_context_attribute,
    "dataschema": spec.check_uri,
    "subject": spec.check_non_empty,
    "time": spec.parse_timestamp,
}


# Member names _plain_event_from_json takes: the spec's, and extensions already
# seen valid (names repeat from event to event). A set for the same reason.
_PLAIN_JSON_NAMES: set[str] = set(spec.REQUIRED + spec.OPTIONAL + ("data",))


def _decode_base64(field: str, value: Any) -> bytes:
    if type(value) is not str:
        raise InvalidEventError(field, "must be a base64 string", value)
    import base64  # here, not at import: with struct and binascii 0.7 ms of cold start
    import binascii

    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidEventError(field, "is not valid base64 (RFC 4648)", value) from None


def _too_many(field: str, limit: int, count: int) -> InvalidEventError:
    return InvalidEventError(field, f"an event has at most {limit} attributes here", count)


def _kind(value: Any) -> str:
    return spec.json_type(value)
