"""BENCHMARK BASELINE, not an example: the books app WITHOUT CloudEventsMiddleware.

``benchmarks/load_books.py`` serves this module (``gunicorn books_plain``, with
``benchmarks/`` on ``PYTHONPATH``) beside the example's own ``books.wsgi`` to
measure what the middleware costs. It is the same Django project (settings,
models, the other views, the database setup) with ``/books/events`` answered
the way an app without this library would do it: the view reads the request
with the cloudevents SDK v2 itself (``from_http_event`` for binary and
structured events; a batch parsed as a JSON array, each item read with the
SDK's ``JSONFormat``) and then does the same database work as
``books.views.events``, answering batches as the middleware does
(``{"results": [...]}``). Nothing in ``examples/`` imports it.

Unlike the middleware, the SDK fills in a missing ``id`` (and ``time``)
instead of refusing the event; the load mix's event without ``ce-id`` is
still a 400 here, for its missing subject.
"""

from __future__ import annotations

import json
import logging
import os
from fnmatch import fnmatchcase
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "books.settings")

# django.setup() runs here: the models and views below need it.
application = get_wsgi_application()

from books import views  # noqa: E402
from books.models import Book  # noqa: E402
from cloudevents.core.base import BaseCloudEvent  # noqa: E402
from cloudevents.core.bindings.http import HTTPMessage, from_http_event  # noqa: E402
from cloudevents.core.exceptions import BaseCloudEventException  # noqa: E402
from cloudevents.core.formats.json import JSONFormat  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from django.views.decorators.http import require_POST  # noqa: E402

logger = logging.getLogger("books")

BATCH = "application/cloudevents-batch+json"
FORMAT = JSONFormat()
# What the SDK raises on a request that is not a valid event.
NOT_AN_EVENT = (ValueError, TypeError, KeyError, AttributeError, BaseCloudEventException)


def handle(event: BaseCloudEvent) -> HttpResponse:
    """``books.views.events``' work, for one event read by the SDK."""
    event_type = event.get_type()
    if not (fnmatchcase(event_type, views.CREATED) or fnmatchcase(event_type, views.REMOVED)):
        return views.problem(400, "type", "is not accepted here", event_type)
    key = event.get_subject()
    if not key:
        return views.problem(400, "subject", "must be the object key")
    if fnmatchcase(event_type, views.REMOVED):
        deleted, _ = Book.objects.filter(key=key).delete()
        logger.info("removed %s (%d book)", key, deleted)
        return HttpResponse(status=204)
    data = event.get_data()
    s3_object = data.get("s3", {}).get("object", {}) if isinstance(data, dict) else {}
    size = s3_object.get("size") if isinstance(s3_object, dict) else None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return views.problem(400, "data.s3.object.size", "must be the object's size in bytes", size)
    found, created = Book.objects.update_or_create(
        key=key, defaults={"title": views.title_from_key(key), "size": size}
    )
    logger.info("%s %s (%d bytes)", "added" if created else "updated", key, size)
    return JsonResponse(found.as_json(), status=201 if created else 200)


@csrf_exempt
@require_POST
def events(request: HttpRequest) -> HttpResponse:
    if request.content_type == BATCH:
        try:
            items = json.loads(request.body)
            if not isinstance(items, list):
                raise ValueError("a batch is a JSON array")
            batch = [FORMAT.read(None, json.dumps(item).encode()) for item in items]
        except NOT_AN_EVENT as error:
            return views.problem(400, "body", "is not a batch of CloudEvents", str(error))
        if not batch:
            return HttpResponse(status=204)
        results: list[dict[str, Any]] = []
        status = 200
        for event in batch:
            answer = handle(event)
            results.append({"id": event.get_id(), "status": answer.status_code})
            if status == 200 and not 200 <= answer.status_code < 300:
                status = answer.status_code
        return JsonResponse({"results": results}, status=status)
    try:
        event = from_http_event(HTTPMessage(dict(request.headers), request.body))
    except NOT_AN_EVENT as error:
        return views.problem(400, "cloudevent", "is not a valid CloudEvent", str(error))
    return handle(event)


urlpatterns = [
    path("books", views.books),
    path("books/<int:book_id>", views.book),
    path("books/events", events),
]

# This module is the URLconf: the example's settings name books.urls.
settings.ROOT_URLCONF = __name__


def _migrate() -> None:
    """As books.wsgi does: the tables, once per process, one process at a time."""
    import fcntl

    with open(str(settings.DATABASES["default"]["NAME"]) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("migrate", interactive=False, verbosity=0)


_migrate()
