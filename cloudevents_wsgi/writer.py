"""Write CloudEvents as HTTP messages: the other half of :func:`~cloudevents_wsgi.from_http`.

IO-free: an event in, a :class:`~cloudevents_wsgi.Message` (method, path,
headers, body) out, for any HTTP client to send. What these functions write,
:func:`cloudevents_wsgi.from_http` reads back as an equal event, and so does
the cloudevents SDK's ``from_http_event``. It follows the HTTP protocol
binding and the JSON event format:
https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md
https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md

Binary content mode carries the data as the body and ``datacontenttype`` as
the ``Content-Type``, and so cannot carry every event as it is. The reader
decides the data's type from the ``Content-Type`` (JSON for ``*/json`` and
``*/*+json``, text for ``text/*`` or a ``charset``, bytes otherwise; no body
is no data), so an event is written in binary mode only when that rule gives
its data back with the same type and value. Otherwise (JSON data without a
``datacontenttype``, bytes under a JSON or text type, an empty string, data
that is itself a CloudEvent: ``application/cloudevents+json``...) it is
written in structured mode, which carries every event. Binary mode carries
extension values as strings (HTTP binding section 3.1.3): an integer or
boolean extension reads back as its canonical string.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from . import spec
from .errors import InvalidEventError
from .message import Message, is_plain_header_value
from .spec import BATCH_TYPE, BINARY, STRUCTURED, STRUCTURED_TYPE, datetime

if TYPE_CHECKING:
    from .event import CloudEvent

__all__ = [
    "BATCH_TYPE",
    "STRUCTURED_TYPE",
    "binary_data",
    "binary_headers",
    "encode_header_value",
    "event_to_json",
    "json_bytes",
    "structured_body",
    "to_http",
    "to_http_batch",
    "write_headers",
]

_MODES: Final = (BINARY, STRUCTURED)

# Printable ASCII but space, '"' and '%' stays as it is (HTTP binding 3.1.3.2).
_HEADER_SAFE: Final = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in ' "%')


# -- the public writers --------------------------------------------------------------


def to_http(
    event: CloudEvent, *, mode: str = "binary", method: str = "POST", path: str = "/"
) -> Message:
    """The HTTP request that carries ``event``.

    ``mode``
        ``"binary"`` (default): the attributes as ``ce-*`` headers
        (percent-encoded where the binding says), ``datacontenttype`` as
        ``content-type``, the data as the body; an event that binary mode
        cannot carry as it is (see the module docstring) is written in
        structured mode instead. ``"structured"``: ``content-type:
        application/cloudevents+json`` and the event in the JSON format,
        bytes data as ``data_base64``.
    ``method``, ``path``
        of the message; ``POST`` (what the HTTP binding and the webhook spec
        deliver with) to ``/`` by default. Header names are lower case.

    Raises :class:`InvalidEventError` naming ``data`` for data that no
    UTF-8 JSON can hold (a number beyond a double, read from ``1e999``; a
    string with a lone surrogate, read from a ``"\\ud800"`` escape): the
    only events the receiver accepts that this cannot write. ``ValueError``
    for an unknown ``mode``.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, not {mode!r}")
    if mode == "binary":
        body = binary_data(event)
        if body is not None:
            headers = binary_headers(event)
            content_type = event.get_datacontenttype()
            if content_type is not None:
                headers["content-type"] = content_type
            return Message(method, path, headers, body)
    return Message(method, path, {"content-type": STRUCTURED_TYPE}, structured_body(event))


def to_http_batch(
    events: Iterable[CloudEvent], *, method: str = "POST", path: str = "/"
) -> Message:
    """The HTTP request that carries ``events`` in batched content mode.

    ``content-type: application/cloudevents-batch+json`` and a JSON array of
    the events in the JSON format (HTTP binding section 3.3); no events
    give ``[]``. ``method`` and ``path`` as for :func:`to_http`. Raises
    :class:`InvalidEventError` as :func:`to_http` does, naming the event's
    index (``[2].data``).
    """
    parts = []
    for index, event in enumerate(events):
        try:
            parts.append(structured_body(event))
        except InvalidEventError as error:
            raise error.within(f"[{index}].") from None
    return Message(method, path, {"content-type": BATCH_TYPE}, b"[" + b",".join(parts) + b"]")


# -- binary content mode ------------------------------------------------------------


def encode_header_value(value: Any) -> str:
    """An attribute's canonical string, percent-encoded for an HTTP header
    (HTTP binding section 3.1.3.2: space, ``"``, ``%`` and all but printable
    ASCII, as UTF-8 bytes)."""
    if type(value) is str and is_plain_header_value(value):
        return value  # nothing to encode: the usual case
    text = spec.canonical_string(value)
    if is_plain_header_value(text):
        return text
    return quote(text, safe=_HEADER_SAFE)


def binary_headers(event: CloudEvent) -> dict[str, str]:
    """The ``ce-*`` headers of ``event`` (lower-case names, values encoded):
    every attribute but ``datacontenttype``, the ``Content-Type``."""
    headers: dict[str, str] = {}
    write_headers(event, headers, "ce-".__add__)
    return headers


def write_headers(event: CloudEvent, target: dict[str, Any], key: Callable[[str], str]) -> None:
    """Set ``target[key(name)]`` to the header value of each attribute but
    ``datacontenttype``, in the event's order: the binary-mode header writer,
    for messages and environs alike. ``time`` is written as it arrived when
    it was RFC 3339 text in the usual spelling (nanoseconds kept)."""
    if event._plain:
        # Its maker checked every string header-plain, and the time text in
        # the usual spelling (CloudEvent._checked): as they are.
        for name, value in event._attributes.items():
            if type(value) is str:
                if name != "datacontenttype":
                    target[key(name)] = value
            elif name == "time":
                target[key(name)] = event._time_text or spec.format_timestamp(value)
            else:
                target[key(name)] = encode_header_value(value)
        return
    for name, value in event._attributes.items():
        if (
            type(value) is str
            and value.isascii()
            and value.isprintable()
            and " " not in value
            and '"' not in value
            and "%" not in value
        ):
            # encode_header_value's usual case (is_plain_header_value), inline:
            # a call per attribute was a tenth of this writer's time
            if name != "datacontenttype":
                target[key(name)] = value
        elif name == "time":
            target[key(name)] = event.time_text() or spec.format_timestamp(value)
        elif name != "datacontenttype":
            target[key(name)] = encode_header_value(value)


def binary_data(event: CloudEvent, data_json: bytes | None = None) -> bytes | None:
    """The body of ``event`` in binary mode, or ``None`` when binary mode
    cannot carry it as it is (then write it in structured mode).

    The reader's rule, run backwards: JSON ``datacontenttype``: the data as
    JSON in its ``charset``; ``text/*`` or a ``charset``: a non-empty string
    in that charset; another type, or none: non-empty bytes. No data: no body.
    ``data_json``: the data already as UTF-8 JSON, used as it is where the
    body is UTF-8 JSON.
    """
    data = event._data
    content_type = event._attributes.get("datacontenttype")
    kind: str | None
    charset: str | None
    if content_type is None:
        kind, charset = _BYTES
    elif len(content_type) <= spec.CACHED_LENGTH:
        kind, charset = _data_kind(content_type)
    else:  # not kept: a cache of megabyte keys would not be bounded
        kind, charset = _data_kind.__wrapped__(content_type)
    if kind is _JSON_DATA:
        if data is None:
            return b""
        if isinstance(data, (bytes, bytearray)):
            return None  # bytes under a JSON type would read back as JSON
        if data_json is not None and (charset is None or charset.lower() in ("utf-8", "utf8")):
            return data_json
        try:
            text = encode_json(data)
        except ValueError:
            raise _too_large() from None
        if charset is not None:
            return _in_charset(text, charset)
        try:
            return text.encode("utf-8")  # the usual case
        except UnicodeEncodeError as exc:
            raise _unwritable(exc) from None
    if kind is _BYTES_DATA:
        if data is None:
            return b""
        if isinstance(data, (bytes, bytearray)) and data:
            return bytes(data)
        return None  # JSON or text would read back as bytes; b"" as no data
    if kind is _TEXT_DATA:
        if data is None:
            return b""
        if type(data) is not str or not data:
            return None  # would read back as a string, or ("") as no data
        return _in_charset(data, charset or "utf-8")
    return None  # a Content-Type binary mode cannot carry


_JSON_DATA: Final = "json"
_TEXT_DATA: Final = "text"
_BYTES_DATA: Final = "bytes"
_BYTES: Final = (_BYTES_DATA, None)


@lru_cache(maxsize=spec.CACHE_SIZE)
def _data_kind(content_type: str) -> tuple[str | None, str | None]:
    """How the reader takes a body under ``content_type`` (json, text or
    bytes, and the charset if one is named); (None, None) for a type binary
    mode cannot carry: an event format (the request would read as that
    event), non-ASCII, or white space at either end (servers strip it)."""
    essence, params = spec.parse_media_type("datacontenttype", content_type)
    if (
        essence.startswith("application/cloudevents")
        or not content_type.isascii()
        or content_type[0] in " \t"
        or content_type[-1] in " \t"
    ):
        return None, None
    charset = params.get("charset")
    if spec.is_json(essence):
        return _JSON_DATA, charset
    if essence.startswith("text/") or charset is not None:
        return _TEXT_DATA, charset
    return _BYTES_DATA, None


def _in_charset(text: str, charset: str) -> bytes | None:
    """``text`` encoded so that it decodes back in ``charset``, or None
    (an unknown charset, text it cannot hold: write structured, UTF-8)."""
    try:
        if charset.lower() in ("utf-8", "utf8"):
            return text.encode("utf-8")  # decodes back: no check needed
        body = text.encode(charset)
        # A codec that is not a plain text encoding (idna, utf-7...): keep
        # the body only if it decodes back to the same text.
        return body if body.decode(charset) == text else None
    except (LookupError, UnicodeError):
        return None


# -- structured content mode (the JSON event format) --------------------------------


def event_to_json(event: CloudEvent) -> dict[str, Any]:
    """The event as a JSON-format object: attributes (``time`` and other
    timestamps as RFC 3339 strings), then ``data`` or ``data_base64`` for bytes."""
    obj = event.get_attributes()
    for name, value in obj.items():
        if isinstance(value, datetime):
            obj[name] = spec.format_timestamp(value)
    if "time" in obj:
        obj["time"] = event.time_text()
    data = event.get_data()
    if isinstance(data, (bytes, bytearray)):
        import base64  # here, not at import: with struct and binascii 0.7 ms of cold start

        obj["data_base64"] = base64.b64encode(data).decode("ascii")
    elif data is not None:
        obj["data"] = data
    return obj


def structured_body(event: CloudEvent, data_json: bytes | None = None) -> bytes:
    """The event in the JSON format, UTF-8 (``application/cloudevents+json``).

    ``data_json``: the data (not bytes) already as UTF-8 JSON, put in as it is.
    """
    obj = event_to_json(event)
    if data_json is not None and "data" in obj:
        del obj["data"]
        return json_bytes(obj)[:-1] + b',"data":' + data_json + b"}"
    return json_bytes(obj)


def json_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON. Raises :class:`InvalidEventError`
    naming ``data`` for infinity (a number beyond a double) and for a string
    holding a lone surrogate (read from a JSON ``"\\ud800"`` escape), which
    no UTF-8 text can hold."""
    text = _json_text(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _unwritable(exc) from None


def _json_text(value: Any) -> str:
    try:
        return encode_json(value)
    except ValueError:
        raise _too_large() from None


def _unwritable(exc: UnicodeEncodeError) -> InvalidEventError:
    character = exc.object[exc.start]
    return InvalidEventError("data", f"holds U+{ord(character):04X}, which UTF-8 cannot encode")


def _too_large() -> InvalidEventError:
    # JSON numbers beyond a double (1e999) decode as infinity, which JSON cannot hold.
    return InvalidEventError("data", "holds a number too large for JSON to write back")


# -- the one JSON encoder ------------------------------------------------------------

# allow_nan=False: infinity (from an overflowing number) is refused, not written.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _c_encoder() -> Callable[[Any, int], Any] | None:
    """The C encoder ``_JSON.encode`` builds on every call, built once, with
    no cycle check; None where it cannot be (no C accelerator, or a signature
    this code does not know, found out by the probe)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        encode = make(
            None, _JSON.default, json.encoder.encode_basestring, None, ":", ",", False, False, False
        )
        probe = {"a": [1, -2.5, True, None, '\u00e9\n"', {}], "b": 10**20}
        if "".join(encode(probe, 0)) != _JSON.encode(probe):
            return None
    except Exception:
        return None
    return encode  # type: ignore[no-any-return]


_C_ENCODE: Final = _c_encoder()


def encode_json(data: Any) -> str:
    """``data`` as compact JSON text (non-ASCII kept, no NaN or infinity):
    ``_JSON.encode(data)``, the same text or the same exception, faster."""
    if _C_ENCODE is not None:
        try:
            return "".join(_C_ENCODE(data, 0))
        except RecursionError:
            # Without the cycle check a cycle recurses until it overflows:
            # the checking encoder says what the verdict was (a cycle, or
            # data truly nested too deep).
            pass
    return _JSON.encode(data)
