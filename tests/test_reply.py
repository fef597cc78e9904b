"""Reply events: EventRouter handlers and the Flask and Django helpers answer with an event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from werkzeug.test import Client

from cloudevents_wsgi import (
    CloudEvent,
    CloudEventsMiddleware,
    ConfigurationError,
    InvalidEventError,
    Message,
    from_http,
)
from cloudevents_wsgi.reply import Reply, prefers_reply, reply_response
from cloudevents_wsgi.router import EventRouter

REPLY = CloudEvent(
    {
        "type": "com.example.reply",
        "source": "/replier",
        "id": "r-1",
        "datacontenttype": "application/json",
    },
    {"ok": True},
)
NO_CONTENT_TYPE = CloudEvent({"type": "com.example.reply", "source": "/s", "id": "r-2"}, b"\x00")


def event_headers(event_type: str = "com.example.ask", **more: str) -> dict[str, str]:
    return {
        "ce-specversion": "1.0",
        "ce-id": "a-1",
        "ce-source": "/asker",
        "ce-type": event_type,
        "Content-Type": "application/json",
        **more,
    }


def read_reply(response: Any) -> CloudEvent:
    headers = {name.lower(): value for name, value in response.headers.items()}
    events = from_http(Message(headers=headers, body=response.data))
    assert events is not None and len(events) == 1
    return events[0]


# -- Prefer: reply --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"HTTP_PREFER": "reply"}, True, id="environ"),
        pytest.param({"prefer": "reply"}, True, id="lower-case-header"),
        pytest.param({"HTTP_PREFER": "Reply"}, True, id="any-case"),
        pytest.param({"HTTP_PREFER": "respond-async, reply"}, True, id="among-others"),
        pytest.param({"HTTP_PREFER": "return=minimal,reply;x=1"}, True, id="with-parameters"),
        pytest.param({"HTTP_PREFER": "return=minimal"}, False, id="another-preference"),
        pytest.param({"HTTP_PREFER": "replying"}, False, id="a-longer-token"),
        pytest.param({"HTTP_PREFER": "foo=reply"}, False, id="reply-as-a-value"),
        pytest.param({}, False, id="none"),
    ],
)
def test_prefers_reply(headers: dict[str, str], expected: bool) -> None:
    assert prefers_reply(headers) is expected


# -- reply_response -------------------------------------------------------------------


def test_a_binary_reply_is_read_back_by_the_receiver_and_the_sdk() -> None:
    status, headers, body = reply_response(REPLY)
    assert status == 200
    assert ("ce-type", "com.example.reply") in headers
    assert ("Content-Length", str(len(body))) in headers
    as_dict = {name.lower(): value for name, value in headers}
    assert from_http(Message(headers=as_dict, body=body)) == [REPLY]
    sdk = from_http_event(HTTPMessage(as_dict, body))
    assert (sdk.get_id(), sdk.get_data()) == ("r-1", {"ok": True})


def test_a_structured_reply() -> None:
    status, headers, body = reply_response(REPLY, status=201, mode="structured")
    assert status == 201
    assert headers == [
        ("content-type", "application/cloudevents+json"),
        ("Content-Length", str(len(body))),
    ]
    assert json.loads(body)["id"] == "r-1"


@pytest.mark.parametrize("status", [199, 204, 205, 304, 600, True, "200"])
def test_a_status_that_cannot_carry_a_reply_is_refused(status: Any) -> None:
    with pytest.raises(ValueError, match=r"status|body"):
        reply_response(REPLY, status=status)


def test_a_reply_must_be_an_event_of_this_package() -> None:
    with pytest.raises(TypeError, match="CloudEvent"):
        reply_response({"id": "1"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode"):
        reply_response(REPLY, mode="batch")
    unwritable = CloudEvent({"id": "1", "source": "/s", "type": "t"}, float("inf"))
    with pytest.raises(InvalidEventError) as caught:
        reply_response(unwritable)
    assert caught.value.field == "data"


# -- EventRouter ----------------------------------------------------------------------


def reply_router(**options: Any) -> Client:
    router = EventRouter(**options)
    router.add("com.example.ask", lambda event, environ: REPLY)
    router.add("com.example.created", lambda event, environ: (REPLY, 201))
    router.add("com.example.structured", lambda event, environ: Reply(REPLY, mode="structured"))
    router.add("com.example.accepted", lambda event, environ: Reply(REPLY, status=202))
    return Client(CloudEventsMiddleware(router))


def test_a_handler_returning_an_event_answers_200_with_it_in_binary_mode() -> None:
    response = reply_router().post("/", data=b"{}", headers=event_headers())
    assert response.status_code == 200
    assert response.headers["ce-id"] == "r-1"
    assert "Preference-Applied" not in response.headers
    assert read_reply(response) == REPLY


@pytest.mark.parametrize(
    ("event_type", "status", "content_type"),
    [
        pytest.param("com.example.created", 201, "application/json", id="tuple"),
        pytest.param(
            "com.example.structured", 200, "application/cloudevents+json", id="reply-structured"
        ),
        pytest.param("com.example.accepted", 202, "application/json", id="reply-status"),
    ],
)
def test_a_handler_chooses_the_status_and_mode(
    event_type: str, status: int, content_type: str
) -> None:
    response = reply_router().post("/", data=b"{}", headers=event_headers(event_type))
    assert response.status_code == status
    assert response.headers["Content-Type"] == content_type
    assert read_reply(response) == REPLY


def test_prefer_reply_is_answered_preference_applied() -> None:
    response = reply_router().post("/", data=b"{}", headers=event_headers(Prefer="reply"))
    assert response.status_code == 200
    assert response.headers["Preference-Applied"] == "reply"
    assert read_reply(response) == REPLY


def test_replies_preferred_answers_202_without_prefer_reply() -> None:
    client = reply_router(replies="preferred")
    response = client.post("/", data=b"{}", headers=event_headers())
    assert (response.status_code, response.data) == (202, b"")
    assert not any(name.lower().startswith("ce-") for name in response.headers.keys())
    response = client.post("/", data=b"{}", headers=event_headers(Prefer="reply"))
    assert response.status_code == 200
    assert read_reply(response) == REPLY


def test_replies_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="replies"):
        EventRouter(replies="never")


def test_a_tuple_that_is_not_an_event_and_a_status_is_still_json() -> None:
    router = EventRouter()
    router.add("*", lambda event, environ: ("a", 1))
    response = Client(CloudEventsMiddleware(router)).post("/", data=b"{}", headers=event_headers())
    assert (response.status_code, response.get_json()) == (200, ["a", 1])


# -- Flask ----------------------------------------------------------------------------


def test_flask_cloudevent_response() -> None:
    import flask

    from cloudevents_wsgi.contrib.flask import cloudevent_response

    app = flask.Flask(__name__)

    @app.post("/")
    def answer() -> flask.Response:
        return cloudevent_response(NO_CONTENT_TYPE)

    app.wsgi_app = CloudEventsMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    client = Client(app)
    response = client.post("/", data=b"{}", headers=event_headers(Prefer="reply"))
    assert response.status_code == 200
    # No datacontenttype, no Content-Type: Flask's text/html would make the bytes text.
    assert "Content-Type" not in response.headers
    assert response.headers["Preference-Applied"] == "reply"
    assert read_reply(response) == NO_CONTENT_TYPE
    assert "Preference-Applied" not in client.post("/", headers=event_headers()).headers


def test_flask_cloudevent_response_outside_a_request() -> None:
    from cloudevents_wsgi.contrib.flask import cloudevent_response

    response = cloudevent_response(REPLY, status=201, mode="structured")
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/cloudevents+json"


def test_the_readme_example_runs() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Reply events", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    client = Client(namespace["application"])
    response = client.post(
        "/", data=b'{"order": 7}', headers=event_headers("com.example.order.placed", Prefer="reply")
    )
    assert response.status_code == 200
    assert response.headers["Preference-Applied"] == "reply"
    reply = read_reply(response)
    assert (reply.get_id(), reply.get_data()) == ("confirmed-a-1", {"order": 7})
    response = client.post("/", data=b"{}", headers=event_headers("com.example.order.shipped"))
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/cloudevents+json"
    assert read_reply(response).get_type() == "com.example.notice"


DJANGO_SCRIPT = """
import json
import django
from django.conf import settings

settings.configure(
    SECRET_KEY="t", ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, DATABASES={},
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
)
django.setup()
from django.core.wsgi import get_wsgi_application
from django.urls import path
from werkzeug.test import Client

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware
from cloudevents_wsgi.contrib.django import CloudEventResponse, cloudevent_required

REPLY = CloudEvent({"type": "com.example.reply", "source": "/s", "id": "r-2"}, b"\\x00")


@cloudevent_required
def view(request):
    return CloudEventResponse(REPLY, status=201, request=request)


urlpatterns = [path("", view)]
client = Client(CloudEventsMiddleware(get_wsgi_application()))
headers = {"ce-specversion": "1.0", "ce-id": "a", "ce-source": "/a", "ce-type": "t"}
results = {}
for name, more in (("plain", {}), ("prefer", {"Prefer": "reply"})):
    response = client.post("/", data=b"{}", headers={**headers, **more})
    results[name] = {
        "status": response.status_code,
        "headers": {k.lower(): v for k, v in response.headers.items()},
        "body": response.data.hex(),
    }
print(json.dumps(results))
"""


def test_django_cloudevent_response() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", DJANGO_SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    for name in ("plain", "prefer"):
        result = results[name]
        assert result["status"] == 201
        # No datacontenttype, no Content-Type: Django's text/html would make the bytes text.
        assert "content-type" not in result["headers"]
        message = Message(headers=result["headers"], body=bytes.fromhex(result["body"]))
        assert from_http(message) == [NO_CONTENT_TYPE]
    assert "preference-applied" not in results["plain"]["headers"]
    assert results["prefer"]["headers"]["preference-applied"] == "reply"
