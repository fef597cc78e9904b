"""Idempotent delivery, trace context and Dapr, in one runnable example.

Run from the repository root:  python examples/production.py
(needs the ``otel`` extra for the tracing part: pip install -e '.[otel]')

An orders app behind CloudEventsMiddleware, sent in-process:

1. the same event twice, with an SQLite idempotency store: the app runs once,
   the redelivery is answered with the first status;
2. an event carrying a ``traceparent``, with tracing on: its span continues
   the sender's trace;
3. a Dapr bulk delivery with a good entry and an invalid one: SUCCESS and DROP.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.idempotency import SQLiteStore

ORDER = {
    "specversion": "1.0",
    "id": "order-1001",
    "source": "https://shop.example.com/orders",
    "type": "com.example.order.placed",
    "datacontenttype": "application/json",
    "data": {"sku": "moby-dick", "quantity": 1},
}
handled: list[str] = []


def orders(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    event = environ["cloudevent"]
    handled.append(event.get_id())
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"order taken\n"]


def post(app: Any, event: Any, content_type: str = "application/cloudevents+json") -> Any:
    response = Client(app).post("/orders", data=json.dumps(event), content_type=content_type)
    response.get_data()
    response.close()
    return response


print("1. idempotent delivery (SQLite store):")
with tempfile.TemporaryDirectory() as directory:
    store = SQLiteStore(str(Path(directory) / "events.db"))
    application = CloudEventsMiddleware(orders, idempotency=store)
    for attempt in ("first delivery", "redelivery"):
        response = post(application, ORDER)
        replayed = response.headers.get("Idempotent-Replayed", "false")
        print(f"  {attempt}: {response.status} (replayed: {replayed})")
print(f"  the app ran {len(handled)} time(s)")

print("2. trace context:")
try:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
except ImportError:
    print("  (install the otel extra to run this part)")
else:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    post(CloudEventsMiddleware(orders, tracing=provider), {**ORDER, "traceparent": traceparent})
    [span] = exporter.get_finished_spans()
    print(f"  span {span.name!r}, kind {span.kind.name}")
    print(f"  trace {span.context.trace_id:032x} (the sender's)")
    print(f"  cloudevents.event_id = {span.attributes['cloudevents.event_id']}")  # type: ignore[index]

print("3. Dapr bulk subscribe:")
bulk = {
    "entries": [
        {"entryId": "e-1", "event": ORDER, "contentType": "application/cloudevents+json"},
        {
            "entryId": "e-2",
            "event": {**ORDER, "id": "order-1002", "time": "yesterday"},
            "contentType": "application/cloudevents+json",
        },
    ],
    "id": "bulk-1",
    "pubsubname": "pubsub",
    "topic": "orders",
    "type": "com.dapr.event.sent.bulk",
}
response = post(CloudEventsMiddleware(orders, dapr=True), bulk, "application/json")
print(f"  {response.status}: {json.dumps(response.json)}")
