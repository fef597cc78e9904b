"""The environ keys this package sets, and the two CloudEvents HTTP forms.

Every key the middleware or the Lambda shim writes is listed here.

=================================  ===============================================
``cloudevent``                     the event (:class:`cloudevents_wsgi.CloudEvent`)
``cloudevents_wsgi.content_mode``  how it arrived: ``"binary"``, ``"structured"``,
                                   ``"batch"``, or ``"native"`` (made by an adapter);
                                   a request holding it passes any further
                                   middleware untouched
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
``cloudevents_wsgi.idempotency``   set by :mod:`cloudevents_wsgi.idempotency` while it
                                   holds the event's claim: the store key
``cloudevents_wsgi.dapr_entry_id`` set by :mod:`cloudevents_wsgi.dapr` for an entry of a
                                   bulk delivery: its ``entryId``
``HTTP_CE_*``                      binary form: one key per attribute
``CONTENT_TYPE``                   binary form: ``datacontenttype`` (absent if
                                   unset); structured: ``application/cloudevents+json``
``wsgi.input``, ``CONTENT_LENGTH``  the data (binary) or the event as JSON (structured)
=================================  ===============================================

The two forms are written by :mod:`cloudevents_wsgi.writer`: an event that
binary form cannot carry as it is (JSON data without ``datacontenttype``,
data that is itself a CloudEvent...) is put in structured form, so that the
environ, parsed again by this middleware or by the SDK, gives the same event.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO  # a module attribute: io's __getattr__ keeps io.BytesIO unspecialised (3.11)
from types import MappingProxyType
from typing import Any, Final

from . import spec
from .event import CloudEvent
from .message import Message, is_plain_header_value
from .writer import (
    STRUCTURED_TYPE,
    binary_data,
    encode_header_value,
    event_to_json,
    structured_body,
    write_headers,
)

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
    "event_to_json",
    "request_headers",
    "request_message",
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


# Environ keys by what they are: the attribute of each ``HTTP_CE_*`` key seen,
# and the keys seen not to be one. Keys repeat from request to request (the
# server's own, the headers clients send), so a scan of the environ mostly
# looks keys up; the caches are bounded, as clients choose header names, and
# a key not in them takes the test itself. Hand-written, not lru_cache: the
# scan tests each key with a set lookup inline, and skips the scan at C speed
# when every key is known (``issuperset``); a cached call per key measured
# 2.2 times slower (1.2 against 2.6 µs for a 26-key environ).
_CE_ATTRIBUTES: dict[str, str] = {}
_NOT_CE: set[str] = set()
_KEYS_MAX: Final = spec.CACHE_SIZE
_KEY_LENGTH_MAX: Final = spec.CACHED_LENGTH


def _ce_attribute(key: str) -> str | None:
    """The attribute an environ key carries (``HTTP_CE_ID``: ``id``), or None."""
    name = key[8:].lower() if key[:8] == "HTTP_CE_" else None
    return _remember(key, name, _CE_ATTRIBUTES, _NOT_CE)


def _remember(key: str, name: str | None, names: dict[str, str], others: set[str]) -> str | None:
    """``name``, kept as what ``key`` is (within the caches' bounds). Only a
    plain str is kept: a subclass's slices may say otherwise than its
    characters, and what is kept decides for every later plain key equal to it."""
    if type(key) is str and len(key) <= _KEY_LENGTH_MAX:
        if name is None:
            if len(others) < _KEYS_MAX:
                others.add(key)
        elif len(names) < _KEYS_MAX:
            names[key] = name
    return name


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


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers (lower-case names, ``x-amz-sns-message-type``)
    from the environ's ``HTTP_*`` keys and ``CONTENT_TYPE``."""
    names, others = _HEADER_NAMES, _NOT_HEADERS
    headers = {}
    if not others.issuperset(environ):  # else no key is a header (the shim's POST)
        for key, value in environ.items():
            if key in others:
                continue
            name = names[key] if key in names else _header_name(key)
            if name is not None:
                headers[name] = value
    content_type = environ.get("CONTENT_TYPE")
    if content_type:
        headers["content-type"] = content_type
    return headers


def request_message(environ: Mapping[str, Any]) -> Message:
    """The request as adapters see it, without its body: method, path and
    :func:`request_headers`.

    A request with no header but ``Content-Type`` (the Lambda shim's ``POST``
    of a native event, the same for every event) gets one remembered
    :class:`Message`, its headers read-only; bounded like the caches above.
    """
    method = environ.get("REQUEST_METHOD", "POST")
    path = environ.get("PATH_INFO", "/")
    content_type = environ.get("CONTENT_TYPE")
    if (
        type(method) is not str
        or type(path) is not str
        or (content_type is not None and type(content_type) is not str)
        or not _NOT_HEADERS.issuperset(environ)
    ):
        # Looked up by plain str only: a subclass's __eq__ and __hash__ may
        # find another request's Message, and a list has no hash.
        return Message(method, path, request_headers(environ))
    return headerless_message(method, path, content_type)


def headerless_message(method: str, path: str, content_type: str | None) -> Message:
    """:func:`request_message` of a request whose environ holds no header key
    but ``CONTENT_TYPE`` (all three arguments plain ``str``, or no type): one
    remembered :class:`Message` per (method, path, type)."""
    key = (method, path, content_type)
    message = _HEADERLESS.get(key)
    if message is None:
        headers = {"content-type": content_type} if content_type else {}
        message = Message(method, path, MappingProxyType(headers))
        if (
            len(_HEADERLESS) < _MESSAGES_MAX
            and len(method) + len(path) + len(content_type or "") <= _KEY_LENGTH_MAX
        ):
            _HEADERLESS[key] = message
    return message


# (method, path, content type) -> the Message of a request with no other header.
_HEADERLESS: dict[tuple[Any, Any, Any], Message] = {}
_MESSAGES_MAX: Final = 64


# Environ keys by what they are (``HTTP_X_AMZ_SNS_MESSAGE_TYPE``:
# ``x-amz-sns-message-type``; a server's own keys: not a header), bounded and
# kept by hand like the ``HTTP_CE_*`` caches above, for the same measured reason.
_HEADER_NAMES: dict[str, str] = {}
_NOT_HEADERS: set[str] = set()


def _header_name(key: str) -> str | None:
    """The header an environ key carries (``HTTP_X_A``: ``x-a``), or None."""
    name = key[5:].lower().replace("_", "-") if key[:5] == "HTTP_" else None
    return _remember(key, name, _HEADER_NAMES, _NOT_HEADERS)


def _clear_event_keys(environ: dict[str, Any]) -> None:
    known, others = _CE_ATTRIBUTES, _NOT_CE
    if not others.issuperset(environ):  # else every key is known not to be one (at C speed)
        for key in [
            k for k in environ if k not in others and (k in known or _ce_attribute(k) is not None)
        ]:
            del environ[key]
    environ.pop("CONTENT_TYPE", None)
    environ.pop("HTTP_CONTENT_TYPE", None)


def write_binary(
    environ: dict[str, Any], event: CloudEvent, body: bytes | None = None, clean: bool = False
) -> None:
    """Put ``event`` into ``environ`` in binary content mode, or in structured
    mode where binary mode cannot carry it as it is (JSON data without a
    ``datacontenttype``, data that is itself a CloudEvent...: see
    :mod:`cloudevents_wsgi.writer`), so that the environ reads back as the
    same event, data type included.

    ``body`` is the data already serialised (a binary-mode request's own body,
    kept byte for byte); by default it is written from the event. ``clean``:
    the environ holds no ``HTTP_*`` key and no CloudEvents key (the Lambda
    shim's own ``POST`` of a native event), so only ``CONTENT_TYPE`` is
    cleared, without looking at every key.
    """
    if body is None:
        body = binary_data(event, event._data_json)
        if body is None:
            write_structured(environ, event)
            return
    if clean:
        environ.pop("CONTENT_TYPE", None)
    else:
        _clear_event_keys(environ)
    content_type = event._attributes.get("datacontenttype")
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    write_headers(event, environ, _header_key)
    environ["wsgi.input"] = BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ[CLOUDEVENT] = event


class _HeaderKeys(dict[str, str]):
    """Attribute name -> environ key (``id``: ``HTTP_CE_ID``), kept as names
    repeat; bounded, as senders choose extension names. A dict whose
    ``__getitem__`` is the lookup: a C call where lru_cache's measured slower."""

    def __missing__(self, name: str) -> str:
        key = "HTTP_CE_" + name.upper()
        if len(self) < _KEYS_MAX and len(name) <= _KEY_LENGTH_MAX:
            self[name] = key
        return key


_header_key: Final = _HeaderKeys().__getitem__


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
        if value is not raw and (attribute != "time" or not is_plain_header_value(raw)):
            environ[_header_key(attribute)] = encode_header_value(value)
    environ["wsgi.input"] = BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ[CLOUDEVENT] = event


def write_structured(environ: dict[str, Any], event: CloudEvent) -> None:
    """Put ``event`` into ``environ`` in structured content mode (JSON format)."""
    body = structured_body(event, event._data_json)
    _clear_event_keys(environ)
    environ["CONTENT_TYPE"] = STRUCTURED_TYPE
    environ["wsgi.input"] = BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ[CLOUDEVENT] = event
