"""The framework helpers, inside real Django, Flask, Werkzeug, WebOb and Pyramid apps."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from werkzeug.test import Client

from cloudevents_wsgi import CloudEventsMiddleware

ROOT = Path(__file__).resolve().parent.parent

with warnings.catch_warnings():
    # WebOb 1.8 imports the cgi module, deprecated since Python 3.11.
    warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
    import webob  # noqa: F401

HEADERS = {
    "ce-specversion": "1.0",
    "ce-id": "b-1",
    "ce-source": "/uploads",
    "ce-type": "com.amazonaws.s3.ObjectCreated:Put",
    "ce-subject": "books/moby-dick.epub",
    "Content-Type": "application/json",
}
DATA = json.dumps({"s3": {"object": {"size": 10}}})


def test_importing_the_package_loads_no_helper_and_no_framework() -> None:
    code = (
        "import sys, cloudevents_wsgi; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'flask', 'webob', 'pyramid', 'werkzeug') "
        "or m.startswith(('cloudevents_wsgi.contrib', 'cloudevents_wsgi.router', "
        "'cloudevents_wsgi.cli'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- Django (in a subprocess: Django's settings are global to a process) -----------

DJANGO_APP = """
import json, sys
import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="test",
    ALLOWED_HOSTS=["localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
    INSTALLED_APPS=[],
)
django.setup()

from django.http import JsonResponse
from django.urls import path
from django.core.wsgi import get_wsgi_application
from werkzeug.test import Client

from cloudevents_wsgi import CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.contrib.django import cloudevent_required


@cloudevent_required(types=["com.amazonaws.s3.ObjectCreated:*", "com.example.*"])
def typed(request):
    event = request.cloudevent
    return JsonResponse({
        "type": event.get_type(),
        "same": event is request.META["cloudevent"],
        "data": event.get_data(),
    })


@cloudevent_required
def bare(request, name):
    return JsonResponse({"name": name, "type": request.cloudevent.get_type()})


def plain(request):
    return JsonResponse({"plain": True})


urlpatterns = [
    path("typed", typed),
    path("bare/<name>", bare),
    path("plain", plain),
]

client = Client(CloudEventsMiddleware(get_wsgi_application()))
headers = json.loads(sys.argv[1])
data = sys.argv[2]
results = {}


def record(name, response):
    results[name] = {
        "status": response.status_code,
        "content_type": response.headers.get("Content-Type"),
        "body": response.get_json(silent=True),
    }


record("typed", client.post("/typed", data=data, headers=headers))
record("other_type", client.post("/typed", data=data, headers={**headers, "ce-type": "org.x"}))
record("glob", client.post("/typed", data=data, headers={**headers, "ce-type": "com.example.a"}))
record("no_event", client.post("/typed", data=data, content_type="application/json"))
record("get", client.get("/typed"))
record("bare", client.post("/bare/abc", data=data, headers=headers))
record("csrf_kept", client.post("/plain", data=data, headers=headers))
results["csrf_exempt"] = [getattr(typed, "csrf_exempt", False), getattr(bare, "csrf_exempt", False)]
results["name"] = typed.__name__
errors = []
for bad in ("com.example.*", [], [""], [None]):
    try:
        cloudevent_required(types=bad)
    except ConfigurationError as error:
        errors.append(str(error))
results["errors"] = errors
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def django_results() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", DJANGO_APP, json.dumps(HEADERS), DATA],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return cast(dict[str, Any], json.loads(out.stdout))


def test_django_view_gets_the_event(django_results: dict[str, Any]) -> None:
    assert django_results["typed"] == {
        "status": 200,
        "content_type": "application/json",
        "body": {
            "type": "com.amazonaws.s3.ObjectCreated:Put",
            "same": True,
            "data": {"s3": {"object": {"size": 10}}},
        },
    }
    assert django_results["glob"]["body"]["type"] == "com.example.a"


def test_django_bare_decorator_passes_url_arguments(django_results: dict[str, Any]) -> None:
    assert django_results["bare"]["body"] == {
        "name": "abc",
        "type": "com.amazonaws.s3.ObjectCreated:Put",
    }


def test_django_other_type_is_a_400_problem_naming_type(django_results: dict[str, Any]) -> None:
    result = django_results["other_type"]
    assert result["status"] == 400
    assert result["content_type"] == "application/problem+json"
    assert result["body"] == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "type: is not an event type this endpoint accepts "
        "(com.amazonaws.s3.ObjectCreated:*, com.example.*) (got 'org.x')",
        "field": "type",
        "reason": "is not an event type this endpoint accepts "
        "(com.amazonaws.s3.ObjectCreated:*, com.example.*)",
        "value": "'org.x'",
    }


@pytest.mark.parametrize(
    ("case", "cause"),
    [
        # Issue 12: the reason names the actual cause, not always the middleware.
        ("no_event", "content type (application/json) is not application/cloudevents+json"),
        ("get", "a GET request has none"),
    ],
)
def test_django_request_without_event_is_a_400_problem_naming_cloudevent(
    django_results: dict[str, Any], case: str, cause: str
) -> None:
    result = django_results[case]
    assert result["status"] == 400
    assert result["content_type"] == "application/problem+json"
    assert result["body"]["field"] == "cloudevent"
    assert cause in result["body"]["reason"]


def test_django_decorated_views_are_csrf_exempt_and_others_are_not(
    django_results: dict[str, Any],
) -> None:
    assert django_results["csrf_exempt"] == [True, True]
    assert django_results["typed"]["status"] == 200  # a POST without a CSRF token
    assert django_results["csrf_kept"]["status"] == 403
    assert django_results["name"] == "typed"


def test_django_bad_types_are_refused(django_results: dict[str, Any]) -> None:
    assert len(django_results["errors"]) == 4


# -- Flask and Werkzeug ------------------------------------------------------------


def test_flask_request_has_the_event() -> None:
    from flask import Flask, jsonify, request

    from cloudevents_wsgi.contrib.flask import CloudEventRequest

    app = Flask(__name__)
    app.request_class = CloudEventRequest

    @app.post("/events")
    def events() -> Any:
        event = cast(CloudEventRequest, request).cloudevent
        return jsonify(None if event is None else [event.get_type(), event.get_data()])

    client = Client(CloudEventsMiddleware(app))
    response = client.post("/events", data=DATA, headers=HEADERS)
    assert response.get_json() == [
        "com.amazonaws.s3.ObjectCreated:Put",
        {"s3": {"object": {"size": 10}}},
    ]
    assert client.post("/events", data=DATA, content_type="application/json").get_json() is None


def test_flask_decorator_takes_async_views_and_names_the_missing_event() -> None:
    from flask import Flask

    from cloudevents_wsgi.contrib.flask import cloudevent_required, get_cloudevent

    app = Flask(__name__)
    app.wsgi_app = CloudEventsMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    @app.post("/events")
    @cloudevent_required(types=["com.amazonaws.s3.*"])
    async def events() -> Any:
        return {"id": get_cloudevent().get_id()}

    client = Client(app)
    assert client.post("/events", data=DATA, headers=HEADERS).get_json() == {"id": "b-1"}
    missing = client.post("/events", data=DATA, content_type="application/json")
    assert missing.status_code == 400
    assert missing.get_json()["field"] == "cloudevent"
    assert "content type (application/json)" in missing.get_json()["reason"]


def test_werkzeug_request_has_the_event() -> None:
    from werkzeug.wrappers import Response

    from cloudevents_wsgi.contrib.werkzeug import CloudEventRequest

    @CloudEventRequest.application  # type: ignore[arg-type]
    def app(request: CloudEventRequest) -> Response:
        event = request.cloudevent
        return Response("none" if event is None else event.get_id())

    client = Client(CloudEventsMiddleware(app))
    assert client.post("/", data=DATA, headers=HEADERS).data == b"b-1"
    assert client.get("/").data == b"none"


# -- WebOb and Pyramid ---------------------------------------------------------------


def test_webob_request_has_the_event() -> None:
    from webob import Response
    from webob.dec import wsgify

    from cloudevents_wsgi.contrib.webob import CloudEventRequest

    @wsgify(RequestClass=CloudEventRequest)
    def app(request: CloudEventRequest) -> Response:
        event = request.cloudevent
        return Response("none" if event is None else event.get_subject())

    client = Client(CloudEventsMiddleware(app))
    assert client.post("/", data=DATA, headers=HEADERS).data == b"books/moby-dick.epub"
    assert client.get("/").data == b"none"


@pytest.mark.parametrize("framework", ["werkzeug", "webob"])
def test_typed_accessors_give_the_event_and_its_data_or_say_why_not(framework: str) -> None:
    import importlib
    from dataclasses import dataclass

    @dataclass
    class Size:
        size: int

    module = importlib.import_module(f"cloudevents_wsgi.contrib.{framework}")
    got: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request = module.CloudEventRequest(environ)
        try:
            got.append(module.get_cloudevent(request).get_id())
            got.append(module.cloudevent_data(request, Size))
        except LookupError as error:
            got.append(str(error))
        start_response("204 No Content", [])
        return []

    client = Client(CloudEventsMiddleware(app))
    client.post("/", data='{"size": 3}', headers=HEADERS)
    client.get("/")
    assert got[:2] == ["b-1", Size(3)]
    assert "a GET request has none" in got[2]


@pytest.fixture
def pyramid_app() -> Iterator[Any]:
    pytest.importorskip("pyramid")
    from pyramid.config import Configurator
    from pyramid.response import Response

    from cloudevents_wsgi.contrib.webob import cloudevent

    def events(request: Any) -> Response:
        event = request.cloudevent
        return Response(json_body=None if event is None else event.get_type())

    with Configurator() as config:
        config.add_request_method(cloudevent, "cloudevent", property=True, reify=True)
        config.add_route("events", "/events")
        config.add_view(events, route_name="events")
        yield config.make_wsgi_app()


def test_pyramid_request_method_gives_the_event(pyramid_app: Any) -> None:
    client = Client(CloudEventsMiddleware(pyramid_app))
    response = client.post("/events", data=DATA, headers=HEADERS)
    assert response.get_json() == "com.amazonaws.s3.ObjectCreated:Put"
    assert client.get("/events").get_json() is None


# -- why a request carries no event ----------------------------------------------------------


def _reason_through(app_wrapped: bool, request: Any) -> str:
    from cloudevents_wsgi.router import EventRouter
    from cloudevents_wsgi.testing import EventClient

    router = EventRouter()
    app = CloudEventsMiddleware(router) if app_wrapped else router
    response = EventClient(app).send(request)
    assert response.status == 404
    assert response.json()["field"] == "cloudevent"
    return cast(str, response.json()["reason"])


@pytest.mark.parametrize(
    ("wrapped", "request_kind", "cause"),
    [
        pytest.param(True, "get", "a GET request has none", id="method"),
        pytest.param(True, "no-specversion", "has ce- headers but no ce-specversion", id="spec"),
        pytest.param(True, "json", "content type (application/json) is not", id="content-type"),
        pytest.param(False, "binary", "no CloudEventsMiddleware read it", id="no-mw-binary"),
        pytest.param(False, "structured", "no CloudEventsMiddleware read it", id="no-mw-struct"),
    ],
)
def test_no_event_reason_names_the_actual_cause(
    wrapped: bool, request_kind: str, cause: str
) -> None:
    from cloudevents_wsgi.testing import EventRequest, binary, structured

    requests = {
        "get": binary(type="t", method="GET"),
        "no-specversion": EventRequest("POST", "/", {"ce-id": "1", "ce-type": "t"}, b""),
        "json": EventRequest("POST", "/", {"Content-Type": "application/json"}, b"{}"),
        "binary": binary(type="t"),
        "structured": structured(type="t"),
    }
    reason = _reason_through(wrapped, requests[request_kind])
    assert cause in reason
    if cause != "no CloudEventsMiddleware read it":
        assert "no CloudEventsMiddleware read it" not in reason
