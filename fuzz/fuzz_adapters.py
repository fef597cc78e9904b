"""Fuzz every built-in adapter with provider-shaped JSON.

Payloads are real samples of each provider (edited: values replaced, members
removed or retyped, JSON, base64 and gzip inside strings edited), samples of
the other providers, and arbitrary JSON built from the samples' keys.

Invariants, for every adapter (unwrapping and not): ``matches`` returns a
bool and never raises; ``convert`` of a matching payload returns
``Converted`` items holding valid ``CloudEvent`` objects, or raises
``InvalidEventError``; every event can be written into an environ in both
the binary and the structured form.
"""

from __future__ import annotations

import base64
import gzip
import json
from functools import cache
from typing import Any

from cloudevents_wsgi import CloudEvent, InvalidEventError, Message
from cloudevents_wsgi.adapters.aws_logs import LogsAdapter
from cloudevents_wsgi.adapters.base import Adapter, Converted
from cloudevents_wsgi.detect import builtin_adapters, find_adapter
from cloudevents_wsgi.environ import write_binary, write_structured

from .common import Input, check, gen_json, mutate_json, seed

FOLDERS = {
    "aws.s3": ["aws/s3"],
    "aws.eventbridge": ["aws/eventbridge", "aws/scheduled"],
    "aws.sns": ["aws/sns"],
    "aws.sqs": ["aws/sqs"],
    "aws.dynamodb": ["aws/dynamodb"],
    "aws.kinesis": ["aws/kinesis"],
    "aws.logs": ["aws/cloudwatch-logs"],
    "aws.ses": ["aws/ses"],
    "azure.eventgrid": ["azure/eventgrid"],
    "google.pubsub": ["gcp/pubsub-push"],
    "google.legacy": ["gcp/legacy", "gcp/cloudevents"],
}
HEADERS: tuple[dict[str, str], ...] = (
    {},
    {"content-type": "application/json"},
    {"aeg-event-type": "Notification"},
    {"x-amz-sns-message-type": "Notification"},
    {"ce-specversion": "1.0"},
)
PATHS = ("/", "/events", "/projects/p/topics/t", "/topics/t", "/%zz")


@cache
def adapters() -> tuple[Adapter, ...]:
    small_logs = LogsAdapter(max_decompressed_size=64)
    return (
        *builtin_adapters(unwrap=True),
        *builtin_adapters(unwrap=False),
        small_logs,
    )


def payload(inp: Input, adapter: Adapter) -> Any:
    choice = inp.below(10)
    if choice < 7:
        value = seed(inp, FOLDERS.get(adapter.name, [])) or gen_json(inp)
    elif choice < 9:
        value = seed(inp) or gen_json(inp)
    else:
        return gen_json(inp)
    if adapter.name == "aws.logs" and inp.chance(30):
        value = _bomb(inp)
    return mutate_json(inp, value) if inp.chance(80) else value


def _bomb(inp: Input) -> Any:
    """A CloudWatch Logs delivery that decompresses to far more than it weighs."""
    message = json.dumps(
        {
            "messageType": "DATA_MESSAGE",
            "logGroup": "g",
            "logStream": "s",
            "logEvents": [{"id": "1", "timestamp": 1, "message": "x" * inp.pick((10, 1 << 20))}],
        }
    ).encode()
    return {"awslogs": {"data": base64.b64encode(gzip.compress(message, mtime=0)).decode()}}


def check_converted(items: Any) -> None:
    check(isinstance(items, list), f"convert returned {type(items)}")
    for item in items:
        check(isinstance(item, Converted), f"not a Converted: {item!r}")
        event = item.event
        check(isinstance(event, CloudEvent), f"not a CloudEvent: {event!r}")
        check(item.record_id is None or isinstance(item.record_id, str), "record_id not a str")
        for name in ("id", "source", "type"):
            value = event.get_attributes().get(name)
            check(isinstance(value, str) and value, f"{name} is not a non-empty string")
        for write in (write_binary, write_structured):
            try:
                write({}, event)
            except InvalidEventError:
                pass  # data no body can carry (a lone surrogate...): the middleware's 400


def one_input(data: bytes) -> None:
    inp = Input(data)
    target = inp.pick(adapters())
    value = payload(inp, target)
    message = Message("POST", inp.pick(PATHS), inp.pick(HEADERS), b"")
    matching = []
    for adapter in adapters():
        matched = adapter.matches(value, message)
        check(isinstance(matched, bool), f"{adapter.name}.matches returned {matched!r}")
        if matched:
            matching.append(adapter)
    found = find_adapter(value, message)
    check(found is None or found in builtin_adapters(), "find_adapter returned a stranger")
    for adapter in matching:
        try:
            items = adapter.convert(value, message)
        except InvalidEventError as error:
            check(error.status in (400, 413, 415), f"unexpected status {error.status}")
            check(isinstance(error.field, str) and isinstance(error.reason, str), "no field")
            continue
        check_converted(items)


if __name__ == "__main__":
    import sys

    from .run import main

    main(["adapters", *sys.argv[1:]])
