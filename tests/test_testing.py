"""cloudevents_wsgi.testing: requests built as the HTTP binding says, sent through the
real middleware and the real Lambda shim; the Django and Flask test clients through
the middleware; the pytest plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import BatchFailedError, make_lambda_handler
from cloudevents_wsgi.testing import (
    EventClient,
    LambdaClient,
    LambdaContext,
    batch,
    binary,
    call,
    event,
    lambda_event,
    sample,
    sample_names,
    structured,
)

from .conftest import ROOT, plugin_path

seen: list[Any] = []


def recording_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Records the event and environ keys the app got; 204, or 500 for subject 'fail'."""
    ce = environ.get("cloudevent")
    seen.append(
        {
            "type": ce.get_type() if ce else None,
            "subject": ce.get_subject() if ce else None,
            "data": ce.get_data() if ce else None,
            "path": environ["PATH_INFO"],
            "mode": environ.get("cloudevents_wsgi.content_mode"),
            "body": environ["wsgi.input"].read(),
        }
    )
    if ce is not None and ce.get_subject() == "fail":
        start_response("500 Internal Server Error", [])
        return [b""]
    start_response("204 No Content", [])
    return []


@pytest.fixture(autouse=True)
def _clear_seen() -> None:
    seen.clear()


# -- building requests ----------------------------------------------------------------


def test_binary_request_carries_attributes_in_ce_headers_and_data_in_the_body() -> None:
    request = binary(
        type="com.example.uploaded",
        source="/uploads",
        id="b-1",
        subject="books/moby dick%.epub",
        time="2024-05-01T10:00:00Z",
        data={"size": 10},
        extensions={"traceparent": "00-abc-def-01"},
        path="/events?x=1",
    )
    assert request == (
        "POST",
        "/events?x=1",
        {
            "ce-specversion": "1.0",
            "ce-id": "b-1",
            "ce-source": "/uploads",
            "ce-type": "com.example.uploaded",
            "ce-subject": "books/moby%20dick%25.epub",  # HTTP binding 3.1.3.2
            "ce-time": "2024-05-01T10:00:00Z",
            "ce-traceparent": "00-abc-def-01",
            "Content-Type": "application/json",
        },
        b'{"size": 10}',
    )


@pytest.mark.parametrize(
    ("data", "content_type", "body"),
    [
        pytest.param("hello", "text/plain; charset=utf-8", b"hello", id="text"),
        pytest.param(b"\x00\x01", "application/octet-stream", b"\x00\x01", id="bytes"),
        pytest.param(None, None, b"", id="none"),
    ],
)
def test_binary_request_body_and_content_type_follow_the_data(
    data: Any, content_type: str | None, body: bytes
) -> None:
    request = binary(type="t", id="1", data=data)
    assert request.content_type == content_type
    assert request.body == body


def test_headers_given_replace_the_built_ones_whatever_their_case() -> None:
    request = binary(type="t", id="1", headers={"CE-ID": "2", "content-type": "text/csv"})
    assert request.headers["CE-ID"] == "2"
    assert "ce-id" not in request.headers
    assert request.content_type == "text/csv"


def test_structured_and_batch_requests_are_json_format_bodies() -> None:
    one = structured(type="t", id="1", data=b"\xff", subject="s")
    assert one.content_type == "application/cloudevents+json"
    assert json.loads(one.body) == {
        "specversion": "1.0",
        "id": "1",
        "source": "/tests",
        "type": "t",
        "subject": "s",
        "data_base64": "/w==",
    }
    several = batch([event(type="a", id="1"), event(type="b", id="2", data={"k": 1})])
    assert several.content_type == "application/cloudevents-batch+json"
    assert [e["type"] for e in json.loads(several.body)] == ["a", "b"]
    assert json.loads(several.body)[1]["datacontenttype"] == "application/json"


def test_environ_is_pep_3333() -> None:
    environ = binary(type="t", id="1", data={"a": 1}, path="/a%20b?q=1").environ()
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["PATH_INFO"] == "/a b"
    assert environ["QUERY_STRING"] == "q=1"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "8"
    assert "HTTP_CONTENT_TYPE" not in environ
    assert environ["HTTP_CE_ID"] == "1"
    for key in ("SERVER_NAME", "SERVER_PORT", "wsgi.errors", "wsgi.url_scheme", "wsgi.version"):
        assert key in environ
    assert environ["wsgi.input"].read() == b'{"a": 1}'


# -- through the middleware ----------------------------------------------------------------


def test_each_content_mode_reaches_the_app_through_the_middleware() -> None:
    client = EventClient(CloudEventsMiddleware(recording_app))
    assert client.binary(type="a", id="1", data={"n": 1}, path="/e").status == 204
    assert client.structured(type="b", id="2", data="hi").status == 204
    answer = client.send(batch([event(type="c", id="3"), event(type="d", id="4", subject="fail")]))
    assert answer.status == 500  # the first failure's status, as in production
    assert answer.json() == {
        "results": [
            {"id": "3", "status": 204},
            {
                "id": "4",
                "status": 500,
                "reason": "the application answered 500 Internal Server Error",
            },
        ]
    }
    assert [(s["type"], s["mode"], s["data"]) for s in seen] == [
        ("a", "binary", {"n": 1}),
        ("b", "structured", "hi"),
        ("c", "batch", None),
        ("d", "batch", None),
    ]
    assert seen[0]["path"] == "/e"


def test_an_invalid_event_gets_the_middlewares_real_problem_answer() -> None:
    client = EventClient(CloudEventsMiddleware(recording_app))
    response = client.binary(type="a", id="1", time="lunchtime")
    assert response.status == 400
    assert response.header("content-type") == "application/problem+json"
    assert response.json()["field"] == "time"
    assert seen == []


def test_call_raises_what_the_app_raises() -> None:
    def broken(environ: Any, start_response: Any) -> Any:
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        call(broken, binary(type="t", id="1"))


# -- Lambda ------------------------------------------------------------------------------------


def test_samples_are_listed_and_each_call_gives_a_new_copy() -> None:
    assert "s3-object-created" in sample_names()
    first = sample("sqs-batch")
    first["Records"].clear()
    assert sample("sqs-batch")["Records"]
    with pytest.raises(LookupError, match="s3-object-created"):
        sample("nope")


def test_lambda_event_overrides_by_path() -> None:
    event = lambda_event(
        "s3-object-created",
        {"Records[0].s3.object.key": "books/emma.epub", "Records[0].awsRegion": "eu-west-1"},
    )
    record = event["Records"][0]
    assert record["s3"]["object"]["key"] == "books/emma.epub"
    assert record["awsRegion"] == "eu-west-1"
    assert sample("s3-object-created")["Records"][0]["awsRegion"] == "us-east-1"


@pytest.mark.parametrize(
    ("path", "error"),
    [
        pytest.param("Records[9].body", IndexError, id="index"),
        pytest.param("Nope.body", KeyError, id="key"),
        pytest.param("Records[0]..body", ValueError, id="syntax"),
        pytest.param("", ValueError, id="empty"),
    ],
)
def test_lambda_event_refuses_a_path_the_sample_has_not(path: str, error: type) -> None:
    with pytest.raises(error):
        lambda_event("sqs-batch", {path: 1})


def test_a_lambda_sample_goes_through_the_real_shim_to_the_app() -> None:
    client = LambdaClient.for_app(recording_app, event_path="/hooks")
    result = client.sample("s3-object-created", {"Records[0].s3.object.key": "books/emma.epub"})
    assert result["statusCode"] == 204
    assert [(s["type"], s["subject"], s["path"]) for s in seen] == [
        ("com.amazonaws.s3.ObjectCreated:Put", "books/emma.epub", "/hooks")
    ]


def test_a_failed_sqs_record_is_reported_in_batch_item_failures() -> None:
    client = LambdaClient(make_lambda_handler(CloudEventsMiddleware(recording_app)))
    event = lambda_event("sqs-batch")
    second = event["Records"][1]["messageId"]
    # The second message carries an S3 event (unwrapped) whose key, the subject, is "fail".
    s3 = lambda_event("s3-object-created", {"Records[0].s3.object.key": "fail"})
    event["Records"][1]["body"] = json.dumps(s3)
    assert client.invoke(event) == {"batchItemFailures": [{"itemIdentifier": second}]}


def test_every_record_failing_raises_as_lambda_sees_it() -> None:
    def failing(environ: Any, start_response: Any) -> list[bytes]:
        start_response("503 Service Unavailable", [])
        return []

    with pytest.raises(BatchFailedError):
        LambdaClient.for_app(failing).sample("sqs-batch")


def test_lambda_context_counts_down_to_its_deadline() -> None:
    context = LambdaContext(timeout=30.0, aws_request_id="r-1")
    assert 0 < context.get_remaining_time_in_millis() <= 30_000
    assert context.aws_request_id == "r-1"
    assert LambdaContext(timeout=0).get_remaining_time_in_millis() == 0


def test_lambda_client_hands_the_handler_what_json_can_hold() -> None:
    got: list[Any] = []
    LambdaClient(lambda event, context: got.append((event, context))).invoke({"a": (1, 2)})
    assert got[0][0] == {"a": [1, 2]}
    assert isinstance(got[0][1], LambdaContext)


# -- Flask -----------------------------------------------------------------------------------


def test_flask_test_client_goes_through_the_middleware_for_the_test_only() -> None:
    from flask import Flask

    from cloudevents_wsgi.contrib.flask import CloudEventRequest, get_cloudevent
    from cloudevents_wsgi.testing.flask import middleware_client, send

    app = Flask(__name__)
    app.request_class = CloudEventRequest

    @app.post("/events")
    def events() -> Any:
        return {"type": get_cloudevent().get_type()}

    original = app.wsgi_app
    with middleware_client(app) as client:
        response = send(client, binary(type="com.example.a", id="1", path="/events"))
        refused = send(client, binary(type="com.example.a", id="1", time="x", path="/events"))
    assert response.get_json() == {"type": "com.example.a"}
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "time"
    assert app.wsgi_app == original


def test_flask_app_already_wrapped_is_not_wrapped_again() -> None:
    from flask import Flask

    from cloudevents_wsgi.testing.flask import middleware_client

    app = Flask(__name__)
    wrapped = CloudEventsMiddleware(app.wsgi_app)
    app.wsgi_app = wrapped  # type: ignore[method-assign]
    with middleware_client(app):
        assert app.wsgi_app is wrapped


# -- Django (in a subprocess: Django's settings are global to a process) ----------------------

DJANGO_TESTS = """
import json
import django
from django.conf import settings

settings.configure(
    SECRET_KEY="test", ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"], INSTALLED_APPS=[],
)
django.setup()

from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.test import Client as PlainClient

from cloudevents_wsgi.contrib.django import cloudevent_required, get_cloudevent
from cloudevents_wsgi.testing import batch, binary, event
from cloudevents_wsgi.testing.django import Client

calls = []

@cloudevent_required
def hook(request):
    ce = get_cloudevent(request)
    calls.append(ce.get_id())
    if ce.get_subject() == "fail":
        return HttpResponse(status=503)
    return JsonResponse({"id": ce.get_id(), "mode": request.META["cloudevents_wsgi.content_mode"]})

urlpatterns = [path("hook", hook)]

client = Client()
out = {}
r = client.send(binary(type="t", id="1", path="/hook"))
out["binary"] = [r.status_code, r.json(), r.wsgi_request.path]
r = client.send(binary(type="t", id="1", time="x", path="/hook"))
out["refused"] = [r.status_code, r.json()["field"], r["Content-Type"]]
events = [event(type="t", id="2"), event(type="t", id="3", subject="fail")]
r = client.send(batch(events, path="/hook"))
out["batch"] = [r.status_code, r.json()]
r = PlainClient().generic("POST", "/hook", data=batch([event(type="t", id="4")]).body,
                          content_type="application/cloudevents-batch+json")
out["plain_batch"] = [r.status_code, json.loads(r.content)["field"]]
r = client.get("/hook")
out["get"] = [r.status_code, json.loads(r.content)["reason"]]
out["calls"] = calls


class StructuredClient(Client):
    middleware_options = {"mode": "structured"}


r = StructuredClient().send(binary(type="t", id="5", path="/hook"))
out["structured"] = [r.status_code, r.wsgi_request.META["CONTENT_TYPE"]]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def django_results() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", DJANGO_TESTS],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_django_client_sends_events_through_the_middleware(
    django_results: dict[str, Any],
) -> None:
    assert django_results["binary"] == [200, {"id": "1", "mode": "binary"}, "/hook"]
    assert django_results["refused"] == [400, "time", "application/problem+json"]


def test_django_client_subclass_gives_the_middleware_its_options(
    django_results: dict[str, Any],
) -> None:
    assert django_results["structured"] == [200, "application/cloudevents+json"]


def test_django_client_batch_calls_the_view_once_per_event(django_results: dict[str, Any]) -> None:
    assert django_results["batch"] == [
        503,
        {
            "results": [
                {"id": "2", "status": 200},
                {
                    "id": "3",
                    "status": 503,
                    "reason": "the application answered 503 Service Unavailable",
                },
            ]
        },
    ]
    assert django_results["calls"] == ["1", "2", "3", "5"]  # "5": the structured client


def test_django_plain_client_batch_is_refused_naming_the_middleware(
    django_results: dict[str, Any],
) -> None:
    assert django_results["plain_batch"] == [415, "content-type"]


def test_django_client_get_names_the_method(django_results: dict[str, Any]) -> None:
    status, reason = django_results["get"]
    assert status == 400
    assert "a GET request has none" in reason


# -- the pytest plugin -------------------------------------------------------------------------

# Loaded before any test module: what the plugin's loading imported.
PLUGIN_CONFTEST = """
import sys

import pytest

LOADED = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("django", "flask", "werkzeug", "webob")
    or m.startswith(("cloudevents_wsgi.testing", "cloudevents_wsgi.aws_lambda"))
)
PLUGIN = "cloudevents_wsgi.pytest_plugin" in sys.modules


@pytest.fixture
def loaded_at_start():
    return PLUGIN, LOADED
"""

PLUGIN_TESTS = """
import pytest

from cloudevents_wsgi.router import EventRouter
from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.testing import binary, lambda_event

router = EventRouter()
got = []

@router.on("*")
def handle(event, environ):
    got.append(event.get_subject())


@pytest.fixture
def cloudevents_app():
    return CloudEventsMiddleware(router)


def test_plugin_loaded_nothing_heavy(loaded_at_start):
    assert loaded_at_start == (True, [])


def test_client(cloudevents_client):
    assert cloudevents_client.send(binary(type="t", subject="a")).status == 204
    assert got[-1] == "a"


def test_lambda_defaults_to_the_app_behind_the_shim(cloudevents_lambda):
    cloudevents_lambda.invoke(lambda_event("s3-object-created"))
    assert got[-1] == "books/moby-dick.epub"
"""


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": plugin_path(folder / "site")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_pytest_plugin_is_registered_and_its_fixtures_work(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(PLUGIN_CONFTEST)
    (tmp_path / "test_plugin.py").write_text(PLUGIN_TESTS)
    out = run_pytest(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed" in out.stdout


def test_pytest_plugin_can_be_turned_off(tmp_path: Path) -> None:
    (tmp_path / "test_plugin.py").write_text(PLUGIN_TESTS)
    out = run_pytest(tmp_path, "-p", "no:cloudevents_wsgi")
    assert out.returncode == 1
    assert "fixture 'cloudevents_client' not found" in out.stdout


def test_a_missing_app_fixture_says_what_to_define(tmp_path: Path) -> None:
    (tmp_path / "test_missing.py").write_text(
        textwrap.dedent(
            """
            def test_client(cloudevents_client):
                pass
            """
        )
    )
    out = run_pytest(tmp_path)
    assert out.returncode == 1
    assert "define a fixture named 'cloudevents_app'" in out.stdout


def test_testing_module_works_without_pytest() -> None:
    code = (
        "import sys; sys.modules['pytest'] = None\n"
        "from cloudevents_wsgi.testing import EventClient, binary\n"
        "from cloudevents_wsgi import CloudEventsMiddleware\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', []); return [environ['cloudevent'].get_id().encode()]\n"
        "print(EventClient(CloudEventsMiddleware(app)).send(binary(type='t', id='x')).text)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "x"
