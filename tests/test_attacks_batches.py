"""Faults in the middle of a batch through the Lambda shim: the app raises on
record k, record j is refused (no event can be made of it), or both, at every
position of a batch of five. No record is lost and none is reported twice.

SQS (a queue): every failed record is reported, each once, and every other
record reaches the app once. Streams (Kinesis): Lambda checkpoints at the
first failed record, so that one alone is reported and every record before it
reached the app once. (Whether records after an app failure still run is the
stream-order rule of issue 11, not asserted here.)
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import BatchFailedError, make_lambda_handler
from cloudevents_wsgi.environ import RECORD_ID

from .builders import kinesis_record, sqs_message
from .lambda_apps import CONTEXT

SIZE = 5
POSITIONS = [None, *range(SIZE)]


class App:
    def __init__(self, fail: str | None) -> None:
        self.fail = fail
        self.seen: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        record = environ[RECORD_ID]
        self.seen.append(record)
        if record == self.fail:
            raise RuntimeError(f"the app failed on {record}")
        start_response("204 No Content", [])
        return []


def sqs(refused: int | None) -> tuple[dict[str, Any], list[str]]:
    ids = [f"m-{i}" for i in range(SIZE)]
    records = [
        sqs_message(message_id=rid, body=rid, sent="x" if i == refused else "1545082649183")
        for i, rid in enumerate(ids)
    ]
    return {"Records": records}, ids


def kinesis(refused: int | None) -> tuple[dict[str, Any], list[str]]:
    ids = [str(1000 + i) for i in range(SIZE)]
    records = [kinesis_record(sequence_number=rid, data=rid.encode()) for rid in ids]
    if refused is not None:
        records[refused]["kinesis"]["data"] = "!not base64!"
    return {"Records": records}, ids


def run(
    make: Any, refused: int | None, raises: int | None, wrapped: bool
) -> tuple[list[str] | None, App, list[str]]:
    event, ids = make(refused)
    app = App(None if raises is None else ids[raises])
    handler = make_lambda_handler(CloudEventsMiddleware(app) if wrapped else app)
    try:
        answer = handler(event, CONTEXT)
    except BatchFailedError:
        return None, app, ids
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]], app, ids


@pytest.mark.parametrize("wrapped", [False, True], ids=["plain", "wrapped"])
@pytest.mark.parametrize("raises", POSITIONS)
@pytest.mark.parametrize("refused", POSITIONS)
def test_sqs_reports_each_failed_record_once_and_runs_every_other(
    refused: int | None, raises: int | None, wrapped: bool
) -> None:
    reported, app, ids = run(sqs, refused, raises, wrapped)
    failed = sorted({i for i in (refused, raises) if i is not None})
    assert app.seen == [rid for i, rid in enumerate(ids) if i != refused]
    assert reported == [ids[i] for i in failed]  # two faults at most: never the whole batch


@pytest.mark.parametrize("wrapped", [False, True], ids=["plain", "wrapped"])
@pytest.mark.parametrize("raises", POSITIONS)
@pytest.mark.parametrize("refused", POSITIONS)
def test_streams_report_the_first_failed_record_and_lose_none_before_it(
    refused: int | None, raises: int | None, wrapped: bool
) -> None:
    reported, app, ids = run(kinesis, refused, raises, wrapped)
    failed = sorted({i for i in (refused, raises) if i is not None})
    if not failed:
        assert reported == [] and app.seen == ids
        return
    first = failed[0]
    if first == 0 and reported is None:
        pass  # the whole batch failed: Lambda retries from its first record, the same checkpoint
    else:
        assert reported == [ids[first]]
    # Every record before the checkpoint ran once; the refused one never did.
    ran_before = [rid for rid in app.seen if ids.index(rid) < first]
    assert ran_before == ids[:first]
    assert len(app.seen) == len(set(app.seen))
    if refused is not None:
        assert ids[refused] not in app.seen
