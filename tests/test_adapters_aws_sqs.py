"""SQS: golden events from the shared samples, envelopes in bodies (S3, SNS,
S3 in SNS, EventBridge), record ids for batch failures, malformed messages."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.aws_sqs import ADAPTER, SQSAdapter

from . import builders
from .conftest import fixture_paths, load_fixture, require_fixture, summary, utc

NO_HEADERS = Message()
TEXT = "text/plain; charset=utf-8"
JAVA_QUEUE = "arn:aws:sqs:eu-central-1:123456789012:TestLambda"
JAVA_SENT = datetime(2020, 10, 6, 9, 15, 6, 495000, tzinfo=timezone.utc)


def sqs(message_id: str, queue: str, sent: datetime, content_type: str) -> tuple[Any, ...]:
    return ("com.amazonaws.sqs.message", queue, message_id, None, sent, content_type, message_id)


GOLDEN = [
    pytest.param(
        "aws/sqs/go-single-record.json",
        [
            sqs(
                "MessageID_1",
                "arn:aws:sqs:us-west-2:123456789012:SQSQueue",
                utc(2018, 3, 9, 18, 53, 45, 29000),
                TEXT,
            )
        ],
        ["Message Body"],
        id="go-single-record",
    ),
    pytest.param(
        "aws/sqs/powertools-java-fifo-three-records.json",
        [
            sqs(
                f"{first}9144555-9a4f-4ec3-99a0-34ce359b4b54",
                JAVA_QUEUE,
                JAVA_SENT,
                "application/json",
            )
            for first in "def"
        ],
        [
            {"id": 1234, "name": "product", "price": 42},
            {"id": 12345, "name": "product5", "price": 45},
            {"id": 123456, "name": "product6", "price": 46},
        ],
        id="powertools-java-fifo-three-records",
    ),
    pytest.param(
        "aws/sqs/powertools-java-three-records.json",
        [
            sqs(
                f"{first}9144555-9a4f-4ec3-99a0-34ce359b4b54",
                JAVA_QUEUE,
                JAVA_SENT,
                "application/json",
            )
            for first in "def"
        ],
        [
            {"id": 1234, "name": "product", "price": 42},
            {"id": 12345, "name": "product5", "price": 45},
            {"id": 123456, "name": "product6", "price": 46},
        ],
        id="powertools-java-three-records",
    ),
    pytest.param(
        "aws/sqs/powertools-two-records.json",
        [
            sqs(
                "059f36b4-87a3-44ab-83d2-661975830a7d",
                "arn:aws:sqs:us-east-2:123456789012:my-queue",
                utc(2018, 12, 17, 21, 37, 29, 183000),
                TEXT,
            ),
            sqs(
                "2e1424d4-f796-459a-8184-9c92662be6da",
                "arn:aws:sqs:us-east-2:123456789012:my-queue",
                utc(2018, 12, 17, 21, 37, 30, 636000),
                "application/json",
            ),
        ],
        ["Test message.", {"message": "foo1"}],
        id="powertools-two-records",
    ),
    pytest.param(
        # An S3 notification in the body: the S3 event, reported by messageId.
        "aws/sqs/powertools-s3-notification-via-sqs.json",
        [
            (
                "com.amazonaws.s3.ObjectCreated:Put",
                "aws:s3.us-east-1.xxx",
                "YMSSR8BZJ2Y99K6P.6ASrUfj5xpn859fIq+6FXflOex/SKl/rjfiMd7wRzMg/"
                "zkHKR22PDpnh7KD3uq//cuOTbdX4DInN5eIs+cR0dY1z2Mc5NDP/",
                "test.pdf",
                utc(2023, 4, 12, 20, 43, 38, 21000),
                "application/json",
                "ca3e7a89-c358-40e5-8aa0-5da01403c267",
            )
        ],
        None,
        id="powertools-s3-notification-via-sqs",
    ),
    pytest.param(
        # An SNS notification document in the body (no raw delivery).
        "aws/sqs/powertools-sns-via-sqs.json",
        [
            (
                "com.amazonaws.sns.Notification",
                "arn:aws:sns:eu-west-1:231436140809:powertools265",
                "d88d4479-6ec0-54fe-b63f-1cf9df4bb16e",
                None,
                utc(2021, 1, 19, 10, 7, 7, 287000),
                "application/json",
                "79406a00-bf15-46ca-978c-22c3613fcb30",
            )
        ],
        [{"message": "hello world", "username": "lessa"}],
        id="powertools-sns-via-sqs",
    ),
]


@pytest.mark.parametrize(("relative", "expected", "data"), GOLDEN)
def test_golden(relative: str, expected: list[tuple[Any, ...]], data: list[Any] | None) -> None:
    payload = load_fixture(require_fixture(relative))
    assert ADAPTER.matches(payload, NO_HEADERS)
    converted = ADAPTER.convert(payload, NO_HEADERS)
    assert [summary(item) for item in converted] == expected
    if data is not None:
        assert [item.event.get_data() for item in converted] == data


def test_twenty_five_records() -> None:
    payload = load_fixture(require_fixture("aws/sqs/powertools-java-25-records.json"))
    converted = ADAPTER.convert(payload, NO_HEADERS)
    assert len(converted) == len(payload["Records"]) == 25
    for item, record in zip(converted, payload["Records"], strict=True):
        assert item.record_id == item.event.get_id() == record["messageId"]
        assert item.event.get_data() == json.loads(record["body"])
        assert item.native is record
    assert summary(converted[0]) == sqs(
        "d9144555-9a4f-4ec3-99a0-34ce359b4b54", JAVA_QUEUE, JAVA_SENT, "application/json"
    )


def test_native_is_the_record() -> None:
    payload = load_fixture(require_fixture("aws/sqs/go-single-record.json"))
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    assert converted.native is payload["Records"][0]


NESTED = "aws/sqs/datadog-sns-s3-nested-via-sqs.json"


def test_s3_in_sns_in_sqs_sample_lacks_the_s3_request_ids() -> None:
    # The sample's S3 record was trimmed by hand: without responseElements
    # there is no id for the S3 event, and no id is ever invented.
    payload = load_fixture(require_fixture(NESTED))
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == "Records[0].body.Message.Records[0].responseElements"
    assert caught.value.reason == "is missing"


def test_s3_in_sns_in_sqs_innermost_wins() -> None:
    payload = load_fixture(require_fixture(NESTED))
    record = payload["Records"][0]
    document = json.loads(record["body"])
    s3 = json.loads(document["Message"])
    s3["Records"][0]["responseElements"] = {"x-amz-request-id": "REQ", "x-amz-id-2": "HOST"}
    document["Message"] = json.dumps(s3)
    record["body"] = json.dumps(document)
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    assert summary(converted) == (
        "com.amazonaws.s3.ObjectCreated:Put",
        "aws:s3.us-east-1.my-bucket",
        "REQ.HOST",
        "my-key.log",
        utc(2024, 1, 15, 12),
        "application/json",
        "059f36b4-87a3-44ab-83d2-661975830a7d",  # the SQS messageId
    )
    assert converted.native == s3["Records"][0]


def test_s3_in_sns_in_sqs_with_unwrap_false() -> None:
    payload = load_fixture(require_fixture(NESTED))
    (converted,) = SQSAdapter(unwrap=False).convert(payload, NO_HEADERS)
    assert summary(converted) == sqs(
        "059f36b4-87a3-44ab-83d2-661975830a7d",
        "arn:aws:sqs:us-east-1:123456789012:my-queue",
        utc(2018, 12, 17, 21, 37, 29, 636000),
        "application/json",
    )
    assert converted.event.get_data()["Type"] == "Notification"


def test_s3_in_sqs_with_unwrap_false() -> None:
    payload = load_fixture(require_fixture("aws/sqs/powertools-s3-notification-via-sqs.json"))
    (converted,) = SQSAdapter(unwrap=False).convert(payload, NO_HEADERS)
    assert converted.event.get_type() == "com.amazonaws.sqs.message"
    assert converted.event.get_data() == json.loads(payload["Records"][0]["body"])


def test_every_sample_is_tested() -> None:
    paths = {f"aws/sqs/{path.name}" for path in fixture_paths("aws/sqs")}
    if not paths:
        pytest.skip("../shared/fixtures is not present")
    tested = {param.values[0] for param in GOLDEN}
    tested |= {"aws/sqs/powertools-java-25-records.json", NESTED}
    assert paths == tested


def message(body: str, **changes: Any) -> dict[str, Any]:
    """An SQS record as AWS documents it; a change to ``...`` removes the member."""
    record = builders.sqs_message(
        message_id="19dd0b57-b21e-4ac1-bd88-01bbb068cb78",
        body=body,
        queue="MyQueue",
        region="us-east-1",
        sent="1523232000000",
    )
    record.update(changes)
    return {key: value for key, value in record.items() if value is not ...}


def test_eventbridge_in_sqs_becomes_the_eventbridge_event() -> None:
    envelope = {
        "version": "0",
        "id": "0d079340-135a-c8c6-95c2-41fb8f496c53",
        "detail-type": "OrderPlaced",
        "source": "com.example.orders",
        "account": "123456789012",
        "time": "2024-03-01T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"order": 17},
    }
    (converted,) = ADAPTER.convert({"Records": [message(json.dumps(envelope))]}, NO_HEADERS)
    assert summary(converted) == (
        "OrderPlaced",
        "com.example.orders",
        "0d079340-135a-c8c6-95c2-41fb8f496c53",
        None,
        utc(2024, 3, 1, 10),
        "application/json",
        "19dd0b57-b21e-4ac1-bd88-01bbb068cb78",
    )
    assert converted.event.get_extensions() == {"awsregion": "us-east-1"}
    assert converted.event.get_data() == {"order": 17}


def test_each_record_keeps_its_own_message_id_through_nesting() -> None:
    first = load_fixture(require_fixture("aws/sqs/powertools-sns-via-sqs.json"))["Records"][0]
    second = message("plain text")
    converted = ADAPTER.convert({"Records": [first, second]}, NO_HEADERS)
    assert [item.record_id for item in converted] == [
        "79406a00-bf15-46ca-978c-22c3613fcb30",
        "19dd0b57-b21e-4ac1-bd88-01bbb068cb78",
    ]


def test_error_inside_a_body_names_the_body() -> None:
    envelope = {"detail-type": "X", "source": "s", "detail": {}, "id": ""}
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert({"Records": [message("ok"), message(json.dumps(envelope))]}, NO_HEADERS)
    assert caught.value.field == "Records[1].body.id"


@pytest.mark.parametrize(
    "attributes",
    [pytest.param(..., id="no-attributes"), pytest.param({"SenderId": "1"}, id="no-sent")],
)
def test_without_sent_timestamp_there_is_no_time(attributes: Any) -> None:
    (converted,) = ADAPTER.convert({"Records": [message("x", attributes=attributes)]}, NO_HEADERS)
    assert converted.event.get_time() is None


def test_sent_timestamp_as_a_number() -> None:
    attributes = {"SentTimestamp": 1523232000123}
    (converted,) = ADAPTER.convert({"Records": [message("x", attributes=attributes)]}, NO_HEADERS)
    assert converted.event.get_time() == utc(2018, 4, 9, 0, 0, 0, 123000)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        pytest.param(message("x", messageId=...), "Records[0].messageId", id="no-message-id"),
        pytest.param(message("x", messageId=""), "Records[0].messageId", id="empty-message-id"),
        pytest.param(
            {key: value for key, value in message("x").items() if key != "body"},
            "Records[0].body",
            id="no-body",
        ),
        pytest.param(message("x") | {"body": {"a": 1}}, "Records[0].body", id="body-object"),
        pytest.param(message("x", eventSourceARN=...), "Records[0].eventSourceARN", id="no-arn"),
        pytest.param(message("x", attributes=[]), "Records[0].attributes", id="attributes-array"),
        pytest.param(
            message("x", attributes={"SentTimestamp": "12:00"}),
            "Records[0].attributes.SentTimestamp",
            id="sent-not-digits",
        ),
        pytest.param(
            message("x", attributes={"SentTimestamp": True}),
            "Records[0].attributes.SentTimestamp",
            id="sent-boolean",
        ),
        pytest.param(
            message("x", attributes={"SentTimestamp": "9" * 40}),
            "Records[0].attributes.SentTimestamp",
            id="sent-out-of-range",
        ),
    ],
)
def test_malformed(record: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert({"Records": [record]}, NO_HEADERS)
    assert caught.value.field == field
    assert caught.value.status == 400


def test_mixed_records_are_invalid() -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(
            {"Records": [message("x"), message("y", eventSource="aws:sns")]}, NO_HEADERS
        )
    assert caught.value.field == "Records[1].eventSource"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"Records": [{"EventSource": "aws:sqs"}]}, id="pascal-case-key"),
        pytest.param({"Records": [{"eventSource": "aws:s3"}]}, id="s3"),
        pytest.param({"Records": []}, id="no-records"),
        pytest.param({"records": [message("x")]}, id="lower-case-records"),
        pytest.param(message("x"), id="bare-record"),
    ],
)
def test_does_not_match(payload: Any) -> None:
    assert not ADAPTER.matches(payload, NO_HEADERS)


def test_convert_does_not_change_the_payload() -> None:
    payload = load_fixture(require_fixture(NESTED))
    before = copy.deepcopy(payload)
    SQSAdapter(unwrap=False).convert(payload, NO_HEADERS)
    assert payload == before


def test_deeply_nested_json_body_stays_text() -> None:
    body = "[" * 100_000 + "]" * 100_000
    (converted,) = ADAPTER.convert({"Records": [message(body)]}, NO_HEADERS)
    assert converted.event.get_data() == body
    assert converted.event.get_datacontenttype() == TEXT
