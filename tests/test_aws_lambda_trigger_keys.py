"""The trigger table's keys (aws_lambda/__init__.py): a trigger module is
imported, and its infer() run, only for an event with the top-level key its
infer() cannot be true without; so that key must be necessary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import aws_lambda
from cloudevents_wsgi.testing import sample, sample_names

from .builders import alb_event, http_api_event, kafka_event, kafka_record, rest_event
from .conftest import FIXTURES, load_fixture
from .test_aws_lambda_answered import (
    PRE_SIGN_UP,
    custom_resource,
    firehose_event,
    s3_batch_event,
)
from .test_aws_lambda_http_more import (
    LATTICE_V1,
    LATTICE_V2,
    TOKEN,
    http_api_simple_authorizer,
    rest_request_authorizer,
    websocket_event,
)

DATA = Path(__file__).parent / "data" / "lambda"


def _sample_events() -> list[tuple[str, Any]]:
    events = [(f"samples/{name}", sample(name)) for name in sample_names()]
    for root in (DATA, FIXTURES):
        if root.is_dir():
            events += [(str(p), load_fixture(p)) for p in sorted(root.rglob("*.json"))]
    built = {
        "rest": rest_event(),
        "http-api": http_api_event(),
        "alb": alb_event(),
        "kafka": kafka_event(kafka_record()),
        "kafka-self-managed": kafka_event(kafka_record(), self_managed=True),
        "firehose": firehose_event(("1", b"x")),
        "s3-batch": s3_batch_event(),
        "s3-batch-2": s3_batch_event("2.0"),
        "cognito": PRE_SIGN_UP,
        "cloudformation": custom_resource("https://example.com/"),
        "lattice-1": LATTICE_V1,
        "lattice-2": LATTICE_V2,
        "token-authorizer": TOKEN,
        "request-authorizer": rest_request_authorizer(),
        "http-api-authorizer": http_api_simple_authorizer(),
        "websocket": websocket_event("$connect", "CONNECT"),
        "function-url": http_api_event(domain="abc.lambda-url.eu-west-1.on.aws"),
        "tumbling-window": {
            "Records": [],
            "window": {"start": "2020-12-09T07:04:00Z", "end": "2020-12-09T07:06:00Z"},
            "state": {},
            "shardId": "shardId-000000000006",
            "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            "isFinalInvokeForWindow": False,
            "isWindowTerminatedEarly": False,
        },
    }
    return events + [(f"built/{name}", event) for name, event in built.items()]


SAMPLES = _sample_events()
ROWS = [pytest.param(row, id=row[2]) for row in aws_lambda._TABLE]


@pytest.mark.parametrize("row", ROWS)
def test_each_row_names_its_module_and_kind(row: tuple[str, str, str]) -> None:
    kind, _, name = row
    assert aws_lambda._trigger(name).KIND == kind


def test_the_table_and_the_triggers_agree() -> None:
    modules = [name for _, _, name in aws_lambda._TABLE] + [aws_lambda._LAST]
    assert [trigger.__name__ for trigger in aws_lambda.TRIGGERS] == [
        f"cloudevents_wsgi.aws_lambda.{name}" for name in modules
    ]
    assert set(aws_lambda._WITH_CONTEXT) | set(aws_lambda._WITHOUT_CONTEXT) == set(
        aws_lambda._TABLE
    )


@pytest.mark.parametrize("row", ROWS)
def test_a_sample_a_trigger_recognises_has_its_key(row: tuple[str, str, str]) -> None:
    _, key, name = row
    trigger = aws_lambda._trigger(name)
    # The bundled samples and built events, and ../shared's when it is there.
    assert len(SAMPLES) > (100 if FIXTURES.is_dir() else 40)
    for where, event in SAMPLES:
        if trigger.infer(event):
            assert key in event, where
            assert not trigger.infer({k: v for k, v in event.items() if k != key}), where


# The samples each trigger recognises, to build near misses from.
RECOGNISED = {
    name: [event for _, event in SAMPLES if aws_lambda._trigger(name).infer(event)]
    for _, _, name in aws_lambda._TABLE
}


def test_every_trigger_recognises_a_sample() -> None:
    assert all(RECOGNISED.values()), [name for name, events in RECOGNISED.items() if not events]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
# Keys the triggers look at, so that generated events come close to each shape.
_KEYS = st.sampled_from(
    sorted(
        {key for _, key, _ in aws_lambda._TABLE}
        | {"methodArn", "routeArn", "eventSource", "Records", "invocationId", "job"}
        | {"invocationSchemaVersion", "userPoolId", "request", "response", "RequestType"}
        | {"StackId", "RequestId", "path", "raw_path", "is_base64_encoded", "http"}
    )
)
_VALUES = (
    st.sampled_from(
        ["2.0", "TOKEN", "REQUEST", "GET", "/", "aws:kafka", "SelfManagedKafka", "Create", "x"]
    )
    | _JSON
)
_CONTEXT = st.dictionaries(
    st.sampled_from(["http", "elb", "eventType", "connectionId", "routeKey", "domainName"])
    | st.sampled_from(["serviceNetworkArn", "targetGroupArn"]),
    st.just({}) | st.sampled_from(["CONNECT", "MESSAGE", "x.lambda-url.eu-west-1.on.aws"]),
)
_EVENTS = st.dictionaries(_KEYS | st.text(max_size=4), _VALUES | st.dictionaries(st.text(), _JSON))


@settings(max_examples=300, deadline=None)
@given(_EVENTS, _CONTEXT, st.booleans())
def test_an_event_without_a_trigger_key_is_never_recognised(
    event: dict[str, Any], context: dict[str, Any], with_context: bool
) -> None:
    if with_context:
        event["requestContext"] = context
    for _, key, name in aws_lambda._TABLE:
        without = {k: v for k, v in event.items() if k != key}
        assert not aws_lambda._trigger(name).infer(without), (name, without)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_recognised_event_loses_its_key_and_gains_others_and_is_not_recognised(
    data: st.DataObject,
) -> None:
    kind, key, name = data.draw(st.sampled_from(aws_lambda._TABLE))
    event = dict(data.draw(st.sampled_from(RECOGNISED[name])))
    event.update(data.draw(st.dictionaries(_KEYS | st.text(max_size=4), _VALUES, max_size=4)))
    event.pop(key, None)
    assert not aws_lambda._trigger(name).infer(event), (kind, event)


def test_the_first_s3_event_imports_no_other_trigger() -> None:
    code = (
        "import sys\n"
        "from cloudevents_wsgi.aws_lambda import make_lambda_handler\n"
        "from cloudevents_wsgi.testing import sample\n"
        "def app(environ, start_response):\n"
        "    start_response('204 No Content', [])\n"
        "    return []\n"
        "make_lambda_handler(app)(sample('s3-object-created'), None)\n"
        "print(' '.join(n.rsplit('.', 1)[1] for n in sys.modules\n"
        "               if n.startswith('cloudevents_wsgi.aws_lambda.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(out.split())
    triggers = {name for _, _, name in aws_lambda._TABLE}
    assert loaded & triggers == set(), loaded
    assert aws_lambda._LAST in loaded


def _first_in_table(event: Any) -> str:
    *specific, last = aws_lambda.TRIGGERS
    chosen = next((trigger for trigger in specific if trigger.infer(event)), last)
    return chosen.__name__.rsplit(".", 1)[1]


def _routed(monkeypatch: pytest.MonkeyPatch) -> Any:
    for trigger in aws_lambda.TRIGGERS:
        name = trigger.__name__.rsplit(".", 1)[1]
        monkeypatch.setattr(trigger, "handle", lambda *args, name=name: name)
    return aws_lambda.make_lambda_handler(lambda environ, start_response: [])


def test_the_handler_picks_the_first_trigger_of_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler = _routed(monkeypatch)
    events = [event for _, event in SAMPLES]
    # Authorizer REQUEST events are requests to REST / HTTP API too; a non-HTTP
    # event with a requestContext object is still its trigger's.
    events += [{**event, "requestContext": {}} for event in events if isinstance(event, dict)]
    events += [None, [], "x", 1, {"type": [], "version": {}, "records": None}]
    assert [handler(event, None) for event in events] == list(map(_first_in_table, events))
    assert _first_in_table({**kafka_event(kafka_record()), "requestContext": {}}) == "kafka"


@settings(max_examples=200, deadline=None)
@given(_EVENTS, _CONTEXT, st.booleans())
def test_the_handler_picks_the_first_trigger_of_the_table_for_any_event(
    event: dict[str, Any], context: dict[str, Any], with_context: bool
) -> None:
    if with_context:
        event["requestContext"] = context
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _routed(monkeypatch)(event, None) == _first_in_table(event)


class _Event(dict):  # type: ignore[type-arg]
    """A dict subclass, as a caller of the handler may pass."""


def test_the_handler_picks_the_first_trigger_for_odd_dicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The skip to native reads the event's keys in one test (isdisjoint):
    # every sample, with requestContext of every JSON type and none, as a dict
    # subclass, and with keys that are not str (a direct invoke from Python).
    from collections import OrderedDict, defaultdict

    handler = _routed(monkeypatch)
    contexts: list[Any] = [{}, None, [], "x", 1, {"http": {}}]
    events: list[Any] = []
    for _, event in SAMPLES:
        if not isinstance(event, dict):
            continue
        bare = {k: v for k, v in event.items() if k != "requestContext"}
        events += [bare, _Event(event), OrderedDict(event), defaultdict(list, event)]
        events += [{**bare, "requestContext": context} for context in contexts]
        events += [{1: "x", None: 0, ("Records",): [], b"type": "TOKEN", **event}]
    events += [{1: 2}, {(): None}, _Event(), {True: 1, 0.5: 2}]
    for event in events:
        assert handler(event, None) == _first_in_table(event), event
