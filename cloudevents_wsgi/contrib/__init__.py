"""Framework helpers, each imported on its own and only when asked for.

``import cloudevents_wsgi`` loads none of them, and none loads a framework
before its own module is imported:

- :mod:`cloudevents_wsgi.contrib.django`: the ``cloudevent_required`` view
  decorator, typed accessors, and a test client that goes through the middleware.
- :mod:`cloudevents_wsgi.contrib.flask`: a Flask request class with ``.cloudevent``,
  typed accessors, ``cloudevent_required`` and a test helper.
- :mod:`cloudevents_wsgi.contrib.werkzeug`: the same for a bare Werkzeug app.
- :mod:`cloudevents_wsgi.contrib.webob`: the same for WebOb and Pyramid.

Each reads the event the middleware left at ``environ["cloudevent"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from ..diagnostics import log_refusal
from ..environ import CLOUDEVENT
from ..errors import ConfigurationError, InvalidEventError
from ..event import CloudEvent

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["CloudEventRequestMixin", "cloudevent_of", "get_cloudevent", "no_event_reason"]

# The methods CloudEventsMiddleware reads events from by default.
_EVENT_METHODS = ("POST", "PUT", "PATCH")


def cloudevent_of(environ: WSGIEnvironment | Mapping[str, Any]) -> CloudEvent | None:
    """The event of a request, or ``None`` when it carries none."""
    event: Any = environ.get(CLOUDEVENT)
    return event if isinstance(event, CloudEvent) else None


def get_cloudevent(environ: WSGIEnvironment | Mapping[str, Any]) -> CloudEvent:
    """The event of a request; raises :class:`LookupError` saying why there is
    none (:func:`no_event_reason`)."""
    event = cloudevent_of(environ)
    if event is None:
        raise LookupError(no_event_reason(environ))
    return event


def no_event_reason(environ: WSGIEnvironment | Mapping[str, Any]) -> str:
    """Why a request that reached the app carries no CloudEvent, in one sentence.

    The middleware either turns a request into an event or refuses it, so a
    request that reached the app without one is either not an event (its
    method, a missing ``ce-specversion``, a content type that is no event
    format) or one that no middleware read.
    """
    method = str(environ.get("REQUEST_METHOD") or "GET")
    if method not in _EVENT_METHODS:
        return (
            f"the request carries no CloudEvent: a {method} request has none "
            "(events arrive by POST, PUT or PATCH)"
        )
    content_type = str(environ.get("CONTENT_TYPE") or "")
    essence = content_type.partition(";")[0].strip().lower()
    if "HTTP_CE_SPECVERSION" in environ or essence.startswith("application/cloudevents"):
        return (
            "the request is a CloudEvent but no CloudEventsMiddleware read it: wrap the WSGI "
            "application in CloudEventsMiddleware (in wsgi.py), and send test requests to the "
            "wrapped application (cloudevents_wsgi.testing)"
        )
    if any(key.startswith("HTTP_CE_") for key in environ):
        return (
            "the request carries no CloudEvent: it has ce- headers but no ce-specversion, "
            "which a binary-mode event needs (ce-specversion: 1.0)"
        )
    return (
        "the request carries no CloudEvent: it has no ce-specversion header and its "
        f"content type ({content_type or 'none'}) is not application/cloudevents+json; "
        "native provider events (S3, SQS...) are read by CloudEventsMiddleware behind the "
        "Lambda shim, or over HTTP with its native_over_http option"
    )


class CloudEventRequestMixin:
    """Adds ``.cloudevent`` to any request class that has ``.environ``
    (Werkzeug, Flask, WebOb, Pyramid)."""

    environ: WSGIEnvironment

    @property
    def cloudevent(self) -> CloudEvent | None:
        """The CloudEvent this request carries, or ``None``."""
        return cloudevent_of(self.environ)


# -- shared by the view decorators ----------------------------------------------------


def _type_patterns(types: Iterable[str] | None) -> tuple[str, ...] | None:
    """``types`` checked (a collection of non-empty glob patterns), or None."""
    if types is None:
        return None
    if isinstance(types, str):
        raise ConfigurationError(f"types must be a collection of patterns, not {types!r}")
    patterns = tuple(types)
    if not patterns or not all(isinstance(p, str) and p for p in patterns):
        raise ConfigurationError(
            f"types must be non-empty strings (glob patterns), not {patterns!r}"
        )
    return patterns


def _checked_model(model: Any) -> Any:
    if model is not None:
        from ..typed import check_model  # only with typed data: it imports dataclasses

        check_model(model)
    return model


def _require(environ: Any, patterns: tuple[str, ...] | None, model: Any) -> CloudEvent:
    """The request's event, of one of ``patterns``, its data validated into
    ``model`` (left at ``environ[DATA]``); raises :class:`InvalidEventError`."""
    event = cloudevent_of(environ)
    try:
        if event is None:
            raise InvalidEventError("cloudevent", no_event_reason(environ))
        if patterns is not None and not any(fnmatchcase(event.get_type(), p) for p in patterns):
            raise InvalidEventError(
                "type",
                f"is not an event type this endpoint accepts ({', '.join(patterns)})",
                event.get_type(),
            )
        if model is not None:
            from ..typed import DATA, validate_data

            environ[DATA] = validate_data(event, model)
    except InvalidEventError as error:
        # The event passed the middleware's checks: its id is safe to log.
        log_refusal(error, environ, event_id=None if event is None else event.get_id())
        raise
    return event
