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

from typing import TYPE_CHECKING, Any

from ..event import CloudEvent
from . import CloudEventRequestMixin, cloudevent_of

if TYPE_CHECKING:
    # WebOb ships no type information: to a type checker the base is object.
    _Request = object
else:
    from webob import Request as _Request

__all__ = ["CloudEventRequest", "CloudEventRequestMixin", "cloudevent"]


def cloudevent(request: Any) -> CloudEvent | None:
    """The event of a WebOb (or Pyramid) request, or ``None``: a request
    method for Pyramid's ``config.add_request_method``."""
    return cloudevent_of(request.environ)


class CloudEventRequest(CloudEventRequestMixin, _Request):
    """:class:`webob.Request` with ``.cloudevent`` (the event or ``None``)."""
