"""Knative: events sent as the Knative broker sends them to a Trigger's subscriber
(binary content mode, the ``knativearrivaltime`` extension, ``Prefer: reply``), to a
real gunicorn serving an EventRouter, a Flask and a Django app; the reply event each
answers with is read by the cloudevents SDK, as the broker would take it.

The broker's side follows the Knative eventing data-plane contract, "Derived (Reply)
Events": https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md
"""

from __future__ import annotations

import http.client
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event

from .servers import ROOT, Server

pytest.importorskip("gunicorn")

ARRIVED = "2024-05-01T10:00:00.123456789Z"


def broker_delivery(event_type: str, event_id: str = "o-1") -> dict[str, str]:
    """The headers the Knative broker's dispatcher sends a subscriber."""
    return {
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-source": "/apis/v1/namespaces/shop/orders",
        "ce-type": event_type,
        "ce-subject": "orders/1",
        "ce-knativearrivaltime": ARRIVED,
        "ce-traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "content-type": "application/json",
        "prefer": "reply",
    }


def deliver(
    server: Server, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        answer = (
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()
    return answer


def gunicorn(tmp: Path, app: str, env: dict[str, str]) -> Server:
    return Server(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            "127.0.0.1:{port}",
            f"tests.knative_apps:{app}",
        ],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), **env},
        log=tmp / f"{app}.log",
    )


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    tmp = tmp_path_factory.mktemp("knative")
    started: dict[str, Server] = {}
    try:
        started["router"] = gunicorn(tmp, "router", {})
        started["flask"] = gunicorn(tmp, "flask_app", {})
        started["django"] = gunicorn(tmp, "django_app", {"KNATIVE_APP": "django"})
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.mark.parametrize("app", ["router", "flask", "django"])
def test_the_reply_to_a_broker_delivery_is_an_event_the_sdk_reads(
    servers: dict[str, Server], app: str
) -> None:
    body = json.dumps({"order": 1}).encode()
    status, headers, content = deliver(
        servers[app], broker_delivery("com.example.order.placed"), body
    )
    assert status == 200, content
    assert headers["preference-applied"] == "reply"
    assert headers["ce-type"] == "com.example.order.confirmed"  # binary mode
    reply = from_http_event(HTTPMessage(headers, content))
    assert reply.get_type() == "com.example.order.confirmed"
    assert reply.get_source() == f"/{app}"
    assert reply.get_id() == "confirmed-o-1"
    assert reply.get_subject() == "orders/1"
    assert reply.get_data() == {"order": 1, "arrived": ARRIVED}


def test_a_structured_reply_is_an_event_the_sdk_reads(servers: dict[str, Server]) -> None:
    status, headers, content = deliver(
        servers["router"], broker_delivery("com.example.order.shipped"), b'{"order": 2}'
    )
    assert status == 200
    assert headers["content-type"] == "application/cloudevents+json"
    reply = from_http_event(HTTPMessage(headers, content))
    assert (reply.get_type(), reply.get_data()) == (
        "com.example.order.confirmed",
        {"order": 2, "arrived": ARRIVED},
    )


def test_no_reply_is_an_empty_answer(servers: dict[str, Server]) -> None:
    # A reply must be empty or a valid CloudEvent: a handler without one sends nothing.
    status, headers, content = deliver(
        servers["router"], broker_delivery("com.example.order.viewed"), b'{"order": 3}'
    )
    assert (status, content) == (204, b"")
    assert not any(name.startswith("ce-") for name in headers)


def test_an_event_the_subscriber_refuses_is_a_400_the_broker_does_not_retry(
    servers: dict[str, Server],
) -> None:
    headers = {**broker_delivery("com.example.order.placed"), "ce-time": "yesterday"}
    status, _, content = deliver(servers["router"], headers, b"{}")
    assert status == 400  # "Unparsable event": not retried (data-plane contract)
    assert json.loads(content)["field"] == "time"
