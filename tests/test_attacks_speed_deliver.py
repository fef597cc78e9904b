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


class _OddContext:
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:books"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"s": "\ud800"}, "holds U+D800, which UTF-8 cannot encode"),
        ({"\udfff": 1}, "holds U+DFFF, which UTF-8 cannot encode"),
        ({"n": float("nan")}, "holds a number too large for JSON to write back"),
        ([float("inf")], "holds a number too large for JSON to write back"),
        ({"n": 10**5000}, "holds a number too large for JSON to write back"),
    ],
)
def test_an_invocation_json_cannot_carry_is_refused_naming_data(payload: Any, reason: str) -> None:
    # Refused before as a body that was not UTF-8 or JSON (or, for the huge
    # integer, a ValueError out of the handler); now named as the data it is.
    app = Recorder()
    with pytest.raises(EventFailedError) as failed:
        make_lambda_handler(app)(payload, CONTEXT)
    assert failed.value.status == 400
    assert b'"field": "data"' in failed.value.body
    assert reason.encode() in failed.value.body
    assert app.environs == []


@pytest.mark.parametrize(
    ("attribute", "value", "field"),
    [
        ("invoked_function_arn", "arn with space", "source"),
        ("invoked_function_arn", "a#b#c", "source"),
        ("invoked_function_arn", "arn:x\n", "source"),
        ("aws_request_id", "id\n", "id"),
        ("aws_request_id", "\ud800", "id"),
    ],
)
def test_an_invocation_whose_context_makes_an_invalid_event_is_refused(
    attribute: str, value: str, field: str
) -> None:
    context = _OddContext()
    setattr(context, attribute, value)
    app = Recorder()
    with pytest.raises(EventFailedError) as failed:
        make_lambda_handler(app)({"hello": "world"}, context)
    assert failed.value.status == 400
    assert f'"field": "{field}"'.encode() in failed.value.body
    assert app.environs == []


@pytest.mark.parametrize(
    ("attribute", "value", "expected"),
    [
        ("invoked_function_arn", "", ("source", "urn:aws:lambda:function")),
        ("invoked_function_arn", 5, ("source", "urn:aws:lambda:function")),
        ("aws_request_id", "", ("id", "unknown")),
        ("aws_request_id", None, ("id", "unknown")),
    ],
)
def test_an_invocation_context_without_usable_names_gets_the_stand_ins(
    attribute: str, value: Any, expected: tuple[str, str]
) -> None:
    context = _OddContext()
    setattr(context, attribute, value)
    app = Recorder(headers=[("Content-Type", "application/json")], body=b"{}")
    make_lambda_handler(app)({"hello": "world"}, context)
    name, stand_in = expected
    assert app.environ["cloudevent"].get_attributes()[name] == stand_in
