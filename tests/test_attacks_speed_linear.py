"""The paths changed for speed in issue 13 (second round) stay linear: the
same hostile input at n and 4n, ratios only (tests/test_linear_time.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudevents_wsgi.adapters import aws_s3
from cloudevents_wsgi.aws_lambda import http, make_lambda_handler

from .lambda_apps import CONTEXT
from .test_linear_time import FRESH, assert_linear


def s3_record(key: str = "k", bucket: str = "b", name: str = "ObjectCreated:Put", host: str = "H"):
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2024-01-01T00:00:00.000Z",
        "eventName": name,
        "responseElements": {"x-amz-request-id": "R", "x-amz-id-2": host},
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}},
    }


def s3(record: dict[str, Any]) -> object:
    return aws_s3._record(record, 0)


S3_CASES = [
    pytest.param(lambda n: s3_record(key="%41+" * n), id="key-percent-plus"),
    pytest.param(lambda n: s3_record(key="é" * n), id="key-non-ascii"),
    pytest.param(lambda n: s3_record(key="a" * n + "%"), id="key-bad-percent-at-end"),
    pytest.param(lambda n: s3_record(key="a" * n + "%ff"), id="key-not-utf8-at-end"),
    pytest.param(lambda n: s3_record(key="a" * n + "\x00"), id="key-control-at-end"),
    pytest.param(lambda n: s3_record(bucket=f"{next(FRESH)}" + " " * n), id="bucket-spaces"),
    pytest.param(lambda n: s3_record(bucket=f"{next(FRESH)}" + "a" * n), id="bucket-long"),
    pytest.param(lambda n: s3_record(bucket=f"{next(FRESH)}#" * n), id="bucket-fragments"),
    pytest.param(lambda n: s3_record(name="a" * n + "\x7f"), id="name-control-at-end"),
    pytest.param(lambda n: s3_record(host="h" * n + "\x1f"), id="host-id-control-at-end"),
]


@pytest.mark.parametrize("make", S3_CASES)
def test_s3_record_is_linear(make: Callable[[int], Any]) -> None:
    assert_linear(s3, make)


def lambda_environ(headers: list[tuple[str, Any]]) -> object:
    return http.environ(
        method="GET",
        script_name="",
        path="/",
        query="",
        headers=headers,
        body=b"",
        remote_addr=None,
        protocol="HTTP/1.1",
        default_scheme="https",
        domain="api.example.com",
    )


HTTP_CASES = [
    pytest.param(lambda n: [("Host", "h")] * n, id="host-repeated"),
    pytest.param(lambda n: [("Host", "h,h")] * n, id="host-commas"),
    pytest.param(lambda n: [("Host", " h ")] * n, id="host-spaces"),
    pytest.param(lambda n: [("Host", "[:1")] * n, id="host-brackets"),
    pytest.param(lambda n: [("X-Forwarded-Port", "44")] * n, id="port-digits"),
    pytest.param(lambda n: [("X-Forwarded-Port", "4,4")] * n, id="port-commas"),
    pytest.param(lambda n: [("X-Forwarded-Port", "4")] * n, id="port-repeated"),
    pytest.param(lambda n: [(f"X-{next(FRESH)}", "v") for _ in range(n)], id="fresh-names"),
    pytest.param(lambda n: [("Cookie", "a=1")] * n, id="cookies-repeated"),
]


@pytest.mark.parametrize("make", HTTP_CASES)
def test_lambda_http_environ_is_linear(make: Callable[[int], Any]) -> None:
    assert_linear(lambda_environ, make, n=100)


def _ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return []


_HANDLER = make_lambda_handler(_ok)


def invoke(event: Any) -> object:
    try:
        return _HANDLER(event, CONTEXT)
    except Exception:
        return None


def nested_wide(n: int) -> Any:
    # Many brackets, nested just under the limit: the depth check's worst case.
    deep: Any = 1
    for _ in range(100):
        deep = [deep]
    return [deep] * max(1, n // 200)


DELIVER_CASES = [
    pytest.param(lambda n: {"items": list(range(n))}, id="fallback-wide"),
    pytest.param(nested_wide, id="fallback-nested-wide"),
    pytest.param(lambda n: {"text": "\\" * n + '"' * n}, id="fallback-escapes"),
    pytest.param(
        lambda n: {"Records": [s3_record(key=f"k{i}") for i in range(n // 50 + 1)]},
        id="s3-many-records",
    ),
]


@pytest.mark.parametrize("make", DELIVER_CASES)
def test_shim_delivery_is_linear(make: Callable[[int], Any]) -> None:
    assert_linear(invoke, make)
