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

from werkzeug.wrappers import Request

from . import CloudEventRequestMixin

__all__ = ["CloudEventRequest", "CloudEventRequestMixin"]


class CloudEventRequest(CloudEventRequestMixin, Request):
    """:class:`werkzeug.wrappers.Request` with ``.cloudevent`` (the event or ``None``)."""
