"""A WSGI app with no framework: EventRouter calls a function per event type.

Run from ``examples/``::

    cloudevents-wsgi serve plain_wsgi:application
    cloudevents-wsgi send http://127.0.0.1:8000/ --type com.example.greeting \\
        --data '{"name": "Ishmael"}'

or on Lambda, with S3 notifications::

    cloudevents-wsgi invoke --wsgi plain_wsgi:application s3-object-created
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware
from cloudevents_wsgi.router import EventRouter


def home(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Every request that carries no event."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"POST CloudEvents here.\n"]


router = EventRouter(fallback=home)
uploads: dict[str, int] = {}


@router.on("com.amazonaws.s3.ObjectCreated:*")
def uploaded(event: CloudEvent, environ: dict[str, Any]) -> dict[str, Any]:
    key = event.get_subject() or ""
    uploads[key] = event.get_data()["s3"]["object"]["size"]
    return {"key": key, "size": uploads[key]}  # 200, as JSON


@router.on("com.amazonaws.s3.ObjectRemoved:*")
def removed(event: CloudEvent, environ: dict[str, Any]) -> None:
    uploads.pop(event.get_subject() or "", None)  # None: 204 No Content


@router.on("com.example.*")
def greeting(event: CloudEvent, environ: dict[str, Any]) -> int:
    print(f"hello, {event.get_data()}")
    return 202


application = CloudEventsMiddleware(router)
