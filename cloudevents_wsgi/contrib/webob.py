"""WebOb and Pyramid requests with a ``.cloudevent`` property.

WebOb::

    from webob.dec import wsgify
    from cloudevents_wsgi.contrib.webob import CloudEventRequest

    @wsgify(RequestClass=CloudEventRequest)
    def app(request):
        event = request.cloudevent  # None when the request carries no event
        ...

    application = CloudEventsMiddleware(app)

Pyramid (a request property, no subclass needed)::

    from cloudevents_wsgi.contrib.webob import cloudevent

    config.add_request_method(cloudevent, "cloudevent", property=True, reify=True)
    application = CloudEventsMiddleware(config.make_wsgi_app())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from ..event import CloudEvent
from . import CloudEventRequestMixin, cloudevent_of
from . import get_cloudevent as _get

if TYPE_CHECKING:
    # WebOb ships no type information: to a type checker the base is object.
    _Request = object
else:
    from webob import Request as _Request

__all__ = [
    "CloudEventRequest",
    "CloudEventRequestMixin",
    "cloudevent",
    "cloudevent_data",
    "get_cloudevent",
]

T = TypeVar("T")


def cloudevent(request: Any) -> CloudEvent | None:
    """The event of a WebOb (or Pyramid) request, or ``None``: a request
    method for Pyramid's ``config.add_request_method``."""
    return cloudevent_of(request.environ)


class CloudEventRequest(CloudEventRequestMixin, _Request):
    """:class:`webob.Request` with ``.cloudevent`` (the event or ``None``)."""


def get_cloudevent(request: Any) -> CloudEvent:
    """The CloudEvent of a WebOb (or Pyramid) request, typed; raises
    :class:`LookupError` saying why there is none."""
    return _get(request.environ)


def cloudevent_data(request: Any, model: type[T]) -> T:
    """The event's data as ``model`` (a pydantic model or a dataclass),
    validated now (raises :class:`~cloudevents_wsgi.InvalidEventError` naming
    the field, :class:`LookupError` without an event)."""
    from ..typed import data_of

    return data_of(request.environ, model)
