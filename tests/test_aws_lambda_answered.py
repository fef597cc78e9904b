"""Triggers that expect an answer (aws_lambda/firehose.py, s3_batch.py,
cognito.py, cloudformation.py): whole answers built from the app's."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cloudevents_wsgi.aws_lambda import (
    CustomResourceResponseError,
    EventFailedError,
    make_lambda_handler,
)

from .servers import free_port


class Context:
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:books"


class App:
    """Answers per CloudEvent id from ``answers`` (status, body); keeps the events."""

    def __init__(self, answers: dict[str, tuple[str, bytes]] | None = None) -> None:
        self.answers = answers or {}
        self.events: list[Any] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        event = environ["cloudevent"]
        self.events.append(event)
        status, body = self.answers.get(event.get_id(), ("200 OK", b"{}"))
        if status == "raise":
            raise RuntimeError("boom")
        start_response(status, [("Content-Type", "application/json")])
        return [body]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- Firehose -------------------------------------------------------------------------

FIREHOSE_ARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/books"


def firehose_event(*records: tuple[str, bytes]) -> dict[str, Any]:
    return {
        "invocationId": "invocationIdExample",
        "deliveryStreamArn": FIREHOSE_ARN,
        "region": "us-east-1",
        "records": [
            {
                "recordId": record_id,
                "approximateArrivalTimestamp": 1495072949453,
                "data": b64(data),
            }
            for record_id, data in records
        ],
    }


def test_firehose_one_call_per_record_and_a_result_for_each() -> None:
    app = App(
        {
            "r1": ("200 OK", b'{"title": "MOBY DICK"}'),
            "r2": ("204 No Content", b""),
            "r3": ("500 Internal Server Error", b""),
            "r4": ("raise", b""),
        }
    )
    event = firehose_event(
        ("r1", b'{"title": "Moby Dick"}'), ("r2", b"drop me"), ("r3", b"x"), ("r4", b"y")
    )
    assert make_lambda_handler(app)(event, Context()) == {
        "records": [
            {"recordId": "r1", "result": "Ok", "data": b64(b'{"title": "MOBY DICK"}')},
            {"recordId": "r2", "result": "Dropped", "data": b64(b"drop me")},
            {"recordId": "r3", "result": "ProcessingFailed", "data": b64(b"x")},
            {"recordId": "r4", "result": "ProcessingFailed", "data": b64(b"y")},
        ]
    }
    first = app.events[0]
    assert (first.get_type(), first.get_source(), first.get_id()) == (
        "com.amazonaws.firehose.record",
        FIREHOSE_ARN,
        "r1",
    )
    assert first.get_data() == {"title": "Moby Dick"}
    assert first.get_time().isoformat() == "2017-05-18T02:02:29.453000+00:00"
    assert app.events[1].get_data() == b"drop me"


class Clock(Context):
    def __init__(self, remaining: float) -> None:
        self.remaining = remaining

    def get_remaining_time_in_millis(self) -> float:
        self.remaining -= 400
        return self.remaining + 400


def test_firehose_records_not_started_before_the_deadline_fail() -> None:
    app = App()
    event = firehose_event(("r1", b"a"), ("r2", b"b"), ("r3", b"c"))
    answer = make_lambda_handler(app)(event, Clock(1500))
    assert [r["result"] for r in answer["records"]] == ["Ok", "Ok", "ProcessingFailed"]
    assert [e.get_id() for e in app.events] == ["r1", "r2"]


# -- S3 Batch Operations ----------------------------------------------------------------


def s3_batch_event(version: str = "1.0") -> dict[str, Any]:
    bucket = (
        {"s3BucketArn": "arn:aws:s3:::amzn-s3-demo-bucket"}
        if version == "1.0"
        else {"s3Bucket": "amzn-s3-demo-bucket"}
    )
    return {
        "invocationSchemaVersion": version,
        "invocationId": "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
        "job": {"id": "f3cc4f60-61f6-4a2b-8a21-d07600c373ce"},
        "tasks": [
            {"taskId": "t1", "s3Key": "books/moby.epub", "s3VersionId": "1", **bucket},
            {"taskId": "t2", "s3Key": "books/gone.epub", "s3VersionId": None, **bucket},
            {"taskId": "t3", "s3Key": "books/later.epub", "s3VersionId": None, **bucket},
        ],
    }


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_s3_batch_results(version: str) -> None:
    app = App(
        {
            "t1": ("200 OK", b"copied"),
            "t2": ("404 Not Found", b"no such key"),
            "t3": ("503 Service Unavailable", b""),
        }
    )
    assert make_lambda_handler(app)(s3_batch_event(version), Context()) == {
        "invocationSchemaVersion": version,
        "treatMissingKeysAs": "PermanentFailure",
        "invocationId": "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
        "results": [
            {"taskId": "t1", "resultCode": "Succeeded", "resultString": "copied"},
            {"taskId": "t2", "resultCode": "PermanentFailure", "resultString": "no such key"},
            {
                "taskId": "t3",
                "resultCode": "TemporaryFailure",
                "resultString": "503 Service Unavailable",
            },
        ],
    }
    first = app.events[0]
    assert (first.get_type(), first.get_source(), first.get_subject()) == (
        "com.amazonaws.s3.batch.task",
        "arn:aws:s3:::amzn-s3-demo-bucket",
        "books/moby.epub",
    )


# -- Cognito --------------------------------------------------------------------------

PRE_SIGN_UP = {
    "version": "1",
    "region": "us-east-1",
    "userPoolId": "us-east-1_EXAMPLE",
    "userName": "ishmael",
    "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23"},
    "triggerSource": "PreSignUp_SignUp",
    "request": {"userAttributes": {"email": "ishmael@example.com"}, "validationData": None},
    "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
}


def test_cognito_trigger_returns_the_event_with_the_response_filled() -> None:
    app = App({Context.aws_request_id: ("200 OK", b'{"autoConfirmUser": true}')})
    answer = make_lambda_handler(app)(PRE_SIGN_UP, Context())
    assert answer == {
        **PRE_SIGN_UP,
        "response": {"autoConfirmUser": True, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }
    (event,) = app.events
    assert event.get_type() == "com.amazonaws.cognito-idp.PreSignUp_SignUp"
    assert event.get_source() == "cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE"
    assert event.get_subject() == "ishmael"
    assert event.get_data() == PRE_SIGN_UP


def test_cognito_trigger_refused_by_the_app_is_an_error_naming_it() -> None:
    app = App({Context.aws_request_id: ("403 Forbidden", b"")})
    with pytest.raises(EventFailedError, match=r"Cognito PreSignUp_SignUp trigger.*403"):
        make_lambda_handler(app)(PRE_SIGN_UP, Context())


# -- CloudFormation custom resources ------------------------------------------------------


class ResponseServer:
    """A local stand-in for the presigned ``ResponseURL``: records each PUT."""

    def __init__(self) -> None:
        self.puts: list[tuple[dict[str, str], Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.puts.append((dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/cfn-response?X-Amz-Signature=x"


@pytest.fixture
def response_server() -> Iterator[ResponseServer]:
    server = ResponseServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def custom_resource(url: str, request_type: str = "Create") -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:books",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/books/5b918d10",
        "RequestId": "unique-id-for-create-request",
        "ResourceType": "Custom::Shelf",
        "LogicalResourceId": "Shelf",
        "ResourceProperties": {"Name": "fiction"},
    }


def test_custom_resource_success_is_put_to_the_response_url(
    response_server: ResponseServer,
) -> None:
    app = App(
        {
            "unique-id-for-create-request": (
                "200 OK",
                b'{"PhysicalResourceId": "shelf-fiction", "Data": {"Size": 3}}',
            )
        }
    )
    event = custom_resource(response_server.url)
    document = make_lambda_handler(app)(event, Context())
    expected = {
        "Status": "SUCCESS",
        "PhysicalResourceId": "shelf-fiction",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": "Shelf",
        "Data": {"Size": 3},
    }
    assert document == expected
    ((headers, body),) = response_server.puts
    assert body == expected
    assert headers.get("Content-Type", "") == ""
    (cloudevent,) = app.events
    assert cloudevent.get_type() == "com.amazonaws.cloudformation.customresource.Create"
    assert cloudevent.get_source() == event["StackId"]
    assert cloudevent.get_subject() == "Shelf"


def test_custom_resource_failure_is_put_too(response_server: ResponseServer) -> None:
    app = App({"unique-id-for-create-request": ("raise", b"")})
    event = custom_resource(response_server.url, "Delete")
    event["PhysicalResourceId"] = "shelf-fiction"
    document = make_lambda_handler(app)(event, Context())
    expected = {
        "Status": "FAILED",
        "Reason": "the application answered '500 Internal Server Error'",
        "PhysicalResourceId": "shelf-fiction",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": "Shelf",
    }
    assert document == expected
    assert [body for _, body in response_server.puts] == [expected]


def test_custom_resource_response_url_unreachable_is_an_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/gone"
    with pytest.raises(CustomResourceResponseError, match="ResponseURL"):
        make_lambda_handler(App())(custom_resource(url), Context())
