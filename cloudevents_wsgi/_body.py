"""Reading a request's body, within the middleware's ``max_body_size``.

An event's body is read whole or refused (:func:`read_event_body`: 400 for a
bad ``Content-Length`` or a short body, 413 over the limit). A body that may
be a native event but is not yet proved one is never refused
(:func:`read_or_pass`): over the limit, the app still gets every byte.
PEP 3333 allows short reads, so every read loops until the end or the limit.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Any

from .errors import InvalidEventError, PayloadTooLargeError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["Rejoined", "read", "read_event_body", "read_or_pass"]


def read_event_body(environ: WSGIEnvironment, limit: int) -> bytes:
    """The body of a CloudEvents request, at most ``limit`` bytes.

    Raises :class:`InvalidEventError` (``content-length`` not a number, a body
    shorter than announced) and :class:`PayloadTooLargeError` (over ``limit``).
    """
    raw_length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if raw_length:
        if not raw_length.isdigit() or not raw_length.isascii():
            raise InvalidEventError("content-length", "is not a number of bytes", raw_length)
        # Over 18 digits is over any limit (and int() refuses 4,300 digits).
        digits = raw_length.lstrip("0")
        length = int(digits or "0") if len(digits) <= 18 else sys.maxsize
        if length > limit:
            raise PayloadTooLargeError(
                "body",
                f"is larger than the limit of {limit} bytes",
                length if length < sys.maxsize else raw_length,
            )
        body = read(stream, length)
        if len(body) < length:
            raise InvalidEventError(
                "body", f"ended after {len(body)} of the {length} bytes announced"
            )
        return body
    if environ.get("wsgi.input_terminated"):
        # A chunked request: the server ends the stream at the last chunk.
        body = read(stream, limit + 1)
        if len(body) > limit:
            raise PayloadTooLargeError("body", f"is larger than the limit of {limit} bytes")
        return body
    return b""


def read_or_pass(environ: WSGIEnvironment, limit: int) -> bytes | None:
    """The body of a request that may be a native event, or ``None`` when
    it is over ``limit`` bytes (then ``wsgi.input`` still yields every
    byte, those read first, then the rest of the stream, for the app) or has
    neither a length nor ``wsgi.input_terminated`` (not read at all)."""
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        try:
            length = int(length_text)
        except ValueError:
            return None
        if length > limit or length < 0:
            return None  # not read at all
        return read(stream, length)
    if not environ.get("wsgi.input_terminated"):
        # No length and no end of input: nothing can be read, and the
        # stream (whatever it holds) stays the app's, untouched.
        return None
    body = read(stream, limit + 1)
    if len(body) > limit:
        environ["wsgi.input"] = Rejoined(body, stream)
        return None
    return body


def read(stream: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream``: read until the end of input or the
    limit, whatever each ``read()`` returns (PEP 3333 allows short reads)."""
    chunk: bytes = stream.read(limit) if limit else b""
    if len(chunk) >= limit or not chunk:
        return chunk
    parts = [chunk]
    got = len(chunk)
    while got < limit:
        chunk = stream.read(limit - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


class Rejoined(io.RawIOBase):
    """A WSGI input stream: ``head`` (already read), then the rest of ``tail``."""

    def __init__(self, head: bytes, tail: Any) -> None:
        super().__init__()
        self._head = io.BytesIO(head)
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = self._head.readinto(view)
        if count:
            return count
        chunk = self._tail.read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int | None = -1) -> bytes:
        head = self._head.read(size if size is not None and size >= 0 else -1)
        if size is None or size < 0:
            rest: bytes = self._tail.read()
            return head + rest
        if len(head) == size:
            return head
        # Filled from the stream, so that apps reading exactly what they ask get it.
        chunk: bytes = self._tail.read(size - len(head))
        return head + chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = self._head.readline(-1 if size is None else size)
        if line.endswith(b"\n") or (size is not None and 0 <= size == len(line)):
            return line
        rest: bytes = self._tail.readline(-1 if size is None or size < 0 else size - len(line))
        return line + rest
