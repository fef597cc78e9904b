"""SNS: the Lambda event and the bare message document (HTTP, SQS bodies),
S3 notifications inside SNS, and malformed messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.aws_sns import ADAPTER, SNSAdapter

from .conftest import fixture_paths, load_fixture, require_fixture, summary, utc

NO_HEADERS = Message()
TEXT = "text/plain; charset=utf-8"


GOLDEN = [
    pytest.param(
        "aws/sns/go-cloudwatch-alarm-payload.json",
        (
            "com.amazonaws.sns.Notification",
            "arn:aws:sns:EXAMPLE",
            "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TestInvoke",
            utc(2015, 6, 3, 17, 43, 27, 123000),
            "application/json",
            None,
        ),
        id="go-cloudwatch-alarm-payload",
    ),
    pytest.param(
        "aws/sns/go-notification.json",
        (
            "com.amazonaws.sns.Notification",
            "arn:aws:sns:EXAMPLE",
            "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TestInvoke",
            utc(2015, 6, 3, 17, 43, 27, 123000),
            TEXT,
            None,
        ),
        id="go-notification",
    ),
    pytest.param(
        # The sample's subscription ARN is cut short with " ...": the space is
        # percent-encoded so that the source stays a URI reference.
        "aws/sns/powertools-notification.json",
        (
            "com.amazonaws.sns.Notification",
            "arn:aws:sns:us-east-2:123456789012:sns-la%20...",
            "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TestInvoke",
            utc(2019, 1, 2, 12, 45, 7),
            TEXT,
            None,
        ),
        id="powertools-notification",
    ),
    pytest.param(
        "aws/sns/rust-pascal-case.json",
        (
            "com.amazonaws.sns.Notification",
            "arn:aws:sns:EXAMPLE",
            "82833b5c-8d5d-56d0-b0e1-7511f8253eb8",
            "Greetings",
            utc(2015, 8, 18, 18, 2, 32, 111000),
            TEXT,
            None,
        ),
        id="rust-pascal-case",
    ),
]


@pytest.mark.parametrize(("relative", "expected"), GOLDEN)
def test_golden(relative: str, expected: tuple[Any, ...]) -> None:
    payload = load_fixture(require_fixture(relative))
    assert ADAPTER.matches(payload, NO_HEADERS)
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    assert summary(converted) == expected
    record = payload["Records"][0]
    message = record["Sns"]["Message"]
    expected_data = json.loads(message) if expected[5] == "application/json" else message
    assert converted.event.get_data() == expected_data
    assert converted.native is record


def test_every_sample_is_in_the_golden_table() -> None:
    paths = {f"aws/sns/{path.name}" for path in fixture_paths("aws/sns")}
    if not paths:
        pytest.skip("../shared/fixtures is not present")
    assert paths == {param.values[0] for param in GOLDEN}


def test_text_message_keeps_its_line_breaks() -> None:
    payload = load_fixture(require_fixture("aws/sns/rust-pascal-case.json"))
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    assert converted.event.get_data() == "Hello\r\nworld!"


def document_from_sqs_sample() -> dict[str, Any]:
    payload = load_fixture(require_fixture("aws/sqs/powertools-sns-via-sqs.json"))
    document: dict[str, Any] = json.loads(payload["Records"][0]["body"])
    return document


def test_bare_document_ignores_the_unsigned_subscription_header() -> None:
    """Over HTTP the x-amz-sns-subscription-arn header is not signed: anyone
    can send one, so the source is the signed TopicArn."""
    document = document_from_sqs_sample()
    forged = "arn:aws:sns:eu-west-1:999999999999:attacker:15189ad7"
    message = Message(headers={"x-amz-sns-subscription-arn": forged})
    assert ADAPTER.matches(document, message)
    (converted,) = ADAPTER.convert(document, message)
    assert summary(converted) == (
        "com.amazonaws.sns.Notification",
        document["TopicArn"],
        "d88d4479-6ec0-54fe-b63f-1cf9df4bb16e",
        None,  # no Subject in the document
        utc(2021, 1, 19, 10, 7, 7, 287000),
        "application/json",
        None,
    )
    assert converted.event.get_data() == {"message": "hello world", "username": "lessa"}
    assert converted.native is document


def test_bare_document_without_subscription_takes_the_topic() -> None:
    (converted,) = ADAPTER.convert(document_from_sqs_sample(), NO_HEADERS)
    assert converted.event.get_source() == "arn:aws:sns:eu-west-1:231436140809:powertools265"


def notification(**changes: Any) -> dict[str, Any]:
    """An HTTP notification as AWS documents it."""
    document: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Subject": "My First Message",
        "Message": "Hello world!",
        "Timestamp": "2012-05-02T00:54:06.655Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEw6JRN...",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0",
    }
    document.update(changes)
    return {key: value for key, value in document.items() if value is not ...}


@pytest.mark.parametrize(
    "subject",
    [pytest.param(None, id="null"), pytest.param("", id="empty"), pytest.param(..., id="absent")],
)
def test_no_subject(subject: Any) -> None:
    (converted,) = ADAPTER.convert(notification(Subject=subject), NO_HEADERS)
    assert converted.event.get_subject() is None


@pytest.mark.parametrize(
    ("message", "data", "content_type"),
    [
        pytest.param('{"a": 1}', {"a": 1}, "application/json", id="object"),
        pytest.param(" [1, 2]\n", [1, 2], "application/json", id="array"),
        pytest.param("42", "42", TEXT, id="number-stays-text"),
        pytest.param('"quoted"', '"quoted"', TEXT, id="json-string-stays-text"),
        pytest.param("{not json", "{not json", TEXT, id="broken-json"),
        pytest.param('{"a": NaN}', '{"a": NaN}', TEXT, id="nan-is-not-json"),
        pytest.param("", "", TEXT, id="empty"),
    ],
)
def test_message_data(message: str, data: Any, content_type: str) -> None:
    (converted,) = ADAPTER.convert(notification(Message=message), NO_HEADERS)
    assert converted.event.get_data() == data
    assert converted.event.get_datacontenttype() == content_type


def confirmation(kind: str) -> dict[str, Any]:
    """A subscription or unsubscribe confirmation as AWS documents it."""
    return {
        "Type": kind,
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37f...",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Message": (
            "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic."
        ),
        "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
        "Timestamp": "2012-04-26T20:45:04.751Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+...",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
    }


SUBSCRIPTION = Message(
    headers={"x-amz-sns-subscription-arn": "arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39"}
)


def test_subscription_confirmation() -> None:
    document = confirmation("SubscriptionConfirmation")
    assert ADAPTER.matches(document, SUBSCRIPTION)
    (converted,) = ADAPTER.convert(document, SUBSCRIPTION)
    assert summary(converted) == (
        "com.amazonaws.sns.SubscriptionConfirmation",
        "arn:aws:sns:us-west-2:123456789012:MyTopic",  # the topic, as the spec adapter says
        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        None,
        utc(2012, 4, 26, 20, 45, 4, 751000),
        "application/json",
        None,
    )
    assert converted.event.get_data() == document


def test_unsubscribe_confirmation() -> None:
    document = confirmation("UnsubscribeConfirmation")
    (converted,) = ADAPTER.convert(document, SUBSCRIPTION)
    assert converted.event.get_type() == "com.amazonaws.sns.UnsubscribeConfirmation"
    # The header's subscription ARN is not signed; the signed TopicArn is the source.
    assert converted.event.get_source() == "arn:aws:sns:us-west-2:123456789012:MyTopic"
    assert converted.event.get_data() == document


S3_NOTIFICATION = {
    "Records": [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2024-01-15T12:00:00.000Z",
            "eventName": "ObjectCreated:Put",
            "responseElements": {"x-amz-request-id": "R1", "x-amz-id-2": "H1"},
            "s3": {"bucket": {"name": "my-bucket"}, "object": {"key": "logs/a+b.log", "size": 3}},
        }
    ]
}


def lambda_event(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:my-topic:abc",
                "Sns": document,
            }
        ]
    }


def test_s3_inside_sns_becomes_the_s3_event() -> None:
    payload = lambda_event(notification(Message=json.dumps(S3_NOTIFICATION)))
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    assert summary(converted) == (
        "com.amazonaws.s3.ObjectCreated:Put",
        "aws:s3.us-east-1.my-bucket",
        "R1.H1",
        "logs/a b.log",
        utc(2024, 1, 15, 12),
        "application/json",
        None,
    )
    assert converted.event.get_data() == S3_NOTIFICATION["Records"][0]
    assert converted.native == S3_NOTIFICATION["Records"][0]


def test_s3_inside_sns_kept_with_unwrap_false() -> None:
    payload = lambda_event(notification(Message=json.dumps(S3_NOTIFICATION)))
    (converted,) = SNSAdapter(unwrap=False).convert(payload, NO_HEADERS)
    assert converted.event.get_type() == "com.amazonaws.sns.Notification"
    assert converted.event.get_data() == S3_NOTIFICATION


def test_error_inside_nested_s3_names_the_whole_path() -> None:
    broken = json.loads(json.dumps(S3_NOTIFICATION))
    del broken["Records"][0]["s3"]["bucket"]["name"]
    payload = lambda_event(notification(Message=json.dumps(broken)))
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == "Records[0].Sns.Message.Records[0].s3.bucket.name"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(lambda_event(notification(Type="Bogus")), "Records[0].Sns.Type", id="type"),
        pytest.param(
            lambda_event(notification(MessageId=...)), "Records[0].Sns.MessageId", id="no-id"
        ),
        pytest.param(
            lambda_event(notification(MessageId="")), "Records[0].Sns.MessageId", id="empty-id"
        ),
        pytest.param(
            lambda_event(notification(Message=...)), "Records[0].Sns.Message", id="no-message"
        ),
        pytest.param(
            lambda_event(notification(Message={"a": 1})),
            "Records[0].Sns.Message",
            id="message-object",
        ),
        pytest.param(
            lambda_event(notification(Timestamp="2012-05-02")),
            "Records[0].Sns.Timestamp",
            id="bad-timestamp",
        ),
        pytest.param(
            lambda_event(notification(TopicArn=...)), "Records[0].Sns.TopicArn", id="no-topic"
        ),
        pytest.param(
            lambda_event(notification(Subject=5)), "Records[0].Sns.Subject", id="subject-number"
        ),
        pytest.param({"Records": [{"EventSource": "aws:sns"}]}, "Records[0].Sns", id="no-sns"),
        pytest.param(
            {"Records": [{"EventSource": "aws:sns", "Sns": []}]}, "Records[0].Sns", id="sns-array"
        ),
        pytest.param(
            {
                "Records": [
                    lambda_event(notification())["Records"][0],
                    {"EventSource": "aws:sqs", "Sns": notification()},
                ]
            },
            "Records[1].EventSource",
            id="mixed-records",
        ),
        pytest.param(notification(Timestamp=1), "Timestamp", id="document-timestamp-number"),
    ],
)
def test_malformed(payload: Any, field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == field
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(notification(TopicArn=...), id="document-without-topic"),
        pytest.param(notification(MessageId=7), id="document-id-number"),
        pytest.param(notification(Type="Bogus"), id="document-unknown-type"),
        pytest.param(notification(Type=["Notification"]), id="document-type-array"),
        pytest.param({"Records": [{"eventSource": "aws:sns"}]}, id="camel-case-key"),
        pytest.param({"Records": [{"EventSource": "aws:sqs"}]}, id="sqs"),
        pytest.param({"Records": []}, id="no-records"),
        pytest.param("Notification", id="string"),
    ],
)
def test_does_not_match(payload: Any) -> None:
    assert not ADAPTER.matches(payload, NO_HEADERS)
