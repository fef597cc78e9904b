"""make_lambda_handler, the trigger table, the ready handler and load_app
(aws_lambda/__init__.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.aws_lambda import (
    TRIGGERS,
    LazyHandler,
    environment_options,
    http_event_kind,
    load_app,
    make_lambda_handler,
)

from .builders import (
    http_api_event,
    s3_event,
    sqs_messages,
    structured,
)
from .conftest import FIXTURES, fixture_paths, load_fixture
from .lambda_apps import (
    CONTEXT,
    HTTP_KINDS,
    Recorder,
    echo,
)


@pytest.mark.parametrize(
    ("folder", "kind"), [pytest.param(f, k, id=f) for f, k in HTTP_KINDS.items()]
)
def test_each_http_sample_is_recognised_by_its_own_predicate(folder: str, kind: str) -> None:
    paths = fixture_paths(f"aws/{folder}")
    if not paths:
        pytest.skip(f"../shared/fixtures/aws/{folder} is not present")
    assert {p.stem: http_event_kind(load_fixture(p)) for p in paths} == {
        p.stem: kind for p in paths
    }


def test_no_other_sample_is_taken_for_an_http_request() -> None:
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    others = [p for p in sorted(FIXTURES.rglob("*.json")) if p.parent.name not in HTTP_KINDS]
    assert others
    assert {str(p.relative_to(FIXTURES)): http_event_kind(load_fixture(p)) for p in others} == {
        str(p.relative_to(FIXTURES)): None for p in others
    }


def test_no_sample_is_recognised_by_two_triggers() -> None:
    """The trigger table's predicates never overlap: order never decides
    (the last trigger, native, takes whatever no other one does)."""
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    *specific, fallback = TRIGGERS
    assert fallback.KIND == "native"
    for path in sorted(FIXTURES.rglob("*.json")):
        event = load_fixture(path)
        matched = [trigger.KIND for trigger in specific if trigger.infer(event)]
        expected = [HTTP_KINDS[path.parent.name]] if path.parent.name in HTTP_KINDS else []
        if "time-window" in path.name:
            expected = ["tumbling-window"]
        assert matched == expected, path
        if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
            # The handler tries only the non-HTTP triggers on such events.
            assert set(matched) <= {
                "authorizer",
                "vpc-lattice",
                "kafka",
                "tumbling-window",
                "firehose",
                "s3-batch",
                "cognito",
                "cloudformation",
            }, path


def test_websocket_api_event_is_not_one_of_the_four_http_kinds() -> None:
    event = {
        "requestContext": {"eventType": "CONNECT", "routeKey": "$connect"},
        "isBase64Encoded": False,
    }
    assert http_event_kind(event) is None


def test_a_plain_app_is_wrapped_and_a_middleware_inside_passes_the_event_on() -> None:
    plain = Recorder(status="204 No Content", headers=[])
    make_lambda_handler(plain)(structured(), CONTEXT)
    assert "cloudevent" in plain.environ

    inner = Recorder(status="204 No Content", headers=[])
    # The shim never looks at the app's type or options: it wraps it again, and
    # the user's middleware (PUT only) hands the event on as it got it, once.
    make_lambda_handler(CloudEventsMiddleware(inner, methods=["PUT"]))(structured(), CONTEXT)
    assert inner.environ["cloudevent"].get_id() == "1"
    assert inner.environ["cloudevents_wsgi.content_mode"] == "structured"


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"event_path": "events"}, id="relative-event-path"),
        pytest.param({"event_path": "/events?x=1"}, id="event-path-query"),
        pytest.param({"event_path": "/évents"}, id="event-path-non-ascii"),
        pytest.param({"routes": [("a", "/a")]}, id="routes-not-mapping"),
        pytest.param({"routes": {"a": "a"}}, id="route-relative"),
        pytest.param({"routes": {"": "/a"}}, id="route-empty-pattern"),
        pytest.param({"text_types": "text/*"}, id="text-types-string"),
        pytest.param({"server_name": ""}, id="empty-server-name"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        make_lambda_handler(echo, **options)


def test_app_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="WSGI callable"):
        make_lambda_handler("app")  # type: ignore[arg-type]


def test_load_app_by_module_and_attribute(app_module: str) -> None:
    app = load_app({"CLOUDEVENTS_WSGI_APP": f"{app_module}:application"})
    assert app.__name__ == "application"  # type: ignore[attr-defined]
    assert load_app({"CLOUDEVENTS_WSGI_APP": f"{app_module}:nested.app"}) is app


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("{module}", "must be 'module:attribute'", id="no-colon"),
        pytest.param("{module}:", "must be 'module:attribute'", id="no-attribute"),
        pytest.param(":application", "must be 'module:attribute'", id="no-module"),
        pytest.param("{module}:app lication", "must be 'module:attribute'", id="not-identifier"),
        pytest.param(
            "no_such_module_here:application",
            "no module 'no_such_module_here'",
            id="missing-module",
        ),
        pytest.param("{module}.sub:application", "no module", id="missing-submodule"),
        pytest.param("{module}:nothing", "has no attribute 'nothing'", id="missing-attribute"),
        pytest.param("{module}:not_callable", "not a WSGI callable", id="not-callable"),
    ],
)
def test_load_app_errors_are_clear(app_module: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_app({"CLOUDEVENTS_WSGI_APP": value.format(module=app_module)})


def test_load_app_without_any_setting() -> None:
    with pytest.raises(ConfigurationError, match="set CLOUDEVENTS_WSGI_APP"):
        load_app({})


def test_missing_dependency_of_the_app_keeps_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app_with_missing_dep.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        load_app({"CLOUDEVENTS_WSGI_APP": "app_with_missing_dep:application"})


def test_lazy_handler_loads_once(app_module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDEVENTS_WSGI_APP", f"{app_module}:application")
    handler = LazyHandler()
    assert handler(http_api_event(), CONTEXT)["body"] == "loaded"
    monkeypatch.setenv("CLOUDEVENTS_WSGI_APP", "broken")
    assert handler(http_api_event(), CONTEXT)["body"] == "loaded"
    assert sys.modules[app_module].LOADS == [1]


def test_lazy_handler_retries_a_failed_load(
    app_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = LazyHandler(event_path="/in")
    with pytest.raises(ConfigurationError):
        handler(http_api_event(), CONTEXT)
    monkeypatch.setenv("CLOUDEVENTS_WSGI_APP", f"{app_module}:application")
    assert handler(http_api_event(), CONTEXT)["body"] == "loaded"


def test_django_project_needs_only_its_settings(tmp_path: Path) -> None:
    (tmp_path / "lambda_django_settings.py").write_text(
        textwrap.dedent(
            """
            SECRET_KEY = "test"
            ALLOWED_HOSTS = ["abc123.execute-api.eu-west-1.amazonaws.com", "localhost"]
            ROOT_URLCONF = "lambda_django_urls"
            INSTALLED_APPS = []
            MIDDLEWARE = []
            """
        )
    )
    (tmp_path / "lambda_django_urls.py").write_text(
        textwrap.dedent(
            """
            from django.http import HttpResponse
            from django.urls import path
            from django.views.decorators.csrf import csrf_exempt

            @csrf_exempt
            def events(request):
                event = request.META["cloudevent"]
                return HttpResponse(event.get_id(), status=200, content_type="text/plain")

            urlpatterns = [
                path("", lambda request: HttpResponse("home", content_type="text/plain")),
                path("events", events),
            ]
            """
        )
    )
    code = textwrap.dedent(
        """
        import json, sys
        from cloudevents_wsgi.aws_lambda import handler
        for line in sys.stdin:
            print(json.dumps(handler(json.loads(line), None)))
        """
    )
    events = [http_api_event(), structured(id="e-1")]
    env = {
        "DJANGO_SETTINGS_MODULE": "lambda_django_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path(__file__).resolve().parent.parent}",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        input="".join(json.dumps(e) + "\n" for e in events),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    http, native = (json.loads(line) for line in out.stdout.splitlines())
    assert (http["statusCode"], http["body"]) == (200, "home")
    assert (native["statusCode"], native["body"]) == (200, "e-1")


def test_import_loads_no_werkzeug_webob_or_dateutil() -> None:
    heavy = ("werkzeug", "webob", "dateutil")
    code = (
        "import sys, cloudevents_wsgi.aws_lambda; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_does_not_load_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "import cloudevents_wsgi.aws_lambda; print('imported')"
    env = {"CLOUDEVENTS_WSGI_APP": "no_such_module_here:application", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "imported"


def test_logging_is_not_configured_by_the_module() -> None:
    assert logging.getLogger("cloudevents_wsgi.aws_lambda").handlers == []


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"lambda_app_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            LOADS = []
            LOADS.append(1)
            not_callable = 42

            def application(environ, start_response):
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"loaded"]

            class nested:
                app = staticmethod(application)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CLOUDEVENTS_WSGI_APP", raising=False)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    return name


def test_flask_example_already_wrapped_takes_lambda_events_once_with_their_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 10: a Flask app whose wsgi_app is already wrapped, behind the shim
    (which wraps it again): each event reaches the view once, its JSON data as
    JSON, not as bytes."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "examples"))
    import flask_app  # type: ignore[import-not-found]

    flask_app.received.clear()
    try:
        handler = make_lambda_handler(flask_app.app)
        # A structured event without datacontenttype: the case that answered 500.
        event = structured(type="com.example.greeting", data={"name": "Ishmael"})
        assert handler(event, CONTEXT)["statusCode"] == 204
        sqs = sqs_messages("m-1")
        assert handler(sqs, CONTEXT) == {"batchItemFailures": []}
        assert flask_app.received == [
            {"type": "com.example.greeting", "id": "1", "data": {"name": "Ishmael"}},
            {"type": "com.amazonaws.sqs.message", "id": "m-1", "data": {}},
        ]
    finally:
        flask_app.received.clear()  # the module stays imported for other tests


# -- the ready handler's environment variables ---------------------------------------------


def test_environment_options_read_event_path_and_routes() -> None:
    assert environment_options({}) == {}
    assert environment_options(
        {
            "CLOUDEVENTS_WSGI_EVENT_PATH": "/hooks/events",
            "CLOUDEVENTS_WSGI_ROUTES": '{"com.amazonaws.s3.*": "/hooks/s3", "*": "/hooks/rest"}',
        }
    ) == {
        "event_path": "/hooks/events",
        "routes": {"com.amazonaws.s3.*": "/hooks/s3", "*": "/hooks/rest"},
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param(
            {"CLOUDEVENTS_WSGI_EVENT_PATH": "events"},
            r"^CLOUDEVENTS_WSGI_EVENT_PATH must be an ASCII path starting with '/', not 'events'$",
            id="relative-path",
        ),
        pytest.param(
            {"CLOUDEVENTS_WSGI_ROUTES": "{'a': '/a'}"},
            r"^CLOUDEVENTS_WSGI_ROUTES must be a JSON object .* but it is not JSON",
            id="not-json",
        ),
        pytest.param(
            {"CLOUDEVENTS_WSGI_ROUTES": '["/a"]'},
            r"^CLOUDEVENTS_WSGI_ROUTES must map CloudEvent type glob patterns to paths",
            id="not-an-object",
        ),
        pytest.param(
            {"CLOUDEVENTS_WSGI_ROUTES": '{"t": "noslash"}'},
            r"^CLOUDEVENTS_WSGI_ROUTES\['t'\] must be an ASCII path starting with '/'",
            id="relative-route",
        ),
    ],
)
def test_environment_options_errors_name_the_variable(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        environment_options(environ)


def test_the_ready_handler_takes_event_path_and_routes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUDEVENTS_WSGI_APP", "tests.lambda_apps:echo")
    monkeypatch.setenv("CLOUDEVENTS_WSGI_EVENT_PATH", "/hooks/events")
    monkeypatch.setenv("CLOUDEVENTS_WSGI_ROUTES", '{"com.amazonaws.s3.*": "/hooks/s3"}')
    handler = LazyHandler()
    assert json.loads(handler(s3_event("a"), CONTEXT)["body"])["PATH_INFO"] == "/hooks/s3"
    assert json.loads(handler(structured(), CONTEXT)["body"])["PATH_INFO"] == "/hooks/events"
    # Options given in code win over the environment.
    handler = LazyHandler(event_path="/mine")
    assert json.loads(handler(structured(), CONTEXT)["body"])["PATH_INFO"] == "/mine"
