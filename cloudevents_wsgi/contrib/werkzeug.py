"""Werkzeug requests with a ``.cloudevent`` property, for apps built on
Werkzeug without Flask::

    from cloudevents_wsgi.contrib.werkzeug import CloudEventRequest

    @CloudEventRequest.application
    def app(request):
        event = request.cloudevent  # None when the request carries no event
        ...

    application = CloudEventsMiddleware(app)
"""

from __future__ import annotations

from typing import TypeVar

from werkzeug.wrappers import Request

from ..event import CloudEvent
from . import CloudEventRequestMixin
from . import get_cloudevent as _get

__all__ = ["CloudEventRequest", "CloudEventRequestMixin", "cloudevent_data", "get_cloudevent"]

T = TypeVar("T")


class CloudEventRequest(CloudEventRequestMixin, Request):
    """:class:`werkzeug.wrappers.Request` with ``.cloudevent`` (the event or ``None``)."""


def get_cloudevent(request: Request) -> CloudEvent:
    """The CloudEvent of a Werkzeug request, typed; raises
    :class:`LookupError` saying why there is none."""
    return _get(request.environ)


def cloudevent_data(request: Request, model: type[T]) -> T:
    """The event's data as ``model`` (a pydantic model or a dataclass),
    validated now (raises :class:`~cloudevents_wsgi.InvalidEventError` naming
    the field, :class:`LookupError` without an event)."""
    from ..typed import data_of

    return data_of(request.environ, model)
