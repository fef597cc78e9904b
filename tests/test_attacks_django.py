"""Attacks on the Django decorator where it reads events itself (ASGI: no WSGI
middleware runs, so ``@cloudevent_required`` parses the request).

Binary content mode: the body is the data, in whatever media type the event
declares. Only JSON is parsed, so only JSON is refused for its nesting: bytes
that merely start with many ``[`` are valid data, under ASGI as under WSGI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Django's settings are global to a process: the views run in a subprocess,
# called as Django's ASGI handler calls them (an ASGIRequest from the factory).
ASGI_VIEWS = """
import asyncio, json, sys
import django
from django.conf import settings

settings.configure(DEBUG=False, SECRET_KEY="test", ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__)
django.setup()
urlpatterns = []

from django.http import HttpResponse
from django.test import AsyncRequestFactory
from cloudevents_wsgi.contrib.django import cloudevent_required

@cloudevent_required
async def view(request):
    data = request.cloudevent.get_data()
    return HttpResponse(json.dumps([type(data).__name__, len(data)]))

BINARY = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
results = {}
for name, content_type, body in json.loads(sys.argv[1]):
    request = AsyncRequestFactory().post(
        "/events", data=body.encode("latin-1"), content_type=content_type, headers=BINARY
    )
    response = asyncio.run(view(request))
    results[name] = [response.status_code, response.content.decode()]
print(json.dumps(results))
"""

CASES = [
    ("octet-stream", "application/octet-stream", "[" * 300),
    ("text", "text/plain", "[" * 300 + "not JSON"),
    ("json-deep", "application/json", "[" * 300 + "]" * 300),
    ("json-shallow", "application/json", "[" * 100 + "]" * 100),
]


@pytest.fixture(scope="module")
def asgi_results() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", ASGI_VIEWS, json.dumps(CASES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return cast(dict[str, Any], json.loads(out.stdout))


@pytest.mark.parametrize("name", ["octet-stream", "text"])
def test_binary_data_that_is_not_json_is_never_refused_for_its_brackets(
    asgi_results: dict[str, Any], name: str
) -> None:
    status, body = asgi_results[name]
    assert status == 200, body
    assert json.loads(body)[0] in ("bytes", "str")


def test_binary_json_data_nested_too_deep_is_still_refused(asgi_results: dict[str, Any]) -> None:
    status, body = asgi_results["json-deep"]
    assert status == 400
    assert json.loads(body)["field"] == "data"


def test_binary_json_data_within_the_limit_is_read(asgi_results: dict[str, Any]) -> None:
    assert asgi_results["json-shallow"] == [200, json.dumps(["list", 1])]
