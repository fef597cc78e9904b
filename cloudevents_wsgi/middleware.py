"""CloudEventsMiddleware: CloudEvents requests into any WSGI application.

Wrap the application once. A request that carries a CloudEvent (binary,
structured or batched content mode) reaches the app with the event at
``environ["cloudevent"]`` and the environ rewritten into one standard form;
a batch reaches it once per event. Invalid events are answered with a
problem+json 400/413/415 and never reach the app. Every other request passes
through untouched, its body unread.

Not for: producing events (use the cloudevents SDK), or apps that must see
the sender's raw request unchanged (the environ of an event is rewritten).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

from . import environ as keys
from .errors import (
    ConfigurationError,
    InvalidEventError,
    OriginNotAllowedError,
    PayloadTooLargeError,
)
from .event import CloudEvent
from .receiver import BATCH, BINARY, MAX_BATCH, content_mode, parse_batch, parse_binary, parse_structured

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["CloudEventsMiddleware"]

logger = logging.getLogger("cloudevents_wsgi")

MODES: Final = ("binary", "structured")
# Large enough for any event a broker sends (SQS, Event Grid and Pub/Sub cap
# theirs at 256 KiB to 10 MB); anything bigger is a mistake or an attack.
DEFAULT_MAX_BODY: Final = 10 * 1024 * 1024
# The methods the HTTP binding's examples and the webhook spec deliver with.
DEFAULT_METHODS: Final = ("POST", "PUT", "PATCH")


class CloudEventsMiddleware:
    """Hand CloudEvents to a WSGI application, one call per event.

    Options (keyword only):

    ``mode``
        ``"binary"`` (default) or ``"structured"``: the CloudEvents HTTP form
        the environ is rewritten into, so that code parsing the request
        itself (with the SDK, say) finds the same event.
    ``max_body_size``
        bytes; a longer event body is answered 413 without being read.
    ``max_batch_size``
        events; a longer batch is answered 413.
    ``methods``
        the request methods that may carry an event; others pass through.
    ``webhook_origins``
        origins granted in the CloudEvents webhook handshake (``OPTIONS``
        with ``WebHook-Request-Origin``); ``None`` grants every origin, an
        empty collection turns the handshake off (the app answers OPTIONS).
    ``webhook_rate``
        requests per minute granted in the handshake; ``None`` for no limit.

    The environ keys set are documented in :mod:`cloudevents_wsgi.environ`.

    A batch calls the app once per event, in order, each with its own
    environ, after every event of it has been checked. The answers are
    combined: if every event got a 2xx, the answer is 200; otherwise the
    status of the first event that did not (500 where the app raised), so
    that the sender retries. The body is JSON listing each event's ``id``
    and ``status``. An empty batch calls nothing and is answered 204.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        mode: str = "binary",
        max_body_size: int = DEFAULT_MAX_BODY,
        max_batch_size: int = MAX_BATCH,
        methods: Collection[str] = DEFAULT_METHODS,
        webhook_origins: Collection[str] | None = None,
        webhook_rate: int | None = None,
    ) -> None:
        if not callable(app):
            raise ConfigurationError(f"app must be a WSGI callable, not {app!r}")
        if mode not in MODES:
            raise ConfigurationError(f"mode must be one of {MODES}, not {mode!r}")
        for name, value in (("max_body_size", max_body_size), ("max_batch_size", max_batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, not {value!r}")
        if isinstance(methods, str) or not all(isinstance(m, str) for m in methods):
            raise ConfigurationError(f"methods must be a collection of strings, not {methods!r}")
        if webhook_origins is not None and (
            isinstance(webhook_origins, str) or not all(isinstance(o, str) for o in webhook_origins)
        ):
            raise ConfigurationError(
                f"webhook_origins must be a collection of strings or None, not {webhook_origins!r}"
            )
        if webhook_rate is not None and (
            isinstance(webhook_rate, bool) or not isinstance(webhook_rate, int) or webhook_rate < 1
        ):
            raise ConfigurationError(
                f"webhook_rate must be a positive integer or None, not {webhook_rate!r}"
            )
        self.app = app
        self.mode = mode
        self.max_body_size = max_body_size
        self.max_batch_size = max_batch_size
        self.methods = frozenset(m.upper() for m in methods)
        self.webhook_origins = None if webhook_origins is None else frozenset(webhook_origins)
        self.webhook_rate = "*" if webhook_rate is None else str(webhook_rate)

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in self.methods:
            if method == "OPTIONS" and "HTTP_WEBHOOK_REQUEST_ORIGIN" in environ:
                return self._handshake(environ, start_response)
            return self.app(environ, start_response)
        content_type = environ.get("CONTENT_TYPE")
        try:
            mode = content_mode(content_type, "HTTP_CE_SPECVERSION" in environ)
            if mode is None:
                return self.app(environ, start_response)
            body = self._read_body(environ)
            if mode == BINARY:
                event = parse_binary(_ce_headers(environ), content_type or None, body)
                events = [event]
            elif mode == BATCH:
                events = parse_batch(body, max_batch=self.max_batch_size)
            else:
                events = [parse_structured(body)]
        except InvalidEventError as error:
            return _problem(error, start_response)

        if mode != BATCH:
            env = dict(environ)
            self._write(env, events[0], body if mode == BINARY else None)
            env[keys.CONTENT_MODE] = mode
            return self.app(env, start_response)
        return self._dispatch_batch(environ, start_response, events)

    # -- reading -------------------------------------------------------------

    def _read_body(self, environ: WSGIEnvironment) -> bytes:
        raw_length = environ.get("CONTENT_LENGTH") or ""
        stream = environ["wsgi.input"]
        if raw_length:
            if not raw_length.isdigit() or not raw_length.isascii():
                raise InvalidEventError("content-length", "is not a number of bytes", raw_length)
            length = int(raw_length)
            if length > self.max_body_size:
                raise PayloadTooLargeError(
                    "body", f"is larger than the limit of {self.max_body_size} bytes", length
                )
            body = stream.read(length) if length else b""
            if len(body) < length:
                raise InvalidEventError(
                    "body", f"ended after {len(body)} of the {length} bytes announced"
                )
            return body  # type: ignore[no-any-return]
        if environ.get("wsgi.input_terminated"):
            # A chunked request: the server ends the stream at the last chunk.
            body = stream.read(self.max_body_size + 1)
            if len(body) > self.max_body_size:
                raise PayloadTooLargeError(
                    "body", f"is larger than the limit of {self.max_body_size} bytes"
                )
            return body  # type: ignore[no-any-return]
        return b""

    def _write(self, env: dict[str, Any], event: CloudEvent, body: bytes | None) -> None:
        if self.mode == "binary":
            keys.write_binary(env, event, body)
        else:
            keys.write_structured(env, event)

    # -- batches ---------------------------------------------------------------

    def _dispatch_batch(
        self, environ: WSGIEnvironment, start_response: StartResponse, events: list[CloudEvent]
    ) -> Iterable[bytes]:
        if not events:
            start_response("204 No Content", [])
            return []
        results = environ.get(keys.RESULTS)
        outcomes: list[dict[str, Any]] = []
        first_failure: str | None = None
        for index, event in enumerate(events):
            env = dict(environ)
            self._write(env, event, None)
            env[keys.CONTENT_MODE] = BATCH
            env[keys.BATCH_INDEX] = index
            env[keys.BATCH_SIZE] = len(events)
            status, exc_info = _run_to_completion(self.app, env)
            code = int(status[:3])
            if results is not None:
                results.append(keys.EventResult(index, event, code, exc_info))
            outcomes.append({"id": event.get_id(), "status": code})
            if first_failure is None and (exc_info is not None or not 200 <= code < 300):
                first_failure = status
        body = json.dumps({"results": outcomes}).encode()
        start_response(
            first_failure or "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    # -- webhook handshake (CloudEvents HTTP webhook spec, section 4) ---------

    def _handshake(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if self.webhook_origins is not None and not self.webhook_origins:
            return self.app(environ, start_response)
        origin = environ["HTTP_WEBHOOK_REQUEST_ORIGIN"].strip()
        if self.webhook_origins is not None and origin not in self.webhook_origins:
            return _problem(
                OriginNotAllowedError("webhook-request-origin", "this origin is not allowed", origin),
                start_response,
            )
        allowed = "*" if self.webhook_origins is None else origin
        start_response(
            "200 OK",
            [
                ("Allow", "POST"),
                ("WebHook-Allowed-Origin", allowed),
                ("WebHook-Allowed-Rate", self.webhook_rate),
                ("Content-Length", "0"),
            ],
        )
        return []


def _ce_headers(environ: WSGIEnvironment) -> Iterator[tuple[str, str]]:
    for key, value in environ.items():
        if key.startswith("HTTP_CE_"):
            yield "ce-" + key[8:].lower().replace("_", "-"), value


def _problem(error: InvalidEventError, start_response: StartResponse) -> Iterable[bytes]:
    body = error.problem_json()
    start_response(
        f"{error.status} {error.problem()['title']}",
        [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _run_to_completion(app: WSGIApplication, environ: dict[str, Any]) -> tuple[str, Any]:
    """Call ``app`` and drain its answer; return the status and any exc_info."""
    captured: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
        captured[:] = [status]
        return lambda data: None

    try:
        iterable = app(environ, start_response)
        try:
            for _ in iterable:
                pass
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
    except Exception:
        exc_info = sys.exc_info()
        logger.exception("the application raised while handling a batched event")
        return "500 Internal Server Error", exc_info
    if not captured:
        return "500 Internal Server Error", None
    return captured[0], None
