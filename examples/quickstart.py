"""The smallest runnable example: a plain WSGI app behind CloudEventsMiddleware.

Run from the repository root:  python examples/quickstart.py

It sends the app, in-process, one event in binary mode, one in structured
mode, a batch of two, an invalid event and an ordinary GET, and prints what
the app saw and what the sender got back.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import Client

from cloudevents_wsgi import CloudEventsMiddleware


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    event = environ.get("cloudevent")
    if event is None:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"an ordinary page\n"]
    print(f"  app got {event.get_type()} id={event.get_id()} data={event.get_data()!r}")
    start_response("204 No Content", [])
    return []


client = Client(CloudEventsMiddleware(app))
EVENT = {
    "specversion": "1.0",
    "id": "b-1",
    "source": "https://example.com/uploads",
    "type": "com.example.book.uploaded",
    "datacontenttype": "application/json",
    "data": {"key": "books/moby-dick.epub"},
}

print("binary mode:")
response = client.post(
    "/events",
    data=json.dumps(EVENT["data"]),
    headers={
        "ce-specversion": "1.0",
        "ce-id": "b-1",
        "ce-source": "https://example.com/uploads",
        "ce-type": "com.example.book.uploaded",
        "Content-Type": "application/json",
    },
)
print(f"  sender got {response.status}")

print("structured mode:")
response = client.post(
    "/events", data=json.dumps(EVENT), content_type="application/cloudevents+json"
)
print(f"  sender got {response.status}")

print("batched mode:")
response = client.post(
    "/events",
    data=json.dumps([EVENT, {**EVENT, "id": "b-2"}]),
    content_type="application/cloudevents-batch+json",
)
print(f"  sender got {response.status} {response.get_data(as_text=True)}")

print("an invalid event:")
response = client.post(
    "/events",
    data=json.dumps({**EVENT, "time": "lunchtime"}),
    content_type="application/cloudevents+json",
)
print(f"  sender got {response.status} {response.get_data(as_text=True)}")

print("an ordinary request:")
response = client.get("/")
print(f"  sender got {response.status} {response.get_data(as_text=True).strip()}")
