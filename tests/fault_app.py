"""A WSGI app for the fault tests, served by a real gunicorn (one sync worker).

``GET /calls`` answers the events the app was called with so far, as JSON;
``POST /events`` (through CloudEventsMiddleware) records each event's id and
data length; ``GET /`` answers ``ok``.
"""

from __future__ import annotations

import json
from typing import Any

from cloudevents_wsgi import CloudEventsMiddleware

CALLS: list[dict[str, Any]] = []


def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ.get("PATH_INFO") == "/calls":
        body = json.dumps(CALLS).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    event = environ.get("cloudevent")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(length)
    CALLS.append({"id": None if event is None else event.get_id(), "length": len(data)})
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


application = CloudEventsMiddleware(inner)
