"""The Lambda shim: HTTP events become their request, every other event a POST."""

from __future__ import annotations

import base64
import gzip
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.aws_lambda import (
    ALB,
    FUNCTION_URL,
    HTTP_API,
    REST_API,
    BatchFailedError,
    EventFailedError,
    LazyHandler,
    batch_item_failures,
    http_event_kind,
    load_app,
    make_lambda_handler,
)
from cloudevents_wsgi.delivery import EventResult, LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY

from .conftest import FIXTURES, fixture_params, fixture_paths, load_fixture, require_fixture

HTTP_KINDS = {
    "apigw-rest-v1": REST_API,
    "apigw-http-v2": HTTP_API,
    "alb": ALB,
    "function-url": FUNCTION_URL,
}

# The CGI part of the environ the echo app reports, whole.
CGI_KEYS = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "REMOTE_ADDR",
    "wsgi.url_scheme",
    "HTTP_COOKIE",
)

CONTEXT = object()


def echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A WSGI app answering with its view of the request, as JSON."""
    seen = {key: environ[key] for key in CGI_KEYS if key in environ}
    seen["body"] = environ["wsgi.input"].read().decode("latin-1")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


class Recorder:
    """A WSGI app that keeps each environ and answers as told."""

    def __init__(
        self,
        status: str = "200 OK",
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> None:
        self.status = status
        self.headers = headers if headers is not None else [("Content-Type", "text/plain")]
        self.body = body
        self.environs: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["body"] = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.environs.append(environ)
        start_response(self.status, self.headers)
        return [self.body]

    @property
    def environ(self) -> dict[str, Any]:
        (environ,) = self.environs
        return environ


# -- builders: keyword-only, defaults of a plain GET ------------------------------


def rest_event(
    *,
    method: str = "GET",
    path: str = "/",
    context_path: str | None = None,
    stage: str = "prod",
    headers: dict[str, list[str]] | None = None,
    query: dict[str, list[str]] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
    source_ip: str | None = "203.0.113.9",
    domain: str | None = "abc123.execute-api.eu-west-1.amazonaws.com",
) -> dict[str, Any]:
    multi = headers if headers is not None else {"Host": ["example.org"]}
    context: dict[str, Any] = {"stage": stage, "identity": {"sourceIp": source_ip}}
    if context_path is not None:
        context["path"] = context_path
    if domain is not None:
        context["domainName"] = domain
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi.items()},
        "multiValueHeaders": multi,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def v2_event(
    *,
    method: str = "GET",
    raw_path: str = "/",
    raw_query: str = "",
    stage: str = "$default",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
    source_ip: str = "203.0.113.9",
    domain: str = "abc123.execute-api.eu-west-1.amazonaws.com",
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers if headers is not None else {"host": domain},
        "requestContext": {
            "domainName": domain,
            "stage": stage,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
            },
        },
        "isBase64Encoded": base64_encoded,
    }
    if cookies is not None:
        event["cookies"] = cookies
    if body is not None:
        event["body"] = body
    return event


def alb_event(
    *,
    method: str = "GET",
    path: str = "/",
    headers: dict[str, str] | None = None,
    multi_headers: dict[str, list[str]] | None = None,
    query: dict[str, str] | None = None,
    multi_query: dict[str, list[str]] | None = None,
    body: str = "",
    base64_encoded: bool = False,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg"}},
        "httpMethod": method,
        "path": path,
        "body": body,
        "isBase64Encoded": base64_encoded,
    }
    if multi_headers is not None:
        event["multiValueHeaders"] = multi_headers
        event["multiValueQueryStringParameters"] = multi_query or {}
    else:
        event["headers"] = headers if headers is not None else {"host": "lb.example.org"}
        event["queryStringParameters"] = query or {}
    return event


def structured(**attributes: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "1", "source": "/tests", "type": "test.event", **attributes}


def ce(event_id: str = "1") -> CloudEvent:
    return CloudEvent({"id": event_id, "source": "/tests", "type": "test.event"})


def result(record_id: str | None, status: int = 200, exc_info: Any = None) -> EventResult:
    return EventResult(0, ce(), status, exc_info, record_id)


def sqs_batch(
    *ids: str, arn: str = "arn:aws:sqs:eu-west-1:123456789012:queue", groups: Iterable[str] = ()
) -> dict[str, Any]:
    groups = list(groups)
    records = []
    for index, message_id in enumerate(ids):
        attributes = {"SentTimestamp": "1"}
        if groups:
            attributes["MessageGroupId"] = groups[index]
        records.append(
            {
                "messageId": message_id,
                "body": "{}",
                "attributes": attributes,
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
            }
        )
    return {"Records": records}


def kinesis_batch(*sequence_numbers: str) -> dict[str, Any]:
    return {
        "Records": [
            {"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": n, "data": ""}}
            for n in sequence_numbers
        ]
    }


def dynamodb_batch(*sequence_numbers: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:dynamodb",
                "eventName": "INSERT",
                "dynamodb": {"SequenceNumber": n},
            }
            for n in sequence_numbers
        ]
    }


# -- every HTTP sample, through a real app ----------------------------------------

# What the echo app sees for each sample: the CGI keys whole, and the body.
GOLDEN: dict[str, dict[str, str]] = {
    "apigw-rest-v1/dotnet-escaped-slash-in-path": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/Prod",
        "PATH_INFO": "/foo/bar",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "zzqupfvhrk.execute-api.us-west-2.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "50.35.77.7",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "apigw-rest-v1/dotnet-plus-in-path": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/Prod",
        "PATH_INFO": "/api/resourcepath/string/foo+bar",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "m1138alqlk.execute-api.us-west-2.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "50.35.77.7",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "apigw-rest-v1/dotnet-put-with-body": {
        "REQUEST_METHOD": "PUT",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/bodytests",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "41",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "body": '{"firstName":"Smith","lastName": "Agent"}',
    },
    "apigw-rest-v1/dotnet-space-in-path-and-query": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/Prod",
        "PATH_INFO": "/foo bar",
        "QUERY_STRING": "greeting=hello%20world",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "m1138alqlk.execute-api.us-west-2.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "50.35.77.7",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "apigw-rest-v1/go-proxy-post-multivalue-headers": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/hello/world",
        "QUERY_STRING": "name=me",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "13",
        "SERVER_NAME": "gy415nuibc.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.168.196.186",
        "wsgi.url_scheme": "https",
        "body": '{\r\n\t"a": 1\r\n}',
    },
    "apigw-rest-v1/java-rest-event": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter2=value1&parameter2=value2",
        "CONTENT_LENGTH": "18",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "IP",
        "wsgi.url_scheme": "https",
        "body": "Hello from Lambda!",
    },
    "apigw-rest-v1/powertools-proxy-multivalue": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "18",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.168.0.1/32",
        "wsgi.url_scheme": "https",
        "body": "Hello from Lambda!",
    },
    "apigw-rest-v1/powertools-proxy-no-version-base64-flag": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "18",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.168.0.1/32",
        "wsgi.url_scheme": "https",
        "body": "Hello from Lambda!",
    },
    "apigw-rest-v1/rust-console-test-request": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/myPath",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "13",
        "SERVER_NAME": "testPrefix.testDomainName",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "test-invoke-source-ip",
        "wsgi.url_scheme": "https",
        "body": '{\r\n\t"a": 1\r\n}',
    },
    "apigw-rest-v1/rust-proxy-multi-value-query": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/hello/world",
        "QUERY_STRING": "name=me&multiValueName=you&multiValueName=me",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "13",
        "SERVER_NAME": "gy415nuibc.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.168.196.186",
        "wsgi.url_scheme": "https",
        "body": '{\r\n\t"a": 1\r\n}',
    },
    "apigw-http-v2/dotnet-base64-flag": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "17",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "IP",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookie1; cookie2",
        "body": "Hello from Lambda",
    },
    "apigw-http-v2/dotnet-encoded-query": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/rawquerystring/json",
        "QUERY_STRING": "url=http://www.google.com&testDateTimeOffset=2019-03-12T16%3A06%3A06.549817%2B00%3A00",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "uo9pe23ec6.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.182.149.40",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "apigw-http-v2/dotnet-multiple-cookies": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/cookietests/TestCookie3",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "uo9pe23ec6.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.182.149.40",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "TestCookie1=TestValue1; TestCookie2=TestValue2; TestCookie3=TestValue3",
        "body": "",
    },
    "apigw-http-v2/dotnet-multivalue-query": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/querystring",
        "QUERY_STRING": "firstName=Lewis&lastName=Meriwether&mv-test=value1&mv-test=value2",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "uo9pe23ec6.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.182.149.40",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "apigw-http-v2/dotnet-put-with-body": {
        "REQUEST_METHOD": "PUT",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/bodytests",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "41",
        "SERVER_NAME": "uo9pe23ec6.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.182.149.40",
        "wsgi.url_scheme": "https",
        "body": '{"firstName":"Smith","lastName": "Agent"}',
    },
    "apigw-http-v2/go-iam-authorizer": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "13",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "IP",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookie1; cookie2",
        "body": '{\r\n\t"a": 1\r\n}',
    },
    "apigw-http-v2/go-jwt-authorizer": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "13",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "IP",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookie1; cookie2",
        "body": '{\r\n\t"a": 1\r\n}',
    },
    "apigw-http-v2/go-no-authorizer": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "1.2.3.4",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "apigw-http-v2/powertools-post-cookies": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "45",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.168.0.1/32",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookie1; cookie2",
        "body": '{"message": "hello world", "username": "tom"}',
    },
    "apigw-http-v2/rust-minimal": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "xxx.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "65.78.31.245",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "apigw-http-v2/rust-path-with-space": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path-with space",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "17",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "IP",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookie1=value1; cookie2=value2",
        "body": "Hello from Lambda",
    },
    "apigw-http-v2/rust-stage-in-path": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "/Prod",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "17",
        "SERVER_NAME": "id.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "IP",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookie1=value1; cookie2=value2",
        "body": "Hello from Lambda",
    },
    "alb/dotnet-encoded-query": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/rawquerystring/json",
        "QUERY_STRING": "url=http://www.gooogle.com&testDateTimeOffset=2019-03-12T16%3A06%3A06.5498170%2B00%3A00",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "lambda-846800462-us-east-2.elb.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "72.21.198.66",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookies",
        "body": "",
    },
    "alb/dotnet-multi-value-base64-flag": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "query1=q1-value1&query1=q1-value2&query2=q2-value1&query2=q2-value2",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "17",
        "SERVER_NAME": "lambda-846800462-us-east-2.elb.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "72.21.198.66",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookies",
        "body": "not really base64",
    },
    "alb/dotnet-multi-value-encoded-query": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/rawquerystring/json",
        "QUERY_STRING": "url=http://www.gooogle.com&testDateTimeOffset=2019-03-12T16%3A06%3A06.5498170%2B00%3A00",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "lambda-846800462-us-east-2.elb.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "72.21.198.66",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookies",
        "body": "",
    },
    "alb/dotnet-put-binary-base64": {
        "REQUEST_METHOD": "PUT",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/binary",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "20",
        "SERVER_NAME": "lambda-846800462-us-east-2.elb.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "72.21.198.66",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookies",
        "body": "Greetings, programs!",
    },
    "alb/dotnet-single-value-base64-flag": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "query1=value1&query2=value2",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "17",
        "SERVER_NAME": "lambda-846800462-us-east-2.elb.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "72.21.198.66",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookies",
        "body": "not really base64",
    },
    "alb/go-multi-value-headers": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "key=hello",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "lambda-test-alb-1234567.us-east-1.elb.amazonaws.com",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "72.21.198.67",
        "wsgi.url_scheme": "http",
        "body": "",
    },
    "alb/go-single-value-headers": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "key=hello",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "lambda-test-alb-1334523864.us-east-1.elb.amazonaws.com",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "25.12.198.67",
        "wsgi.url_scheme": "http",
        "body": "",
    },
    "alb/powertools-multi-value-query": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/todos",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "alb-c-LoadB-14POFKYCLBNSF-1815800096.eu-central-1.elb.amazonaws.com",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "123.123.123.123",
        "wsgi.url_scheme": "http",
        "body": "",
    },
    "alb/rust-health-check": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "body": "",
    },
    "alb/rust-multi-value-encoded-query": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "myKey=%3FshowAll%3Dtrue&myKey=%3FshowAll%3Dfalse",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "12",
        "SERVER_NAME": "lambda-846800462-us-east-2.elb.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "72.21.198.66",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "name1=value1; name2=value2",
        "body": "request_body",
    },
    "function-url/go-events-request": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "18",
        "SERVER_NAME": "<url-id>.lambda-url.us-west-2.on.aws",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "123.123.123.123",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookie1; cookie2",
        "body": "Hello from client!",
    },
    "function-url/go-get-root": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "lambda-url-id.lambda-url.us-west-2.on.aws",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "function-url/go-post-base64-body": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "idk",
        "CONTENT_LENGTH": "6",
        "SERVER_NAME": "lambda-url-id.lambda-url.us-west-2.on.aws",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "body": "<idk/>",
    },
    "function-url/go-post-headers-cookies-text-body": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/hello",
        "QUERY_STRING": "hello=world&foo=bar",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "18",
        "SERVER_NAME": "lambda-url-id.lambda-url.us-west-2.on.aws",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "foo=bar; hello=hello",
        "body": '{"hello": "world"}',
    },
    "function-url/powertools-get-many-headers": {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "<url-id>.lambda-url.us-east-1.on.aws",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "123.123.123.123",
        "wsgi.url_scheme": "https",
        "body": "",
    },
    "function-url/powertools-iam-auth": {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "parameter1=value1&parameter1=value2&parameter2=value",
        "CONTENT_LENGTH": "18",
        "SERVER_NAME": "<url-id>.lambda-url.us-west-2.on.aws",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "123.123.123.123",
        "wsgi.url_scheme": "https",
        "HTTP_COOKIE": "cookie1; cookie2",
        "body": "Hello from client!",
    },
}


def http_params() -> list[Any]:
    return [p for folder in HTTP_KINDS for p in fixture_params(f"aws/{folder}")]


@pytest.mark.parametrize("path", http_params())
def test_http_sample_reaches_the_app_as_the_request_it_describes(path: Path) -> None:
    event = load_fixture(path)
    folder = path.parent.name
    response = make_lambda_handler(echo)(event, CONTEXT)

    body = json.dumps(GOLDEN[f"{folder}/{path.stem}"])
    expected: dict[str, Any] = {"statusCode": 200}
    if folder == "alb":
        expected["statusDescription"] = "200 OK"
    if folder in ("apigw-http-v2", "function-url"):
        expected["headers"] = {"Content-Type": "application/json"}
    elif folder == "apigw-rest-v1" or event.get("multiValueHeaders") is not None:
        expected["multiValueHeaders"] = {"Content-Type": ["application/json"]}
    else:
        expected["headers"] = {"Content-Type": "application/json"}
    expected["body"] = body
    expected["isBase64Encoded"] = False
    assert response == expected


@pytest.mark.parametrize("path", http_params())
def test_http_sample_environ_follows_pep_3333(path: Path) -> None:
    from wsgiref.validate import validator

    event = load_fixture(path)
    app = Recorder()
    # wsgiref's validator checks the environ and the calls (warnings are errors here).
    make_lambda_handler(validator(app))(event, CONTEXT)
    environ = app.environ
    assert "HTTP_CONTENT_TYPE" not in environ
    assert "HTTP_CONTENT_LENGTH" not in environ
    assert environ["CONTENT_LENGTH"] == str(len(environ["body"]))
    for key, value in environ.items():
        if key.isupper():
            assert isinstance(value, str), key
            value.encode("latin-1")  # "bytes as latin-1" strings
    assert environ["aws.event"] is event
    assert environ["aws.context"] is CONTEXT
    assert LAMBDA_DELIVERY not in environ


@pytest.mark.parametrize(
    ("folder", "kind"), [pytest.param(f, k, id=f) for f, k in HTTP_KINDS.items()]
)
def test_each_http_sample_is_recognised_by_its_own_predicate(folder: str, kind: str) -> None:
    paths = fixture_paths(f"aws/{folder}")
    if not paths:
        pytest.skip(f"../shared/fixtures/aws/{folder} is not present")
    assert {p.stem: http_event_kind(load_fixture(p)) for p in paths} == {
        p.stem: kind for p in paths
    }


def test_no_other_sample_is_taken_for_an_http_request() -> None:
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    others = [p for p in sorted(FIXTURES.rglob("*.json")) if p.parent.name not in HTTP_KINDS]
    assert others
    assert {str(p.relative_to(FIXTURES)): http_event_kind(load_fixture(p)) for p in others} == {
        str(p.relative_to(FIXTURES)): None for p in others
    }


# -- API Gateway REST APIs (payload 1.0) ------------------------------------------


def test_rest_stage_in_the_client_url_becomes_script_name() -> None:
    app = Recorder()
    make_lambda_handler(app)(rest_event(path="/books/1", context_path="/prod/books/1"), CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/prod", "/books/1")


def test_rest_root_with_stage() -> None:
    app = Recorder()
    make_lambda_handler(app)(rest_event(path="/", context_path="/prod/"), CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/prod", "/")


def test_rest_route_that_starts_like_the_stage_keeps_it() -> None:
    # Stage "api", resource /api/items: the client asked for /api/api/items.
    app = Recorder()
    event = rest_event(path="/api/items", context_path="/api/api/items", stage="api")
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/api", "/api/items")


def test_rest_custom_domain_has_no_stage_in_the_url() -> None:
    app = Recorder()
    event = rest_event(path="/v1/books", context_path="/v1/books", domain="api.example.org")
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("", "/v1/books")


def test_http_api_payload_1_puts_a_named_stage_in_the_path() -> None:
    app = Recorder()
    event = rest_event(path="/dev/books", stage="dev")
    event["version"] = "1.0"
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/dev", "/books")


def test_rest_path_without_leading_slash() -> None:
    app = Recorder()
    make_lambda_handler(app)(rest_event(path="a/b", context_path="/prod/a/b"), CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/prod", "/a/b")


def test_rest_multi_value_query_is_encoded_back() -> None:
    app = Recorder()
    event = rest_event(query={"q": ["a b", "c&d=e"], "x": ["é"]})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["QUERY_STRING"] == "q=a%20b&q=c%26d%3De&x=%C3%A9"


def test_rest_multi_value_headers_are_joined() -> None:
    app = Recorder()
    event = rest_event(headers={"Accept": ["text/html", "application/json"], "Host": ["h"]})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["HTTP_ACCEPT"] == "text/html,application/json"


def test_rest_remote_addr_is_the_source_ip_never_the_forwarded_for() -> None:
    app = Recorder()
    event = rest_event(headers={"X-Forwarded-For": ["198.51.100.66, 203.0.113.9"]})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["REMOTE_ADDR"] == "203.0.113.9"
    assert app.environ["HTTP_X_FORWARDED_FOR"] == "198.51.100.66, 203.0.113.9"


def test_rest_without_source_ip_has_no_remote_addr() -> None:
    app = Recorder()
    make_lambda_handler(app)(rest_event(source_ip=None), CONTEXT)
    assert "REMOTE_ADDR" not in app.environ


def test_rest_response_uses_multi_value_headers() -> None:
    app = Recorder(
        headers=[("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")],
        body=b"hi",
    )
    assert make_lambda_handler(app)(rest_event(), CONTEXT) == {
        "statusCode": 200,
        "multiValueHeaders": {"Content-Type": ["text/plain"], "Set-Cookie": ["a=1", "b=2"]},
        "body": "hi",
        "isBase64Encoded": False,
    }


# -- HTTP APIs (payload 2.0) and function URLs -----------------------------------


def test_v2_raw_path_keeps_its_trailing_slash_and_query_is_verbatim() -> None:
    app = Recorder()
    event = v2_event(raw_path="/books/", raw_query="q=a+b&r=%2B1&r=2&empty=")
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["PATH_INFO"] == "/books/"
    assert app.environ["QUERY_STRING"] == "q=a+b&r=%2B1&r=2&empty="


def test_v2_cookies_become_one_cookie_header() -> None:
    app = Recorder()
    make_lambda_handler(app)(v2_event(cookies=["a=1", "b=2"]), CONTEXT)
    assert app.environ["HTTP_COOKIE"] == "a=1; b=2"


def test_v2_cookie_header_beside_the_cookies_list_is_not_doubled() -> None:
    app = Recorder()
    event = v2_event(headers={"cookie": "a=1; b=2"}, cookies=["a=1", "b=2"])
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["HTTP_COOKIE"] == "a=1; b=2"


@pytest.mark.parametrize(
    ("stage", "raw_path", "domain", "mount"),
    [
        pytest.param("prod", "/prod/books", None, ("/prod", "/books"), id="named-stage"),
        pytest.param("prod", "/prod", None, ("/prod", "/"), id="named-stage-root"),
        pytest.param("$default", "/books", None, ("", "/books"), id="default-stage"),
        pytest.param("prod", "/production", None, ("", "/production"), id="prefix-not-segment"),
        pytest.param(
            "prod", "/prod/books", "api.example.org", ("", "/prod/books"), id="custom-domain"
        ),
    ],
)
def test_v2_named_stage_becomes_script_name(
    stage: str, raw_path: str, domain: str | None, mount: tuple[str, str]
) -> None:
    app = Recorder()
    event = v2_event(stage=stage, raw_path=raw_path)
    if domain:
        event["requestContext"]["domainName"] = domain
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == mount


def test_function_url_never_has_a_stage() -> None:
    app = Recorder()
    event = v2_event(raw_path="/prod/books", stage="prod", domain="abc.lambda-url.eu-west-1.on.aws")
    assert http_event_kind(event) == FUNCTION_URL
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("", "/prod/books")


def test_v2_remote_addr_is_the_source_ip() -> None:
    app = Recorder()
    event = v2_event(
        headers={"x-forwarded-for": "198.51.100.66, 203.0.113.9"}, source_ip="203.0.113.9"
    )
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["REMOTE_ADDR"] == "203.0.113.9"


def test_v2_response_puts_set_cookie_into_cookies() -> None:
    app = Recorder(
        headers=[
            ("Content-Type", "text/plain"),
            ("Set-Cookie", "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT"),
            ("Set-Cookie", "b=2"),
            ("Vary", "Accept"),
            ("vary", "Cookie"),
        ],
        body=b"ok",
    )
    assert make_lambda_handler(app)(v2_event(), CONTEXT) == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain", "Vary": "Accept,Cookie"},
        "cookies": ["a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "b=2"],
        "body": "ok",
        "isBase64Encoded": False,
    }


# -- ALB ---------------------------------------------------------------------------


def test_alb_remote_addr_is_the_rightmost_forwarded_for() -> None:
    # ALB appends the address it saw; the rest is whatever the client claimed.
    app = Recorder()
    event = alb_event(headers={"x-forwarded-for": "10.9.9.9, 198.51.100.7"})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["REMOTE_ADDR"] == "198.51.100.7"


def test_alb_multi_value_forwarded_for() -> None:
    app = Recorder()
    event = alb_event(multi_headers={"x-forwarded-for": ["10.9.9.9", "198.51.100.7"]})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["REMOTE_ADDR"] == "198.51.100.7"


def test_alb_query_is_passed_as_the_client_encoded_it() -> None:
    app = Recorder()
    event = alb_event(query={"next": "%2Fhome%3Fa%3D1", "t": "a+b", "raw": "x y"})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["QUERY_STRING"] == "next=%2Fhome%3Fa%3D1&t=a+b&raw=x%20y"


def test_alb_single_value_response() -> None:
    app = Recorder(
        status="404 Not Found", headers=[("Content-Type", "text/html")], body=b"<p>no</p>"
    )
    assert make_lambda_handler(app)(alb_event(), CONTEXT) == {
        "statusCode": 404,
        "statusDescription": "404 Not Found",
        "headers": {"Content-Type": "text/html"},
        "body": "<p>no</p>",
        "isBase64Encoded": False,
    }


def test_alb_multi_value_request_gets_multi_value_response() -> None:
    app = Recorder(headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    response = make_lambda_handler(app)(alb_event(multi_headers={"host": ["lb"]}), CONTEXT)
    assert response == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "",
        "isBase64Encoded": False,
    }


def test_alb_single_value_mode_keeps_one_set_cookie_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Recorder(headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    response = make_lambda_handler(app)(alb_event(), CONTEXT)
    assert response["headers"] == {"Set-Cookie": "b=2"}
    assert "Enable multi-value headers" in caplog.text


def test_alb_status_without_reason_gets_the_standard_phrase() -> None:
    app = Recorder(status="201", headers=[])
    assert make_lambda_handler(app)(alb_event(), CONTEXT)["statusDescription"] == "201 Created"


# -- environ details shared by every kind -------------------------------------------


def test_content_type_and_length_are_cgi_keys() -> None:
    app = Recorder()
    event = v2_event(
        method="POST",
        headers={"content-type": "application/json", "content-length": "999"},
        body='{"a": 1}',
    )
    make_lambda_handler(app)(event, CONTEXT)
    environ = app.environ
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "8"  # the body, not the header's claim
    assert "HTTP_CONTENT_TYPE" not in environ
    assert "HTTP_CONTENT_LENGTH" not in environ
    assert environ["body"] == b'{"a": 1}'
    assert isinstance(environ["wsgi.input"], io.BytesIO)
    assert environ["wsgi.errors"] is sys.stderr
    assert environ["wsgi.version"] == (1, 0)


def test_path_info_is_percent_decoded_utf8_as_latin1() -> None:
    app = Recorder()
    make_lambda_handler(app)(v2_event(raw_path="/caf%C3%A9/a%20b"), CONTEXT)
    assert app.environ["PATH_INFO"] == "/café/a b".encode().decode("latin-1")


def test_path_info_from_a_raw_non_ascii_path() -> None:
    app = Recorder()
    make_lambda_handler(app)(v2_event(raw_path="/café"), CONTEXT)
    assert app.environ["PATH_INFO"] == "/café".encode().decode("latin-1")


@pytest.mark.parametrize(
    ("headers", "scheme", "port", "name"),
    [
        pytest.param(
            {"host": "h.example", "x-forwarded-proto": "http", "x-forwarded-port": "8080"},
            "http",
            "8080",
            "h.example",
            id="forwarded",
        ),
        pytest.param({"host": "h.example:8443"}, "https", "443", "h.example", id="no-forwarded"),
        pytest.param(
            {"x-forwarded-proto": "gopher"},
            "https",
            "443",
            "abc123.execute-api.eu-west-1.amazonaws.com",
            id="bad-proto",
        ),
        pytest.param({"host": "[2001:db8::1]:8080"}, "https", "443", "[2001:db8::1]", id="ipv6"),
    ],
)
def test_scheme_server_name_and_port(
    headers: dict[str, str], scheme: str, port: str, name: str
) -> None:
    app = Recorder()
    make_lambda_handler(app)(v2_event(headers=headers), CONTEXT)
    environ = app.environ
    assert (environ["wsgi.url_scheme"], environ["SERVER_PORT"], environ["SERVER_NAME"]) == (
        scheme,
        port,
        name,
    )


def test_header_with_underscore_is_dropped() -> None:
    app = Recorder()
    make_lambda_handler(app)(
        v2_event(headers={"x_forwarded_for": "6.6.6.6", "x-real": "1"}), CONTEXT
    )
    assert "HTTP_X_FORWARDED_FOR" not in app.environ
    assert app.environ["HTTP_X_REAL"] == "1"


def test_repeated_content_type_keeps_the_last_and_other_headers_join() -> None:
    app = Recorder()
    headers = {"Content-Type": ["text/plain", "application/json"], "Accept": ["a/b", "c/d"]}
    make_lambda_handler(app)(rest_event(method="POST", headers=headers, body="{}"), CONTEXT)
    assert app.environ["CONTENT_TYPE"] == "application/json"
    assert app.environ["HTTP_ACCEPT"] == "a/b,c/d"


def test_header_names_seen_before_map_alike() -> None:
    # Header keys are cached by name; the second request must not differ.
    for _ in range(2):
        app = Recorder()
        make_lambda_handler(app)(
            v2_event(headers={"x-real": "1", "x_real": "2", "content-length": "9"}), CONTEXT
        )
        assert app.environ["HTTP_X_REAL"] == "1"
        assert app.environ["CONTENT_LENGTH"] == "0"


def test_base64_body_is_decoded_to_its_bytes() -> None:
    app = Recorder()
    raw = bytes(range(256))
    event = v2_event(method="PUT", body=base64.b64encode(raw).decode(), base64_encoded=True)
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["body"] == raw
    assert app.environ["CONTENT_LENGTH"] == "256"


@pytest.mark.parametrize(
    "relative",
    [
        "aws/alb/dotnet-multi-value-base64-flag.json",
        "aws/alb/dotnet-single-value-base64-flag.json",
        "aws/apigw-http-v2/dotnet-base64-flag.json",
        "aws/apigw-rest-v1/powertools-proxy-no-version-base64-flag.json",
    ],
)
def test_body_flagged_base64_that_is_not_is_passed_on_as_text(
    relative: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = load_fixture(require_fixture(relative))
    app = Recorder()
    response = make_lambda_handler(app)(event, CONTEXT)
    assert response["statusCode"] == 200
    assert app.environ["body"] == event["body"].encode()
    assert "not base64" in caplog.text


def test_invalid_base64_never_answers_500() -> None:
    app = Recorder()
    event = rest_event(method="POST", body="%%%é", base64_encoded=True)
    assert make_lambda_handler(app)(event, CONTEXT)["statusCode"] == 200
    assert app.environ["body"] == "%%%é".encode()


# -- response bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("text/html; charset=utf-8", True),
        ("application/json", True),
        ("application/problem+json", True),
        ("application/vnd.api+json", True),
        ("application/xml", True),
        ("image/svg+xml", True),
        ("application/javascript", True),
        ("image/png", False),
        ("application/octet-stream", False),
        ("application/pdf", False),
        (None, False),
    ],
)
def test_body_is_base64_unless_a_text_type(content_type: str | None, text: bool) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    app = Recorder(headers=headers, body=b"<x/>")
    response = make_lambda_handler(app)(v2_event(), CONTEXT)
    assert response["isBase64Encoded"] is not text
    assert response["body"] == ("<x/>" if text else base64.b64encode(b"<x/>").decode())


def test_content_encoding_makes_any_body_base64() -> None:
    compressed = gzip.compress(b"hello")
    app = Recorder(
        headers=[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], body=compressed
    )
    response = make_lambda_handler(app)(v2_event(), CONTEXT)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == compressed


def test_text_that_is_not_utf8_goes_as_base64_and_keeps_its_bytes() -> None:
    body = "café".encode("latin-1")
    app = Recorder(headers=[("Content-Type", "text/plain; charset=latin-1")], body=body)
    response = make_lambda_handler(app)(v2_event(), CONTEXT)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == body


def test_text_types_are_configurable() -> None:
    app = Recorder(headers=[("Content-Type", "application/x-ndjson")], body=b"{}\n")
    handler = make_lambda_handler(app, text_types=["application/x-ndjson"])
    assert handler(v2_event(), CONTEXT)["body"] == "{}\n"
    app.headers = [("Content-Type", "text/plain")]
    assert handler(v2_event(), CONTEXT)["isBase64Encoded"] is True


def test_empty_body_is_empty_text() -> None:
    app = Recorder(status="204 No Content", headers=[("Content-Type", "image/png")])
    response = make_lambda_handler(app)(v2_event(), CONTEXT)
    assert (response["body"], response["isBase64Encoded"]) == ("", False)


# -- the WSGI protocol: write(), close(), exc_info, errors ---------------------------


def test_write_callable_and_iterable_both_count() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"one ")
        return [b"two"]

    assert make_lambda_handler(app)(v2_event(), CONTEXT)["body"] == "one two"


class Closing:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


def test_close_is_called_on_the_apps_iterable() -> None:
    answer = Closing([b"a", b"b"])

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Closing:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return answer

    assert make_lambda_handler(app)(v2_event(), CONTEXT)["body"] == "ab"
    assert answer.closed


def test_close_is_called_on_a_native_answer_too() -> None:
    answer = Closing([b""])

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Closing:
        start_response("204 No Content", [])
        return answer

    make_lambda_handler(app)(structured(), CONTEXT)
    assert answer.closed


def test_exc_info_before_the_body_replaces_the_answer() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("boom")
        except ValueError:
            start_response(
                "503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info()
            )
        return [b"sorry"]

    response = make_lambda_handler(app)(v2_event(), CONTEXT)
    assert (response["statusCode"], response["body"]) == (503, "sorry")


def test_exc_info_after_the_body_reraises_and_answers_500(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"half"
        try:
            raise ValueError("boom")
        except ValueError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b"never"

    response = make_lambda_handler(app)(v2_event(), CONTEXT)
    assert (response["statusCode"], response["body"]) == (500, "Internal Server Error")
    assert "ValueError: boom" in caplog.text


def test_second_start_response_without_exc_info_is_an_error() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [])
        start_response("201 Created", [])
        return []

    assert make_lambda_handler(app)(v2_event(), CONTEXT)["statusCode"] == 500


def test_app_that_raises_on_http_answers_500_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise RuntimeError("database is down")

    assert make_lambda_handler(app)(rest_event(), CONTEXT) == {
        "statusCode": 500,
        "multiValueHeaders": {"Content-Type": ["text/plain; charset=utf-8"]},
        "body": "Internal Server Error",
        "isBase64Encoded": False,
    }
    assert "database is down" in caplog.text


def test_body_before_start_response_answers_500() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        yield b"early"
        start_response("200 OK", [])

    assert make_lambda_handler(app)(v2_event(), CONTEXT)["statusCode"] == 500


def test_bad_status_line_answers_500() -> None:
    app = Recorder(status="OK")
    assert make_lambda_handler(app)(v2_event(), CONTEXT)["statusCode"] == 500


def test_alb_status_nobody_knows_keeps_its_code() -> None:
    app = Recorder(status="599", headers=[])
    assert make_lambda_handler(app)(alb_event(), CONTEXT)["statusDescription"] == "599"


def test_body_given_as_json_object_is_serialised() -> None:
    # Not what AWS sends, but what a hand-written test event may hold.
    app = Recorder()
    make_lambda_handler(app)(rest_event(method="POST", body={"a": 1}), CONTEXT)  # type: ignore[arg-type]
    assert app.environ["body"] == b'{"a": 1}'


def test_websocket_api_event_is_not_an_http_request() -> None:
    event = {
        "requestContext": {"eventType": "CONNECT", "routeKey": "$connect"},
        "isBase64Encoded": False,
    }
    assert http_event_kind(event) is None


def test_app_that_never_starts_the_response_answers_500() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        return []

    assert make_lambda_handler(app)(v2_event(), CONTEXT)["statusCode"] == 500


# -- every other event: one POST to event_path ---------------------------------------


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
        ("1", None, {"n": 1}),
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


class AppError(Exception):
    pass


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


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"hello": "world"}, id="unknown-object"),
        pytest.param({}, id="empty-object-is-no-warm-up-ping"),
        pytest.param("ping", id="string"),
        pytest.param(None, id="null"),
    ],
)
def test_event_that_nothing_recognises_raises_a_clear_error(event: Any) -> None:
    app = Recorder()
    with pytest.raises(EventFailedError, match="nothing recognised this event"):
        make_lambda_handler(app)(event, CONTEXT)
    assert app.environs == []


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


def test_a_plain_app_is_wrapped_and_a_middleware_inside_passes_the_event_on() -> None:
    plain = Recorder(status="204 No Content", headers=[])
    make_lambda_handler(plain)(structured(), CONTEXT)
    assert "cloudevent" in plain.environ

    inner = Recorder(status="204 No Content", headers=[])
    # The shim never looks at the app's type or options: it wraps it again, and
    # the user's middleware (PUT only) hands the event on as it got it, once.
    make_lambda_handler(CloudEventsMiddleware(inner, methods=["PUT"]))(structured(), CONTEXT)
    assert inner.environ["cloudevent"].get_id() == "1"
    assert inner.environ["cloudevents_wsgi.content_mode"] == "structured"


def test_http_event_carrying_a_native_payload_is_not_trusted() -> None:
    app = Recorder()
    event = v2_event(
        method="POST",
        headers={"content-type": "application/json", "cloudevents_wsgi.trusted": "1"},
        body=json.dumps({"Records": [{"eventSource": "aws:sqs", "messageId": "1"}]}),
    )
    make_lambda_handler(app)(event, CONTEXT)
    assert LAMBDA_DELIVERY not in app.environ
    assert "cloudevent" not in app.environ


# -- native batches through the middleware (adapters) --------------------------------


def fail_ids(*ids: str) -> Recorder:
    class Failing(Recorder):
        def __call__(
            self, environ: dict[str, Any], start_response: Callable[..., Any]
        ) -> list[bytes]:
            self.status = "500 Oops" if environ["cloudevent"].get_id() in ids else "204 No Content"
            return super().__call__(environ, start_response)

    return Failing(headers=[])


def test_sqs_sample_reports_its_failed_message() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-three-records.json"))
    failed = event["Records"][1]["messageId"]
    app = fail_ids(failed)
    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": failed}]
    }
    assert len(app.environs) == 3


def test_sqs_sample_all_records_fine() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-two-records.json"))
    assert make_lambda_handler(fail_ids())(event, CONTEXT) == {"batchItemFailures": []}


def test_sqs_sample_every_record_failed_raises() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-two-records.json"))
    ids = [r["messageId"] for r in event["Records"]]
    with pytest.raises(BatchFailedError, match="every record"):
        make_lambda_handler(fail_ids(*ids))(event, CONTEXT)


def test_every_record_raising_fails_the_batch_from_the_first_exception() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-two-records.json"))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise AppError(environ["cloudevent"].get_id())

    with pytest.raises(BatchFailedError) as caught:
        make_lambda_handler(app)(event, CONTEXT)
    assert isinstance(caught.value.__cause__, AppError)
    assert str(caught.value.__cause__) == event["Records"][0]["messageId"]


def test_partial_failure_without_report_batch_item_failures_fails_the_batch() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-three-records.json"))
    app = fail_ids(event["Records"][0]["messageId"])
    with pytest.raises(BatchFailedError, match="1 of 3"):
        make_lambda_handler(app, report_batch_item_failures=False)(event, CONTEXT)


def test_kinesis_sample_reports_the_first_failure_only() -> None:
    event = load_fixture(require_fixture("aws/kinesis/go-two-records.json"))
    first = event["Records"][0]["kinesis"]["sequenceNumber"]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(
            "500 Oops" if environ.get("cloudevents_wsgi.record_id") == first else "200 OK", []
        )
        return []

    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": first}]
    }


def test_record_the_app_raised_for_is_failed() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-three-records.json"))
    bad = event["Records"][2]["messageId"]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["cloudevent"].get_id() == bad:
            raise AppError("no")
        start_response("200 OK", [])
        return []

    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": bad}]
    }


# -- batch_item_failures: the pure function ------------------------------------------


def test_not_a_batch_source_has_no_report() -> None:
    assert batch_item_failures(structured(), []) is None
    assert batch_item_failures([structured()], []) is None
    assert batch_item_failures({"Records": [{"eventSource": "aws:s3"}]}, []) is None
    assert batch_item_failures({"Records": []}, []) is None


def test_sqs_reports_every_failed_message_in_order() -> None:
    event = sqs_batch("m1", "m2", "m3", "m4")
    results = [result("m1"), result("m2", 500), result("m3"), result("m4", 404)]
    assert batch_item_failures(event, results) == {
        "batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m4"}]
    }


def test_exception_fails_the_record() -> None:
    event = sqs_batch("m1", "m2")
    results = [result("m1", 500, (AppError, AppError(), None)), result("m2")]
    assert batch_item_failures(event, results) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_record_without_any_result_is_failed() -> None:
    event = sqs_batch("m1", "m2", "m3")
    assert batch_item_failures(event, [result("m1"), result("m3")]) == {
        "batchItemFailures": [{"itemIdentifier": "m2"}]
    }


def test_record_is_failed_when_any_event_made_from_it_failed() -> None:
    # An SQS message holding an S3 notification of two records: two events.
    event = sqs_batch("m1", "m2")
    results = [result("m1"), result("m1", 500), result("m2")]
    assert batch_item_failures(event, results) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_failure_that_names_no_record_fails_them_all() -> None:
    event = sqs_batch("m1", "m2")
    results = [result("m1"), result(None, 500), result("m2")]
    assert batch_item_failures(event, results) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]
    }


def test_success_that_names_no_record_counts_for_none() -> None:
    event = sqs_batch("m1")
    assert batch_item_failures(event, [result(None)]) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}]
    }


def test_fifo_failure_fails_the_rest_of_its_group_only() -> None:
    event = sqs_batch(
        "a1",
        "b1",
        "a2",
        "b2",
        "a3",
        arn="arn:aws:sqs:eu-west-1:123456789012:orders.fifo",
        groups=["A", "B", "A", "B", "A"],
    )
    results = [result("a1"), result("b1"), result("a2", 500), result("b2"), result("a3")]
    assert batch_item_failures(event, results) == {
        "batchItemFailures": [{"itemIdentifier": "a2"}, {"itemIdentifier": "a3"}]
    }


def test_message_group_on_a_standard_queue_is_not_fifo() -> None:
    # Standard queues accept MessageGroupId too (fair queues); only ".fifo" orders.
    event = sqs_batch("a1", "a2", groups=["A", "A"])
    assert batch_item_failures(event, [result("a1", 500), result("a2")]) == {
        "batchItemFailures": [{"itemIdentifier": "a1"}]
    }


def test_fifo_sample_with_its_arn_made_fifo() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-fifo-three-records.json"))
    ids = [r["messageId"] for r in event["Records"]]
    assert batch_item_failures(event, [result(ids[0]), result(ids[1], 500), result(ids[2])]) == {
        "batchItemFailures": [{"itemIdentifier": ids[1]}]
    }
    for record in event["Records"]:
        record["eventSourceARN"] += ".fifo"
    assert batch_item_failures(event, [result(ids[0]), result(ids[1], 500), result(ids[2])]) == {
        "batchItemFailures": [{"itemIdentifier": ids[1]}, {"itemIdentifier": ids[2]}]
    }


@pytest.mark.parametrize("batch", [kinesis_batch, dynamodb_batch], ids=["kinesis", "dynamodb"])
def test_streams_report_the_first_failed_record_only(batch: Callable[..., dict[str, Any]]) -> None:
    event = batch("100", "200", "300", "400")
    results = [result("100"), result("200", 500), result("300"), result("400", 500)]
    assert batch_item_failures(event, results) == {"batchItemFailures": [{"itemIdentifier": "200"}]}


def test_streams_missing_result_counts_as_the_first_failure() -> None:
    event = kinesis_batch("100", "200", "300")
    assert batch_item_failures(event, [result("100"), result("300", 500)]) == {
        "batchItemFailures": [{"itemIdentifier": "200"}]
    }


def test_everything_fine_reports_nothing() -> None:
    event = dynamodb_batch("1", "2")
    assert batch_item_failures(event, [result("1"), result("2")]) == {"batchItemFailures": []}


def test_duplicate_identifiers_are_reported_once() -> None:
    event = sqs_batch("m1", "m1", "m2")
    assert batch_item_failures(event, [result("m1", 500), result("m2")]) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}]
    }


def test_failed_record_without_identifier_fails_the_whole_batch() -> None:
    event = sqs_batch("m1", "m2")
    del event["Records"][1]["messageId"]
    # Lambda takes an empty itemIdentifier as the failure of the whole batch.
    assert batch_item_failures(event, [result("m1")]) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": ""}]
    }


def test_handler_raises_when_a_failed_record_has_no_identifier() -> None:
    event = sqs_batch("m1", "m2")
    del event["Records"][1]["messageId"]
    app = Recorder(status="204 No Content", headers=[])
    # Whatever the adapter makes of it, "m2" cannot be reported by id.
    with pytest.raises(EventFailedError):
        make_lambda_handler(app)(event, CONTEXT)


# -- configuration -------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"event_path": "events"}, id="relative-event-path"),
        pytest.param({"event_path": "/events?x=1"}, id="event-path-query"),
        pytest.param({"event_path": "/évents"}, id="event-path-non-ascii"),
        pytest.param({"routes": [("a", "/a")]}, id="routes-not-mapping"),
        pytest.param({"routes": {"a": "a"}}, id="route-relative"),
        pytest.param({"routes": {"": "/a"}}, id="route-empty-pattern"),
        pytest.param({"text_types": "text/*"}, id="text-types-string"),
        pytest.param({"server_name": ""}, id="empty-server-name"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        make_lambda_handler(echo, **options)


def test_app_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="WSGI callable"):
        make_lambda_handler("app")  # type: ignore[arg-type]


# -- the ready handler: the app named by the environment -------------------------------


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"lambda_app_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            LOADS = []
            LOADS.append(1)
            not_callable = 42

            def application(environ, start_response):
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"loaded"]

            class nested:
                app = staticmethod(application)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CLOUDEVENTS_WSGI_APP", raising=False)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    return name


def test_load_app_by_module_and_attribute(app_module: str) -> None:
    app = load_app({"CLOUDEVENTS_WSGI_APP": f"{app_module}:application"})
    assert app.__name__ == "application"  # type: ignore[attr-defined]
    assert load_app({"CLOUDEVENTS_WSGI_APP": f"{app_module}:nested.app"}) is app


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("{module}", "must be 'module:attribute'", id="no-colon"),
        pytest.param("{module}:", "must be 'module:attribute'", id="no-attribute"),
        pytest.param(":application", "must be 'module:attribute'", id="no-module"),
        pytest.param("{module}:app lication", "must be 'module:attribute'", id="not-identifier"),
        pytest.param(
            "no_such_module_here:application",
            "no module 'no_such_module_here'",
            id="missing-module",
        ),
        pytest.param("{module}.sub:application", "no module", id="missing-submodule"),
        pytest.param("{module}:nothing", "has no attribute 'nothing'", id="missing-attribute"),
        pytest.param("{module}:not_callable", "not a WSGI callable", id="not-callable"),
    ],
)
def test_load_app_errors_are_clear(app_module: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_app({"CLOUDEVENTS_WSGI_APP": value.format(module=app_module)})


def test_load_app_without_any_setting() -> None:
    with pytest.raises(ConfigurationError, match="set CLOUDEVENTS_WSGI_APP"):
        load_app({})


def test_missing_dependency_of_the_app_keeps_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app_with_missing_dep.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        load_app({"CLOUDEVENTS_WSGI_APP": "app_with_missing_dep:application"})


def test_lazy_handler_loads_once(app_module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDEVENTS_WSGI_APP", f"{app_module}:application")
    handler = LazyHandler()
    assert handler(v2_event(), CONTEXT)["body"] == "loaded"
    monkeypatch.setenv("CLOUDEVENTS_WSGI_APP", "broken")
    assert handler(v2_event(), CONTEXT)["body"] == "loaded"
    assert sys.modules[app_module].LOADS == [1]


def test_lazy_handler_retries_a_failed_load(
    app_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = LazyHandler(event_path="/in")
    with pytest.raises(ConfigurationError):
        handler(v2_event(), CONTEXT)
    monkeypatch.setenv("CLOUDEVENTS_WSGI_APP", f"{app_module}:application")
    assert handler(v2_event(), CONTEXT)["body"] == "loaded"


def test_django_project_needs_only_its_settings(tmp_path: Path) -> None:
    (tmp_path / "lambda_django_settings.py").write_text(
        textwrap.dedent(
            """
            SECRET_KEY = "test"
            ALLOWED_HOSTS = ["abc123.execute-api.eu-west-1.amazonaws.com", "localhost"]
            ROOT_URLCONF = "lambda_django_urls"
            INSTALLED_APPS = []
            MIDDLEWARE = []
            """
        )
    )
    (tmp_path / "lambda_django_urls.py").write_text(
        textwrap.dedent(
            """
            from django.http import HttpResponse
            from django.urls import path
            from django.views.decorators.csrf import csrf_exempt

            @csrf_exempt
            def events(request):
                event = request.META["cloudevent"]
                return HttpResponse(event.get_id(), status=200, content_type="text/plain")

            urlpatterns = [
                path("", lambda request: HttpResponse("home", content_type="text/plain")),
                path("events", events),
            ]
            """
        )
    )
    code = textwrap.dedent(
        """
        import json, sys
        from cloudevents_wsgi.aws_lambda import handler
        for line in sys.stdin:
            print(json.dumps(handler(json.loads(line), None)))
        """
    )
    events = [v2_event(), structured(id="e-1")]
    env = {
        "DJANGO_SETTINGS_MODULE": "lambda_django_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path(__file__).resolve().parent.parent}",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        input="".join(json.dumps(e) + "\n" for e in events),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    http, native = (json.loads(line) for line in out.stdout.splitlines())
    assert (http["statusCode"], http["body"]) == (200, "home")
    assert (native["statusCode"], native["body"]) == (200, "e-1")


def test_import_loads_no_werkzeug_webob_or_dateutil() -> None:
    heavy = ("werkzeug", "webob", "dateutil")
    code = (
        "import sys, cloudevents_wsgi.aws_lambda; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_does_not_load_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "import cloudevents_wsgi.aws_lambda; print('imported')"
    env = {"CLOUDEVENTS_WSGI_APP": "no_such_module_here:application", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "imported"


def test_logging_is_not_configured_by_the_module() -> None:
    assert logging.getLogger("cloudevents_wsgi.aws_lambda").handlers == []
