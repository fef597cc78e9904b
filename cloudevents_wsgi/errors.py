"""The exception tree.

One root, :class:`CloudEventsWSGIError`. Leaves that describe bad input also
inherit :class:`ValueError` and carry what a client needs to fix the request:
the HTTP status, the field (attribute, header or JSON member) and the reason.
The middleware turns them into ``application/problem+json`` answers.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "CloudEventsWSGIError",
    "ConfigurationError",
    "InvalidEventError",
    "OriginNotAllowedError",
    "PayloadTooLargeError",
    "UnsupportedFormatError",
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
        message = f"{field}: {reason}"
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
            "field": self.field,
            "reason": self.reason,
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


def _quote(value: Any) -> str:
    text = repr(value)
    if len(text) > 200:
        text = text[:200] + "..."
    return text


class OriginNotAllowedError(InvalidEventError):
    """A webhook handshake from an origin that is not allowed (403)."""

    status = 403
