"""A WSGI app for the idempotency tests, served by a real gunicorn (several workers,
``--preload``): each call for an event appends its id to ``$CALLS_FILE`` and takes
half a second, so that redeliveries sent at once overlap it. The store is an
SQLite file, ``$IDEMPOTENCY_DB``, opened before gunicorn forks its workers."""

from __future__ import annotations

import os
import time
from typing import Any

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.idempotency import SQLiteStore


def orders(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    with open(os.environ["CALLS_FILE"], "a") as calls:
        calls.write(f"{os.getpid()} {environ['cloudevent'].get_id()}\n")
    time.sleep(0.5)
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"order taken"]


application = CloudEventsMiddleware(orders, idempotency=SQLiteStore(os.environ["IDEMPOTENCY_DB"]))
