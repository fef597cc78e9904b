"""Flask requests with a ``.cloudevent`` property, typed accessors and a view decorator.

::

    from flask import Flask
    from cloudevents_wsgi import CloudEventsMiddleware
    from cloudevents_wsgi.contrib.flask import (
        CloudEventRequest, cloudevent_data, cloudevent_required, get_cloudevent)

    app = Flask(__name__)
    app.request_class = CloudEventRequest
    app.wsgi_app = CloudEventsMiddleware(app.wsgi_app)

    @app.post("/events")
    @cloudevent_required(types=["com.example.*"], data=Order)
    def events():
        event = get_cloudevent()       # typed: CloudEvent
        order = cloudevent_data(Order)  # typed: Order, validated
        ...

``request.cloudevent`` is the event or ``None`` (keep the ``flask.request``
proxy: it now holds a :class:`CloudEventRequest`); :func:`get_cloudevent` and
:func:`cloudevent_data` are the typed way to the event and its data.
Reply events: return ``cloudevent_response(event)`` (binary mode, ``200``;
``status=`` and ``mode="structured"`` as for
:func:`~cloudevents_wsgi.reply.reply_response`), which is how a Knative
subscriber replies to the broker.
Tests: :mod:`cloudevents_wsgi.testing.flask`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, overload

import flask

from ..errors import InvalidEventError
from ..event import CloudEvent
from ..reply import PREFERENCE_APPLIED, prefers_reply, reply_response
from ..typed import data_of
from . import CloudEventRequestMixin, _checked_model, _require, _type_patterns
from . import get_cloudevent as _get

__all__ = [
    "CloudEventRequest",
    "CloudEventRequestMixin",
    "cloudevent_data",
    "cloudevent_required",
    "cloudevent_response",
    "get_cloudevent",
]

View = TypeVar("View", bound=Callable[..., Any])
T = TypeVar("T")


class CloudEventRequest(CloudEventRequestMixin, flask.Request):
    """:class:`flask.Request` with ``.cloudevent`` (the event or ``None``)."""


def cloudevent_response(
    event: CloudEvent, *, status: int = 200, mode: str = "binary"
) -> flask.Response:
    """A response that carries ``event`` (a reply event).

    ``status``: ``200`` by default; ``mode``: ``"binary"`` (``ce-*`` headers,
    the data as the body, ``Content-Type`` only when the event has a
    ``datacontenttype``) or ``"structured"`` (``application/cloudevents+json``).
    Inside a request that says ``Prefer: reply`` it adds
    ``Preference-Applied: reply``. Raises what
    :func:`~cloudevents_wsgi.reply.reply_response` raises (``ValueError`` for
    a bad status or mode, ``InvalidEventError`` for unwritable data).
    """
    status, headers, body = reply_response(event, status=status, mode=mode)
    response = flask.Response(body, status=status)
    # Flask sets a default Content-Type (text/html): a binary event without
    # datacontenttype has none, and a reader would take its data as HTML text.
    del response.headers["Content-Type"]
    for name, value in headers:
        response.headers[name] = value
    if flask.has_request_context() and prefers_reply(flask.request.environ):
        response.headers[PREFERENCE_APPLIED[0]] = PREFERENCE_APPLIED[1]
    return response


def get_cloudevent(request: flask.Request | None = None) -> CloudEvent:
    """The CloudEvent of ``request`` (default: the current request); raises
    :class:`LookupError` saying why there is none."""
    return _get((request or flask.request).environ)


def cloudevent_data(model: type[T], request: flask.Request | None = None) -> T:
    """The event's data as ``model`` (a pydantic model or a dataclass), as
    ``cloudevent_required(data=model)`` validated it, or validated now
    (raises :class:`~cloudevents_wsgi.InvalidEventError`, naming the field)."""
    return data_of((request or flask.request).environ, model)


@overload
def cloudevent_required(view: View, /) -> View: ...


@overload
def cloudevent_required(
    *, types: Iterable[str] | None = None, data: type[Any] | None = None
) -> Callable[[View], View]: ...


def cloudevent_required(
    view: View | None = None,
    /,
    *,
    types: Iterable[str] | None = None,
    data: type[Any] | None = None,
) -> View | Callable[[View], View]:
    """Require a CloudEvent (of one of ``types``, glob patterns; with data
    that fits ``data``, a pydantic model or a dataclass) in the request.

    Otherwise the answer is ``400`` with an ``application/problem+json`` body
    naming the field (``cloudevent``, ``type``, ``data.<path>``) and the view
    is not called. Put it below ``@app.post(...)``. Raises
    :class:`~cloudevents_wsgi.ConfigurationError` for bad options.
    """
    patterns = _type_patterns(types)
    model = _checked_model(data)

    def check() -> flask.Response | None:
        try:
            _require(flask.request.environ, patterns, model)
        except InvalidEventError as error:
            return flask.Response(
                error.problem_json(), status=error.status, content_type="application/problem+json"
            )
        return None

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            problem = check()
            if problem is not None:
                return problem
            return flask.current_app.ensure_sync(view)(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    if view is not None:
        return decorate(view)
    return decorate
