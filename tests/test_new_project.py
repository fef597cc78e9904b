"""What a new user does: `django-admin startproject`, a few event views (sync, async,
class-based, typed data), served through wsgi.py + the middleware and through Django's
ASGI handler, tested with the project's own test runner and the testing helpers,
type-checked with mypy and django-stubs; and a minimal Flask app likewise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, plugin_path

HOOKS = '''
"""Event views, as a user writes them (see the README's Django section)."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View
from pydantic import BaseModel

from cloudevents_wsgi.contrib.django import cloudevent_data, cloudevent_required, get_cloudevent


@dataclass
class Upload:
    key: str
    size: int
    tags: list[str] | None = None


class Order(BaseModel):
    id: int
    items: list[str]


def answer(request: HttpRequest, kind: str) -> JsonResponse:
    event = get_cloudevent(request)
    mode = request.META.get("cloudevents_wsgi.content_mode")
    return JsonResponse({"kind": kind, "id": event.get_id(), "mode": mode})


@cloudevent_required(types=["com.example.*"])
def sync_view(request: HttpRequest) -> HttpResponse:
    return answer(request, "sync")


@cloudevent_required(types=["com.example.*"])
async def async_view(request: HttpRequest) -> HttpResponse:
    return answer(request, "async")


@cloudevent_required
class SyncHook(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        return answer(request, "sync-class")


@cloudevent_required(types=["com.example.*"])
class AsyncHook(View):
    async def post(self, request: HttpRequest) -> HttpResponse:
        return answer(request, "async-class")


class AsyncPlainHook(View):
    async def post(self, request: HttpRequest) -> HttpResponse:
        return answer(request, "async-as-view")


@cloudevent_required(data=Upload)
def upload(request: HttpRequest) -> HttpResponse:
    data = cloudevent_data(request, Upload)
    return JsonResponse({"key": data.key, "size": data.size})


@cloudevent_required(data=Order)
async def order(request: HttpRequest) -> HttpResponse:
    data = cloudevent_data(request, Order)
    return JsonResponse({"id": data.id, "items": data.items})


def plain(request: HttpRequest) -> HttpResponse:
    """Not decorated: Django's CSRF check refuses a POST without a token."""
    return HttpResponse(status=204)
'''

URLS = """
from mysite import hooks
from cloudevents_wsgi.contrib.django import cloudevent_required

urlpatterns += [
    path("hooks/sync", hooks.sync_view),
    path("hooks/async", hooks.async_view),
    path("hooks/sync-class", hooks.SyncHook.as_view()),
    path("hooks/async-class", hooks.AsyncHook.as_view()),
    path("hooks/async-as-view", cloudevent_required(hooks.AsyncPlainHook.as_view())),
    path("hooks/upload", hooks.upload),
    path("hooks/order", hooks.order),
    path("hooks/plain", hooks.plain),
]
"""

WSGI = """
from cloudevents_wsgi import CloudEventsMiddleware

application = CloudEventsMiddleware(application)
"""

# Drives the project as its servers do: wsgi.py's application (WSGI) and asgi.py's
# (Django's ASGI handler, called as an ASGI server calls it, through asgiref).
DRIVER = """
import asyncio, json, os, sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

from asgiref.testing import ApplicationCommunicator

from mysite.asgi import application as asgi_application
from mysite.wsgi import application as wsgi_application
from cloudevents_wsgi.testing import EventClient, binary, structured


async def asgi(request):
    path, _, query = request.path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": request.method, "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"localhost")]
        + [(k.lower().encode(), v.encode()) for k, v in request.headers.items()],
        "client": ("127.0.0.1", 50000), "server": ("localhost", 80),
    }
    communicator = ApplicationCommunicator(asgi_application, scope)
    await communicator.send_input({"type": "http.request", "body": request.body})
    start = await communicator.receive_output(10)
    body = b""
    while True:
        message = await communicator.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(10)
    return start["status"], body


def wsgi(request):
    response = EventClient(wsgi_application).send(request)
    return response.status, response.body


def both(request):
    out = {}
    for name, call in (("wsgi", wsgi), ("asgi", lambda r: asyncio.run(asgi(r)))):
        status, body = call(request)
        try:
            body = json.loads(body)
        except ValueError:
            body = body.decode()
        out[name] = [status, body]
    return out


results = {}
for view in ("sync", "async", "sync-class", "async-class", "async-as-view"):
    path = "/hooks/" + view
    results[view] = both(binary(type="com.example.a", id=view, path=path))
    results[view + "/structured"] = both(structured(type="com.example.a", id="s", path=path))
results["other-type"] = both(binary(type="org.other", id="o", path="/hooks/async-class"))
results["get"] = both(binary(type="com.example.a", id="g", method="GET", path="/hooks/async"))
for name, data in (
    ("upload", {"key": "a.epub", "size": 3}),
    ("upload/bad", {"key": "a", "size": "3"}),
    ("upload/extra", {"key": "a", "size": 3, "x": 1}),
):
    results[name] = both(binary(type="u", id="u", data=data, path="/hooks/upload"))
for name, data in (
    ("order", {"id": 7, "items": ["a"]}),
    ("order/bad", {"id": 7, "items": ["a", 2]}),
):
    results[name] = both(structured(type="o", id="o", data=data, path="/hooks/order"))
results["plain"] = both(binary(type="com.example.a", id="p", path="/hooks/plain"))
print(json.dumps(results))
"""

PROJECT_TESTS = """
from django.test import SimpleTestCase

from cloudevents_wsgi.testing import binary, structured
from cloudevents_wsgi.testing.django import Client


class HookTests(SimpleTestCase):
    client_class = Client

    def test_async_view_gets_the_event(self):
        response = self.client.send(binary(type="com.example.a", id="1", path="/hooks/async"))
        self.assertEqual(response.json(), {"kind": "async", "id": "1", "mode": "binary"})

    def test_bad_data_is_refused_naming_the_field(self):
        request = structured(type="o", id="2", data={"id": "x", "items": []}, path="/hooks/order")
        response = self.client.send(request)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["field"], "data.id")
"""

TYPED = """
from django.http import HttpRequest, HttpResponse

from cloudevents_wsgi.contrib.django import cloudevent_data, get_cloudevent
from mysite.hooks import Upload


def typed(request: HttpRequest) -> HttpResponse:
    event = get_cloudevent(request)
    kind: str = event.get_type()
    subject: str | None = event.get_subject()
    upload: Upload = cloudevent_data(request, Upload)
    size: int = upload.size
    return HttpResponse(f"{kind} {subject} {size}")
"""

MISTYPED = """
from django.http import HttpRequest

from cloudevents_wsgi.contrib.django import cloudevent_data, get_cloudevent
from mysite.hooks import Upload


def mistyped(request: HttpRequest) -> None:
    kind: int = get_cloudevent(request).get_type()
    key: int = cloudevent_data(request, Upload).key
"""

MYPY_INI = """
[mypy]
strict = True
plugins = mypy_django_plugin.main

[mypy.plugins.django-stubs]
django_settings_module = "mysite.settings"
"""


def run(args: list[str], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    # This checkout and the project first; then what the caller's path holds.
    path = [str(ROOT), str(cwd), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, **kwargs
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("project")
    made = run([sys.executable, "-m", "django", "startproject", "mysite", "."], folder)
    assert made.returncode == 0, made.stderr
    (folder / "mysite" / "hooks.py").write_text(HOOKS)
    with (folder / "mysite" / "urls.py").open("a") as urls:
        urls.write(URLS)
    with (folder / "mysite" / "wsgi.py").open("a") as wsgi:
        wsgi.write(WSGI)
    return folder


@pytest.fixture(scope="module")
def served(project: Path) -> dict[str, Any]:
    (project / "drive.py").write_text(DRIVER)
    out = run([sys.executable, "-W", "error", "drive.py"], project)
    assert out.returncode == 0, out.stderr
    results: dict[str, Any] = json.loads(out.stdout)
    return results


# The ready Lambda handler, configured only by environment variables, on an S3 event.
READY_HANDLER = """
import json
from cloudevents_wsgi.aws_lambda import EventFailedError, handler
from cloudevents_wsgi.testing import LambdaClient

try:
    result = LambdaClient(handler).sample("s3-object-created")
except EventFailedError as error:
    print(json.dumps({"error": str(error), "status": error.status}))
else:
    print(json.dumps({"status": result["statusCode"], "body": json.loads(result["body"])}))
"""


def ready_handler(project: Path, **variables: str) -> dict[str, Any]:
    (project / "ready_handler.py").write_text(READY_HANDLER)
    env = {"DJANGO_SETTINGS_MODULE": "mysite.settings", **variables}
    out = run([sys.executable, "-W", "error", "ready_handler.py"], project, env=env)
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_the_ready_handler_says_which_path_a_native_event_was_posted_to(project: Path) -> None:
    # A new project has no /events: Django's 404 page, which stays out of the message.
    result = ready_handler(project)
    assert result["status"] == 404
    message = result["error"]
    assert message.startswith("the event failed (called POST /events; non-HTTP events go to ")
    assert "CLOUDEVENTS_WSGI_EVENT_PATH" in message and "CLOUDEVENTS_WSGI_ROUTES" in message
    assert message.endswith("the application answered '404 Not Found'")
    assert "<" not in message


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"CLOUDEVENTS_WSGI_EVENT_PATH": "/hooks/sync-class"}, id="event-path"),
        pytest.param(
            {"CLOUDEVENTS_WSGI_ROUTES": '{"com.amazonaws.s3.*": "/hooks/sync-class"}'},
            id="routes",
        ),
    ],
)
def test_the_ready_handler_takes_its_paths_from_the_environment(
    project: Path, variables: dict[str, str]
) -> None:
    result = ready_handler(project, **variables)
    assert result["status"] == 200
    assert result["body"]["kind"] == "sync-class"
    assert result["body"]["mode"] == "native"


VIEWS = ["sync", "async", "sync-class", "async-class", "async-as-view"]


@pytest.mark.parametrize("server", ["wsgi", "asgi"])
@pytest.mark.parametrize("view", VIEWS)
def test_every_kind_of_view_gets_the_event_under_wsgi_and_asgi(
    served: dict[str, Any], view: str, server: str
) -> None:
    assert served[view][server] == [200, {"kind": view, "id": view, "mode": "binary"}]
    status, body = served[view + "/structured"][server]
    assert (status, body["id"], body["mode"]) == (200, "s", "structured")


@pytest.mark.parametrize("server", ["wsgi", "asgi"])
def test_async_class_view_refuses_another_type_and_a_get_with_their_causes(
    served: dict[str, Any], server: str
) -> None:
    status, body = served["other-type"][server]
    assert (status, body["field"], body["value"]) == (400, "type", "'org.other'")
    status, body = served["get"][server]
    assert (status, body["field"]) == (400, "cloudevent")
    assert "a GET request has none" in body["reason"]


@pytest.mark.parametrize("server", ["wsgi", "asgi"])
def test_typed_data_is_validated_and_bad_data_named(served: dict[str, Any], server: str) -> None:
    assert served["upload"][server] == [200, {"key": "a.epub", "size": 3}]
    assert served["order"][server] == [200, {"id": 7, "items": ["a"]}]
    status, body = served["upload/bad"][server]
    assert (status, body["field"], body["reason"]) == (400, "data.size", "is not an integer")
    status, body = served["upload/extra"][server]
    assert (status, body["field"]) == (400, "data.x")
    status, body = served["order/bad"][server]
    assert (status, body["field"]) == (400, "data.items[1]")
    assert body["type"] == "about:blank"


@pytest.mark.parametrize("server", ["wsgi", "asgi"])
def test_an_undecorated_view_gets_djangos_csrf_403(served: dict[str, Any], server: str) -> None:
    # What the README says a view needs, and why: events carry no CSRF token.
    assert served["plain"][server][0] == 403


def test_the_project_tests_its_own_views_with_djangos_runner(project: Path) -> None:
    (project / "test_hooks.py").write_text(PROJECT_TESTS)
    out = run([sys.executable, "-W", "error", "manage.py", "test", "-v", "2"], project)
    assert out.returncode == 0, out.stderr
    assert "Ran 2 tests" in out.stderr
    assert "OK" in out.stderr


def test_the_documented_accessors_pass_mypy_with_django_stubs(project: Path) -> None:
    pytest.importorskip("mypy_django_plugin")
    (project / "mypy.ini").write_text(MYPY_INI)
    (project / "typed_views.py").write_text(TYPED)
    (project / "mistyped_views.py").write_text(MISTYPED)
    cache = ["--cache-dir", str(project / ".mypy_cache")]
    checked = run([sys.executable, "-m", "mypy", *cache, "typed_views.py"], project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The same accessors make mypy catch a wrong type: it is checking, not Any.
    wrong = run([sys.executable, "-m", "mypy", *cache, "mistyped_views.py"], project)
    assert wrong.returncode == 1
    assert (
        'mistyped_views.py:9: error: Incompatible types in assignment (expression has type "str"'
        in (wrong.stdout)
    )
    assert "mistyped_views.py:10: error" in wrong.stdout


# -- Flask -------------------------------------------------------------------------------------

FLASK_APP = """
from flask import Flask, request

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.contrib.flask import CloudEventRequest, cloudevent_required

app = Flask(__name__)
app.request_class = CloudEventRequest
app.wsgi_app = CloudEventsMiddleware(app.wsgi_app)


@app.post("/events")
@cloudevent_required(types=["com.example.*"])
def events():
    event = request.cloudevent
    return {"type": event.get_type(), "data": event.get_data()}
"""

FLASK_TESTS = """
import json

import pytest
from app import app

from cloudevents_wsgi.testing import binary, lambda_event
from cloudevents_wsgi.testing.flask import middleware_client, send


def test_event_reaches_the_view():
    with middleware_client(app) as client:
        response = send(client, binary(type="com.example.a", data={"n": 1}, path="/events"))
    assert response.get_json() == {"type": "com.example.a", "data": {"n": 1}}


def test_other_type_is_refused():
    response = send(app.test_client(), binary(type="org.other", path="/events"))
    assert response.status_code == 400
    assert response.get_json()["field"] == "type"


def test_through_the_lambda_shim(cloudevents_lambda):
    tick = lambda_event("eventbridge-scheduled", {"detail-type": "com.example.tick"})
    result = cloudevents_lambda.invoke(tick)
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["type"] == "com.example.tick"


@pytest.fixture
def cloudevents_app():
    return app
"""


def test_a_minimal_flask_app_receives_events_and_tests_them(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(FLASK_APP)
    (tmp_path / "test_app.py").write_text(textwrap.dedent(FLASK_TESTS))
    env = {"PYTHONPATH": plugin_path(tmp_path / "site") + os.pathsep + str(tmp_path)}
    out = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed" in out.stdout
