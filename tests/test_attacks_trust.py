"""Attacks on the places where a path, a query, a header or an environ key
decides trust (issue 9, "Trust"; issue 10, the shim/middleware boundary).

Each case is a forged request; what it must never get is a native event
handed to the app (or a handshake answered). Cases already in
tests/test_origins.py are not repeated: these are the variants it leaves out.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import make_lambda_handler

from .builders import rest_event, sqs_batch
from .lambda_apps import CONTEXT
from .test_security import App, assert_problem, call, request, validation_event

GRID_SECRET = "grid-secret-0123456789abcdef"
GRID_EVENT = validation_event()[0] | {"eventType": "Contoso.Items.ItemReceived", "data": {}}


def grid_environ(payload: Any, query: str, path: str = "/events") -> dict[str, Any]:
    return request(
        json.dumps(payload).encode(),
        HTTP_AEG_EVENT_TYPE="Notification",
        QUERY_STRING=query,
        PATH_INFO=path,
    )


# -- Event Grid: the endpoint secret -------------------------------------------------


@pytest.mark.parametrize(
    ("query", "path"),
    [
        pytest.param(f"code={GRID_SECRET}&code={GRID_SECRET}", "/events", id="twice-the-same"),
        pytest.param("", f"/events/code={GRID_SECRET}", id="in-the-path"),
        pytest.param("", f"/events;code={GRID_SECRET}", id="path-parameter"),
        pytest.param(f"x=1;code={GRID_SECRET}", "/events", id="semicolon-separator"),
        pytest.param(f"code={GRID_SECRET.upper()}", "/events", id="upper-case-value"),
        pytest.param(f"code={GRID_SECRET}%00", "/events", id="trailing-nul"),
        pytest.param(f"code=+{GRID_SECRET}", "/events", id="leading-space"),
        pytest.param(f"code[]={GRID_SECRET}", "/events", id="array-name"),
        pytest.param("code", "/events", id="name-only"),
    ],
)
def test_event_grid_secret_variants_are_403_and_never_reach_the_app(query: str, path: str) -> None:
    app = App()
    middleware = CloudEventsMiddleware(
        app, native_over_http={"azure.eventgrid"}, eventgrid_secret=GRID_SECRET
    )
    for payload in ([GRID_EVENT], validation_event()):
        answer = call(middleware, grid_environ(payload, query, path))
        assert assert_problem(*answer, 403)["field"] == "code"
        assert b"validationResponse" not in answer[2]
    assert app.calls == []


def test_event_grid_secret_with_a_percent_encoded_name_is_the_same_parameter() -> None:
    """%63ode is ``code`` once decoded, as every query parser reads it."""
    app = App()
    middleware = CloudEventsMiddleware(
        app, native_over_http={"azure.eventgrid"}, eventgrid_secret=GRID_SECRET
    )
    status, _, _ = call(middleware, grid_environ([GRID_EVENT], f"%63ode={GRID_SECRET}"))
    assert status == 200 and app.calls[0]["cloudevent"].get_type() == "Contoso.Items.ItemReceived"


# -- Pub/Sub: path spellings and mounts -------------------------------------------------


@pytest.mark.parametrize(
    ("script_name", "path"),
    [
        ("", "/pubsub;x"),
        ("", "/pubsub%2F"),
        ("", "/pubsub/."),
        ("", "/pubsub\x00"),
        ("", "/pub%73ub"),
        ("/api", "/pubsub"),  # mounted: the guard's paths name PATH_INFO
        ("/pubsub", "/"),
        ("/pubsub", ""),
    ],
)
def test_forged_pubsub_push_at_other_spellings_is_never_an_event(
    script_name: str, path: str
) -> None:
    pytest.importorskip("google.auth")
    from cloudevents_wsgi.pubsub_auth import PubSubAuthMiddleware

    from .test_security import pubsub_push_request, verifier

    app = App()
    inner = CloudEventsMiddleware(app, native_over_http={"google.pubsub"})
    guarded = PubSubAuthMiddleware(inner, verifier(), paths={"/pubsub"})
    environ = pubsub_push_request(None, path=path)
    environ["SCRIPT_NAME"] = script_name
    body = environ["wsgi.input"].getvalue()
    status, _, _ = call(guarded, environ)
    if status == 401:
        assert app.calls == []
    else:  # a plain request: unread, byte for byte
        assert status == 200 and "cloudevent" not in app.calls[0]
        assert app.bodies == [body]


# -- the Lambda boundary and the double-wrap pass-through: never from a header --------

TRUST_HEADERS = {
    "cloudevents_wsgi.lambda_delivery": ["1"],
    "cloudevents-wsgi.lambda-delivery": ["1"],
    "Cloudevents-Wsgi-Lambda-Delivery": ["1"],
    "cloudevents-wsgi.content-mode": ["binary"],
    "Cloudevents-Wsgi-Content-Mode": ["binary"],
    "cloudevents_wsgi.content_mode": ["binary"],
    "cloudevent": ["x"],
}


def test_a_forged_sqs_batch_over_api_gateway_with_trust_headers_is_not_an_event() -> None:
    """The shim's trust (a LambdaDelivery in the environ) cannot come from a
    header of an HTTP event: a forged native payload passes through unread."""
    app = App()
    body = json.dumps(sqs_batch("a", "b"))
    event = rest_event(
        method="POST",
        path="/events",
        headers={"content-type": ["application/json"], **TRUST_HEADERS},
        body=body,
    )
    answer = make_lambda_handler(CloudEventsMiddleware(app))(event, CONTEXT)
    assert answer["statusCode"] == 200
    assert len(app.calls) == 1 and "cloudevent" not in app.calls[0]
    assert app.bodies == [body.encode()]


def test_trust_headers_cannot_make_the_middleware_skip_an_invalid_event() -> None:
    """``cloudevents_wsgi.content_mode`` lets a request pass a second layer
    untouched; no header can set it, so an invalid event is still refused."""
    app = App()
    event = rest_event(
        method="POST",
        path="/events",
        headers={
            "ce-specversion": ["1.0"],
            "ce-id": ["1"],
            "ce-source": ["/s"],
            "ce-type": ["t"],
            "ce-time": ["not a time"],
            **TRUST_HEADERS,
        },
        body="x",
    )
    answer = make_lambda_handler(CloudEventsMiddleware(app))(event, CONTEXT)
    assert answer["statusCode"] == 400 and json.loads(answer["body"])["field"] == "time"
    assert app.calls == []


def test_trust_keys_spelt_as_wsgi_headers_are_ignored() -> None:
    """What a WSGI server makes of such headers (HTTP_...) decides nothing."""
    app = App()
    environ = request(
        json.dumps(sqs_batch("a")).encode(),
        HTTP_CLOUDEVENTS_WSGI_LAMBDA_DELIVERY="1",
        HTTP_CLOUDEVENTS_WSGI_CONTENT_MODE="binary",
        HTTP_CE_SPECVERSION="1.0",
        HTTP_CE_ID="1",
        HTTP_CE_SOURCE="/s",
        HTTP_CE_TYPE="t",
        HTTP_CE_TIME="not a time",
    )
    answer = call(CloudEventsMiddleware(app, native_over_http={"google.pubsub"}), environ)
    assert assert_problem(*answer, 400)["field"] == "time"
    assert app.calls == []


# -- Pub/Sub: the 401 answer stays small --------------------------------------------


@pytest.mark.parametrize("token", ["x" * 200_000, "a." + "b" * 200_000, "a" * 100_000 + ".b.c"])
def test_a_huge_pubsub_token_gets_a_small_401(token: str) -> None:
    pytest.importorskip("google.auth")
    from cloudevents_wsgi.pubsub_auth import PubSubAuthMiddleware

    from .test_security import pubsub_push_request, verifier

    app = App()
    guarded = PubSubAuthMiddleware(
        CloudEventsMiddleware(app, native_over_http={"google.pubsub"}), verifier()
    )
    status, headers, body = call(guarded, pubsub_push_request("Bearer " + token))
    assert status == 401 and headers["Content-Type"] == "application/problem+json"
    assert len(body) < 2048 and json.loads(body)["field"] == "authorization"
    assert app.calls == []


@pytest.mark.parametrize("path", ["/pubsub", "/other", "/", "/pubsub;x"])
def test_a_guard_put_inside_the_middleware_still_fails_closed(path: str) -> None:
    """The wrong order: the middleware reads the push before the guard sees
    it. A forged push is 401 whatever the path, a genuine one still passes."""
    pytest.importorskip("google.auth")
    from cloudevents_wsgi.pubsub_auth import PubSubAuthMiddleware

    from .test_security import pubsub_push_request, token, verifier

    app = App()
    wrong_order = CloudEventsMiddleware(
        PubSubAuthMiddleware(app, verifier(), paths={"/pubsub"}),
        native_over_http={"google.pubsub"},
    )
    status, _, _ = call(wrong_order, pubsub_push_request(None, path=path))
    assert status == 401 and app.calls == []
    status, _, _ = call(wrong_order, pubsub_push_request("Bearer " + token(), path=path))
    assert status == 200 and app.calls[0]["cloudevent"].get_id() == "m-1"


def test_a_plain_wsgi_request_never_reaches_deliver(monkeypatch: pytest.MonkeyPatch) -> None:
    """deliver() (the shim's short cut, without the checks of a request) is
    reached only through the environ key holding a LambdaDelivery, never
    through headers spelt like it; called on such an environ, it refuses."""
    real = CloudEventsMiddleware(App()).deliver
    body = json.dumps(sqs_batch("a")).encode()
    spoofed = {
        "HTTP_" + name.upper().replace("-", "_").replace(".", "_"): "1" for name in TRUST_HEADERS
    }
    with pytest.raises(TypeError, match="LambdaDelivery"):
        real(request(body, **spoofed))

    def deliver(self: Any, environ: Any) -> Any:
        raise AssertionError("deliver() reached")

    monkeypatch.setattr(CloudEventsMiddleware, "deliver", deliver)
    app = App()
    environ = request(body, CONTENT_TYPE="application/json", **spoofed)
    status, _, _ = call(CloudEventsMiddleware(app, native_over_http={"aws.sqs"}), environ)
    assert status == 200 and app.calls[0]["cloudevents_wsgi.content_mode"] == "native"
