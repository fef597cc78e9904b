"""Partial batch responses (aws_lambda/batch.py): the handler with sample batches,
and batch_item_failures, the same code as a pure function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudevents_wsgi.aws_lambda import (
    BatchFailedError,
    EventFailedError,
    batch_item_failures,
    make_lambda_handler,
)

from .builders import (
    dynamodb_batch,
    kinesis_batch,
    sqs_messages,
    structured,
)
from .conftest import load_fixture, require_fixture
from .lambda_apps import (
    CONTEXT,
    AppError,
    Recorder,
    result,
)


def fail_ids(*ids: str) -> Recorder:
    class Failing(Recorder):
        def __call__(
            self, environ: dict[str, Any], start_response: Callable[..., Any]
        ) -> list[bytes]:
            self.status = "500 Oops" if environ["cloudevent"].get_id() in ids else "204 No Content"
            return super().__call__(environ, start_response)

    return Failing(headers=[])


def test_sqs_sample_reports_its_failed_message() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-three-records.json"))
    failed = event["Records"][1]["messageId"]
    app = fail_ids(failed)
    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": failed}]
    }
    assert len(app.environs) == 3


def test_sqs_sample_all_records_fine() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-two-records.json"))
    assert make_lambda_handler(fail_ids())(event, CONTEXT) == {"batchItemFailures": []}


def test_sqs_sample_every_record_failed_raises() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-two-records.json"))
    ids = [r["messageId"] for r in event["Records"]]
    with pytest.raises(BatchFailedError, match="every record"):
        make_lambda_handler(fail_ids(*ids))(event, CONTEXT)


def test_every_record_raising_fails_the_batch_from_the_first_exception() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-two-records.json"))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise AppError(environ["cloudevent"].get_id())

    with pytest.raises(BatchFailedError) as caught:
        make_lambda_handler(app)(event, CONTEXT)
    assert isinstance(caught.value.__cause__, AppError)
    assert str(caught.value.__cause__) == event["Records"][0]["messageId"]


def test_partial_failure_without_report_batch_item_failures_fails_the_batch() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-three-records.json"))
    app = fail_ids(event["Records"][0]["messageId"])
    with pytest.raises(BatchFailedError, match="1 of 3"):
        make_lambda_handler(app, report_batch_item_failures=False)(event, CONTEXT)


def test_kinesis_sample_reports_the_first_failure_only() -> None:
    event = load_fixture(require_fixture("aws/kinesis/go-two-records.json"))
    first = event["Records"][0]["kinesis"]["sequenceNumber"]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(
            "500 Oops" if environ.get("cloudevents_wsgi.record_id") == first else "200 OK", []
        )
        return []

    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": first}]
    }


def test_record_the_app_raised_for_is_failed() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-three-records.json"))
    bad = event["Records"][2]["messageId"]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["cloudevent"].get_id() == bad:
            raise AppError("no")
        start_response("200 OK", [])
        return []

    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": bad}]
    }


def test_not_a_batch_source_has_no_report() -> None:
    assert batch_item_failures(structured(), []) is None
    assert batch_item_failures([structured()], []) is None
    assert batch_item_failures({"Records": [{"eventSource": "aws:s3"}]}, []) is None
    assert batch_item_failures({"Records": []}, []) is None


def test_sqs_reports_every_failed_message_in_order() -> None:
    event = sqs_messages("m1", "m2", "m3", "m4")
    results = [result("m1"), result("m2", 500), result("m3"), result("m4", 404)]
    assert batch_item_failures(event, results) == {
        "batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m4"}]
    }


def test_exception_fails_the_record() -> None:
    event = sqs_messages("m1", "m2")
    results = [result("m1", 500, (AppError, AppError(), None)), result("m2")]
    assert batch_item_failures(event, results) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_record_without_any_result_is_failed() -> None:
    event = sqs_messages("m1", "m2", "m3")
    assert batch_item_failures(event, [result("m1"), result("m3")]) == {
        "batchItemFailures": [{"itemIdentifier": "m2"}]
    }


def test_record_is_failed_when_any_event_made_from_it_failed() -> None:
    # An SQS message holding an S3 notification of two records: two events.
    event = sqs_messages("m1", "m2")
    results = [result("m1"), result("m1", 500), result("m2")]
    assert batch_item_failures(event, results) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_failure_that_names_no_record_fails_them_all() -> None:
    event = sqs_messages("m1", "m2")
    results = [result("m1"), result(None, 500), result("m2")]
    assert batch_item_failures(event, results) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]
    }


def test_success_that_names_no_record_counts_for_none() -> None:
    event = sqs_messages("m1")
    assert batch_item_failures(event, [result(None)]) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}]
    }


def test_fifo_failure_fails_the_rest_of_its_group_only() -> None:
    event = sqs_messages(
        "a1",
        "b1",
        "a2",
        "b2",
        "a3",
        queue="orders.fifo",
        groups=["A", "B", "A", "B", "A"],
    )
    results = [result("a1"), result("b1"), result("a2", 500), result("b2"), result("a3")]
    assert batch_item_failures(event, results) == {
        "batchItemFailures": [{"itemIdentifier": "a2"}, {"itemIdentifier": "a3"}]
    }


def test_message_group_on_a_standard_queue_is_not_fifo() -> None:
    # Standard queues accept MessageGroupId too (fair queues); only ".fifo" orders.
    event = sqs_messages("a1", "a2", groups=["A", "A"])
    assert batch_item_failures(event, [result("a1", 500), result("a2")]) == {
        "batchItemFailures": [{"itemIdentifier": "a1"}]
    }


def test_fifo_sample_with_its_arn_made_fifo() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-fifo-three-records.json"))
    ids = [r["messageId"] for r in event["Records"]]
    assert batch_item_failures(event, [result(ids[0]), result(ids[1], 500), result(ids[2])]) == {
        "batchItemFailures": [{"itemIdentifier": ids[1]}]
    }
    for record in event["Records"]:
        record["eventSourceARN"] += ".fifo"
    assert batch_item_failures(event, [result(ids[0]), result(ids[1], 500), result(ids[2])]) == {
        "batchItemFailures": [{"itemIdentifier": ids[1]}, {"itemIdentifier": ids[2]}]
    }


@pytest.mark.parametrize("batch", [kinesis_batch, dynamodb_batch], ids=["kinesis", "dynamodb"])
def test_streams_report_the_first_failed_record_only(batch: Callable[..., dict[str, Any]]) -> None:
    event = batch("100", "200", "300", "400")
    results = [result("100"), result("200", 500), result("300"), result("400", 500)]
    assert batch_item_failures(event, results) == {"batchItemFailures": [{"itemIdentifier": "200"}]}


def test_streams_missing_result_counts_as_the_first_failure() -> None:
    event = kinesis_batch("100", "200", "300")
    assert batch_item_failures(event, [result("100"), result("300", 500)]) == {
        "batchItemFailures": [{"itemIdentifier": "200"}]
    }


def test_everything_fine_reports_nothing() -> None:
    event = dynamodb_batch("1", "2")
    assert batch_item_failures(event, [result("1"), result("2")]) == {"batchItemFailures": []}


def test_duplicate_identifiers_are_reported_once() -> None:
    event = sqs_messages("m1", "m1", "m2")
    assert batch_item_failures(event, [result("m1", 500), result("m2")]) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}]
    }


def test_failed_record_without_identifier_fails_the_whole_batch() -> None:
    event = sqs_messages("m1", "m2")
    del event["Records"][1]["messageId"]
    # Lambda takes an empty itemIdentifier as the failure of the whole batch.
    assert batch_item_failures(event, [result("m1")]) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": ""}]
    }


def test_handler_raises_when_a_failed_record_has_no_identifier() -> None:
    event = sqs_messages("m1", "m2")
    del event["Records"][1]["messageId"]
    app = Recorder(status="204 No Content", headers=[])
    # Whatever the adapter makes of it, "m2" cannot be reported by id.
    with pytest.raises(EventFailedError):
        make_lambda_handler(app)(event, CONTEXT)
