"""Apps and context shared by the Lambda shim's tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cloudevents_wsgi import CloudEvent
from cloudevents_wsgi.aws_lambda import (
    ALB,
    FUNCTION_URL,
    HTTP_API,
    REST_API,
)
from cloudevents_wsgi.delivery import EventResult

from .conftest import fixture_params

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


def ce(event_id: str = "1") -> CloudEvent:
    return CloudEvent({"id": event_id, "source": "/tests", "type": "test.event"})


def result(record_id: str | None, status: int = 200, exc_info: Any = None) -> EventResult:
    return EventResult(0, ce(), status, exc_info, record_id)


class AppError(Exception):
    pass


def http_params() -> list[Any]:
    """Every HTTP sample event of the fixtures, as pytest params."""
    return [p for folder in HTTP_KINDS for p in fixture_params(f"aws/{folder}")]
