"""A Flask app that takes CloudEvents: ``request.cloudevent``.

Run from ``examples/``::

    cloudevents-wsgi serve flask_app:app          # a development server
    gunicorn flask_app:application                # or any WSGI server
    cloudevents-wsgi send http://127.0.0.1:8000/events --type com.example.greeting \\
        --data '{"name": "Ishmael"}'
"""

from __future__ import annotations

from typing import cast

from flask import Flask, Response, jsonify, request

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.contrib.flask import CloudEventRequest

app = Flask(__name__)
app.request_class = CloudEventRequest
# The middleware wraps Flask's own WSGI callable, so `app` stays the Flask object.
app.wsgi_app = CloudEventsMiddleware(app.wsgi_app)  # type: ignore[method-assign]
application = app

received: list[dict[str, object]] = []


@app.post("/events")
def events() -> Response | tuple[Response, int]:
    event = cast(CloudEventRequest, request).cloudevent
    if event is None:
        return jsonify(error="this endpoint takes CloudEvents"), 400
    received.append({"type": event.get_type(), "id": event.get_id(), "data": event.get_data()})
    return Response(status=204)


@app.get("/events")
def list_events() -> Response:
    return jsonify(received)
