"""Every AWS adapter refuses a name no URI can hold (a lone surrogate, as a
JSON ``"\\ud800"`` escape decodes) naming the native field it came from, not
``source`` (the round 5 attack found the kind in the S3 adapter; here is the
rest of it). A record batch refuses that record alone, as before."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters import (
    aws_dynamodb,
    aws_eventbridge,
    aws_kafka,
    aws_kinesis,
    aws_logs,
    aws_sns,
    aws_sqs,
)
from cloudevents_wsgi.cli import load_sample

from .builders import (
    dynamodb_batch,
    kafka_event,
    kafka_record,
    kinesis_batch,
    sqs_batch,
)

BAD = "arn:aws:x:us-east-1:123456789012:bad\ud800"
NO_HEADERS = Message()


def _refusal(convert: Any, payload: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        convert(payload, NO_HEADERS)
    return caught.value


def _each(adapter: Any, payload: Any) -> list[Any]:
    """convert_each's outcome per record: the refusal's field, or "ok"."""
    return [
        outcome.field if isinstance(outcome, InvalidEventError) else "ok"
        for outcome in adapter.convert_each(payload, NO_HEADERS)
    ]


def test_sqs_names_the_record_s_event_source_arn() -> None:
    payload = sqs_batch("a", "b")
    payload["Records"][1]["eventSourceARN"] = BAD
    assert _each(aws_sqs.ADAPTER, payload) == ["ok", "Records[1].eventSourceARN"]
    assert _refusal(aws_sqs.ADAPTER.convert, payload).field == "Records[1].eventSourceARN"


def test_kinesis_names_the_record_s_event_source_arn() -> None:
    payload = kinesis_batch("1", "2")
    payload["Records"][0]["eventSourceARN"] = BAD
    assert _each(aws_kinesis.ADAPTER, payload) == ["Records[0].eventSourceARN", "ok"]


def test_dynamodb_names_the_record_s_event_source_arn() -> None:
    payload = dynamodb_batch("1", "2")
    payload["Records"][1]["eventSourceARN"] = BAD
    assert _each(aws_dynamodb.ADAPTER, payload) == ["ok", "Records[1].eventSourceARN"]


def test_kafka_names_the_topic_or_the_event_s_source() -> None:
    good, bad = kafka_record(offset=1), kafka_record(topic="t\ud800", offset=2)
    assert _each(aws_kafka.ADAPTER, kafka_event(good, bad)) == ["ok", "records.t\ud800-0[0].topic"]
    msk = kafka_event(good)
    msk["eventSourceArn"] = BAD
    assert _each(aws_kafka.ADAPTER, msk) == ["eventSourceArn"]
    self_managed = kafka_event(good, self_managed=True)
    self_managed["bootstrapServers"] = "broker\ud800:9092"
    assert _each(aws_kafka.ADAPTER, self_managed) == ["bootstrapServers"]


def test_kafka_source_is_the_same_text_made_in_two_parts() -> None:
    # Percent-encoded part by part, joined by "/" (which stays): as a whole.
    record = kafka_record(topic="orders é/x")
    [[converted]] = aws_kafka.ADAPTER.convert_each(kafka_event(record), NO_HEADERS)
    assert converted.event.get_source().endswith("/orders%20%C3%A9/x")


def test_eventbridge_names_source() -> None:
    payload = load_sample("eventbridge-scheduled")
    payload["source"] = "aws.events\ud800"
    assert _refusal(aws_eventbridge.ADAPTER.convert, payload).field == "source"


def _sns_record(*, subscription: str | None, topic: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "Sns": {
            "Type": "Notification",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": topic,
            "Subject": "example subject",
            "Message": "example message",
            "Timestamp": "1970-01-01T00:00:00.000Z",
        },
    }
    if subscription is not None:
        record["EventSubscriptionArn"] = subscription
    return {"Records": [record]}


def test_sns_names_the_subscription_or_the_topic_arn() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:sns-lambda"
    payload = _sns_record(subscription=BAD, topic=topic)
    assert _refusal(aws_sns.ADAPTER.convert, payload).field == "Records[0].EventSubscriptionArn"
    payload = _sns_record(subscription=None, topic=BAD)
    assert _refusal(aws_sns.ADAPTER.convert, payload).field == "Records[0].Sns.TopicArn"


def test_logs_names_the_log_group() -> None:
    document = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/lambda/bad\ud800",
        "logStream": "2024/05/01/[$LATEST]abc",
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": "1", "timestamp": 1714557600000, "message": "hello"}],
    }
    data = base64.b64encode(gzip.compress(json.dumps(document).encode())).decode()
    refusal = _refusal(aws_logs.ADAPTER.convert, {"awslogs": {"data": data}})
    assert refusal.field.endswith("logGroup")
    assert refusal.reason == "is not valid text"
