"""Final attack on the deadline gate (aws_lambda/batch.py) for the Kafka
trigger and SQS: when the remaining time drops under the margin mid-batch,
every record is either run once or reported failed once, never both and
never neither; each Kafka partition is reported from its first unstarted
offset."""

from __future__ import annotations

from typing import Any

from cloudevents_wsgi.aws_lambda import make_lambda_handler

from .builders import kafka_event, kafka_record, sqs_batch


class Context:
    """Remaining milliseconds: plenty for ``calls`` calls, then almost none."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def get_remaining_time_in_millis(self) -> int:
        self.calls -= 1
        return 60_000 if self.calls >= 0 else 10


class Recorder:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.ids.append(environ["cloudevent"].get_id())
        start_response("204 No Content", [])
        return []


def test_kafka_deadline_mid_partition_reports_each_partition_from_its_first_unstarted_offset() -> (
    None
):
    app = Recorder()
    event = kafka_event(
        kafka_record(topic="a", offset=1),
        kafka_record(topic="a", offset=2),
        kafka_record(topic="b", offset=7),
        kafka_record(topic="b", offset=8),
    )
    answer = make_lambda_handler(app)(event, Context(calls=2))
    assert app.ids == ["a-0-1"]
    assert answer == {
        "batchItemFailures": [
            {"itemIdentifier": {"partition": "a-0", "offset": 2}},
            {"itemIdentifier": {"partition": "b-0", "offset": 7}},
        ]
    }


def test_sqs_deadline_mid_batch_reports_exactly_the_unstarted_messages() -> None:
    event = sqs_batch("m1", "m2", "m3", "m4")
    ids = [record["messageId"] for record in event["Records"]]
    app = Recorder()
    answer = make_lambda_handler(app)(event, Context(calls=2))
    reported = [item["itemIdentifier"] for item in answer["batchItemFailures"]]
    assert app.ids, "the deadline came before any record: nothing attacked"
    assert sorted(app.ids + reported) == sorted(ids)  # each once: none lost, none twice
    assert not set(app.ids) & set(reported)
