"""The Lambda shim's direct delivery (issue 13, second round) against the
round trip it replaced: CloudEventsMiddleware.deliver() and the fallback
(an invocation nothing recognises becomes com.amazonaws.lambda.invocation)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import EventFailedError, make_lambda_handler
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY
from cloudevents_wsgi.receiver import MAX_DEPTH

from .lambda_apps import CONTEXT, Recorder

S3_FIXTURE = "aws/s3/powertools-put.json"


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1])
def test_invocation_data_as_deep_as_the_structured_event_allowed_reaches_the_app(
    depth: int,
) -> None:
    # The invocation's CloudEvent was sent as a structured event (its object
    # one level, data nested inside it): data MAX_DEPTH - 1 deep was accepted.
    app = Recorder(headers=[("Content-Type", "application/json")], body=b"{}")
    assert make_lambda_handler(app)(nested(depth), CONTEXT) == {}
    assert app.environ["cloudevent"].get_data() == nested(depth)


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1, 300, 900])
def test_invocation_data_nested_too_deep_is_refused_as_before(depth: int) -> None:
    app = Recorder()
    with pytest.raises(EventFailedError) as failed:
        make_lambda_handler(app)(nested(depth), CONTEXT)
    assert failed.value.status == 400
    assert b'"field": "body"' in failed.value.body
    assert f"nests JSON deeper than {MAX_DEPTH} levels".encode() in failed.value.body
    assert app.environs == []


def test_invocation_data_nested_past_the_recursion_limit_is_refused_not_a_crash() -> None:
    # Deeper than Python's encoders go: still the depth refusal, no RecursionError.
    app = Recorder()
    with pytest.raises(EventFailedError) as failed:
        make_lambda_handler(app)(nested(sys.getrecursionlimit() + 100), CONTEXT)
    assert failed.value.status == 400
    assert app.environs == []


def test_deliver_keeps_its_own_middlewares_depth_limit() -> None:
    app = Recorder()
    middleware = CloudEventsMiddleware(app, max_json_depth=3)

    def fallback(payload: Any) -> CloudEvent:
        return CloudEvent({"id": "1", "source": "/s", "type": "t"}, payload)

    for depth, status in ((2, 200), (3, 400)):
        delivery = LambdaDelivery(nested(depth), fallback=fallback)
        environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json"}
        environ[LAMBDA_DELIVERY] = delivery
        response = middleware.deliver(environ)
        assert response.code == status
        assert delivery.fell_back


def test_invocation_data_over_the_body_limit_is_refused(caplog: Any) -> None:
    caplog.set_level(logging.CRITICAL)
    app = Recorder()
    middleware = CloudEventsMiddleware(app, max_body_size=100)

    def fallback(payload: Any) -> CloudEvent:
        return CloudEvent({"id": "1", "source": "/s", "type": "t"}, payload)

    delivery = LambdaDelivery({"text": "x" * 200}, fallback=fallback)
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json"}
    environ[LAMBDA_DELIVERY] = delivery
    assert middleware.deliver(environ).code == 413
    assert app.environs == []


def _delivery_environ(payload: Any, **extra: Any) -> tuple[LambdaDelivery, dict[str, Any]]:
    delivery = LambdaDelivery(payload)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/events",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "0",
        "wsgi.input": __import__("io").BytesIO(b""),
        LAMBDA_DELIVERY: delivery,
        **extra,
    }
    return delivery, environ


@pytest.mark.parametrize(
    ("options", "extra"),
    [
        ({"methods": ["PUT"]}, {}),
        ({}, {"cloudevents_wsgi.content_mode": "binary"}),
        ({"dapr": True}, {}),
        ({"mode": "structured"}, {}),
        ({"routes": {"com.amazonaws.s3.*": "/s3"}}, {}),
    ],
)
def test_deliver_answers_what_calling_the_middleware_answers(
    options: dict[str, Any], extra: dict[str, Any]
) -> None:
    from cloudevents_wsgi._wsgi import run

    from .conftest import load_fixture, require_fixture

    payload = load_fixture(require_fixture(S3_FIXTURE))
    answers = []
    for how in ("call", "deliver"):
        app = Recorder(status="202 Accepted")
        middleware = CloudEventsMiddleware(app, **options)
        delivery, environ = _delivery_environ(payload, **extra)
        response = run(middleware, environ) if how == "call" else middleware.deliver(environ)
        answers.append(
            (
                response.status,
                response.body,
                [(r.status, r.ok) for r in delivery.results],
                [
                    (e.get("PATH_INFO"), e.get("cloudevents_wsgi.content_mode"))
                    for e in app.environs
                ],
            )
        )
    assert answers[0] == answers[1]
