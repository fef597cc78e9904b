"""Kinesis Data Streams: golden events from the shared samples (text, JSON,
gzip bytes), malformed records."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.aws_kinesis import ADAPTER

from .conftest import fixture_paths, load_fixture, require_fixture, utc

NO_HEADERS = Message()
OCTETS = "application/octet-stream"
SIMPLE = "arn:aws:kinesis:us-east-1:123456789012:stream/simple-stream"
LOGS_STREAM = (
    "arn:aws:kinesis:eu-west-1:231436140809:stream/pt-1488-KinesisStreamCloudWatchLogs-D8tHs0im0aJG"
)
SEQ_1 = "49568167373333333333333333333333333333333333333333333333"
SEQ_2 = "49568167373333333334444444444444444444444444444444444444"


HELLO_WORLD = [
    (
        SIMPLE,
        f"shardId-000000000000:{SEQ_1}",
        "s1",
        utc(2016, 12, 2, 1, 18, 43, 477000),
        OCTETS,
        SEQ_1,
    ),
    (
        SIMPLE,
        f"shardId-000000000000:{SEQ_2}",
        "s1",
        utc(2016, 12, 4, 8, 52, 3, 477000),
        OCTETS,
        SEQ_2,
    ),
]
JAVA_SEQ = "4954511524349098501828006771497314458218006259324420096"

GOLDEN = [
    pytest.param(
        "aws/kinesis/go-two-records.json", HELLO_WORLD, [b"Hello World"] * 2, id="go-two-records"
    ),
    pytest.param(
        # encryptionType KMS: Lambda receives the data already decrypted
        "aws/kinesis/rust-encrypted.json",
        HELLO_WORLD,
        [b"Hello World"] * 2,
        id="rust-encrypted",
    ),
    pytest.param(
        "aws/kinesis/powertools-two-records.json",
        [
            (
                "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
                "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
                "1",
                utc(2018, 12, 17, 22, 10, 50, 987000),
                OCTETS,
                "49590338271490256608559692538361571095921575989136588898",
            ),
            (
                "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
                "shardId-000000000006:49590338271490256608559692540925702759324208523137515618",
                "1",
                utc(2018, 12, 17, 22, 11, 51, 166000),
                OCTETS,
                "49590338271490256608559692540925702759324208523137515618",
            ),
        ],
        [b"Hello, this is a test.", b"This is only a test."],
        id="powertools-two-records",
    ),
    pytest.param(
        # JSON data; both records carry the same eventID, their sequence
        # numbers (the record ids) differ
        "aws/kinesis/powertools-java-two-records.json",
        [
            (
                "arn:aws:kinesis:EXAMPLE",
                f"shardId-000000000000:{JAVA_SEQ}1",
                "partitionKey-03",
                utc(2015, 4, 9),
                "application/json",
                f"{JAVA_SEQ}1",
            ),
            (
                "arn:aws:kinesis:EXAMPLE",
                f"shardId-000000000000:{JAVA_SEQ}1",
                "partitionKey-03",
                utc(2015, 4, 9),
                "application/json",
                f"{JAVA_SEQ}2",
            ),
        ],
        [
            {"id": 1234, "name": "product", "price": 42},
            {"id": 12345, "name": "product5", "price": 45},
        ],
        id="powertools-java-two-records",
    ),
    pytest.param(
        # gzip-compressed CloudWatch Logs data: stays bytes
        "aws/kinesis/powertools-cloudwatch-logs-payload.json",
        [
            (
                LOGS_STREAM,
                "shardId-000000000000:49635052289529725553291405521504870233219489715332317186",
                "da10bf66b1f54bff5d96eae99149ad1f",
                utc(2022, 11, 10, 15, 10, 33, 744000),
                OCTETS,
                "49635052289529725553291405521504870233219489715332317186",
            ),
            (
                LOGS_STREAM,
                "shardId-000000000000:49635052289529725553291405520881064510298312199003701250",
                "cf4c4c2c9a49bdfaf58d7dbbc2b06081",
                utc(2022, 11, 10, 15, 3, 32, 992000),
                OCTETS,
                "49635052289529725553291405520881064510298312199003701250",
            ),
        ],
        None,
        id="powertools-cloudwatch-logs-payload",
    ),
]


@pytest.mark.parametrize(("relative", "events", "data"), GOLDEN)
def test_golden(relative: str, events: list[tuple[Any, ...]], data: list[Any] | None) -> None:
    payload = load_fixture(require_fixture(relative))
    assert ADAPTER.matches(payload, NO_HEADERS)
    converted = ADAPTER.convert(payload, NO_HEADERS)
    assert [
        (
            item.event.get_source(),
            item.event.get_id(),
            item.event.get_subject(),
            item.event.get_time(),
            item.event.get_datacontenttype(),
            item.record_id,
        )
        for item in converted
    ] == events
    for item, record in zip(converted, payload["Records"], strict=True):
        assert item.event.get_type() == "com.amazonaws.kinesis.record"
        assert item.native is record
    if data is not None:
        assert [item.event.get_data() for item in converted] == data


def test_gzip_data_is_delivered_as_the_producer_wrote_it() -> None:
    payload = load_fixture(require_fixture("aws/kinesis/powertools-cloudwatch-logs-payload.json"))
    first = ADAPTER.convert(payload, NO_HEADERS)[0].event.get_data()
    assert first == base64.b64decode(payload["Records"][0]["kinesis"]["data"])
    assert json.loads(gzip.decompress(first))["messageType"] == "DATA_MESSAGE"


def test_every_sample_is_in_the_golden_table() -> None:
    paths = {f"aws/kinesis/{path.name}" for path in fixture_paths("aws/kinesis")}
    if not paths:
        pytest.skip("../shared/fixtures is not present")
    assert paths == {param.values[0] for param in GOLDEN}


def record(raw: bytes = b"{}", **kinesis: Any) -> dict[str, Any]:
    """A Kinesis record as AWS documents it."""
    inner: dict[str, Any] = {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "1",
        "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
        "data": base64.b64encode(raw).decode(),
        "approximateArrivalTimestamp": 1545084650.987,
    }
    inner.update(kinesis)
    return {
        "kinesis": {key: value for key, value in inner.items() if value is not ...},
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
        "awsRegion": "us-east-2",
        "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
    }


@pytest.mark.parametrize(
    ("raw", "data", "content_type"),
    [
        pytest.param(b'{"a": [1]}', {"a": [1]}, "application/json", id="json-object"),
        pytest.param('["é"]'.encode(), ["é"], "application/json", id="json-array-utf8"),
        pytest.param(b"42", b"42", OCTETS, id="number-stays-bytes"),
        pytest.param(b"\xff\xfe{}", b"\xff\xfe{}", OCTETS, id="not-utf8"),
        pytest.param(b"", b"", OCTETS, id="empty"),
    ],
)
def test_data(raw: bytes, data: Any, content_type: str) -> None:
    (converted,) = ADAPTER.convert({"Records": [record(raw)]}, NO_HEADERS)
    assert converted.event.get_data() == data
    assert converted.event.get_datacontenttype() == content_type


def test_without_arrival_time_there_is_no_time() -> None:
    item = record(approximateArrivalTimestamp=...)
    (converted,) = ADAPTER.convert({"Records": [item]}, NO_HEADERS)
    assert converted.event.get_time() is None


@pytest.mark.parametrize(
    ("item", "field"),
    [
        pytest.param(record(data="not base64!"), "Records[0].kinesis.data", id="data-not-base64"),
        pytest.param(record(data=...), "Records[0].kinesis.data", id="no-data"),
        pytest.param(record(partitionKey=...), "Records[0].kinesis.partitionKey", id="no-key"),
        pytest.param(record(partitionKey=""), "Records[0].kinesis.partitionKey", id="empty-key"),
        pytest.param(
            record(sequenceNumber=...), "Records[0].kinesis.sequenceNumber", id="no-sequence"
        ),
        pytest.param(
            record(approximateArrivalTimestamp="1545084650.987"),
            "Records[0].kinesis.approximateArrivalTimestamp",
            id="time-string-with-fraction",
        ),
        pytest.param(
            record(approximateArrivalTimestamp=False),
            "Records[0].kinesis.approximateArrivalTimestamp",
            id="time-boolean",
        ),
        pytest.param(record() | {"kinesis": None}, "Records[0].kinesis", id="no-kinesis"),
        pytest.param(record() | {"eventID": 5}, "Records[0].eventID", id="event-id-number"),
    ],
)
def test_malformed(item: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert({"Records": [item]}, NO_HEADERS)
    assert caught.value.field == field
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"Records": [{"eventSource": "aws:dynamodb"}]}, id="dynamodb"),
        pytest.param({"Records": [{"eventSource": "aws:kinesis:record"}]}, id="event-name"),
        pytest.param(record(), id="bare-record"),
    ],
)
def test_does_not_match(payload: Any) -> None:
    assert not ADAPTER.matches(payload, NO_HEADERS)


def test_mixed_records_are_invalid() -> None:
    other = record() | {"eventSource": "aws:dynamodb"}
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert({"Records": [record(), other]}, NO_HEADERS)
    assert caught.value.field == "Records[1].eventSource"
