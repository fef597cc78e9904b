"""Answers for Dapr's pub/sub deliveries."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import Client

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.dapr import (
    DROP,
    ENTRY_ID,
    RETRY,
    STATUSES,
    SUCCESS,
    dapr_response_body,
    dapr_status,
)


@pytest.mark.parametrize(
    ("http_status", "expected"),
    [
        pytest.param(200, SUCCESS, id="200"),
        pytest.param(202, SUCCESS, id="202"),
        pytest.param(204, SUCCESS, id="204"),
        pytest.param(299, SUCCESS, id="299"),
        # Dapr itself drops a message answered 404.
        pytest.param(404, DROP, id="404"),
        # The message is wrong or unwanted: a retry would get the same answer.
        pytest.param(400, DROP, id="400"),
        pytest.param(405, DROP, id="405"),
        pytest.param(410, DROP, id="410"),
        pytest.param(413, DROP, id="413"),
        pytest.param(415, DROP, id="415"),
        pytest.param(422, DROP, id="422"),
        # Client errors that a later attempt may not repeat.
        pytest.param(408, RETRY, id="408"),
        pytest.param(409, RETRY, id="409"),
        pytest.param(423, RETRY, id="423"),
        pytest.param(425, RETRY, id="425"),
        pytest.param(429, RETRY, id="429"),
        # Server errors, and the 500 that stands for an exception.
        pytest.param(500, RETRY, id="500"),
        pytest.param(502, RETRY, id="502"),
        pytest.param(503, RETRY, id="503"),
        pytest.param(504, RETRY, id="504"),
        # Not an answer Dapr can act on: deliver again.
        pytest.param(100, RETRY, id="100"),
        pytest.param(302, RETRY, id="302"),
        pytest.param(304, RETRY, id="304"),
    ],
)
def test_dapr_status(http_status: int, expected: str) -> None:
    assert dapr_status(http_status) == expected


@given(st.integers(min_value=100, max_value=599))
def test_every_status_gets_one_of_daprs(http_status: int) -> None:
    assert dapr_status(http_status) in STATUSES


@pytest.mark.parametrize("status", STATUSES)
def test_response_body(status: str) -> None:
    body = dapr_response_body(status)
    assert isinstance(body, bytes)
    assert json.loads(body) == {"status": status}


def test_response_body_for_an_app_answer() -> None:
    assert dapr_response_body(dapr_status(503)) == b'{"status": "RETRY"}'


@pytest.mark.parametrize("status", ["success", "OK", "", "DEADLETTER"])
def test_response_body_refuses_unknown_statuses(status: str) -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        dapr_response_body(status)


# -- the middleware under dapr=True ------------------------------------------------------


class Recorder:
    """Answers each event by its data's ``answer`` (default 200) and records it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        event = environ.get("cloudevent")
        if event is None:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"not an event: " + environ["wsgi.input"].read()]
        self.calls.append((event.get_id(), environ.get(ENTRY_ID)))
        data = event.get_data()
        answer = data.get("answer", "200 OK") if isinstance(data, dict) else "200 OK"
        start_response(answer, [])
        return []


def dapr_event(event_id: str = "1", **extra: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "Dapr",
        "type": "com.dapr.event.sent",
        "pubsubname": "pubsub",
        "topic": "orders",
        "datacontenttype": "application/json",
        **extra,
    }


def entry(entry_id: str, event: Any, content_type: str = "application/cloudevents+json") -> Any:
    return {"entryId": entry_id, "event": event, "metadata": None, "contentType": content_type}


def envelope(*entries: Any) -> dict[str, Any]:
    return {
        "entries": list(entries),
        "id": "fa68c580-1b96-40d3-aa2c-04bab05e954e",
        "metadata": {"pubsubName": "pubsub"},
        "pubsubname": "pubsub",
        "topic": "orders",
        "type": "com.dapr.event.sent.bulk",
    }


def post_json(app: Any, body: Any, content_type: str, **kwargs: Any) -> Any:
    return Client(app).post("/orders", data=json.dumps(body), content_type=content_type, **kwargs)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        pytest.param(dapr_event(time="not-a-time-9f3e"), "time", id="bad-time"),
        pytest.param(
            {k: v for k, v in dapr_event().items() if k != "source"}, "source", id="no-source"
        ),
        pytest.param(dapr_event(specversion="0.3-9f3e"), "specversion", id="bad-specversion"),
    ],
)
def test_a_refused_event_is_dropped_with_200_and_logged_without_its_value(
    event: dict[str, Any], field: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Recorder()
    with caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"):
        response = post_json(
            CloudEventsMiddleware(app, dapr=True), event, "application/cloudevents+json"
        )
    assert (response.status_code, response.json) == (200, {"status": DROP})
    assert app.calls == []
    [record] = [r for r in caplog.records if "dropping" in r.getMessage()]
    assert f": {field}: " in record.getMessage()
    assert "9f3e" not in record.getMessage()


def test_without_dapr_the_same_event_is_a_400() -> None:
    response = post_json(
        CloudEventsMiddleware(Recorder()), dapr_event(time="nope"), "application/cloudevents+json"
    )
    assert response.status_code == 400


def test_a_refused_binary_event_and_an_unknown_format_are_dropped() -> None:
    middleware = CloudEventsMiddleware(Recorder(), dapr=True)
    binary = Client(middleware).post(
        "/orders", data=b"{}", headers={"ce-specversion": "1.0", "ce-id": "1", "ce-type": "t"}
    )
    xml = Client(middleware).post(
        "/orders", data=b"<e/>", content_type="application/cloudevents+xml"
    )
    assert binary.json == xml.json == {"status": DROP}
    assert binary.status_code == xml.status_code == 200


def test_requests_that_are_not_events_pass_through() -> None:
    middleware = CloudEventsMiddleware(Recorder(), dapr=True)
    assert Client(middleware).get("/dapr/subscribe").data == b"not an event: "
    response = post_json(middleware, {"entries": "not a list"}, "application/json")
    assert response.data == b'not an event: {"entries": "not a list"}'


@pytest.mark.parametrize("content_type", ["application/json", "application/cloudevents+json"])
def test_bulk_subscribe_answers_a_status_per_entry(
    caplog: pytest.LogCaptureFixture, content_type: str
) -> None:
    app = Recorder()
    body = envelope(
        entry("a", dapr_event("1", data={"answer": "201 Created"})),
        entry("b", dapr_event("2", data={"answer": "503 Service Unavailable"})),
        entry("c", dapr_event("3", data={"answer": "422 Unprocessable Entity"})),
        entry("d", {k: v for k, v in dapr_event("4").items() if k != "type"}),
        entry("e", {"amount": 10}, "application/json"),
        {"event": dapr_event("6")},
    )
    with caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"):
        response = post_json(CloudEventsMiddleware(app, dapr=True), body, content_type)
    assert response.status_code == 200
    assert response.json == {
        "statuses": [
            {"entryId": "a", "status": SUCCESS},
            {"entryId": "b", "status": RETRY},
            {"entryId": "c", "status": DROP},
            {"entryId": "d", "status": DROP},
            {"entryId": "e", "status": DROP},
        ]
    }
    assert app.calls == [("1", "a"), ("2", "b"), ("3", "c")]
    messages = " | ".join(r.getMessage() for r in caplog.records)
    assert "'d'" in messages and ": type: " in messages
    assert "entryId: is missing" in messages


def test_a_bulk_message_over_the_batch_limit_drops_every_entry() -> None:
    app = Recorder()
    body = envelope(*(entry(str(n), dapr_event(str(n))) for n in range(3)))
    response = post_json(
        CloudEventsMiddleware(app, dapr=True, max_batch_size=2), body, "application/json"
    )
    assert [s["status"] for s in response.json["statuses"]] == [DROP, DROP, DROP]
    assert app.calls == []


def test_an_app_that_raises_on_a_bulk_entry_gets_it_retried() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise RuntimeError("the app failed")

    response = post_json(
        CloudEventsMiddleware(app, dapr=True),
        envelope(entry("a", dapr_event())),
        "application/json",
    )
    assert response.json == {"statuses": [{"entryId": "a", "status": RETRY}]}


def test_bulk_with_idempotency_redeliveries_succeed_and_claims_are_retried() -> None:
    from cloudevents_wsgi.idempotency import MemoryStore, event_key

    app, store = Recorder(), MemoryStore()
    middleware = CloudEventsMiddleware(app, dapr=True, idempotency=store)
    post_json(middleware, envelope(entry("a", dapr_event("1"))), "application/json")
    assert store.claim(event_key("Dapr", "2"), 60) is None  # another replica has it
    response = post_json(
        middleware,
        envelope(entry("a2", dapr_event("1")), entry("b", dapr_event("2"))),
        "application/json",
    )
    assert response.json == {
        "statuses": [{"entryId": "a2", "status": SUCCESS}, {"entryId": "b", "status": RETRY}]
    }
    assert app.calls == [("1", "a")]


def test_a_binary_event_whose_data_looks_like_an_envelope_is_an_event() -> None:
    app = Recorder()
    data = json.dumps(envelope(entry("a", dapr_event("inner"))))
    response = Client(CloudEventsMiddleware(app, dapr=True)).post(
        "/orders",
        data=data,
        content_type="application/json",
        headers={"ce-specversion": "1.0", "ce-id": "outer", "ce-source": "s", "ce-type": "t"},
    )
    assert response.json == {"status": SUCCESS}
    assert app.calls == [("outer", None)]


def test_a_refused_event_under_dapr_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """The DROP line is the refusal's one line: the refused logger stays quiet."""
    with caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"):
        response = post_json(
            CloudEventsMiddleware(Recorder(), dapr=True),
            dapr_event(time="not-a-time"),
            "application/cloudevents+json",
        )
    assert response.json == {"status": DROP}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert ": time: " in warnings[0]
