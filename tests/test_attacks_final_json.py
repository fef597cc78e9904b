"""Final attack on the optional msgspec JSON path: near-miss and absurd
bodies cost time linear in their size on the path that is in use, and a
Kafka record that cannot be read refuses only itself (and, as a stream, the
records behind it in its partition), never the partitions beside it."""

from __future__ import annotations

from typing import Any

import pytest

from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.receiver import parse_structured

from .builders import kafka_event, kafka_record
from .lambda_apps import CONTEXT
from .test_linear_time import assert_linear

NEAR_MISSES = [
    pytest.param(lambda n: b'{"data":"' + b"\\\\" * n, id="unclosed-string-of-escapes"),
    pytest.param(lambda n: b'{"data":' + b"[" * n, id="unclosed-brackets"),
    pytest.param(lambda n: b'{"data":[' + b"1," * n + b"]}", id="trailing-comma"),
    pytest.param(lambda n: b'{"data":' + b"9" * n + b"}", id="long-integer"),
    pytest.param(lambda n: b'{"data":1e' + b"9" * n + b"}", id="long-exponent"),
    pytest.param(lambda n: b'{"data":"' + b"\\u00e9" * n + b'\x01"}', id="control-after-escapes"),
    # Valid, and just under the depth limit many times over: the depth check's
    # every pass runs (a deeper body stops at the parser's RecursionError at once).
    pytest.param(
        lambda n: b'{"data":[' + b",".join([b"[" * 126 + b"]" * 126] * max(1, n // 252)) + b"]}",
        id="many-blocks-just-under-the-depth-limit",
    ),
]


@pytest.mark.parametrize("make", NEAR_MISSES)
def test_structured_near_miss_bodies_cost_linear_time(make: Any) -> None:
    assert_linear(parse_structured, make)


class Recorder:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.ids.append(environ["cloudevent"].get_id())
        start_response("204 No Content", [])
        return []


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"value": "!!not-base64"}, id="value-not-base64"),
        pytest.param({"headers": "x"}, id="headers-not-an-array"),
        pytest.param({"headers": [{"a": [300]}]}, id="header-byte-out-of-range"),
        pytest.param({"headers": [("ce_specversion", b"\xff")]}, id="header-not-utf8"),
        pytest.param({"value": b'{"x":', "ct": True}, id="structured-value-not-json"),
    ],
)
def test_unreadable_kafka_record_fails_only_itself_and_its_partition_tail(
    bad: dict[str, Any],
) -> None:
    headers: list[tuple[str, bytes]] = []
    if bad.get("ct"):
        headers = [("content-type", b"application/cloudevents+json")]
    if (
        isinstance(bad.get("headers"), list)
        and bad["headers"]
        and isinstance(bad["headers"][0], tuple)
    ):
        headers = bad["headers"]
    broken = kafka_record(topic="a", offset=2, headers=headers, value=b"{}")
    if isinstance(bad.get("value"), bytes):
        broken = kafka_record(topic="a", offset=2, headers=headers, value=bad["value"])
    if "value" in bad and isinstance(bad["value"], str):
        broken["value"] = bad["value"]
    if "headers" in bad and not (bad["headers"] and isinstance(bad["headers"][0], tuple)):
        broken["headers"] = bad["headers"]
    records = [
        kafka_record(topic="a", offset=1),
        broken,
        kafka_record(topic="a", offset=3),
        kafka_record(topic="b", offset=1),
        kafka_record(topic="b", offset=2),
    ]
    app = Recorder()
    answer = make_lambda_handler(app)(kafka_event(*records), CONTEXT)
    # Partition a stops at offset 2 (Lambda retries from it); partition b is untouched.
    assert answer == {"batchItemFailures": [{"itemIdentifier": {"partition": "a-0", "offset": 2}}]}
    assert app.ids == ["a-0-1", "b-0-1", "b-0-2"]
