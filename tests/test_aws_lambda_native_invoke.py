"""CloudEvents and other events invoked directly (aws_lambda/native.py):
what the app receives, and the invocation error for every failure."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import (
    EventFailedError,
    make_lambda_handler,
)
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY

from .builders import (
    http_api_event,
    structured,
)
from .lambda_apps import (
    CONTEXT,
    AppError,
    Recorder,
)


def test_structured_cloudevent_invoked_directly() -> None:
    app = Recorder(status="204 No Content", headers=[])
    event = structured(data={"n": 1})
    response = make_lambda_handler(app)(event, CONTEXT)
    assert response == {"statusCode": 204, "headers": {}, "body": "", "isBase64Encoded": False}
    environ = app.environ
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["PATH_INFO"] == "/events"
    assert environ["cloudevent"].get_id() == "1"
    assert environ["cloudevent"].get_data() == {"n": 1}
    delivery = environ[LAMBDA_DELIVERY]
    assert isinstance(delivery, LambdaDelivery)
    assert delivery.payload is event
    assert delivery.routes == ()
    assert [r.event.get_id() for r in delivery.results if r.event] == ["1"]
    assert environ["aws.event"] is event
    assert environ["aws.context"] is CONTEXT


def test_what_the_app_receives_for_each_kind_of_payload() -> None:
    seen: list[tuple[str, str | None, Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        event = environ["cloudevent"]
        seen.append((event.get_id(), environ.get("CONTENT_TYPE"), event.get_data()))
        start_response("200 OK", [])
        return []

    # A middleware of the user's inside the shim's: the event passes it untouched.
    handler = make_lambda_handler(CloudEventsMiddleware(app, methods=["PUT"]))
    handler(structured(data={"n": 1}), CONTEXT)
    handler([structured(), structured(id="2")], CONTEXT)
    handler(
        {
            "detail-type": "x",
            "source": "s",
            "id": "e",
            "time": "2024-01-01T00:00:00Z",
            "region": "eu-west-1",
            "account": "1",
            "resources": [],
            "detail": {"é": 1},
        },
        CONTEXT,
    )
    assert seen == [
        # JSON data without a datacontenttype: the structured form keeps it JSON.
        ("1", "application/cloudevents+json", {"n": 1}),
        ("1", None, None),
        ("2", None, None),
        ("e", "application/json", {"é": 1}),
    ]


def test_environ_of_a_native_event_is_pep_3333() -> None:
    app = Recorder(status="204 No Content", headers=[])
    make_lambda_handler(app, server_name="app.example.org")(structured(), CONTEXT)
    environ = app.environ
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"], environ["wsgi.url_scheme"]) == (
        "app.example.org",
        "443",
        "https",
    )
    assert "HTTP_CONTENT_TYPE" not in environ
    # What wsgiref's validator checks, but for the package's own lower-case keys.
    for key in ("REQUEST_METHOD", "SERVER_PROTOCOL", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING"):
        assert isinstance(environ[key], str), key
    for key, value in environ.items():
        if key.isupper():
            assert isinstance(value, str), key
            value.encode("latin-1")
    assert environ["wsgi.version"] == (1, 0)
    assert hasattr(environ["wsgi.input"], "read") and hasattr(environ["wsgi.errors"], "write")


def test_cloudevents_batch_invoked_directly_calls_the_app_per_event() -> None:
    app = Recorder(status="204 No Content", headers=[])
    response = make_lambda_handler(app)([structured(id="a"), structured(id="b")], CONTEXT)
    assert [e["cloudevent"].get_id() for e in app.environs] == ["a", "b"]
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "results": [{"id": "a", "status": 204}, {"id": "b", "status": 204}]
    }


def test_non_2xx_without_a_body_raises() -> None:
    app = Recorder(status="409 Conflict")
    with pytest.raises(EventFailedError, match=r"'409 Conflict'$"):
        make_lambda_handler(app)(structured(), CONTEXT)


def test_non_2xx_for_a_single_event_raises() -> None:
    app = Recorder(status="503 Service Unavailable", body=b"try later")
    with pytest.raises(EventFailedError, match="503 Service Unavailable") as caught:
        make_lambda_handler(app)(structured(), CONTEXT)
    assert caught.value.status == 503
    assert caught.value.body == b"try later"


def test_one_failed_event_of_a_cloudevents_batch_raises() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("500 Oops" if environ["cloudevent"].get_id() == "b" else "200 OK", [])
        return []

    with pytest.raises(EventFailedError, match="1 of the 2 events") as caught:
        make_lambda_handler(app)([structured(id="a"), structured(id="b")], CONTEXT)
    assert [r.status for r in caught.value.results] == [200, 500]


def test_exception_for_a_single_event_propagates() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise AppError("no")

    with pytest.raises(AppError):
        make_lambda_handler(app)(structured(), CONTEXT)


def test_invalid_cloudevent_raises_with_the_problem() -> None:
    app = Recorder()
    with pytest.raises(EventFailedError, match="400") as caught:
        make_lambda_handler(app)(structured(id=""), CONTEXT)
    assert app.environs == []
    assert caught.value.status == 400


class InvokeContext:
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:books"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"hello": "world"}, id="unknown-object"),
        pytest.param({}, id="empty-object-is-no-warm-up-ping"),
        pytest.param("ping", id="string"),
        pytest.param(None, id="null"),
    ],
)
def test_event_that_nothing_recognises_reaches_the_app_as_an_invocation(event: Any) -> None:
    app = Recorder(headers=[("Content-Type", "application/json")], body=b'{"done": true}')
    assert make_lambda_handler(app)(event, InvokeContext()) == {"done": True}
    cloudevent = app.environ["cloudevent"]
    assert cloudevent.get_attributes() == {
        "specversion": "1.0",
        "type": "com.amazonaws.lambda.invocation",
        "source": InvokeContext.invoked_function_arn,
        "id": InvokeContext.aws_request_id,
        "datacontenttype": "application/json",
    }
    assert cloudevent.get_data() == event
    # aws.event is the event as Lambda decoded it, as for every other trigger.
    assert app.environ["aws.event"] is event
    assert app.environ["cloudevents_wsgi.content_mode"] == "native"


def test_invocation_answered_non_2xx_is_an_invocation_error() -> None:
    app = Recorder(status="404 Not Found")
    with pytest.raises(EventFailedError, match="404"):
        make_lambda_handler(app)({"hello": "world"}, InvokeContext())


def test_invocation_text_answer_is_the_text() -> None:
    app = Recorder(body=b"ok")
    assert make_lambda_handler(app)({"step": 1}, InvokeContext()) == "ok"


def test_routes_are_handed_to_the_middleware() -> None:
    app = Recorder(status="204 No Content", headers=[])
    handler = make_lambda_handler(app, routes={"test.*": "/hooks/test", "other": "/other"})
    handler(structured(), CONTEXT)
    assert app.environ[LAMBDA_DELIVERY].routes == (
        ("test.*", "/hooks/test"),
        ("other", "/other"),
    )
    assert app.environ["PATH_INFO"] == "/hooks/test"


def test_event_path_is_configurable() -> None:
    app = Recorder(status="204 No Content", headers=[])
    make_lambda_handler(app, event_path="/_lambda")(structured(), CONTEXT)
    assert app.environ["PATH_INFO"] == "/_lambda"


def test_http_event_carrying_a_native_payload_is_not_trusted() -> None:
    app = Recorder()
    event = http_api_event(
        method="POST",
        headers={"content-type": "application/json", "cloudevents_wsgi.trusted": "1"},
        body=json.dumps({"Records": [{"eventSource": "aws:sqs", "messageId": "1"}]}),
    )
    make_lambda_handler(app)(event, CONTEXT)
    assert LAMBDA_DELIVERY not in app.environ
    assert "cloudevent" not in app.environ
