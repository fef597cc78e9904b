"""The exception tree.

One root, :class:`CloudEventsWSGIError`. Leaves that describe bad input also
inherit :class:`ValueError` and carry what a client needs to fix the request:
the HTTP status, the field (attribute, header or JSON member) and the reason.
The middleware turns them into ``application/problem+json`` answers.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CloudEventsWSGIError",
    "ConfigurationError",
    "EmitError",
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


class EmitError(CloudEventsWSGIError):
    """An event could not be delivered (:mod:`cloudevents_wsgi.emitter`).

    ``url`` is where it was sent; ``status`` the HTTP status of a non-2xx
    answer, or ``None`` when there was no answer (refused connection,
    timeout, a name that does not resolve); ``reason`` the status's reason
    phrase or what went wrong; ``body`` the answer's body (``b""`` without one).
    """

    def __init__(self, url: str, status: int | None, reason: str, body: bytes = b"") -> None:
        self.url = url
        self.status = status
        self.reason = reason
        self.body = body
        if status is None:
            message = f"cannot send to {_cut(url)}: {_cut(reason)}"
        else:
            message = f"{_cut(url)} answered {status} {_cut(reason)}"
        super().__init__(message)


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
        return problem_details(self.status, self.field, self.reason, self.value)

    def problem_json(self) -> bytes:
        """:meth:`problem` as JSON (ASCII), the body of :func:`problem_response`."""
        return _dump(self.problem())


class UnsupportedFormatError(InvalidEventError):
    """The request is an event in a format this package cannot read (415)."""

    status = 415


class PayloadTooLargeError(InvalidEventError):
    """The request body is over the configured limit (413)."""

    status = 413


def problem_response(
    error: InvalidEventError, headers: Sequence[tuple[str, str]] = ()
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The whole ``application/problem+json`` answer (RFC 9457) for ``error``:
    the WSGI status line, the headers (``headers`` added after the content
    headers) and the body.

    The body stays under about 2 KB whatever the error quotes: ``field``,
    ``reason``, ``detail`` and ``value`` are each cut to a bounded length.
    """
    return problem_answer(error.status, error.field, error.reason, error.value, headers)


def problem_answer(
    status: int,
    field: str,
    reason: str,
    value: Any = None,
    headers: Sequence[tuple[str, str]] = (),
) -> tuple[str, list[tuple[str, str]], bytes]:
    """:func:`problem_response` for a status no exception of this module
    stands for (401, 404, 409...): the one problem+json writer of the package."""
    body = _dump(problem_details(status, field, reason, value))
    return (
        f"{status} {status_title(status)}",
        [
            ("Content-Type", "application/problem+json"),
            ("Content-Length", str(len(body))),
            *headers,
        ],
        body,
    )


def problem_details(status: int, field: str, reason: str, value: Any = None) -> dict[str, Any]:
    """The RFC 9457 problem details object: ``type``, ``title``, ``status``,
    ``detail`` (``"field: reason (got value)"``), ``field``, ``reason`` and,
    where there is one, ``value`` (its ``repr``), each cut to a bounded length."""
    detail = f"{_cut(field)}: {_cut(reason)}"
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": status_title(status),
        "status": status,
        "detail": detail,
        "field": _cut(field),
        "reason": _cut(reason),
    }
    if value is not None:
        quoted = _quote(value)
        body["detail"] = f"{detail} (got {quoted})"
        body["value"] = quoted
    return body


def status_title(status: int) -> str:
    """The reason phrase of ``status`` (RFC 9110's names: 413 is "Content Too Large")."""
    title = _TITLES.get(status)
    if title is None:
        from http import HTTPStatus  # only for the rarer statuses

        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            title = "Bad Request" if 400 <= status < 500 else "Error"
    return title


def _dump(problem: dict[str, Any]) -> bytes:
    # ASCII: a field or value may hold a lone surrogate from a JSON escape.
    return json.dumps(problem).encode("ascii")


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
