"""The books API, and the view that S3 events reach.

``GET /books``           the books, as ``{"books": [...]}``
``POST /books``          add one: ``{"key": "books/a.epub", "title"?: ..., "size"?: ...}``
``DELETE /books/<id>``   remove one
``POST /books/events``   CloudEvents: ``com.amazonaws.s3.ObjectCreated:*`` adds (or
                         updates) the book of the object key, ``ObjectRemoved:*``
                         removes it; any other type is answered 400

Titles come from the object key (:func:`title_from_key`): the file name
without its folder and its extension, ``-`` and ``_`` read as spaces, each
word capitalised: ``books/moby-dick.epub`` is "Moby Dick".
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from fnmatch import fnmatchcase
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cloudevents_wsgi.contrib.django import cloudevent_required

from .models import Book

logger = logging.getLogger("books")

CREATED = "com.amazonaws.s3.ObjectCreated:*"
REMOVED = "com.amazonaws.s3.ObjectRemoved:*"


def title_from_key(key: str) -> str:
    """``books/moby-dick.epub`` -> ``Moby Dick`` (see the module)."""
    name = posixpath.basename(key.rstrip("/")) or key
    stem, _ = posixpath.splitext(name)
    words = re.split(r"[-_\s]+", stem or name)
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or key


def problem(status: int, field: str, reason: str, value: Any = None) -> JsonResponse:
    """An RFC 9457 problem answer, shaped as the middleware's own."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": {400: "Bad Request", 404: "Not Found", 409: "Conflict"}[status],
        "status": status,
        "detail": f"{field}: {reason}" + ("" if value is None else f" (got {value!r})"),
        "field": field,
        "reason": reason,
    }
    if value is not None:
        body["value"] = repr(value)
    return JsonResponse(body, status=status, content_type="application/problem+json")


@csrf_exempt  # a JSON API, not a form
@require_http_methods(["GET", "POST"])
def books(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return JsonResponse({"books": [book.as_json() for book in Book.objects.all()]})
    try:
        payload = json.loads(request.body)
    except ValueError:
        return problem(400, "body", "is not JSON")
    if not isinstance(payload, dict):
        return problem(400, "body", "must be a JSON object", payload)
    key = payload.get("key")
    if not isinstance(key, str) or not key:
        return problem(400, "key", "must be a non-empty string", key)
    title = payload.get("title", title_from_key(key))
    if not isinstance(title, str) or not title:
        return problem(400, "title", "must be a non-empty string", title)
    size = payload.get("size", 0)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return problem(400, "size", "must be a number of bytes", size)
    try:
        book = Book.objects.create(key=key, title=title, size=size)
    except IntegrityError:
        return problem(409, "key", "there is already a book with this key", key)
    return JsonResponse(book.as_json(), status=201)


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def book(request: HttpRequest, book_id: int) -> HttpResponse:
    found = Book.objects.filter(id=book_id).first()
    if found is None:
        return problem(404, "id", "there is no book with this id", book_id)
    if request.method == "GET":
        return JsonResponse(found.as_json())
    found.delete()
    return HttpResponse(status=204)


@cloudevent_required(types=[CREATED, REMOVED])
def events(request: HttpRequest) -> HttpResponse:
    event = request.META["cloudevent"]
    key = event.get_subject()
    if not key:
        return problem(400, "subject", "must be the object key")
    if fnmatchcase(event.get_type(), REMOVED):
        deleted, _ = Book.objects.filter(key=key).delete()
        logger.info("removed %s (%d book)", key, deleted)
        return HttpResponse(status=204)
    data = event.get_data()
    s3_object = data.get("s3", {}).get("object", {}) if isinstance(data, dict) else {}
    size = s3_object.get("size") if isinstance(s3_object, dict) else None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return problem(400, "data.s3.object.size", "must be the object's size in bytes", size)
    # S3 overwrites an object of the same key: so does the book.
    found, created = Book.objects.update_or_create(
        key=key, defaults={"title": title_from_key(key), "size": size}
    )
    logger.info("%s %s (%d bytes)", "added" if created else "updated", key, size)
    return JsonResponse(found.as_json(), status=201 if created else 200)
