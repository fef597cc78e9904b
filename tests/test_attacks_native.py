"""Attacks on the native adapters: numbers and timestamps a sender writes.

Epoch times (SQS ``SentTimestamp``, Kinesis ``approximateArrivalTimestamp``,
DynamoDB ``ApproximateCreationDateTime``, CloudWatch Logs ``timestamp``)
arrive as digits or JSON numbers. Converting a number of n digits costs time
quadratic in n, so one of many digits is refused as out of the range of dates
(year 9999 is 15 digits of milliseconds) before it is converted.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware

from .builders import sqs_batch
from .test_linear_time import assert_linear


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return []


MIDDLEWARE = CloudEventsMiddleware(app, native_over_http={"aws.sqs"})


def post(payload: Any) -> tuple[str, bytes]:
    body = json.dumps(payload).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    statuses: list[str] = []
    answer = b"".join(MIDDLEWARE(environ, lambda s, h, e=None: statuses.append(s)))
    return statuses[0], answer


def test_an_sqs_sent_timestamp_of_n_and_4n_digits_costs_linear_time() -> None:
    assert_linear(lambda digits: post(sqs_batch("x", sent=digits)), lambda n: "9" * n, n=1000)


@pytest.mark.parametrize(
    "sent", ["9" * 21, "9" * 100_000, "1" + "0" * 5000], ids=["21-digits", "100k-digits", "5k"]
)
def test_an_sqs_sent_timestamp_of_many_digits_is_out_of_range(sent: str) -> None:
    status, answer = post(sqs_batch("x", sent=sent))
    assert status == "400 Bad Request"
    problem = json.loads(answer)
    assert problem["field"].endswith("SentTimestamp") and "range" in problem["reason"]
    assert len(answer) < 2048


@pytest.mark.parametrize("sent", ["1545082649183", "0" * 30 + "1545082649183", "253402300799999"])
def test_an_sqs_sent_timestamp_in_range_is_read(sent: str) -> None:
    """Leading zeros do not count; 9999-12-31T23:59:59.999Z is the last date."""
    assert post(sqs_batch("x", sent=sent))[0] == "204 No Content"
