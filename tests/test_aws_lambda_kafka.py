"""Kafka event sources (aws_lambda/kafka.py, adapters/aws_kafka.py): one call
per record in offset order, the CloudEvents Kafka binding, and the partial
batch response per partition."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cloudevents_wsgi.aws_lambda import BatchFailedError, batch_item_failures, make_lambda_handler

from .builders import MSK_ARN, kafka_event, kafka_record
from .lambda_apps import CONTEXT, result


class App:
    """Keeps each call's CloudEvent; answers 500 for the ids it is told to."""

    def __init__(self, fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.fail = fail
        self.events: list[Any] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        event = environ["cloudevent"]
        self.events.append(event)
        start_response("500 Oops" if event.get_id() in self.fail else "204 No Content", [])
        return []

    @property
    def ids(self) -> list[str]:
        return [event.get_id() for event in self.events]


def test_plain_record_becomes_a_kafka_cloudevent() -> None:
    app = App()
    answer = make_lambda_handler(app)(kafka_event(kafka_record()), CONTEXT)
    assert answer == {"batchItemFailures": []}
    (event,) = app.events
    assert event.get_attributes() == {
        "specversion": "1.0",
        "type": "com.amazonaws.kafka.record",
        "source": f"{MSK_ARN}/mytopic",
        "id": "mytopic-0-15",
        "subject": "order-1",
        "time": event.get_time(),
        "datacontenttype": "application/json",
    }
    assert event.get_time().isoformat() == "2018-12-17T22:10:50.987000+00:00"
    assert event.get_data() == {"n": 1}


def test_self_managed_source_is_the_first_bootstrap_server_and_topic() -> None:
    app = App()
    make_lambda_handler(app)(kafka_event(kafka_record(), self_managed=True), CONTEXT)
    (event,) = app.events
    assert event.get_type() == "com.amazonaws.kafka.selfmanaged.record"
    assert event.get_source() == (
        "kafka://b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092/mytopic"
    )


def test_binary_mode_record_is_the_cloudevent_of_its_ce_headers() -> None:
    record = kafka_record(
        value=b'{"total": 3}',
        headers=[
            ("ce_specversion", b"1.0"),
            ("ce_type", b"com.example.order.placed"),
            ("ce_source", b"/orders"),
            ("ce_id", b"A234-1234"),
            ("content-type", b"application/json"),
        ],
    )
    app = App()
    assert make_lambda_handler(app)(kafka_event(record), CONTEXT) == {"batchItemFailures": []}
    (event,) = app.events
    assert event.get_attributes() == {
        "specversion": "1.0",
        "type": "com.example.order.placed",
        "source": "/orders",
        "id": "A234-1234",
        "datacontenttype": "application/json",
    }
    assert event.get_data() == {"total": 3}


def test_structured_mode_record_is_the_cloudevent_in_its_value() -> None:
    inner = {
        "specversion": "1.0",
        "type": "com.example.order.placed",
        "source": "/orders",
        "id": "B1",
        "data": {"total": 4},
    }
    record = kafka_record(
        value=json.dumps(inner).encode(),
        headers=[("content-type", b"application/cloudevents+json; charset=utf-8")],
    )
    app = App()
    make_lambda_handler(app)(kafka_event(record), CONTEXT)
    (event,) = app.events
    assert (event.get_id(), event.get_type(), event.get_data()) == (
        "B1",
        "com.example.order.placed",
        {"total": 4},
    )


def test_failure_stops_its_partition_and_the_others_go_on() -> None:
    event = kafka_event(
        kafka_record(partition=0, offset=15),
        kafka_record(partition=0, offset=16),
        kafka_record(partition=0, offset=17),
        kafka_record(partition=1, offset=40),
        kafka_record(partition=1, offset=41),
    )
    app = App(fail={"mytopic-0-16"})
    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": {"partition": "mytopic-0", "offset": 16}}]
    }
    assert app.ids == ["mytopic-0-15", "mytopic-0-16", "mytopic-1-40", "mytopic-1-41"]


def test_one_entry_per_failed_partition() -> None:
    event = kafka_event(
        kafka_record(partition=0, offset=1),
        kafka_record(partition=1, offset=7),
        kafka_record(partition=1, offset=8),
        kafka_record(partition=2, offset=3),
    )
    app = App(fail={"mytopic-0-1", "mytopic-1-8"})
    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [
            {"itemIdentifier": {"partition": "mytopic-0", "offset": 1}},
            {"itemIdentifier": {"partition": "mytopic-1", "offset": 8}},
        ]
    }


def test_every_record_failed_fails_the_batch() -> None:
    event = kafka_event(kafka_record(offset=1), kafka_record(partition=1, offset=2))
    with pytest.raises(BatchFailedError, match="every record"):
        make_lambda_handler(App(fail={"mytopic-0-1", "mytopic-1-2"}))(event, CONTEXT)


def test_malformed_record_fails_alone_in_its_partition() -> None:
    bad = kafka_record(partition=0, offset=5)
    bad["value"] = "not base64!"
    event = kafka_event(bad, kafka_record(partition=0, offset=6), kafka_record(partition=1))
    app = App()
    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": {"partition": "mytopic-0", "offset": 5}}]
    }
    assert app.ids == ["mytopic-1-15"]


def test_event_without_records_succeeds_without_a_call() -> None:
    app = App()
    event = kafka_event()
    assert make_lambda_handler(app)(event, CONTEXT) == {"batchItemFailures": []}
    assert app.events == []


def test_batch_item_failures_for_kafka() -> None:
    event = kafka_event(kafka_record(offset=1), kafka_record(offset=2), kafka_record(offset=3))
    assert batch_item_failures(event, [result("mytopic-0-1"), result("mytopic-0-2", 500)]) == {
        "batchItemFailures": [{"itemIdentifier": {"partition": "mytopic-0", "offset": 2}}]
    }
