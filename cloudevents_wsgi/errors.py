"""The exception tree.

One root, :class:`CloudEventsWSGIError`. Leaves that describe bad input also
inherit :class:`ValueError` and carry what a client needs to fix the request:
the HTTP status, the field (attribute, header or JSON member) and the reason.
The middleware turns them into ``application/problem+json`` answers.
"""

from __future__ import annotations

import json
import reprlib
from typing import Any

__all__ = [
    "CloudEventsWSGIError",
    "ConfigurationError",
    "InvalidEventError",
    "OriginNotAllowedError",
    "PayloadTooLargeError",
    "UnsupportedFormatError",
    "problem_response",
]

_TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    413: "Content Too Large",
    415: "Unsupported Media Type",
}


class CloudEventsWSGIError(Exception):
    """Root of every exception this package raises."""


class ConfigurationError(CloudEventsWSGIError, ValueError):
    """An option given to the middleware or the Lambda shim is not usable."""


class InvalidEventError(CloudEventsWSGIError, ValueError):
    """A request claims to carry an event but the event is not valid.

    ``field`` names what is wrong (``"time"``, ``"ce-source"``,
    ``"[2].id"``...), ``reason`` says why; ``value`` quotes the bad value
    where there is one.
    """

    status = 400

    def __init__(self, field: str, reason: str, value: Any = None) -> None:
        self.field = field
        self.reason = reason
        self.value = value
        # Every part cut short: a field or value may be megabytes a client chose.
        message = f"{_cut(field)}: {_cut(reason)}"
        if value is not None:
            message += f" (got {_quote(value)})"
        super().__init__(message)

    def within(self, prefix: str) -> InvalidEventError:
        """The same error for a field nested under ``prefix`` (a batch index)."""
        error = type(self)(f"{prefix}{self.field}", self.reason, self.value)
        error.__cause__ = self.__cause__
        return error

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem details object for this error."""
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": _TITLES.get(self.status, "Bad Request"),
            "status": self.status,
            "detail": str(self),
            "field": _cut(self.field),
            "reason": _cut(self.reason),
        }
        if self.value is not None:
            body["value"] = _quote(self.value)
        return body

    def problem_json(self) -> bytes:
        # ASCII: a field or value may hold a lone surrogate from a JSON escape.
        return json.dumps(self.problem()).encode("ascii")


class UnsupportedFormatError(InvalidEventError):
    """The request is an event in a format this package cannot read (415)."""

    status = 415


class PayloadTooLargeError(InvalidEventError):
    """The request body is over the configured limit (413)."""

    status = 413


def problem_response(error: InvalidEventError) -> tuple[str, list[tuple[str, str]], bytes]:
    """The whole ``application/problem+json`` answer (RFC 9457) for ``error``:
    the WSGI status line, the headers and the body.

    The body stays under about 2 KB whatever the error quotes: ``field``,
    ``reason``, ``detail`` and ``value`` are each cut to a bounded length.
    """
    body = error.problem_json()
    return (
        f"{error.status} {_TITLES.get(error.status, 'Bad Request')}",
        [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
        body,
    )


def log_safe(text: str) -> str:
    """``text`` with control characters (and backslashes, and non-ASCII)
    escaped as in a Python literal, for a log line or an exception message:
    a newline from a request cannot end the line and forge another."""
    return text.encode("unicode_escape").decode("ascii")


# The longest text echoed from a request in an error (characters).
_ECHO_MAX = 200


def _cut(text: str) -> str:
    return text if len(text) <= _ECHO_MAX else text[:_ECHO_MAX] + "..."


def _quote(value: Any) -> str:
    if isinstance(value, (str, bytes)):
        if len(value) > _ECHO_MAX:  # the repr of the head only, not of megabytes
            return repr(value[:_ECHO_MAX])[: _ECHO_MAX + 2] + "..."
        return _cut(repr(value))
    # Containers and the rest: a few members, each shortened (bounded work).
    return _cut(_SHORT_REPR.repr(value))


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60
_SHORT_REPR.maxlevel = 3


class OriginNotAllowedError(InvalidEventError):
    """A webhook handshake from an origin that is not allowed (403)."""

    status = 403
