"""HTTP-shaped triggers beyond the four proxies (aws_lambda/http_vpc_lattice.py,
websocket.py, authorizer.py) and the 6 MB response limit: whole answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cloudevents_wsgi.aws_lambda import EventFailedError, ResponseTooLargeError, make_lambda_handler

from .builders import http_api_event
from .lambda_apps import CONTEXT, echo


class Seen:
    """Answers JSON ``{"ok": true}`` and keeps the environ."""

    def __init__(self, status: str = "200 OK", body: bytes = b'{"ok": true}') -> None:
        self.status = status
        self.body = body
        self.environ: dict[str, Any] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.environ = environ
        environ["body"] = environ["wsgi.input"].read()
        start_response(self.status, [("Content-Type", "application/json")])
        return [self.body]


# -- VPC Lattice ----------------------------------------------------------------------

LATTICE_V1 = {
    "raw_path": "/todos?done=false",
    "method": "POST",
    "headers": {
        "content-type": "application/json",
        "host": "todos-0bd2.7d67968.vpc-lattice-svcs.us-east-2.on.aws",
        "x-forwarded-for": "10.0.2.100",
    },
    "query_string_parameters": {"done": "false"},
    "body": '{"title": "milk"}',
    "is_base64_encoded": False,
}

LATTICE_V2 = {
    "version": "2.0",
    "path": "/todos",
    "method": "GET",
    "headers": {"host": ["todos.example"], "x-forwarded-for": ["10.0.2.100"]},
    "queryStringParameters": {"done": ["false"], "tag": ["a b"]},
    "body": "",
    "isBase64Encoded": False,
    "requestContext": {
        "serviceNetworkArn": (
            "arn:aws:vpc-lattice:us-east-2:123456789012:servicenetwork/sn-0bf3f2882e9cc805a"
        ),
        "serviceArn": "arn:aws:vpc-lattice:us-east-2:123456789012:service/svc-0a40eebed65f8d69c",
        "targetGroupArn": (
            "arn:aws:vpc-lattice:us-east-2:123456789012:targetgroup/tg-6d0ecf831eec9f09"
        ),
        "identity": {"sourceVpcArn": "arn:aws:ec2:region:123456789012:vpc/vpc-0b8276c84697e7339"},
        "region": "us-east-2",
        "timeEpoch": "1690497599177430",
    },
}


def test_lattice_v1_request_and_answer() -> None:
    app = Seen()
    answer = make_lambda_handler(app)(LATTICE_V1, CONTEXT)
    assert answer == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"Content-Type": "application/json"},
        "body": '{"ok": true}',
        "isBase64Encoded": False,
    }
    environ = app.environ
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]) == (
        "POST",
        "/todos",
        "done=false",
    )
    assert environ["body"] == b'{"title": "milk"}'
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["REMOTE_ADDR"] == "10.0.2.100"
    assert "cloudevent" not in environ


def test_lattice_v2_request_and_answer() -> None:
    app = Seen(status="201 Created")
    answer = make_lambda_handler(app)(LATTICE_V2, CONTEXT)
    assert answer == {
        "statusCode": 201,
        "statusDescription": "201 Created",
        "headers": {"Content-Type": "application/json"},
        "body": '{"ok": true}',
        "isBase64Encoded": False,
    }
    environ = app.environ
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]) == (
        "GET",
        "/todos",
        "done=false&tag=a%20b",
    )
    assert environ["SERVER_NAME"] == "todos.example"


# -- WebSocket APIs -------------------------------------------------------------------


def websocket_event(route: str, event_type: str, body: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route,
            "eventType": event_type,
            "extendedRequestId": "L0wPBH3ZIAMFbeA=",
            "requestTime": "06/Nov/2023:10:16:27 +0000",
            "messageDirection": "IN",
            "stage": "production",
            "connectedAt": 1699265787000,
            "requestTimeEpoch": 1699265787529,
            "identity": {"sourceIp": "203.0.113.7"},
            "requestId": "L0wPBH3ZIAMFbeA=",
            "domainName": "abcdef123.execute-api.us-east-1.amazonaws.com",
            "connectionId": "L0wPBdB9IAMCJ4A=",
            "apiId": "abcdef123",
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


@pytest.mark.parametrize(
    ("route", "event_type", "path"),
    [
        ("$connect", "CONNECT", "/websocket/$connect"),
        ("$disconnect", "DISCONNECT", "/websocket/$disconnect"),
        ("$default", "MESSAGE", "/websocket/$default"),
        ("sendmessage", "MESSAGE", "/websocket/sendmessage"),
    ],
)
def test_websocket_route_becomes_a_post_with_its_connection(
    route: str, event_type: str, path: str
) -> None:
    app = Seen()
    body = '{"action": "sendmessage", "text": "hi"}' if event_type == "MESSAGE" else None
    answer = make_lambda_handler(app)(websocket_event(route, event_type, body), CONTEXT)
    assert answer == {"statusCode": 200, "body": '{"ok": true}', "isBase64Encoded": False}
    environ = app.environ
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == ("POST", path)
    assert environ["aws.websocket.connection_id"] == "L0wPBdB9IAMCJ4A="
    assert environ["aws.websocket.route_key"] == route
    assert environ["aws.websocket.event_type"] == event_type
    assert environ["body"] == (body or "").encode()
    assert environ["REMOTE_ADDR"] == "203.0.113.7"


def test_websocket_connect_refused_by_the_app() -> None:
    app = Seen(status="403 Forbidden", body=b"")
    assert make_lambda_handler(app)(websocket_event("$connect", "CONNECT"), CONTEXT) == {
        "statusCode": 403
    }


# -- authorizers ----------------------------------------------------------------------

TOKEN = {
    "type": "TOKEN",
    "authorizationToken": "allow",
    "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/books",
}

POLICY = {
    "principalId": "user",
    "policyDocument": {
        "Version": "2012-10-17",
        "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": TOKEN["methodArn"]}
        ],
    },
}


def rest_request_authorizer() -> dict[str, Any]:
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/request",
        "resource": "/request",
        "path": "/request",
        "httpMethod": "GET",
        "headers": {"X-Token": "allow"},
        "queryStringParameters": {"QueryString1": "queryValue1"},
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {
            "path": "/request",
            "accountId": "123456789012",
            "resourceId": "05c7jb",
            "stage": "prod",
            "requestId": "a0a1b2c3",
            "identity": {"sourceIp": "203.0.113.7"},
            "resourcePath": "/request",
            "httpMethod": "GET",
            "apiId": "abcdef123",
        },
    }
    return event


def http_api_simple_authorizer() -> dict[str, Any]:
    event = http_api_event(method="GET", raw_path="/books")
    event.update(
        {
            "type": "REQUEST",
            "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/books",
            "identitySource": ["allow"],
        }
    )
    return event


@pytest.mark.parametrize(
    ("event", "kind", "answer"),
    [
        pytest.param(TOKEN, "TOKEN", POLICY, id="rest-token"),
        pytest.param(rest_request_authorizer(), "REQUEST", POLICY, id="rest-request"),
        pytest.param(
            http_api_simple_authorizer(),
            "REQUEST 2.0",
            {"isAuthorized": True, "context": {"user": "u1"}},
            id="http-api-simple",
        ),
    ],
)
def test_authorizer_goes_to_its_path_and_the_json_answer_is_returned(
    event: dict[str, Any], kind: str, answer: dict[str, Any]
) -> None:
    app = Seen(body=json.dumps(answer).encode())
    handler = make_lambda_handler(app, authorizer_path="/auth")
    assert handler(event, CONTEXT) == answer
    environ = app.environ
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == ("POST", "/auth")
    assert environ["aws.authorizer"] == kind
    assert json.loads(environ["body"]) == event
    assert environ["aws.event"] is event


@pytest.mark.parametrize(
    "event",
    [TOKEN, rest_request_authorizer(), http_api_simple_authorizer()],
    ids=["rest-token", "rest-request", "http-api"],
)
def test_authorizer_without_a_path_is_refused_naming_it(event: dict[str, Any]) -> None:
    app = Seen()
    with pytest.raises(EventFailedError, match="authorizer event: set authorizer_path"):
        make_lambda_handler(app)(event, CONTEXT)
    assert app.environ == {}  # never answered as a proxied request


def test_authorizer_answer_that_is_not_2xx_is_an_error_naming_it() -> None:
    app = Seen(status="401 Unauthorized", body=b"")
    with pytest.raises(EventFailedError, match=r"TOKEN authorizer event.*401"):
        make_lambda_handler(app, authorizer_path="/auth")(TOKEN, CONTEXT)


# -- the 6 MB limit -------------------------------------------------------------------


def big(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"\0" * (5 * 1024 * 1024)]  # base64: 6.7 MB


def test_answer_over_6_mb_is_an_error_naming_its_size() -> None:
    event = http_api_event(method="GET", raw_path="/big")
    with pytest.raises(
        ResponseTooLargeError, match=r"is \d+ bytes, over Lambda's response"
    ) as caught:
        make_lambda_handler(big)(event, CONTEXT)
    assert caught.value.size > 6 * 1024 * 1024
    assert caught.value.status == 200


def test_answer_just_under_6_mb_is_returned() -> None:
    def under(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"a" * (6 * 1024 * 1024 - 1000)]

    answer = make_lambda_handler(under)(http_api_event(method="GET", raw_path="/"), CONTEXT)
    assert len(answer["body"]) == 6 * 1024 * 1024 - 1000


def test_echo_still_works_for_http_api() -> None:
    answer = make_lambda_handler(echo)(http_api_event(method="GET", raw_path="/x"), CONTEXT)
    assert json.loads(answer["body"])["PATH_INFO"] == "/x"
