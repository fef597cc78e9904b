"""The environ keys this package sets, and the two CloudEvents HTTP forms.

Every key the middleware or the Lambda shim writes is listed here.

=================================  ===============================================
``cloudevent``                     the event (:class:`cloudevents_wsgi.CloudEvent`)
``cloudevents_wsgi.content_mode``  how it arrived: ``"binary"``, ``"structured"``,
                                   ``"batch"``, or ``"native"`` (made by an adapter)
``cloudevents_wsgi.adapter``       the adapter that made it (``"aws.s3"``...)
``cloudevents_wsgi.native``        the native record or payload it was made from
``cloudevents_wsgi.record_id``     the outer batch record it came from (SQS
                                   messageId, stream sequence number)
``cloudevents_wsgi.batch_index``   position of the event in its batch (0-based)
``cloudevents_wsgi.batch_size``    number of events in the batch
``cloudevents_wsgi.lambda_delivery``  set by the Lambda shim only (never from a header):
                                   the :class:`~cloudevents_wsgi.delivery.LambdaDelivery`
                                   that hands over the decoded native payload (trusted:
                                   only AWS can invoke the function) and the routes,
                                   and collects one result per event or record
``aws.event``, ``aws.context``     set by the Lambda shim on every request: the
                                   Lambda event and context (Mangum's names)
``cloudevents_wsgi.pubsub_claims`` set by :mod:`cloudevents_wsgi.pubsub_auth`: the
                                   verified Pub/Sub push token's claims
``HTTP_CE_*``                      binary form: one key per attribute
``CONTENT_TYPE``                   binary form: ``datacontenttype`` (absent if
                                   unset); structured: ``application/cloudevents+json``
``wsgi.input``, ``CONTENT_LENGTH``  the data (binary) or the event as JSON (structured)
=================================  ===============================================
"""

from __future__ import annotations

import base64
import io
import json
import json.encoder
import re
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote

from . import spec
from .errors import InvalidEventError
from .event import CloudEvent

__all__ = [
    "ADAPTER",
    "BATCH_INDEX",
    "BATCH_SIZE",
    "CLOUDEVENT",
    "CONTENT_MODE",
    "LAMBDA_DELIVERY",
    "NATIVE",
    "RECORD_ID",
    "ce_headers",
    "data_bytes",
    "event_to_json",
    "write_binary",
    "write_structured",
]

CLOUDEVENT: Final = "cloudevent"
CONTENT_MODE: Final = "cloudevents_wsgi.content_mode"
BATCH_INDEX: Final = "cloudevents_wsgi.batch_index"
BATCH_SIZE: Final = "cloudevents_wsgi.batch_size"
NATIVE: Final = "cloudevents_wsgi.native"
ADAPTER: Final = "cloudevents_wsgi.adapter"
RECORD_ID: Final = "cloudevents_wsgi.record_id"
LAMBDA_DELIVERY: Final = "cloudevents_wsgi.lambda_delivery"

STRUCTURED_TYPE: Final = "application/cloudevents+json"

# Printable ASCII but space, '"' and '%' stays as it is (HTTP binding 3.1.3.2).
_HEADER_SAFE: Final = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in ' "%')
_NEEDS_ENCODING = re.compile(r"[^\x21\x23\x24\x26-\x7e]")


def encode_header_value(value: Any) -> str:
    """An attribute's canonical string, percent-encoded for an HTTP header."""
    if (
        type(value) is str
        and value.isascii()
        and value.isprintable()
        and " " not in value
        and '"' not in value
        and "%" not in value
    ):
        return value  # nothing to encode: the usual case
    text = spec.canonical_string(value)
    if _NEEDS_ENCODING.search(text) is None:
        return text
    return quote(text, safe=_HEADER_SAFE)


def data_bytes(event: CloudEvent) -> bytes:
    """The event's data as the body of a binary-mode request."""
    data = event.get_data()
    if data is None:
        return b""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    content_type = event.get_datacontenttype()
    charset = "utf-8"
    json_data = True
    if content_type is not None:
        essence, params = spec.parse_media_type("datacontenttype", content_type)
        charset = params.get("charset", charset)
        json_data = spec.is_json(essence)
    try:
        if isinstance(data, str) and not json_data:
            return data.encode(charset)
        return _encode_json(data).encode(charset)
    except LookupError:
        raise InvalidEventError(
            "datacontenttype", "names a charset this receiver does not know", charset
        ) from None
    except UnicodeEncodeError as exc:
        raise _unwritable(exc, charset) from None
    except ValueError:
        raise _too_large() from None


def _unwritable(exc: UnicodeEncodeError, charset: str) -> InvalidEventError:
    character = exc.object[exc.start]
    return InvalidEventError("data", f"holds U+{ord(character):04X}, which {charset} cannot encode")


def _too_large() -> InvalidEventError:
    # JSON numbers beyond a double (1e999) decode as infinity, which JSON cannot hold.
    return InvalidEventError("data", "holds a number too large for JSON to write back")


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


def _encode_json(data: Any) -> str:
    """``_JSON.encode(data)``, the same text or the same exception, faster."""
    if _C_ENCODE is not None:
        try:
            return "".join(_C_ENCODE(data, 0))
        except RecursionError:
            # Without the cycle check a cycle recurses until it overflows:
            # the checking encoder says what the verdict was (a cycle, or
            # data truly nested too deep).
            pass
    return _JSON.encode(data)


def event_to_json(event: CloudEvent) -> dict[str, Any]:
    """The event as a JSON-format object (``data`` or ``data_base64``)."""
    obj = event.get_attributes()
    if "time" in obj:
        obj["time"] = event.time_text()
    data = event.get_data()
    if isinstance(data, (bytes, bytearray)):
        obj["data_base64"] = base64.b64encode(data).decode("ascii")
    elif data is not None:
        obj["data"] = data
    return obj


# Environ keys by what they are: the attribute of each ``HTTP_CE_*`` key seen,
# and the keys seen not to be one. Keys repeat from request to request (the
# server's own, the headers clients send), so a scan of the environ mostly
# looks keys up; the caches are bounded, as clients choose header names, and
# a key not in them takes the test itself.
_CE_ATTRIBUTES: dict[str, str] = {}
_NOT_CE: set[str] = set()
_KEYS_MAX: Final = 512
_KEY_LENGTH_MAX: Final = 64


def _ce_attribute(key: str) -> str | None:
    """The attribute an environ key carries (``HTTP_CE_ID``: ``id``), or None."""
    if key[:8] == "HTTP_CE_":
        name = key[8:].lower()
        if len(_CE_ATTRIBUTES) < _KEYS_MAX and len(key) <= _KEY_LENGTH_MAX:
            _CE_ATTRIBUTES[key] = name
        return name
    if len(_NOT_CE) < _KEYS_MAX and len(key) <= _KEY_LENGTH_MAX:
        _NOT_CE.add(key)
    return None


def ce_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(attribute name, raw value) of every ``HTTP_CE_*`` key, in environ order."""
    known, others = _CE_ATTRIBUTES, _NOT_CE
    pairs = []
    for key, value in environ.items():
        if key in others:
            continue
        name = known[key] if key in known else _ce_attribute(key)
        if name is not None:
            pairs.append((name, value))
    return pairs


def _clear_event_keys(environ: dict[str, Any]) -> None:
    known, others = _CE_ATTRIBUTES, _NOT_CE
    if not others.issuperset(environ):  # else every key is known not to be one (at C speed)
        for key in [
            k for k in environ if k not in others and (k in known or _ce_attribute(k) is not None)
        ]:
            del environ[key]
    environ.pop("CONTENT_TYPE", None)
    environ.pop("HTTP_CONTENT_TYPE", None)


def write_binary(environ: dict[str, Any], event: CloudEvent, body: bytes | None = None) -> None:
    """Put ``event`` into ``environ`` in binary content mode.

    ``body`` is the data already serialised (a binary-mode request's own body,
    kept byte for byte); by default it is serialised from the event.
    """
    _clear_event_keys(environ)
    header_keys = _HEADER_KEYS
    for name, value in event._attributes.items():
        if name == "datacontenttype":
            environ["CONTENT_TYPE"] = value
        elif name == "time":
            environ["HTTP_CE_TIME"] = event.time_text()
        else:
            key = header_keys[name] if name in header_keys else _header_key(name)
            if (
                type(value) is str
                and value.isascii()
                and value.isprintable()
                and " " not in value
                and '"' not in value
                and "%" not in value
            ):
                environ[key] = value  # encode_header_value's usual case, inline
            else:
                environ[key] = encode_header_value(value)
    if body is None:
        body = data_bytes(event)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ[CLOUDEVENT] = event


# Attribute name -> environ key; names repeat (bounded: senders choose extensions).
_HEADER_KEYS: dict[str, str] = {
    name: "HTTP_CE_" + name.upper() for name in spec.REQUIRED + spec.OPTIONAL
}


def _header_key(name: str) -> str:
    key = "HTTP_CE_" + name.upper()
    if len(_HEADER_KEYS) < _KEYS_MAX and len(name) <= _KEY_LENGTH_MAX:
        _HEADER_KEYS[name] = key
    return key


def normalise_binary(
    environ: dict[str, Any],
    event: CloudEvent,
    raw_headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    """Keep a binary-mode request in binary mode, rewriting only what needs it.

    ``raw_headers`` are the (attribute, raw value) pairs the event was parsed
    from. A raw value the receiver took as it was (printable ASCII, nothing to
    unquote or decode) is already canonical and stays; the rest (quoted
    strings, raw UTF-8, needless percent-encoding) are written anew.
    """
    attributes = event._attributes
    for attribute, raw in raw_headers:
        value = attributes[attribute]
        if value is not raw and (attribute != "time" or not _PLAIN(raw)):
            environ["HTTP_CE_" + attribute.upper()] = encode_header_value(value)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ[CLOUDEVENT] = event


# Printable ASCII with no '%' and no quotes: a header value with nothing to decode.
_PLAIN = re.compile(r"[\x21\x23\x24\x26-\x7e]+").fullmatch


def write_structured(environ: dict[str, Any], event: CloudEvent) -> None:
    """Put ``event`` into ``environ`` in structured content mode (JSON format)."""
    _clear_event_keys(environ)
    try:
        body = _JSON.encode(event_to_json(event)).encode()
    except UnicodeEncodeError as exc:
        raise _unwritable(exc, "UTF-8") from None
    except ValueError:
        raise _too_large() from None
    environ["CONTENT_TYPE"] = STRUCTURED_TYPE
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ[CLOUDEVENT] = event
