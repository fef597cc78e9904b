"""Order, the deadline and tumbling windows (aws_lambda/batch.py,
tumbling_window.py), with a Hypothesis model of the rules: over random
batches, failures, clocks and partitions, no record is lost or run after a
failed one of its shard or partition, and the failures reported are exactly
the ones AWS must redeliver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudevents_wsgi.aws_lambda import BatchFailedError, make_lambda_handler
from cloudevents_wsgi.errors import ConfigurationError

from .builders import kafka_event, kafka_record, kinesis_batch, sqs_messages
from .conftest import load_fixture, require_fixture


class Clock:
    """A Lambda context whose remaining time falls by ``cost`` ms per record."""

    def __init__(self, remaining: float, cost: float = 300) -> None:
        self.remaining = remaining
        self.cost = cost

    def get_remaining_time_in_millis(self) -> float:
        return self.remaining


class App:
    """Records each record id it runs; fails those in ``fail``; spends time."""

    def __init__(self, fail: set[str] = frozenset(), clock: Clock | None = None) -> None:  # type: ignore[assignment]
        self.fail = fail
        self.clock = clock
        self.ran: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        record_id = environ["cloudevents_wsgi.record_id"]
        self.ran.append(record_id)
        if self.clock is not None:
            self.clock.remaining -= self.clock.cost
        start_response("500 Oops" if record_id in self.fail else "204 No Content", [])
        return []


# -- the deadline ---------------------------------------------------------------------


def test_issue_example_500_ms_left_runs_no_record() -> None:
    # 500 ms left, five records of 300 ms: none is started, all are reported.
    event = sqs_messages("m1", "m2", "m3", "m4", "m5")
    clock = Clock(500)
    app = App(clock=clock)
    with pytest.raises(BatchFailedError, match="deadline_margin_ms=1000"):
        make_lambda_handler(app)(event, clock)
    assert app.ran == []


def test_records_stop_when_the_time_left_falls_under_the_margin() -> None:
    event = sqs_messages("m1", "m2", "m3", "m4", "m5")
    clock = Clock(1700)
    app = App(clock=clock)
    answer = make_lambda_handler(app, deadline_margin_ms=1000)(event, clock)
    assert app.ran == ["m1", "m2", "m3"]  # 1700, 1400, 1100 ms left; then 800
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m4"}, {"itemIdentifier": "m5"}]}


def test_stream_reports_its_first_unstarted_record() -> None:
    event = kinesis_batch("100", "200", "300")
    clock = Clock(1200)
    app = App(clock=clock)
    assert make_lambda_handler(app)(event, clock) == {
        "batchItemFailures": [{"itemIdentifier": "200"}]
    }
    assert app.ran == ["100"]


def test_margin_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDEVENTS_WSGI_DEADLINE_MARGIN_MS", "100")
    event = sqs_messages("m1", "m2")
    clock = Clock(500)
    app = App(clock=clock)
    assert make_lambda_handler(app)(event, clock) == {"batchItemFailures": []}
    assert app.ran == ["m1", "m2"]


@pytest.mark.parametrize("margin", [-1, float("nan"), "1000", True])
def test_unusable_margin_is_a_configuration_error(margin: Any) -> None:
    with pytest.raises(ConfigurationError, match="deadline_margin_ms"):
        make_lambda_handler(App(), deadline_margin_ms=margin)


def test_unusable_margin_variable_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDEVENTS_WSGI_DEADLINE_MARGIN_MS", "soon")
    with pytest.raises(ConfigurationError, match="CLOUDEVENTS_WSGI_DEADLINE_MARGIN_MS"):
        make_lambda_handler(App())


# -- tumbling windows -----------------------------------------------------------------


class Counter:
    """Counts records in the window's state, as a user's app would."""

    def __init__(self, fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.fail = fail
        self.seen: list[Any] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        window = environ["aws.window"]
        self.seen.append((window.start, window.end, window.is_final, dict(window.state)))
        state = dict(window.state)
        state["count"] = str(int(state.get("count", "0")) + 1)
        window.state = state
        failed = environ.get("cloudevents_wsgi.record_id") in self.fail
        start_response("500 Oops" if failed else "204 No Content", [])
        return []


def test_window_sample_answers_its_state() -> None:
    event = load_fixture(require_fixture("aws/dynamodb/go-time-window-insert-modify-remove.json"))
    app = Counter()
    assert make_lambda_handler(app)(event, None) == {
        "state": {"1": "state1", "count": "3"},
        "batchItemFailures": [],
    }
    assert app.seen[0] == (
        "2020-07-30T17:00:00Z",
        "2020-07-30T17:05:00Z",
        False,
        {"1": "state1"},
    )


def test_window_with_a_failed_record_answers_state_and_the_failure() -> None:
    event = load_fixture(require_fixture("aws/dynamodb/go-time-window-insert-modify-remove.json"))
    app = Counter(fail={"222"})
    assert make_lambda_handler(app)(event, None) == {
        "state": {"1": "state1", "count": "2"},
        "batchItemFailures": [{"itemIdentifier": "222"}],
    }


def test_empty_final_window_succeeds_and_the_app_sees_the_final_state() -> None:
    event = {
        "Records": [],
        "window": {"start": "2020-12-09T07:04:00Z", "end": "2020-12-09T07:06:00Z"},
        "state": {"count": "7"},
        "shardId": "shardId-000000000006",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/lambda-stream",
        "isFinalInvokeForWindow": True,
        "isWindowTerminatedEarly": False,
    }
    app = Counter()
    assert make_lambda_handler(app)(event, None) == {
        "state": {"count": "8"},
        "batchItemFailures": [],
    }
    assert app.seen == [
        ("2020-12-09T07:04:00Z", "2020-12-09T07:06:00Z", True, {"count": "7"}),
    ]


# -- the model (Hypothesis) ------------------------------------------------------------

KINDS = st.sampled_from(["sqs", "kinesis", "kafka"])


@st.composite
def batches(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], set[str], float, float]:
    """(kind, [(record id, order key)], failing ids, remaining ms, ms per record)."""
    kind = draw(KINDS)
    size = draw(st.integers(1, 12))
    if kind == "kafka":
        partitions = draw(st.lists(st.integers(0, 2), min_size=size, max_size=size))
        offsets: dict[int, int] = {}
        records = []
        for p in sorted(partitions):  # Lambda groups by partition, offsets ascending
            offsets[p] = offsets.get(p, 100) + 1
            records.append((f"t-{p}-{offsets[p]}", f"t-{p}"))
    else:
        records = [(str(1000 + i), "shard" if kind == "kinesis" else f"m{i}") for i in range(size)]
    fail = draw(st.sets(st.sampled_from([r for r, _ in records])))
    remaining = draw(st.sampled_from([float("inf"), 0, 900, 1500, 3000, 6000]))
    cost = draw(st.sampled_from([0, 100, 400]))
    return kind, records, fail, remaining, cost


def build(kind: str, records: list[tuple[str, str]]) -> dict[str, Any]:
    if kind == "sqs":
        return sqs_messages(*[r for r, _ in records])
    if kind == "kinesis":
        return kinesis_batch(*[r for r, _ in records])
    items = []
    for record_id, _ in records:
        topic, partition, offset = record_id.split("-")
        items.append(kafka_record(topic=topic, partition=int(partition), offset=int(offset)))
    return kafka_event(*items)


def identifier(kind: str, record_id: str) -> Any:
    if kind != "kafka":
        return record_id
    topic, partition, offset = record_id.split("-")
    return {"partition": f"{topic}-{partition}", "offset": int(offset)}


@settings(max_examples=150, deadline=None)
@given(batches())
def test_model_of_order_failures_and_the_deadline(
    batch: tuple[str, list[tuple[str, str]], set[str], float, float],
) -> None:
    kind, records, fail, remaining, cost = batch
    clock = Clock(remaining, cost)
    app = App(fail=fail, clock=clock)
    try:
        answer: Any = make_lambda_handler(app, deadline_margin_ms=1000)(build(kind, records), clock)
    except BatchFailedError:
        answer = None

    # The model: in order, a record runs unless its order key stopped (a failure
    # before it) or the time left is under the margin; a stopped key stays stopped.
    ran: list[str] = []
    stopped: set[str] = set()
    time_left = remaining
    out_of_time = False
    redeliver: list[str] = []
    for record_id, key in records:
        if key in stopped or out_of_time or time_left < 1000:
            out_of_time = out_of_time or (key not in stopped and time_left < 1000)
            redeliver.append(record_id)
            if kind != "sqs":
                stopped.add(key)
            continue
        ran.append(record_id)
        time_left -= cost
        if record_id in fail:
            redeliver.append(record_id)
            if kind != "sqs":
                stopped.add(key)
    assert app.ran == ran  # each at most once, in order, none after a failure of its key
    if not redeliver:
        assert answer == {"batchItemFailures": []}
        return
    ran_and_failed = [r for r in ran if r in fail]
    every = len(redeliver) == len(records) and (kind == "sqs" or ran_and_failed == redeliver)
    if every:
        assert answer is None  # the whole batch is retried
        return
    assert answer is not None
    reported = [item["itemIdentifier"] for item in answer["batchItemFailures"]]
    # Exactly what AWS must redeliver: every failed message of a queue; the
    # first of a stream (Lambda retries from it); the first of each partition.
    if kind == "sqs":
        expected = redeliver
    else:
        firsts: dict[str, str] = {}
        for record_id, key in records:
            if record_id in redeliver:
                firsts.setdefault(key, record_id)
        expected = list(firsts.values())
    assert reported == [identifier(kind, r) for r in expected]
    # None lost: every record not run, or failed, is at or after a reported checkpoint.
    assert set(redeliver) | set(ran) == {r for r, _ in records}
