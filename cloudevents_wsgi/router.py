"""EventRouter: a WSGI application that calls a function per CloudEvent type,
for apps with no framework.

::

    from cloudevents_wsgi import CloudEventsMiddleware
    from cloudevents_wsgi.router import EventRouter

    router = EventRouter()

    @router.on("com.amazonaws.s3.ObjectCreated:*")
    def uploaded(event, environ):
        store(event.get_subject(), event.get_data()["s3"]["object"]["size"])
        # None: 204 No Content; an int: that status; a dict or list: 200 with it as JSON;
        # a CloudEvent (or Reply(event, status, mode)): that event as the response

    application = CloudEventsMiddleware(router)

The router reads the event the middleware left at ``environ["cloudevent"]``,
so it sits inside :class:`~cloudevents_wsgi.CloudEventsMiddleware` (or behind
the Lambda shim, which adds the middleware). Patterns are ``fnmatch`` globs,
compared with case; the first pattern registered that matches wins, whatever
registered after it. An event no pattern matches is answered ``404`` with a
problem+json body naming its ``type``. A request that carries no event goes to
``fallback`` (any WSGI app), or is answered ``404`` when there is none, with
the reason (its method, a missing ``ce-specversion``, no middleware...).

Reply events: a handler that returns a :class:`~cloudevents_wsgi.CloudEvent`
answers ``200`` with that event in binary mode; ``(event, status)`` or
:class:`~cloudevents_wsgi.reply.Reply` (``Reply(event, status=201,
mode="structured")``) choose the status and the content mode. That is how a
Knative subscriber replies to the broker. A request that asks for the reply
(``Prefer: reply``, as the Knative broker sends) gets ``Preference-Applied:
reply`` with it; with ``replies="preferred"`` a request that does not ask gets
``202 Accepted`` and no body instead (a sender that did not ask cannot take it).

Typed data: ``@router.on("com.example.order.*", data=Order)`` (a pydantic
model or a dataclass, see :mod:`cloudevents_wsgi.typed`) validates the data
before the handler runs: data that does not fit is answered ``400`` naming
the field (``data.items[0].sku``); the handler finds the ``Order`` with
``data_of(environ, Order)`` (or ``environ["cloudevents_wsgi.data"]``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

from .diagnostics import log_refusal, log_refused
from .environ import CLOUDEVENT
from .errors import ConfigurationError, InvalidEventError, problem_answer
from .event import CloudEvent
from .reply import PREFERENCE_APPLIED, Reply, prefers_reply, reply_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["EventHandler", "EventRouter"]

_REPLIES = ("always", "preferred")

#: ``handler(event, environ)``: ``None`` (204), an HTTP status, a JSON value (200), or a
#: reply event: a CloudEvent (200), ``(event, status)`` or a :class:`Reply`.
EventHandler = Callable[[CloudEvent, "WSGIEnvironment"], Any]
Handler = TypeVar("Handler", bound=EventHandler)


class EventRouter:
    """Calls the handler registered for each event's type (see the module).

    ``fallback``: the WSGI app for requests that carry no event (default: a
    ``404`` saying why). ``replies``: ``"always"`` (default) writes the reply
    event a handler returns; ``"preferred"`` writes it only for a request that
    says ``Prefer: reply`` and answers others ``202 Accepted`` with no body.
    Raises :class:`ConfigurationError` for a bad option.
    """

    def __init__(self, fallback: WSGIApplication | None = None, *, replies: str = "always") -> None:
        if fallback is not None and not callable(fallback):
            raise ConfigurationError(f"fallback must be a WSGI application, not {fallback!r}")
        if replies not in _REPLIES:
            raise ConfigurationError(f"replies must be one of {_REPLIES}, not {replies!r}")
        self.fallback = fallback
        self.replies = replies
        self.routes: list[tuple[str, EventHandler]] = []
        self._models: list[type[Any] | None] = []  # data model of each route

    def on(self, *patterns: str, data: type[Any] | None = None) -> Callable[[Handler], Handler]:
        """Register the decorated function for events whose type matches a
        pattern (``data``: validate the data into this model first)."""

        def register(handler: Handler) -> Handler:
            for pattern in patterns:
                self.add(pattern, handler, data=data)
            return handler

        if not patterns:
            raise ConfigurationError("on() needs at least one event type pattern")
        if data is not None:
            from .typed import check_model  # only with typed data: it imports dataclasses

            check_model(data)
        return register

    def add(self, pattern: str, handler: EventHandler, *, data: type[Any] | None = None) -> None:
        """Register ``handler`` for events whose type matches ``pattern``;
        ``data``, a pydantic model or a dataclass, validates the event's data
        first. Raises :class:`ConfigurationError` for a bad argument."""
        if not isinstance(pattern, str) or not pattern:
            raise ConfigurationError(f"a pattern must be a non-empty string, not {pattern!r}")
        if not callable(handler):
            raise ConfigurationError(f"a handler must be callable, not {handler!r}")
        if data is not None:
            from .typed import check_model

            check_model(data)
        self.routes.append((pattern, handler))
        self._models.append(data)

    def handler_for(self, event_type: str) -> EventHandler | None:
        """The handler events of this type go to, or ``None``."""
        index = self._route_for(event_type)
        return None if index is None else self.routes[index][1]

    def _route_for(self, event_type: str) -> int | None:
        for index, (pattern, _) in enumerate(self.routes):
            if fnmatchcase(event_type, pattern):
                return index
        return None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        event = environ.get(CLOUDEVENT)
        if not isinstance(event, CloudEvent):
            if self.fallback is not None:
                return self.fallback(environ, start_response)
            from .contrib import no_event_reason

            reason = no_event_reason(environ)
            log_refused(environ, 404, "cloudevent", reason)
            return _problem(start_response, 404, "cloudevent", reason)
        index = self._route_for(event.get_type())
        if index is None:
            log_refused(
                environ,
                404,
                "type",
                "no handler is registered for this event type",
                event_id=event.get_id(),
            )
            return _problem(
                start_response,
                404,
                "type",
                "no handler is registered for this event type",
                event.get_type(),
            )
        handler, model = self.routes[index][1], self._models[index]
        if model is not None:
            from .typed import DATA, validate_data

            try:
                environ[DATA] = validate_data(event, model)
            except InvalidEventError as error:
                log_refusal(error, environ, event_id=event.get_id())
                return _problem(
                    start_response, error.status, error.field, error.reason, error.value
                )
        result = handler(event, environ)
        if result is None:
            start_response("204 No Content", [])
            return []
        if isinstance(result, int) and not isinstance(result, bool):
            start_response(_status_line(result), [("Content-Length", "0")])
            return []
        reply = _as_reply(result)
        if reply is not None:
            return self._reply(environ, start_response, reply)
        return _json(start_response, 200, result, "application/json")

    def _reply(
        self, environ: WSGIEnvironment, start_response: StartResponse, reply: Reply
    ) -> Iterable[bytes]:
        preferred = prefers_reply(environ)
        if not preferred and self.replies == "preferred":
            start_response("202 Accepted", [("Content-Length", "0")])
            return []
        status, headers, body = reply_response(reply.event, status=reply.status, mode=reply.mode)
        if preferred:
            headers.append(PREFERENCE_APPLIED)
        start_response(_status_line(status), headers)
        return [body]


def _as_reply(result: Any) -> Reply | None:
    """The reply event a handler returned (a CloudEvent, ``(event, status)``
    or a :class:`Reply`), or None for any other result."""
    if isinstance(result, Reply):
        return result
    if isinstance(result, CloudEvent):
        return Reply(result)
    if (
        type(result) is tuple
        and len(result) == 2
        and isinstance(result[0], CloudEvent)
        and isinstance(result[1], int)
    ):
        return Reply(result[0], result[1])
    return None


def _status_line(code: int) -> str:
    if not 200 <= code <= 599:
        raise ValueError(f"an event handler returned {code!r}, which is not an HTTP status")
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _problem(
    start_response: StartResponse, status: int, field: str, reason: str, value: Any = None
) -> list[bytes]:
    status_line, headers, body = problem_answer(status, field, reason, value)
    start_response(status_line, headers)
    return [body]


def _json(start_response: StartResponse, status: int, obj: Any, content_type: str) -> list[bytes]:
    body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    start_response(
        _status_line(status),
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]
