"""Knative subscribers for the Knative tests, served by a real gunicorn: each
answers a ``com.example.order.placed`` event with a ``com.example.order.confirmed``
reply event, the way a Knative Trigger's subscriber replies to the broker.

``router``: an EventRouter; ``flask_app``: a Flask view with ``cloudevent_response``;
``django_app`` (``KNATIVE_APP=django``): a Django view with ``CloudEventResponse``.
Each reply carries the order id and the ``knativearrivaltime`` the broker set, so
the test sees that the extension reached the handler.
"""

from __future__ import annotations

import os
from typing import Any

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware


def confirmation(event: CloudEvent, by: str) -> CloudEvent:
    return CloudEvent(
        {
            "type": "com.example.order.confirmed",
            "source": f"/{by}",
            "id": f"confirmed-{event.get_id()}",
            "subject": event.get_subject(),
            "datacontenttype": "application/json",
        },
        {
            "order": event.get_data()["order"],
            "arrived": event.get_extension("knativearrivaltime"),
        },
    )


# -- EventRouter --------------------------------------------------------------------

if os.environ.get("KNATIVE_APP") != "django":
    import flask

    from cloudevents_wsgi.contrib.flask import cloudevent_required, cloudevent_response
    from cloudevents_wsgi.reply import Reply
    from cloudevents_wsgi.router import EventRouter

    events = EventRouter()

    @events.on("com.example.order.placed")
    def placed(event: CloudEvent, environ: dict[str, Any]) -> CloudEvent:
        return confirmation(event, "router")

    @events.on("com.example.order.shipped")
    def shipped(event: CloudEvent, environ: dict[str, Any]) -> Reply:
        return Reply(confirmation(event, "router"), mode="structured")

    @events.on("com.example.order.viewed")
    def viewed(event: CloudEvent, environ: dict[str, Any]) -> None:
        return None  # no reply: an empty answer

    router = CloudEventsMiddleware(events)

    app = flask.Flask(__name__)

    @app.post("/")
    @cloudevent_required(types=["com.example.order.placed"])
    def order_placed() -> flask.Response:
        event = flask.request.environ["cloudevent"]
        return cloudevent_response(confirmation(event, "flask"))

    app.wsgi_app = CloudEventsMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    flask_app = app

# -- Django -------------------------------------------------------------------------

else:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="knative-test",
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        DATABASES={},
    )
    django.setup()

    from django.core.wsgi import get_wsgi_application
    from django.http import HttpRequest
    from django.urls import path

    from cloudevents_wsgi.contrib.django import (
        CloudEventResponse,
        cloudevent_required,
        get_cloudevent,
    )

    @cloudevent_required(types=["com.example.order.placed"])
    def order_placed(request: HttpRequest) -> CloudEventResponse:
        event = get_cloudevent(request)
        return CloudEventResponse(confirmation(event, "django"), request=request)

    urlpatterns = [path("", order_placed)]
    django_app = CloudEventsMiddleware(get_wsgi_application())
