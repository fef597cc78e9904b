"""The Lambda shim with native events: every sample through make_lambda_handler
reaches the app once per CloudEvent its adapter makes, and batch failures are
reported record by record, none lost and none twice."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.adapters.base import Adapter, Converted
from cloudevents_wsgi.aws_lambda import BatchFailedError, EventFailedError, make_lambda_handler
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.detect import find_adapter
from cloudevents_wsgi.environ import (
    ADAPTER,
    BATCH_INDEX,
    BATCH_SIZE,
    CONTENT_MODE,
    LAMBDA_DELIVERY,
    NATIVE,
    RECORD_ID,
)
from cloudevents_wsgi.message import Message

from . import builders
from .builders import sqs_message
from .conftest import fixture_params, load_fixture, require_fixture

NATIVE_KINDS = (
    "s3",
    "sqs",
    "sns",
    "eventbridge",
    "scheduled",
    "dynamodb",
    "kinesis",
    "cloudwatch-logs",
    "ses",
)
# Adapters whose events name the batch record they came from.
BATCH_ADAPTERS = {
    "aws.sqs": "aws:sqs",
    "aws.kinesis": "aws:kinesis",
    "aws.dynamodb": "aws:dynamodb",
}
# An SQS message holding an SNS message holding an S3 record without
# responseElements: no CloudEvent can be made of it (see the test below).
REFUSED = "sqs/datadog-sns-s3-nested-via-sqs"


class LambdaContext:
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    function_name = "tests"


CONTEXT = LambdaContext()


class Recorder:
    """A WSGI app that keeps every environ; refuses the records it is told to."""

    def __init__(self, refuse: Collection[str] = (), raise_for: Collection[str] = ()) -> None:
        self.refuse = set(refuse)
        self.raise_for = set(raise_for)
        self.environs: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.environs.append(environ)
        record_id = environ.get(RECORD_ID)
        if record_id in self.raise_for:
            raise AppError(record_id)
        status = "500 Internal Server Error" if record_id in self.refuse else "204 No Content"
        start_response(status, [])
        return []

    @property
    def record_ids(self) -> list[str | None]:
        return [environ.get(RECORD_ID) for environ in self.environs]


class AppError(Exception):
    pass


def native_params() -> list[Any]:
    params: list[Any] = []
    for kind in NATIVE_KINDS:
        for param in fixture_params(f"aws/{kind}"):
            name = f"{kind}/{param.id}"
            # Tumbling-window samples answer with their state too:
            # tests/test_aws_lambda_tumbling_window.py.
            if name != REFUSED and "time-window" not in name:
                params.append(pytest.param(*param.values, id=name, marks=param.marks))
    return params


def converted(event: Any) -> tuple[Adapter, list[Converted]]:
    """What the adapter makes of ``event``, as the middleware would see it."""
    body = json.dumps(event).encode()
    message = Message("POST", "/events", {"content-type": "application/json"}, body)
    adapter = find_adapter(event, message)
    assert adapter is not None
    return adapter, adapter.convert(event, message)


def reported(answer: dict[str, Any]) -> list[str]:
    ids = [item["itemIdentifier"] for item in answer["batchItemFailures"]]
    assert len(ids) == len(set(ids)), "an identifier reported twice"
    return ids


def ordered_unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


# -- every native sample -----------------------------------------------------------


@pytest.mark.parametrize("path", native_params())
def test_native_sample_reaches_the_app_once_per_cloudevent(path: Path) -> None:
    event = load_fixture(path)
    adapter, items = converted(event)
    app = Recorder()
    answer = make_lambda_handler(app)(event, CONTEXT)

    assert [(e["cloudevent"].get_id(), e["cloudevent"].get_type()) for e in app.environs] == [
        (item.event.get_id(), item.event.get_type()) for item in items
    ]
    for environ, item in zip(app.environs, items, strict=True):
        assert environ["cloudevent"].get_attributes() == item.event.get_attributes()
        assert environ[ADAPTER] == adapter.name
        assert environ[NATIVE] == item.native
        assert isinstance(environ[LAMBDA_DELIVERY], LambdaDelivery)
        assert environ[LAMBDA_DELIVERY].payload is event
        assert environ["aws.event"] is event
        assert environ["aws.context"] is CONTEXT
        if adapter.name in BATCH_ADAPTERS:
            assert environ[RECORD_ID] == item.record_id is not None
        else:
            assert RECORD_ID not in environ
    if adapter.name in BATCH_ADAPTERS:
        assert answer == {"batchItemFailures": []}
    else:
        assert 200 <= answer["statusCode"] < 300


@pytest.mark.parametrize("path", native_params())
def test_native_sample_that_the_app_refuses_is_never_taken_for_a_success(path: Path) -> None:
    event = load_fixture(path)
    adapter, items = converted(event)
    ids = {item.record_id for item in items if item.record_id is not None}
    app = Recorder(refuse=ids)
    handler = make_lambda_handler(app)
    if adapter.name in STREAM_ADAPTERS and len(ids) > 1:
        # A stream stops at its first failure: reported, the rest held back.
        first = items[0].record_id
        assert handler(event, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": first}]}
        assert app.record_ids == [first]
    elif adapter.name in BATCH_ADAPTERS:
        # Every record refused: the whole batch is retried.
        with pytest.raises(BatchFailedError, match="every record of the batch failed"):
            handler(event, CONTEXT)
    else:
        with pytest.raises(EventFailedError, match="'503 Service Unavailable'"):
            make_lambda_handler(unavailable)(event, CONTEXT)


STREAM_ADAPTERS = ("aws.kinesis", "aws.dynamodb")


def unavailable(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("503 Service Unavailable", [])
    return []


def test_nested_record_without_response_elements_raises_naming_the_field() -> None:
    event = load_fixture(require_fixture(f"aws/{REFUSED}.json"))
    app = Recorder()
    field = "Records[0].body.Message.Records[0].responseElements"
    with pytest.raises(BatchFailedError, match=re.escape(field)) as caught:
        make_lambda_handler(app)(event, CONTEXT)
    assert "no event reached the application" in str(caught.value)
    assert caught.value.status == 400
    # The refused record is reported as a failed result of its own.
    assert [(r.event, r.status, r.reason) for r in caught.value.results] == [
        (None, 400, f"{field}: is missing")
    ]
    assert app.environs == []


# -- batch failures with real samples ------------------------------------------------


def sqs_failure_params() -> list[Any]:
    params: list[Any] = []
    for param in fixture_params("aws/sqs"):
        if param.id == REFUSED.split("/")[1]:
            continue
        for pattern in ("first", "last", "every-other"):
            params.append(
                pytest.param(*param.values, pattern, id=f"{param.id}-{pattern}", marks=param.marks)
            )
    return params


def chosen(ids: list[str], pattern: str) -> set[str]:
    unique = ordered_unique(ids)
    if pattern == "first":
        return {unique[0]}
    if pattern == "last":
        return {unique[-1]}
    return set(unique[::2])


@pytest.mark.parametrize(("path", "pattern"), sqs_failure_params())
def test_sqs_sample_reports_exactly_the_refused_messages(path: Path, pattern: str) -> None:
    event = load_fixture(path)
    ids = [record["messageId"] for record in event["Records"]]
    refused = chosen(ids, pattern)
    app = Recorder(refuse=refused)
    handler = make_lambda_handler(app)
    if refused == set(ids):
        with pytest.raises(BatchFailedError, match="every record"):
            handler(event, CONTEXT)
        return
    answer = handler(event, CONTEXT)
    # In record order, each once; none lost: every other record was accepted.
    assert reported(answer) == [i for i in ordered_unique(ids) if i in refused]
    accepted = {environ[RECORD_ID] for environ in app.environs} - refused
    assert accepted | refused == set(ids)


def test_fifo_sample_holds_back_the_rest_of_the_group() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-java-fifo-three-records.json"))
    for record in event["Records"]:
        record["eventSourceARN"] += ".fifo"
    ids = [record["messageId"] for record in event["Records"]]
    groups = [record["attributes"]["MessageGroupId"] for record in event["Records"]]
    app = Recorder(refuse={ids[1]})
    answer = make_lambda_handler(app)(event, CONTEXT)
    held_back = [ids[1]] + [i for i, g in zip(ids[2:], groups[2:], strict=True) if g == groups[1]]
    assert reported(answer) == held_back
    # The app never saw a later message of the failed group (order is kept).
    assert app.record_ids == [i for i in ids if i not in held_back or i == ids[1]]


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        ("kinesis", "powertools-two-records"),
        ("kinesis", "go-two-records"),
        ("dynamodb", "go-time-window-insert-modify-remove"),
        ("dynamodb", "java-insert-modify-remove"),
    ],
)
def test_stream_sample_reports_the_first_refused_record(folder: str, name: str) -> None:
    event = load_fixture(require_fixture(f"aws/{folder}/{name}.json"))
    event.pop("window", None)  # the records as a plain stream batch
    _, items = converted(event)
    ids = [item.record_id for item in items]
    assert all(ids)
    app = Recorder(refuse={ids[-1]})
    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": ids[-1]}]
    }
    app = Recorder(refuse={ids[0]})
    assert make_lambda_handler(app)(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": ids[0]}]
    }


# -- batch failures, any batch (Hypothesis) --------------------------------------------

# Records as the Lambda developer guide shows them (with-sqs.html, with-kinesis.html,
# with-ddb.html), numbered.


def sqs_record(index: int, group: str | None = None, *, fifo: bool = False) -> dict[str, Any]:
    return sqs_message(
        message_id=f"059f36b4-87a3-44ab-83d2-6619758300{index:02d}",
        body={"n": index},
        queue="my-queue.fifo" if fifo else "my-queue",
        group=group,
        sequence_number=f"1878447916902934528{index:02d}",
    )


def kinesis_record(index: int) -> dict[str, Any]:
    return builders.kinesis_record(
        sequence_number=f"4959030343586505695680015389245537780716935618793758{index:02d}"
    )


def dynamodb_record(index: int) -> dict[str, Any]:
    return builders.dynamodb_record(
        sequence_number=f"4421584500000000017450439{index:02d}",
        event_id=f"c4ca4238a0b923820dcc509a6f75849{index:02d}",
        item_id=100 + index,
    )


def record_id(record: dict[str, Any]) -> str:
    if record["eventSource"] == "aws:sqs":
        return str(record["messageId"])
    if record["eventSource"] == "aws:kinesis":
        return str(record["kinesis"]["sequenceNumber"])
    return str(record["dynamodb"]["SequenceNumber"])


def run_batch(
    records: list[dict[str, Any]], refused: set[int], raised: set[int]
) -> tuple[Recorder, dict[str, Any] | BatchFailedError]:
    ids = [record_id(r) for r in records]
    app = Recorder(refuse={ids[i] for i in refused}, raise_for={ids[i] for i in raised})
    try:
        return app, make_lambda_handler(app)({"Records": records}, CONTEXT)
    except BatchFailedError as error:
        return app, error


BATCHES = st.integers(min_value=1, max_value=10).flatmap(
    lambda size: st.tuples(
        st.just(size),
        st.sets(st.integers(0, size - 1)),
        st.sets(st.integers(0, size - 1)),
    )
)


@settings(max_examples=60, deadline=None)
@given(BATCHES)
def test_sqs_batch_reports_the_failed_messages(batch: tuple[int, set[int], set[int]]) -> None:
    size, refused, raised = batch
    records = [sqs_record(i) for i in range(size)]
    app, outcome = run_batch(records, refused, raised)
    failed = [record_id(records[i]) for i in range(size) if i in refused | raised]
    assert app.record_ids == [record_id(r) for r in records]  # each seen once, in order
    if len(failed) == size:
        assert isinstance(outcome, BatchFailedError)
    else:
        assert isinstance(outcome, dict)
        assert reported(outcome) == failed


@settings(max_examples=60, deadline=None)
@given(BATCHES, st.lists(st.sampled_from("ABC"), min_size=10, max_size=10))
def test_fifo_batch_keeps_each_group_in_order(
    batch: tuple[int, set[int], set[int]], groups: list[str]
) -> None:
    size, refused, raised = batch
    records = [sqs_record(i, groups[i], fifo=True) for i in range(size)]
    app, outcome = run_batch(records, refused, raised)
    # The model: a group stops at its first failure; the rest of it is retried.
    blocked: set[str] = set()
    seen: list[str] = []
    failed: list[str] = []
    for index, record in enumerate(records):
        group = groups[index]
        if group in blocked:
            failed.append(record_id(record))
            continue
        seen.append(record_id(record))
        if index in refused | raised:
            blocked.add(group)
            failed.append(record_id(record))
    assert app.record_ids == seen
    if len(failed) == size:
        assert isinstance(outcome, BatchFailedError)
    else:
        assert isinstance(outcome, dict)
        assert reported(outcome) == failed


@settings(max_examples=60, deadline=None)
@given(BATCHES, st.sampled_from([kinesis_record, dynamodb_record]))
def test_stream_batch_reports_its_first_failure(
    batch: tuple[int, set[int], set[int]], make: Callable[[int], dict[str, Any]]
) -> None:
    size, refused, raised = batch
    records = [make(i) for i in range(size)]
    app, outcome = run_batch(records, refused, raised)
    failed = sorted(refused | raised)
    # Nothing runs after the first failure: Lambda retries from that checkpoint.
    # (the failed record itself ran: the app answered 500 or raised).
    ran = failed[0] + 1 if failed else size
    assert app.record_ids == [record_id(r) for r in records[:ran]]
    if size == 1 and failed:
        assert isinstance(outcome, BatchFailedError)
    else:
        assert isinstance(outcome, dict)
        # Lambda retries from the first failure: reporting more would change nothing.
        assert reported(outcome) == [record_id(records[i]) for i in failed[:1]]


def test_every_record_raising_fails_the_batch_from_the_first_exception() -> None:
    records = [sqs_record(i) for i in range(3)]
    app, outcome = run_batch(records, set(), {0, 1, 2})
    assert isinstance(outcome, BatchFailedError)
    assert isinstance(outcome.__cause__, AppError)
    assert str(outcome.__cause__) == record_id(records[0])
    assert len(app.environs) == 3


# -- a malformed record does not take the good ones down with it --------------------


def test_malformed_record_fails_alone() -> None:
    records = [sqs_record(i) for i in range(3)]
    del records[1]["eventSourceARN"]  # no CloudEvent source: the adapter refuses it
    app = Recorder()
    answer = make_lambda_handler(app)({"Records": records}, CONTEXT)
    assert reported(answer) == [record_id(records[1])]
    assert app.record_ids == [record_id(records[0]), record_id(records[2])]


def test_malformed_stream_record_stops_the_stream_there() -> None:
    records = [kinesis_record(i) for i in range(4)]
    records[1]["kinesis"]["data"] = "not base64!"
    app = Recorder()
    answer = make_lambda_handler(app)({"Records": records}, CONTEXT)
    assert reported(answer) == [record_id(records[1])]
    # Lambda retries from record 1: the later records are not handed over now.
    assert app.record_ids == [record_id(records[0])]


def test_malformed_fifo_record_holds_back_its_group_only() -> None:
    groups = ["A", "B", "A", "B"]
    records = [sqs_record(i, groups[i], fifo=True) for i in range(4)]
    records[0]["body"] = 7  # not a string
    app = Recorder()
    answer = make_lambda_handler(app)({"Records": records}, CONTEXT)
    assert reported(answer) == [record_id(records[0]), record_id(records[2])]
    assert app.record_ids == [record_id(records[1]), record_id(records[3])]


def test_fifo_record_the_app_raised_for_outside_the_middleware_fails_its_group(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = [sqs_record(i, "A", fifo=True) for i in range(2)]
    calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        raise AppError("boom")

    # A middleware that takes no POST: the app sees the shim's request itself.
    handler = make_lambda_handler(CloudEventsMiddleware(app, methods=["PUT"]))
    with pytest.raises(BatchFailedError, match="every record"):
        handler({"Records": records}, CONTEXT)
    assert calls == ["/events"]  # the second message waits behind the first
    assert f"the application raised for record {record_id(records[0])!r}" in caplog.text


def test_without_report_batch_item_failures_one_failure_fails_the_batch() -> None:
    records = [sqs_record(i) for i in range(3)]
    handler = make_lambda_handler(
        Recorder(refuse={record_id(records[2])}), report_batch_item_failures=False
    )
    with pytest.raises(BatchFailedError, match="1 of 3 records"):
        handler({"Records": records}, CONTEXT)


# -- routes ------------------------------------------------------------------------------

ROUTES = {"com.amazonaws.s3.*": "/hooks/s3", "com.amazonaws.sqs.*": "/hooks/sqs"}


def test_routes_send_each_event_to_the_path_of_its_type() -> None:
    records = [sqs_record(0), sqs_record(1)]
    app = Recorder()
    make_lambda_handler(app, routes=ROUTES)({"Records": records}, CONTEXT)
    assert [e["PATH_INFO"] for e in app.environs] == ["/hooks/sqs", "/hooks/sqs"]


def test_routes_follow_the_innermost_event() -> None:
    event = load_fixture(require_fixture("aws/sqs/powertools-s3-notification-via-sqs.json"))
    app = Recorder()
    make_lambda_handler(app, routes=ROUTES)(event, CONTEXT)
    assert {e["cloudevent"].get_type().split(":")[0] for e in app.environs} == {
        "com.amazonaws.s3.ObjectCreated"
    }
    assert {e["PATH_INFO"] for e in app.environs} == {"/hooks/s3"}


def test_event_of_no_route_goes_to_event_path() -> None:
    app = Recorder()
    handler = make_lambda_handler(app, routes=ROUTES, event_path="/_events")
    handler({"Records": [kinesis_record(0)]}, CONTEXT)
    assert app.environs[0]["PATH_INFO"] == "/_events"


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        pytest.param("com.amazonaws.kinesis.record", True, id="exact"),
        pytest.param("com.amazonaws.*", True, id="star"),
        pytest.param("com.amazonaws.kinesis.?ecord", True, id="question-mark"),
        pytest.param("COM.AMAZONAWS.*", False, id="case-sensitive"),
        pytest.param("com.amazonaws.sqs.*", False, id="other-service"),
    ],
)
def test_route_patterns_are_case_sensitive_globs(pattern: str, matches: bool) -> None:
    app = Recorder()
    make_lambda_handler(app, routes={pattern: "/routed"})({"Records": [kinesis_record(0)]}, CONTEXT)
    assert app.environs[0]["PATH_INFO"] == ("/routed" if matches else "/events")


# -- a CloudEvents batch invoked directly ------------------------------------------------


def cloudevent(event_id: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "//orders.example.com",
        "type": "com.example.order.created",
        "datacontenttype": "application/json",
        "data": {"order": event_id},
    }


def test_cloudevents_batch_invoked_directly() -> None:
    app = Recorder()
    event = [cloudevent("a"), cloudevent("b"), cloudevent("c")]
    answer = make_lambda_handler(app, routes={"com.example.*": "/orders"})(event, CONTEXT)
    assert [e["cloudevent"].get_id() for e in app.environs] == ["a", "b", "c"]
    for index, environ in enumerate(app.environs):
        assert environ[CONTENT_MODE] == "batch"
        assert (environ[BATCH_INDEX], environ[BATCH_SIZE]) == (index, 3)
        assert environ["cloudevent"].get_data() == {"order": environ["cloudevent"].get_id()}
        assert environ["PATH_INFO"] == "/orders"
        assert RECORD_ID not in environ
        assert environ["aws.event"] is event
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {
        "results": [{"id": i, "status": 204} for i in ("a", "b", "c")]
    }


def test_cloudevents_batch_with_a_failed_event_raises() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("500 No" if environ["cloudevent"].get_id() == "b" else "200 OK", [])
        return []

    with pytest.raises(EventFailedError, match="1 of the 3 events") as caught:
        make_lambda_handler(app)([cloudevent("a"), cloudevent("b"), cloudevent("c")], CONTEXT)
    assert [(r.event.get_id(), r.status) for r in caught.value.results] == [
        ("a", 200),
        ("b", 500),
        ("c", 200),
    ]


def test_invalid_event_in_a_cloudevents_batch_reaches_nothing() -> None:
    app = Recorder()
    bad = cloudevent("b")
    del bad["source"]
    with pytest.raises(EventFailedError, match="source") as caught:
        make_lambda_handler(app)([cloudevent("a"), bad], CONTEXT)
    assert caught.value.status == 400
    assert app.environs == []


def test_a_refused_event_s_error_names_field_and_reason_but_not_the_value() -> None:
    # The message reaches CloudWatch: it must not quote event data.
    from cloudevents_wsgi.aws_lambda import EventFailedError, make_lambda_handler

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("204 No Content", [])
        return []

    event = {
        "specversion": "1.0",
        "id": "1",
        "source": "/s",
        "type": "t",
        "time": "secret-4f1c-not-a-time",
    }
    with pytest.raises(EventFailedError) as caught:
        make_lambda_handler(app)(event, None)
    assert "time: is not an RFC 3339 timestamp" in str(caught.value)
    assert "secret-4f1c" not in str(caught.value)
