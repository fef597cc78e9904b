"""Fuzz the IO-free receiver: ``from_http`` with arbitrary headers and bodies.

Invariants: ``from_http`` returns ``None`` or a list of ``CloudEvent`` (one
for binary and structured mode), or raises ``InvalidEventError`` (a subclass
included) and nothing else; every event it returns can be written out as a
JSON-format event, and reading that back gives the same event.
"""

from __future__ import annotations

import json
from typing import Any

from cloudevents_wsgi import CloudEvent, InvalidEventError, Message, from_http
from cloudevents_wsgi.environ import event_to_json
from cloudevents_wsgi.receiver import parse_structured

from .common import (
    Input,
    body_of,
    check,
    gen_json,
    mutate_bytes,
    mutate_json,
    seed,
    vocabulary,
)

CONTENT_TYPES = (
    None,
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
    "application/cloudevents+json; charset=utf-8",
    "application/cloudevents+json; charset=latin-1",
    "Application/CloudEvents+JSON",
    "application/cloudevents+xml",
    "application/cloudevents",
    "application/cloudevents+json;",
    'application/cloudevents+json; charset="utf-8"',
    "application/json",
    "application/json; charset=utf-16",
    "text/plain",
    "text/plain; charset=nope",
    "application/octet-stream",
    "application/vnd.example+json",
    "text/html; charset=iso-8859-1",
)
CE_NAMES = (
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "dataschema",
    "datacontenttype",
    "data",
    "data_base64",
    "comexampleextension1",
    "traceparent",
    "Bad-Name",
    "",
    "UPPER",
    "a" * 30,
)
CONFORMANCE = ["cloudevents/conformance", "gcp/cloudevents"]


def event_headers(inp: Input) -> dict[str, str]:
    """``ce-`` headers: a real event's attributes, edited, or made up."""
    headers: dict[str, str] = {}
    event = seed(inp, CONFORMANCE)
    if isinstance(event, list):
        event = event[0] if event else None
    if isinstance(event, dict) and inp.chance(80):
        for name, value in event.items():
            if name in ("data", "data_base64"):
                continue
            headers["ce-" + name] = value if isinstance(value, str) else json.dumps(value)
    for _ in range(inp.below(4)):
        action = inp.below(4)
        name = "ce-" + inp.pick(CE_NAMES)
        if action == 0 and headers:
            headers.pop(inp.pick(sorted(headers)))
        elif action == 1:
            value = inp.text()
            if inp.chance(30):
                value = '"' + value + ('"' if inp.chance(70) else "")
            headers[name] = value
        else:
            headers[name] = inp.pick(vocabulary().strings)
    return headers


def message(inp: Input) -> Message:
    headers = event_headers(inp) if inp.chance(60) else {}
    content_type = inp.pick(CONTENT_TYPES) if inp.chance(85) else inp.text()
    if content_type is not None:
        headers["content-type"] = content_type
    source = inp.below(4)
    value: Any
    if source == 0:
        value = gen_json(inp)
    else:
        value = seed(inp, CONFORMANCE)
        if inp.chance(70):
            value = mutate_json(inp, value)
        if source == 1 and isinstance(value, dict):
            value = value.get("data", value)
    body = body_of(inp, value) if inp.chance(90) else mutate_bytes(inp, inp.raw(64))
    return Message(inp.pick(("POST", "PUT", "GET")), "/", headers, body)


def one_input(data: bytes) -> None:
    inp = Input(data)
    msg = message(inp)
    max_batch = inp.pick((1000, 1, 2))
    try:
        events = from_http(msg, max_batch=max_batch)
    except InvalidEventError as error:
        # The field may be "" (an attribute named "" is refused under its own name).
        check(isinstance(error.field, str), f"error without a field: {error!r}")
        check(isinstance(error.reason, str) and error.reason, f"error without a reason: {error!r}")
        check(error.status in (400, 413, 415), f"unexpected status {error.status}")
        problem = json.loads(error.problem_json())
        check(problem["field"] == error.field, "problem field differs")
        return
    if events is None:
        return
    check(isinstance(events, list), f"from_http returned {type(events)}")
    check(len(events) <= max_batch, "a batch over max_batch was accepted")
    for event in events:
        check(isinstance(event, CloudEvent), f"not a CloudEvent: {event!r}")
        for name in ("id", "source", "type"):
            value = event.get_attributes()[name]
            check(isinstance(value, str) and value, f"{name} is not a non-empty string")
        check(event.get_specversion() == "1.0", "specversion is not 1.0")
        # ASCII-escaped: data may hold lone surrogates (from JSON escapes).
        again = parse_structured(json.dumps(event_to_json(event)).encode())
        check(again == event, f"the JSON form does not read back: {event!r}")


if __name__ == "__main__":
    from .run import main

    main(["receiver", *__import__("sys").argv[1:]])
