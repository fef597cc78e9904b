"""Flask requests with a ``.cloudevent`` property.

::

    from flask import Flask
    from cloudevents_wsgi import CloudEventsMiddleware
    from cloudevents_wsgi.contrib.flask import CloudEventRequest

    app = Flask(__name__)
    app.request_class = CloudEventRequest
    app.wsgi_app = CloudEventsMiddleware(app.wsgi_app)

    @app.post("/events")
    def events():
        event = request.cloudevent  # None when the request carries no event
        ...

Keep the ``flask.request`` proxy: it now holds a :class:`CloudEventRequest`
(``typing.cast`` it for a type checker, or use
``cloudevents_wsgi.contrib.cloudevent_of(request.environ)``).
"""

from __future__ import annotations

import flask

from . import CloudEventRequestMixin

__all__ = ["CloudEventRequest", "CloudEventRequestMixin"]


class CloudEventRequest(CloudEventRequestMixin, flask.Request):
    """:class:`flask.Request` with ``.cloudevent`` (the event or ``None``)."""
