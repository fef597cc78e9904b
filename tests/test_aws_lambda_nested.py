"""Events inside events: a message body that is a structured CloudEvent
reaches the app as that CloudEvent; failures still name the outer record."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from cloudevents_wsgi.aws_lambda import make_lambda_handler

from .builders import kafka_event, kafka_record, kinesis_record, sqs_message
from .lambda_apps import CONTEXT

INNER = {
    "specversion": "1.0",
    "type": "com.example.order.placed",
    "source": "/orders",
    "id": "inner-1",
    "datacontenttype": "application/json",
    "data": {"total": 3},
}


class App:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[tuple[Any, Any, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        event = environ["cloudevent"]
        self.seen.append((event.get_id(), event.get_type(), event.get_data()))
        start_response("500 Oops" if self.fail else "204 No Content", [])
        return []


EXPECTED = [("inner-1", "com.example.order.placed", {"total": 3})]


def test_sqs_failure_of_the_inner_cloudevent_names_the_message() -> None:
    class FailInner(App):
        def __call__(
            self, environ: dict[str, Any], start_response: Callable[..., Any]
        ) -> list[bytes]:
            self.fail = environ["cloudevent"].get_id() == "inner-1"
            return super().__call__(environ, start_response)

    app = FailInner()
    event = {
        "Records": [
            sqs_message(message_id="m1", body=INNER),
            sqs_message(message_id="m2", body={"plain": 1}),
        ]
    }
    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}]
    }
    assert app.seen[0] == EXPECTED[0]


def test_sns_message_that_is_a_cloudevent() -> None:
    app = App()
    event = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:orders:1f2e",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:orders",
                    "Subject": None,
                    "Message": json.dumps(INNER),
                    "Timestamp": "2019-01-02T12:45:07.000Z",
                },
            }
        ]
    }
    make_lambda_handler(app)(event, CONTEXT)
    assert app.seen == EXPECTED


def test_kinesis_data_that_is_a_cloudevent() -> None:
    app = App()
    record = kinesis_record(sequence_number="100", data=json.dumps(INNER).encode())
    assert make_lambda_handler(app)({"Records": [record]}, CONTEXT) == {"batchItemFailures": []}
    assert app.seen == EXPECTED


def test_kafka_value_that_is_a_cloudevent() -> None:
    app = App()
    make_lambda_handler(app)(kafka_event(kafka_record(value=json.dumps(INNER).encode())), CONTEXT)
    assert app.seen == EXPECTED


def test_eventbridge_detail_that_is_a_cloudevent() -> None:
    app = App()
    event = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Order placed",
        "source": "com.example.orders",
        "account": "123456789012",
        "time": "2019-10-08T16:53:06Z",
        "region": "us-east-1",
        "resources": [],
        "detail": INNER,
    }
    make_lambda_handler(app)(event, CONTEXT)
    assert app.seen == EXPECTED


def test_invalid_inner_cloudevent_is_refused_naming_the_field() -> None:
    app = App()
    bad = dict(INNER, id="")
    record = kinesis_record(
        sequence_number="100", data=base64.b64decode(base64.b64encode(json.dumps(bad).encode()))
    )
    assert make_lambda_handler(app)(
        {"Records": [record, kinesis_record(sequence_number="200")]}, CONTEXT
    ) == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    assert app.seen == []
