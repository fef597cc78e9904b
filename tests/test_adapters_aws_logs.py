"""CloudWatch Logs subscriptions: golden events from the shared samples
(gzip, zlib, decoded), control messages, the decompression limit, malformed
deliveries."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from typing import Any

import pytest

from cloudevents_wsgi import ConfigurationError, InvalidEventError, Message, PayloadTooLargeError
from cloudevents_wsgi.adapters.aws_logs import ADAPTER, MAX_DECOMPRESSED_SIZE, LogsAdapter

from .conftest import fixture_paths, load_fixture, require_fixture, utc

NO_HEADERS = Message()


AWS_SAMPLE = (
    "com.amazonaws.logs.DATA_MESSAGE",
    "testLogGroup",
    "eventId1",
    "testLogStream",
    utc(2015, 8, 24, 19, 3, 7),
)
GOLDEN = [
    pytest.param("aws/cloudwatch-logs/go-awslogs.json", AWS_SAMPLE, id="go-awslogs-gzip"),
    pytest.param(
        # zlib (78 DA), not gzip; "policyLevel" in the decoded JSON
        "aws/cloudwatch-logs/powertools-awslogs-policy-level.json",
        AWS_SAMPLE,
        id="powertools-awslogs-zlib",
    ),
    pytest.param(
        # already decoded: the JSON inside awslogs.data
        "aws/cloudwatch-logs/datadog-decoded-data-message-ddtags.json",
        (
            "com.amazonaws.logs.DATA_MESSAGE",
            "/aws/lambda/testing-datadog",
            "35311576111948622874033876462979853992919938886093242368",
            "2024/10/10/[$LATEST]20bddfd5a2dc4c6b97ac02800eae90d0",
            utc(2020, 3, 5, 16, 30, 36, 114000),
        ),
        id="datadog-decoded-ddtags",
    ),
    pytest.param(
        # the sample's timestamp (1737735732) is in seconds where AWS sends
        # milliseconds: it is read as milliseconds, as AWS means it
        "aws/cloudwatch-logs/datadog-decoded-data-message-small.json",
        (
            "com.amazonaws.logs.DATA_MESSAGE",
            "/aws/rds/cluster",
            "45311576111948622874033876462979853992919938886093242368",
            "2025/01/01/[$LATEST]3b1b2b3b4b5b6b7b8b9b0",
            utc(1970, 1, 21, 2, 42, 15, 732000),
        ),
        id="datadog-decoded-small",
    ),
]


def decoded(payload: dict[str, Any]) -> Any:
    if "awslogs" not in payload:
        return payload
    return json.loads(zlib.decompress(base64.b64decode(payload["awslogs"]["data"]), 47))


@pytest.mark.parametrize(("relative", "expected"), GOLDEN)
def test_golden(relative: str, expected: tuple[Any, ...]) -> None:
    payload = load_fixture(require_fixture(relative))
    assert ADAPTER.matches(payload, NO_HEADERS)
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    event = converted.event
    assert (
        event.get_type(),
        event.get_source(),
        event.get_id(),
        event.get_subject(),
        event.get_time(),
    ) == expected
    assert event.get_datacontenttype() == "application/json"
    assert event.get_data() == decoded(payload)
    assert converted.native is payload
    assert converted.record_id is None


def test_zlib_sample_keeps_the_policy_level() -> None:
    payload = load_fixture(
        require_fixture("aws/cloudwatch-logs/powertools-awslogs-policy-level.json")
    )
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    assert converted.event.get_data()["policyLevel"] == "ACCOUNT_LEVEL_POLICY"


def test_every_sample_is_in_the_golden_table() -> None:
    paths = {f"aws/cloudwatch-logs/{path.name}" for path in fixture_paths("aws/cloudwatch-logs")}
    if not paths:
        pytest.skip("../shared/fixtures is not present")
    assert paths == {param.values[0] for param in GOLDEN}


def delivery(document: Any, *, compress: Any = gzip.compress) -> dict[str, Any]:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return {"awslogs": {"data": base64.b64encode(compress(raw)).decode()}}


# As AWS documents the health check it sends to a new destination.
CONTROL = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [
        {
            "id": "",
            "timestamp": 1432826855000,
            "message": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.",
        }
    ],
}


def test_control_message() -> None:
    (converted,) = ADAPTER.convert(delivery(CONTROL), NO_HEADERS)
    event = converted.event
    assert (
        event.get_type(),
        event.get_source(),
        event.get_id(),
        event.get_subject(),
        event.get_time(),
    ) == (
        "com.amazonaws.logs.CONTROL_MESSAGE",
        "CloudwatchLogs",
        "1432826855000",
        None,
        utc(2015, 5, 28, 15, 27, 35),
    )
    assert event.get_data() == CONTROL


DATA = {
    "messageType": "DATA_MESSAGE",
    "owner": "123456789012",
    "logGroup": "/aws/lambda/my function#1",
    "logStream": "2024/01/01/[$LATEST]abc",
    "subscriptionFilters": ["all"],
    "logEvents": [{"id": "3", "timestamp": 1, "message": "x"}],
}


def test_log_group_with_characters_a_uri_cannot_hold() -> None:
    (converted,) = ADAPTER.convert(delivery(DATA), NO_HEADERS)
    assert converted.event.get_source() == "/aws/lambda/my%20function%231"


def test_decompression_limit() -> None:
    adapter = LogsAdapter(max_decompressed_size=1000)
    small = json.dumps(DATA).encode()
    padded = small[:-1] + b" " * (1000 - len(small)) + b"}"
    assert len(padded) == 1000
    (converted,) = adapter.convert(delivery(padded), NO_HEADERS)
    assert converted.event.get_data() == DATA
    with pytest.raises(PayloadTooLargeError) as caught:
        adapter.convert(delivery(padded[:-1] + b" }"), NO_HEADERS)
    assert caught.value.field == "awslogs.data"
    assert caught.value.status == 413


def test_default_limit_stops_a_decompression_bomb() -> None:
    bomb = delivery(b" " * (MAX_DECOMPRESSED_SIZE + 1))
    assert len(bomb["awslogs"]["data"]) < 100_000
    with pytest.raises(PayloadTooLargeError):
        ADAPTER.convert(bomb, NO_HEADERS)


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "10"])
def test_limit_must_be_a_positive_integer(size: Any) -> None:
    with pytest.raises(ConfigurationError):
        LogsAdapter(max_decompressed_size=size)


def with_events(events: Any) -> dict[str, Any]:
    return {**DATA, "logEvents": events}


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        pytest.param({"awslogs": {"data": "not base64!"}}, "awslogs.data", "base64", id="base64"),
        pytest.param(
            {"awslogs": {"data": base64.b64encode(b"plain").decode()}},
            "awslogs.data",
            "gzip",
            id="not-compressed",
        ),
        pytest.param(
            {"awslogs": {"data": delivery(DATA)["awslogs"]["data"][:40]}},
            "awslogs.data",
            "truncated",
            id="truncated",
        ),
        pytest.param(
            delivery(DATA, compress=lambda raw: gzip.compress(raw) + b"junk"),
            "awslogs.data",
            "after",
            id="trailing-bytes",
        ),
        pytest.param(delivery(b"\xff\xfe"), "awslogs.data", "JSON", id="not-utf8"),
        pytest.param(delivery(b"[1, 2]"), "awslogs.data", "object", id="json-array"),
        pytest.param(
            delivery({**DATA, "messageType": "OTHER"}),
            "awslogs.data.messageType",
            "DATA_MESSAGE",
            id="unknown-message-type",
        ),
        pytest.param(
            delivery(with_events([])), "awslogs.data.logEvents", "empty", id="no-log-events"
        ),
        pytest.param(
            delivery(with_events({})), "awslogs.data.logEvents", "array", id="log-events-object"
        ),
        pytest.param(
            delivery(with_events([{"id": "1"}])),
            "awslogs.data.logEvents[0].timestamp",
            "missing",
            id="no-timestamp",
        ),
        pytest.param(
            delivery(with_events([{"id": "", "timestamp": 1}])),
            "awslogs.data.logEvents[0].id",
            "empty",
            id="data-message-empty-id",
        ),
        pytest.param(
            delivery({**DATA, "logGroup": ""}),
            "awslogs.data.logGroup",
            "empty",
            id="data-message-empty-group",
        ),
        pytest.param(
            with_events([{"id": "1", "timestamp": "soon"}]),
            "logEvents[0].timestamp",
            "digits",
            id="decoded-timestamp-text",
        ),
        pytest.param(
            {key: value for key, value in DATA.items() if key != "logGroup"},
            "logGroup",
            "missing",
            id="decoded-no-group",
        ),
        pytest.param({"awslogs": {"data": 5}}, "awslogs.data", "string", id="data-number"),
    ],
)
def test_malformed(payload: Any, field: str, reason: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == field
    assert caught.value.status == 400
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"awslogs": {}}, id="no-data"),
        pytest.param({"awslogs": "x"}, id="awslogs-string"),
        pytest.param({"messageType": "DATA_MESSAGE"}, id="no-log-events"),
        pytest.param({"messageType": ["DATA_MESSAGE"], "logEvents": []}, id="type-array"),
        pytest.param({"messageType": "OTHER", "logEvents": []}, id="unknown-type"),
        pytest.param({"Records": [{"eventSource": "aws:logs"}]}, id="records"),
    ],
)
def test_does_not_match(payload: Any) -> None:
    assert not ADAPTER.matches(payload, NO_HEADERS)
