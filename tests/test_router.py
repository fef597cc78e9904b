"""EventRouter: one function per event type, for apps with no framework."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.router import EventRouter


def post(client: Client, event_type: str, data: Any = None) -> Any:
    return client.post(
        "/",
        data=json.dumps(data),
        headers={
            "ce-specversion": "1.0",
            "ce-id": "e-1",
            "ce-source": "/tests",
            "ce-type": event_type,
            "Content-Type": "application/json",
        },
    )


def fallback(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"fallback " + environ["REQUEST_METHOD"].encode()]


@pytest.fixture
def router() -> EventRouter:
    router = EventRouter(fallback=fallback)

    @router.on("com.amazonaws.s3.ObjectCreated:*")
    def created(event: CloudEvent, environ: dict[str, Any]) -> dict[str, Any]:
        return {"key": event.get_subject(), "path": environ["PATH_INFO"]}

    @router.on("com.amazonaws.s3.ObjectRemoved:*", "com.amazonaws.s3.LifecycleExpiration:*")
    def removed(event: CloudEvent, environ: dict[str, Any]) -> None:
        return None

    @router.on("com.example.*")
    def accepted(event: CloudEvent, environ: dict[str, Any]) -> int:
        return 202

    return router


def test_a_handler_returning_json_answers_200_with_it(router: EventRouter) -> None:
    client = Client(CloudEventsMiddleware(router))
    response = client.post(
        "/hooks",
        data=json.dumps({"s3": {}}),
        headers={
            "ce-specversion": "1.0",
            "ce-id": "e-1",
            "ce-source": "/tests",
            "ce-type": "com.amazonaws.s3.ObjectCreated:Put",
            "ce-subject": "books/a.epub",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {"key": "books/a.epub", "path": "/hooks"}


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        pytest.param("com.amazonaws.s3.ObjectRemoved:Delete", 204, id="none-is-204"),
        pytest.param("com.amazonaws.s3.LifecycleExpiration:Delete", 204, id="second-pattern"),
        pytest.param("com.example.greeting", 202, id="int-is-the-status"),
    ],
)
def test_handlers_answer(router: EventRouter, event_type: str, status: int) -> None:
    response = post(Client(CloudEventsMiddleware(router)), event_type)
    assert response.status_code == status
    assert response.data == b""


def test_an_unrouted_type_is_a_404_problem_naming_the_type(router: EventRouter) -> None:
    response = post(Client(CloudEventsMiddleware(router)), "com.other.thing")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.get_json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "type: no handler is registered for this event type (got 'com.other.thing')",
        "field": "type",
        "reason": "no handler is registered for this event type",
        "value": "'com.other.thing'",
    }


def test_a_huge_unrouted_type_is_not_echoed_whole(router: EventRouter) -> None:
    event_type = "com.other." + "x" * 3_000_000
    response = Client(CloudEventsMiddleware(router)).post(
        "/",
        data=json.dumps(
            {"specversion": "1.0", "id": "e-1", "source": "/tests", "type": event_type}
        ),
        content_type="application/cloudevents+json",
    )
    assert response.status_code == 404
    assert response.get_json()["field"] == "type"
    assert len(response.data) < 4096


def test_patterns_compare_with_case(router: EventRouter) -> None:
    response = post(Client(CloudEventsMiddleware(router)), "COM.EXAMPLE.greeting")
    assert response.status_code == 404


def test_the_first_registered_pattern_wins() -> None:
    router = EventRouter()
    router.add("com.example.*", lambda event, environ: 201)
    router.add("com.example.specific", lambda event, environ: 202)
    assert post(Client(CloudEventsMiddleware(router)), "com.example.specific").status_code == 201
    assert router.handler_for("com.example.specific") is router.routes[0][1]
    assert router.handler_for("org.example") is None


def test_requests_without_events_go_to_the_fallback(router: EventRouter) -> None:
    client = Client(CloudEventsMiddleware(router))
    assert client.get("/").data == b"fallback GET"
    assert client.post("/", data=b"{}", content_type="application/json").data == b"fallback POST"


def test_without_a_fallback_a_request_without_an_event_is_a_404_problem() -> None:
    response = Client(CloudEventsMiddleware(EventRouter())).get("/")
    assert response.status_code == 404
    assert response.get_json()["field"] == "cloudevent"


def test_a_batch_calls_each_handler_once_per_event(router: EventRouter) -> None:
    event = {"specversion": "1.0", "id": "1", "source": "/t", "type": "com.example.a"}
    response = Client(CloudEventsMiddleware(router)).post(
        "/",
        data=json.dumps([event, {**event, "id": "2", "type": "com.nobody"}]),
        content_type="application/cloudevents-batch+json",
    )
    assert response.status_code == 404
    assert response.get_json() == {
        "results": [
            {"id": "1", "status": 202},
            {"id": "2", "status": 404, "reason": "the application answered 404 Not Found"},
        ]
    }


def test_a_handler_returning_a_non_status_int_raises() -> None:
    router = EventRouter()
    router.add("*", lambda event, environ: 42)
    environ = {"cloudevent": CloudEvent({"id": "1", "source": "/s", "type": "t"})}
    with pytest.raises(ValueError, match="42"):
        router(environ, lambda status, headers, exc_info=None: None)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: EventRouter(fallback="app"), id="fallback"),  # type: ignore[arg-type]
        pytest.param(lambda: EventRouter().on(), id="no-pattern"),
        pytest.param(lambda: EventRouter().add("", print), id="empty-pattern"),
        pytest.param(lambda: EventRouter().add("a", "handler"), id="handler"),  # type: ignore[arg-type]
    ],
)
def test_bad_configuration_is_refused(call: Any) -> None:
    with pytest.raises(ConfigurationError):
        call()
