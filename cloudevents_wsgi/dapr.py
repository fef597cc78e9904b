"""Answers for Dapr's pub/sub deliveries.

Dapr delivers each message to the subscriber as a CloudEvent in structured
mode, which the core receiver reads. What Dapr does next depends on the
subscriber's answer (https://docs.dapr.io/reference/api/pubsub_api/,
"Expected HTTP Response"):

* a 2xx status: the JSON body's ``status`` decides: ``SUCCESS`` (also for an
  empty body), ``RETRY`` or ``DROP`` (a warning is logged, the message dropped
  or sent to the dead letter topic);
* 404: an error is logged and the message is dropped;
* any other status: a warning is logged and the message is retried.

Answering a 2xx with an explicit status makes the outcome of the app's answer
plain to Dapr. :func:`dapr_status` maps the app's HTTP status onto Dapr's
statuses, and :func:`dapr_response_body` writes the body to send with 200.

Under ``CloudEventsMiddleware(app, dapr=True)``, :func:`answer` does this for
every CloudEvents request: the app's answer becomes ``200 {"status": ...}``,
and an event the receiver refuses (400, 413, 415) becomes ``200 {"status":
"DROP"}`` (a 400 would make Dapr retry a message that can never succeed),
logged with the field and the reason. A bulk delivery ("bulk subscribe",
https://docs.dapr.io/reference/api/pubsub_api/, "Expected HTTP Response for
Bulk Subscribe") is handled entry by entry.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from ._json import load_json
from .diagnostics import LOGGED_BY_CALLER
from .errors import InvalidEventError, log_safe
from .receiver import content_mode
from .spec import STRUCTURED_TYPE

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .middleware import CloudEventsMiddleware

__all__ = [
    "DROP",
    "ENTRY_ID",
    "RETRY",
    "STATUSES",
    "SUCCESS",
    "answer",
    "dapr_response_body",
    "dapr_status",
]

logger = logging.getLogger("cloudevents_wsgi")

SUCCESS: Final = "SUCCESS"
RETRY: Final = "RETRY"
DROP: Final = "DROP"
STATUSES: Final = (SUCCESS, RETRY, DROP)

#: Client errors that a later delivery of the same message may not repeat:
#: a timeout, a conflict, a locked resource, "too early" and rate limiting.
#: Every other 4xx says the message itself is wrong (400, 422...) or has no
#: handler (404, as Dapr itself treats it), so retrying cannot help: DROP.
RETRYABLE_CLIENT_ERRORS: Final = frozenset({408, 409, 423, 425, 429})


def dapr_status(http_status: int) -> str:
    """The Dapr status for the app's HTTP status.

    2xx -> ``SUCCESS``; 4xx -> ``DROP``, except those of
    :data:`RETRYABLE_CLIENT_ERRORS`; everything else (5xx, and the 500 that
    stands for an exception raised by the app) -> ``RETRY``.
    """
    if 200 <= http_status < 300:
        return SUCCESS
    if 400 <= http_status < 500 and http_status not in RETRYABLE_CLIENT_ERRORS:
        return DROP
    return RETRY


def dapr_response_body(status: str) -> bytes:
    """The JSON body telling Dapr ``status``; send it with HTTP 200 and
    ``Content-Type: application/json`` (Dapr reads it only after a 2xx)."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    return json.dumps({"status": status}).encode("ascii")


#: The environ key holding the ``entryId`` of a bulk delivery's entry, in its call.
ENTRY_ID: Final = "cloudevents_wsgi.dapr_entry_id"
_STRUCTURED: Final = STRUCTURED_TYPE
# The content types a bulk envelope is looked for in (Dapr sends application/json).
_ENVELOPE_TYPES: Final = ("application/json", _STRUCTURED)


def answer(
    middleware: CloudEventsMiddleware, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    """Handle one request the way Dapr's pub/sub expects (see the module).

    A request that is neither a CloudEvent nor a bulk envelope (Dapr's
    ``GET /dapr/subscribe``, the app's own pages) goes to the middleware as it came.
    """
    if environ.get("REQUEST_METHOD", "GET") not in middleware.methods:
        return middleware._receive(environ, start_response)
    content_type = environ.get("CONTENT_TYPE") or ""
    essence = content_type.split(";", 1)[0].strip().lower()
    if essence in _ENVELOPE_TYPES and "HTTP_CE_SPECVERSION" not in environ:
        envelope = _bulk_envelope(middleware, environ)
        if envelope is not None:
            return _bulk(middleware, environ, envelope, start_response)
    try:
        is_event = content_mode(content_type, "HTTP_CE_SPECVERSION" in environ) is not None
    except InvalidEventError:
        is_event = True  # an event format this receiver refuses: DROP below
    if not is_event:
        return middleware._receive(environ, start_response)
    status = _status_of(middleware, environ)
    body = dapr_response_body(status)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _status_of(middleware: CloudEventsMiddleware, environ: WSGIEnvironment) -> str:
    """Dapr's status for the middleware's (and so the app's) answer to ``environ``."""
    from .dispatch import run_event

    env = dict(environ)
    env[LOGGED_BY_CALLER] = True  # the DROP line below is the refusal's one line
    response, _ = run_event(middleware._receive, env)
    code, headers, chunks = response.code, response.headers, response.chunks
    status = dapr_status(code)
    if status == DROP:
        field, reason = _problem_of(headers, chunks)
        entry = environ.get(ENTRY_ID)
        logger.warning(
            "dapr: dropping a message answered %d%s: %s: %s",
            code,
            "" if entry is None else f" (bulk entry {entry!r})",
            # Escaped: the field (an attribute name) comes from the request,
            # and a raw newline in it would forge a log line.
            log_safe(field),
            log_safe(reason),
        )
    return status


def _problem_of(headers: list[tuple[str, str]], chunks: list[bytes]) -> tuple[str, str]:
    """The field and reason of a problem+json answer (never its value)."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if content_type.startswith("application/problem+json"):
        try:
            problem = json.loads(b"".join(chunks))
            return str(problem.get("field", "-")), str(problem.get("reason", "-"))
        except (ValueError, AttributeError):
            pass
    return "-", "the app refused it"


def _bulk_envelope(
    middleware: CloudEventsMiddleware, environ: WSGIEnvironment
) -> dict[str, Any] | None:
    """The bulk envelope the body holds, or None (the body is left readable)."""
    raw_length = environ.get("CONTENT_LENGTH") or ""
    # ASCII digits only ("²" is a digit int() refuses), and few of them
    # (int() refuses over 4,300): the middleware answers the rest.
    if (
        not raw_length.isdigit()
        or not raw_length.isascii()
        or len(raw_length) > 18
        or not 0 < int(raw_length) <= middleware.max_body_size
    ):
        return None
    from ._body import read

    # Every byte, whatever each read() returns (PEP 3333 allows short reads).
    body = read(environ["wsgi.input"], int(raw_length))
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        envelope = load_json("body", body, max_depth=middleware.max_json_depth)
    except InvalidEventError:
        return None
    if (
        isinstance(envelope, dict)
        and isinstance(envelope.get("entries"), list)
        and "specversion" not in envelope
    ):
        return envelope
    return None


def _bulk(
    middleware: CloudEventsMiddleware,
    environ: WSGIEnvironment,
    envelope: dict[str, Any],
    start_response: StartResponse,
) -> list[bytes]:
    entries: list[Any] = envelope["entries"]
    # Too many entries: every one is dropped, as a retry cannot succeed (and
    # an entry left without a status would be retried).
    too_many = len(entries) > middleware.max_batch_size
    if too_many:
        logger.warning(
            "dapr: dropping a bulk message: entries: more than %d", middleware.max_batch_size
        )
    statuses = []
    without_id: list[int] = []
    for index, entry in enumerate(entries):
        entry_id = entry.get("entryId") if isinstance(entry, dict) else None
        if not isinstance(entry_id, str):
            # Dapr cannot be told about an entry without an id; it counts as RETRY.
            without_id.append(index)
            continue
        status = DROP if too_many else _entry_status(middleware, environ, entry)
        statuses.append({"entryId": entry_id, "status": status})
    if without_id:
        # One line for all of them: a body of a million entries is not a
        # million log lines.
        logger.warning(
            "dapr: bulk entry [%d] (and %d more): entryId: is missing or not a string",
            without_id[0],
            len(without_id) - 1,
        )
    body = json.dumps({"statuses": statuses}).encode("utf-8")
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _entry_status(
    middleware: CloudEventsMiddleware, environ: WSGIEnvironment, entry: dict[str, Any]
) -> str:
    """One entry, handed to the middleware as a structured-mode request."""
    entry_id = entry["entryId"]
    content_type = entry.get("contentType")
    event = entry.get("event")
    if not (
        isinstance(content_type, str)
        and content_type.split(";", 1)[0].strip().lower() == _STRUCTURED
        and isinstance(event, dict)
    ):
        # A raw payload (rawPayload subscriptions) is no CloudEvent: nothing
        # this receiver can hand over, and a retry would not change that.
        logger.warning(
            "dapr: dropping bulk entry %r: contentType: is not %s", entry_id, _STRUCTURED
        )
        return DROP
    body = json.dumps(event).encode("utf-8")
    env = dict(environ)
    env.update(
        {
            "CONTENT_TYPE": _STRUCTURED,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            ENTRY_ID: entry_id,
        }
    )
    env.pop("HTTP_CE_SPECVERSION", None)
    return _status_of(middleware, env)
