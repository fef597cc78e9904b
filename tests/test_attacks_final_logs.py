"""Final attack on diagnostics.py: the WARNING for a failed Kafka record
names the record by its topic, which the producer chose; control characters
in it (a forged second log line, a terminal escape) come out escaped, and a
huge topic is cut, whatever the reason of the failure."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cloudevents_wsgi.aws_lambda import make_lambda_handler

from .builders import kafka_event, kafka_record
from .lambda_apps import CONTEXT

HOSTILE = "t\nWARNING forged line\r\x1b[31m\x00" + "x" * 100_000


def failing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    hostile = environ["cloudevent"].get_id().startswith("t\n")
    start_response("500 Oops" if hostile else "204 No Content", [])
    return []


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(kafka_record(topic=HOSTILE, offset=1), id="app-failed"),
        pytest.param(
            {**kafka_record(topic=HOSTILE, offset=1), "value": "!!not-base64"}, id="refused"
        ),
    ],
)
def test_failed_kafka_record_log_line_escapes_and_cuts_the_topic(
    record: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    answer = make_lambda_handler(failing)(kafka_event(record, kafka_record(topic="ok")), CONTEXT)
    assert len(answer["batchItemFailures"]) == 1
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert messages
    for message in messages:
        assert message.isprintable(), message[:200]
        assert len(message) < 5_000
