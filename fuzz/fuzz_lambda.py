"""Fuzz the Lambda shim with arbitrary and edited Lambda events.

Events are real samples (API Gateway v1/v2, ALB, function URLs, S3, SQS,
SNS, EventBridge, DynamoDB, Kinesis, CloudWatch Logs, SES, CloudEvents),
edited, and arbitrary JSON. The app never raises; for non-HTTP events it
answers 503 for some events (chosen by the input) to exercise the batch
accounting.

Invariants: the handler returns a dict or raises ``EventFailedError`` (or
its subclass ``BatchFailedError``), nothing else; an HTTP event gets a
``statusCode`` below 500; a batch answer reports only identifiers of the
batch's records, each once, and every record whose event the app refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import (
    BatchFailedError,
    EventFailedError,
    http_event_kind,
    make_lambda_handler,
)

from .common import Input, check, gen_json, mutate_json, seed
from .fuzz_middleware import signer

FOLDERS = [
    "aws/alb",
    "aws/apigw-http-v2",
    "aws/apigw-rest-v1",
    "aws/function-url",
    "aws/s3",
    "aws/sqs",
    "aws/sqs",
    "aws/sns",
    "aws/eventbridge",
    "aws/scheduled",
    "aws/dynamodb",
    "aws/kinesis",
    "aws/cloudwatch-logs",
    "aws/ses",
    "cloudevents/conformance",
    "gcp/cloudevents",
]


class App:
    """Never raises; answers 503 for the events whose id ends with a chosen character."""

    def __init__(self) -> None:
        self.fail_suffixes: tuple[str, ...] = ()
        self.refused: list[Any] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        event = environ.get("cloudevent")
        if event is not None and self.fail_suffixes and event.get_id().endswith(self.fail_suffixes):
            self.refused.append(environ.get("cloudevents_wsgi.record_id"))
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"later"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]


@cache
def handlers() -> tuple[tuple[App, Callable[[Any, Any], dict[str, Any]]], ...]:
    built = []
    for options in ({}, {"report_batch_item_failures": False}, {"routes": {"*": "/r"}}):
        app = App()
        middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=signer().fetch)
        built.append((app, make_lambda_handler(middleware, **options)))
    return tuple(built)


def one_input(data: bytes) -> None:
    inp = Input(data)
    app, handler = inp.pick(handlers())
    event: Any = seed(inp, [inp.pick(FOLDERS)]) if inp.chance(90) else gen_json(inp)
    if inp.chance(75):
        event = mutate_json(inp, event)
    is_http = http_event_kind(event) is not None
    app.refused.clear()
    app.fail_suffixes = () if is_http or inp.chance(50) else tuple(inp.pick("0123456789abcdef"))
    try:
        answer = handler(event, None)
    except EventFailedError as error:
        check(not is_http, f"an HTTP event raised {error!r}")
        check(isinstance(error.status, int), "EventFailedError without a status")
        return
    check(isinstance(answer, dict), f"the handler returned {type(answer)}")
    json.dumps(answer)  # Lambda must be able to serialise it
    if is_http:
        code = answer.get("statusCode")
        check(isinstance(code, int) and code < 500, f"an HTTP event answered {code}")
        return
    if "batchItemFailures" in answer:
        reported = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
        check(len(reported) == len(set(reported)), f"a record reported twice: {reported}")
        records = event["Records"]
        ids: set[Any] = set()
        for record in records:
            if isinstance(record, dict):
                ids.add(_text(record.get("messageId")))
                for key, name in (("kinesis", "sequenceNumber"), ("dynamodb", "SequenceNumber")):
                    inner = record.get(key)
                    if isinstance(inner, dict):
                        ids.add(_text(inner.get(name)))
        for item in reported:
            check(item in ids, f"reported {item!r}, not a record of the batch")
        first = records[0].get("eventSource") if isinstance(records[0], dict) else None
        if first == "aws:sqs":
            for refused in app.refused:
                check(refused in reported, f"refused record {refused!r} not reported")
        elif app.refused:
            check(reported, "a refused stream record was not reported")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


__all__ = ["BatchFailedError", "one_input"]

if __name__ == "__main__":
    import sys

    from .run import main

    main(["lambda", *sys.argv[1:]])
