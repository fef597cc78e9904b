"""CloudEventsMiddleware.deliver(): the Lambda shim's direct entry for a native
payload. The WSGI path hands such a request to it, so both give the same
answer, environ and results; the outcomes themselves are checked one by one
below (and end to end by the shim's tests)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import Any

import pytest

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware
from cloudevents_wsgi._wsgi import run
from cloudevents_wsgi.aws_lambda import invocation
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY

from .builders import s3_event, sqs_messages


class Context:
    aws_request_id = "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"


def environ_of(delivery: LambdaDelivery) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/events",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        LAMBDA_DELIVERY: delivery,
    }


def app_answering(status: str, seen: list[dict[str, Any]]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(
            {
                key: value
                for key, value in environ.items()
                if key not in ("wsgi.input", "wsgi.errors", LAMBDA_DELIVERY)
            }
            | {"body": environ["wsgi.input"].read()}
        )
        if status == "raise":
            raise RuntimeError("the app failed")
        start_response(status, [("Content-Type", "text/plain")])
        return [status.encode()]

    return app


def outcome(
    way: str, payload: Any, status: str, *, fallback: bool = False
) -> tuple[Any, list[dict[str, Any]], list[Any]]:
    seen: list[dict[str, Any]] = []
    middleware = CloudEventsMiddleware(app_answering(status, seen))
    make = (lambda event: invocation.cloudevent(event, Context())) if fallback else None
    delivery = LambdaDelivery(payload, fallback=make)
    environ = environ_of(delivery)
    try:
        response = middleware.deliver(environ) if way == "deliver" else run(middleware, environ)
        answer: Any = (response.status, response.headers, response.body)
    except RuntimeError as error:
        answer = ("raised", str(error))
    results = [
        (r.index, r.event.get_id() if r.event else None, r.status, r.record_id, r.reason)
        for r in delivery.results
    ]
    return answer, seen, [*results, ("fell_back", delivery.fell_back)]


def bad_s3() -> dict[str, Any]:
    event = s3_event("a.txt")
    del event["Records"][0]["responseElements"]
    return event


PAYLOADS = {
    "s3-one-record": (s3_event("books/a b.epub"), False),
    "s3-two-records": (s3_event("a", "b"), False),
    "s3-refused": (bad_s3(), False),
    "sqs-batch": (sqs_messages("m-1", "m-2"), False),
    "unrecognised-with-fallback": ({"hello": "world"}, True),
    "unrecognised-without-fallback": ({"hello": "world"}, False),
    "invalid-fallback-event": ("\ud800", True),
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
@pytest.mark.parametrize("status", ["200 OK", "500 Internal Server Error", "raise"])
def test_the_wsgi_path_gives_what_deliver_gives(name: str, status: str) -> None:
    payload, fallback = PAYLOADS[name]
    assert outcome("deliver", payload, status, fallback=fallback) == outcome(
        "wsgi", payload, status, fallback=fallback
    )


def test_deliver_gives_the_app_the_event_once() -> None:
    answer, seen, results = outcome("deliver", s3_event("books/a b.epub"), "204 No Content")
    assert answer == ("204 No Content", [("Content-Type", "text/plain")], b"204 No Content")
    [environ] = seen
    assert isinstance(environ["cloudevent"], CloudEvent)
    assert environ["cloudevent"].get_subject() == "books/a b.epub"
    assert environ["cloudevents_wsgi.content_mode"] == "native"
    assert environ["cloudevents_wsgi.adapter"] == "aws.s3"
    assert results[0][2] == 204


def test_deliver_refuses_an_environ_without_a_delivery_payload() -> None:
    middleware = CloudEventsMiddleware(app_answering("200 OK", []))
    environ = environ_of(LambdaDelivery())
    with pytest.raises(TypeError, match="LambdaDelivery"):
        middleware.deliver(environ)
    del environ[LAMBDA_DELIVERY]
    with pytest.raises(TypeError, match="LambdaDelivery"):
        middleware.deliver(environ)


def test_one_event_the_app_raises_for_propagates_and_is_reported() -> None:
    answer, seen, results = outcome("deliver", s3_event("a"), "raise")
    assert answer == ("raised", "the app failed")
    assert len(seen) == 1
    assert results[0][2] == 500


def test_a_batch_calls_the_app_per_record_and_answers_once() -> None:
    answer, seen, results = outcome(
        "deliver", sqs_messages("m-1", "m-2"), "500 Internal Server Error"
    )
    assert answer[0] == "500 Internal Server Error"
    assert [environ["cloudevents_wsgi.record_id"] for environ in seen] == ["m-1", "m-2"]
    assert [(r[2], r[3]) for r in results[:-1]] == [(500, "m-1"), (500, "m-2")]


def test_a_refused_record_never_reaches_the_app_and_names_the_field() -> None:
    answer, seen, results = outcome("deliver", bad_s3(), "200 OK")
    assert answer[0] == "400 Bad Request"
    assert b"responseElements" in answer[2]
    assert seen == []
    assert results == [("fell_back", False)]


def test_a_payload_nothing_recognises_is_the_fallback_event_or_415() -> None:
    answer, seen, results = outcome("deliver", {"hello": "world"}, "200 OK", fallback=True)
    assert answer[0] == "200 OK"
    assert seen[0]["cloudevent"].get_type() == "com.amazonaws.lambda.invocation"
    assert seen[0]["cloudevent"].get_data() == {"hello": "world"}
    assert results[-1] == ("fell_back", True)
    answer, seen, results = outcome("deliver", {"hello": "world"}, "200 OK")
    assert answer[0] == "415 Unsupported Media Type"
    assert seen == []
    assert results == [("fell_back", False)]
