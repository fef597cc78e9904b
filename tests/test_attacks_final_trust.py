"""Final attack on trust and batch accounting of the Lambda triggers added
last: a client of the Lambda HTTP path cannot reach a trigger module by
sending a trigger's event as its body; a Firehose record that fails mid-batch
is reported once, its neighbours once each; a wrong option type is a
ConfigurationError, never a TypeError from deep inside."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.aws_lambda import make_lambda_handler

from .builders import http_api_event, kafka_event, kafka_record, sqs_batch
from .lambda_apps import CONTEXT

FIREHOSE_ARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/attack"


def firehose_event(*record_ids: str) -> dict[str, Any]:
    return {
        "invocationId": "inv-1",
        "deliveryStreamArn": FIREHOSE_ARN,
        "region": "us-east-1",
        "records": [
            {
                "recordId": record_id,
                "approximateArrivalTimestamp": 1700000000000,
                "data": base64.b64encode(record_id.encode()).decode(),
            }
            for record_id in record_ids
        ],
    }


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(kafka_event(kafka_record()), id="kafka"),
        pytest.param(sqs_batch("m1"), id="sqs"),
        pytest.param(firehose_event("r1"), id="firehose"),
    ],
)
def test_trigger_event_posted_over_lambda_http_passes_through_unread(payload: Any) -> None:
    seen: list[tuple[bool, bytes]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(("cloudevent" in environ, environ["wsgi.input"].read()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"plain"]

    body = json.dumps(payload)
    event = http_api_event(
        method="POST", headers={"host": "h", "content-type": "application/json"}, body=body
    )
    answer = make_lambda_handler(CloudEventsMiddleware(app))(event, CONTEXT)
    assert answer["statusCode"] == 200
    assert answer["body"] == "plain"
    assert seen == [(False, body.encode())]


def test_firehose_failure_mid_batch_reports_each_record_once_in_order() -> None:
    calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        record_id = environ["cloudevent"].get_id()
        calls.append(record_id)
        if record_id == "r2":
            raise RuntimeError("boom")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [b"out-" + record_id.encode()]

    answer = make_lambda_handler(app)(firehose_event("r1", "r2", "r3"), CONTEXT)
    assert calls == ["r1", "r2", "r3"]
    assert [(r["recordId"], r["result"]) for r in answer["records"]] == [
        ("r1", "Ok"),
        ("r2", "ProcessingFailed"),
        ("r3", "Ok"),
    ]
    assert base64.b64decode(answer["records"][2]["data"]) == b"out-r3"
    assert base64.b64decode(answer["records"][1]["data"]) == b"r2"  # the input, unchanged


@pytest.mark.parametrize("bad", [None, 42, "aws.sqs"])
def test_native_over_http_of_a_wrong_type_is_a_configuration_error(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="native_over_http"):
        CloudEventsMiddleware(lambda e, s: [], native_over_http=bad)
