"""Attacks on what the fifth speed round (issue 13) changed after its first
attack (tests/test_attacks_speed_round5.py):

- ``middleware._receive`` asks ``content_mode`` only when ``ce-specversion``
  is there or the content type starts ``application/cloudevents`` (its own
  first test, inline): every request gets the answer it got when
  ``content_mode`` was always asked, through the middleware and the Lambda
  shim's HTTP triggers;
- ``_aws.source_reference(value, field)`` names the native field: the Kafka
  source quoted in two parts is the text quoted whole, SNS inside SQS names
  its own path, and a batch with one bad source refuses that record alone,
  reported once.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import CloudEventsMiddleware, InvalidEventError, Message
from cloudevents_wsgi import environ as keys
from cloudevents_wsgi import middleware as middleware_module
from cloudevents_wsgi.adapters import _aws, aws_kafka, aws_sns, aws_sqs
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.aws_lambda.errors import EventFailedError
from cloudevents_wsgi.receiver import content_mode

from .builders import (
    alb_event,
    dynamodb_batch,
    http_api_event,
    kafka_event,
    kafka_record,
    kinesis_batch,
    rest_event,
    sqs_batch,
    structured,
)
from .lambda_apps import CONTEXT
from .test_linear_time import assert_linear

NO_HEADERS = Message()
SURROGATE = "\ud800"


class _Str(str):
    pass


class _EqualToAll(str):
    """A prefix every string equals (its reflected ``__eq__`` is asked first)
    and every other one starts with (it is empty)."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


# Named as the str it stands for: bytes.startswith names its argument's type
# in the TypeError it raises for a bytes content type.
_EqualToAll.__name__ = _EqualToAll.__qualname__ = "str"


@contextmanager
def _previous_receive() -> Iterator[None]:
    """``_receive`` as it was: ``content_mode`` asked for every content type
    (a prefix equal to all lets every non-empty one through the inline test;
    an empty or absent one without ce-specversion is content_mode's None)."""
    with mock.patch.object(middleware_module, "FORMAT_PREFIX", _EqualToAll()):
        yield


def test_the_previous_receive_asks_content_mode_for_every_type() -> None:
    # The emulation above must hold for the inline test as written today.
    with _previous_receive():
        for content_type in ("text/plain", "application/json", "x"):
            assert content_type[:23].lower() == middleware_module.FORMAT_PREFIX
            assert _Str(content_type)[:23].lower().startswith(middleware_module.FORMAT_PREFIX)


# -- 1. content_mode asked only when it could answer an event ------------------------

KNOWN_TYPES = [
    "application/cloudevents+json",
    "application/cloudevents+json; charset=utf-8",
    "application/cloudevents+json;charset=UTF8",
    "application/cloudevents+xml",
    "application/cloudevents-batch+json",
    "APPLICATION/CloudEvents-batch+json; charset=latin-1",
    "Application/CloudEvents+JSON",
    " application/cloudevents+json",
    "\tapplication/cloudevents+json",
    "application/cloudevents+json ",
    "application/cloudevents+json\t",
    "application/cloudevents",
    "application/cloudevents+",
    "application/cloudevent",
    "application/cloudeventsx",
    "application/cloudevents+json; charset=",
    'application/cloudevents+json; charset="utf-8"',
    "application/cloudevents+json; x=1; charset=utf-16",
    "application/cloudevents+json;;",
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    # The Kelvin sign lowers to "k", dotless and dotted capital I to other text.
    "application/cloudevents+json\u212a",
    "APPL\u0130CATION/cloudevents+json",
    "appl\u0131cation/cloudevents+json",
    "applicat\u0130on/cloudevents+json",
    "\u212aapplication/cloudevents+json",
    "application/cloudevents\u212a+json",
    "application/cloudevents+js\u212an",
    "",
    ";",
    "/",
]

_PREFIX_PIECES = st.sampled_from(
    [
        "application/cloudevents",
        "APPLICATION/CLOUDEVENTS",
        "Application/CloudEvents",
        "appl\u0130cation/cloudevents",
        "appl\u0131cation/cloudevents",
        " application/cloudevents",
        "application/cloudevent",
        "application/json",
        "",
    ]
)
_SUFFIX_PIECES = st.sampled_from(
    ["+json", "-batch+json", "+xml", "+JSON", "", "+json\u212a", "-batch", "+json ", "+j\u0130on"]
)
_PARAMS = st.sampled_from(
    [
        "",
        "; charset=utf-8",
        "; charset=UTF-8",
        ";charset=utf8",
        "; charset=latin-1",
        '; charset="utf-8"',
        "; charset",
        "; x=y",
        ";",
        " ; charset=utf-8 ",
    ]
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(KNOWN_TYPES),
    st.builds(lambda a, b, c: a + b + c, _PREFIX_PIECES, _SUFFIX_PIECES, _PARAMS),
    st.builds(lambda a, b: a + b, _PREFIX_PIECES, st.text(max_size=12)),
    st.text(max_size=40),
)
ENVIRON_CONTENT_TYPES = st.one_of(
    st.none(), CONTENT_TYPES, CONTENT_TYPES.map(_Str), st.just(_Str(""))
)


def _inline_test(content_type: Any, has_specversion: bool) -> bool:
    """The test _receive makes before asking content_mode."""
    return bool(
        has_specversion
        or (content_type and content_type[:23].lower().startswith(middleware_module.FORMAT_PREFIX))
    )


@given(content_type=ENVIRON_CONTENT_TYPES, has_specversion=st.booleans())
@example(content_type="APPLICATION/CloudEvents-batch+json; charset=latin-1", has_specversion=False)
@example(content_type="application/cloudevents+xml", has_specversion=False)
@example(content_type=None, has_specversion=False)
@example(content_type=_Str("application/cloudevents+xml"), has_specversion=False)
def test_content_mode_is_none_wherever_it_is_not_asked(
    content_type: Any, has_specversion: bool
) -> None:
    if not _inline_test(content_type, has_specversion):
        assert content_mode(content_type, has_specversion) is None  # and never raises


def _app_and_seen() -> tuple[list[dict[str, Any]], Callable[..., list[bytes]]]:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        event = environ.get("cloudevent")
        events = environ.get("cloudevents")
        seen.append(
            {
                "content_type": environ.get("CONTENT_TYPE"),
                "mode": environ.get(keys.CONTENT_MODE),
                "event": None if event is None else dict(event.get_attributes()),
                "events": None if events is None else len(events),
                "body": environ["wsgi.input"].read(),
                "ce": sorted((k, v) for k, v in environ.items() if k.startswith("HTTP_CE_")),
            }
        )
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"app"]

    return seen, app


BODIES = {
    "structured": json.dumps(structured(data={"n": 1})).encode(),
    "batch": json.dumps([structured(id="1"), structured(id="2")]).encode(),
    "native": json.dumps(
        {"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": "{}"}]}
    ).encode(),
    "text": b"hello",
}


def _environ(content_type: Any, body: bytes, binary: bool) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "example.org",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "https",
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if binary:
        environ.update(
            HTTP_CE_SPECVERSION="1.0", HTTP_CE_ID="b1", HTTP_CE_SOURCE="/s", HTTP_CE_TYPE="t"
        )
    return environ


def _answer(content_type: Any, body: bytes, binary: bool) -> tuple[Any, ...]:
    seen, app = _app_and_seen()
    calls: list[Any] = []
    middleware = CloudEventsMiddleware(app)
    try:
        chunks = middleware(
            _environ(content_type, body, binary), lambda s, h, e=None: calls.append((s, h))
        )
        out: Any = b"".join(chunks)
    except Exception as exc:
        out = ("raised", type(exc).__name__, str(exc))
    return out, calls, seen


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    content_type=ENVIRON_CONTENT_TYPES,
    body=st.sampled_from(sorted(BODIES)),
    binary=st.booleans(),
)
@example(content_type="application/cloudevents+xml", body="structured", binary=False)
@example(content_type="application/cloudevents+xml", body="structured", binary=True)
@example(
    content_type="APPLICATION/CloudEvents-batch+json; charset=latin-1", body="batch", binary=False
)
@example(content_type=" application/cloudevents+json", body="structured", binary=False)
@example(content_type="application/cloudevents+json ", body="structured", binary=False)
@example(content_type="appl\u0130cation/cloudevents+json", body="structured", binary=False)
@example(content_type=_Str("application/cloudevents+json"), body="structured", binary=False)
@example(content_type=_Str("application/cloudevents+xml"), body="structured", binary=True)
@example(content_type=None, body="text", binary=True)
@example(content_type="", body="native", binary=False)
@example(content_type="application/json", body="native", binary=False)
@example(content_type="text/plain", body="text", binary=True)
@example(content_type=b"application/cloudevents+json", body="structured", binary=False)
@example(content_type=b"application/json", body="structured", binary=True)
@example(content_type=5, body="structured", binary=False)
def test_the_middleware_answers_as_when_content_mode_was_always_asked(
    content_type: Any, body: str, binary: bool
) -> None:
    now = _answer(content_type, BODIES[body], binary)
    with _previous_receive():
        before = _answer(content_type, BODIES[body], binary)
    assert now == before
    status = now[1][0][0] if now[1] else None
    assert status is None or not status.startswith("5")


class _LowerCounts(str):
    """A content type that counts how often its methods are asked."""

    asked = 0

    def lower(self) -> str:  # type: ignore[override]
        type(self).asked += 1
        return str.lower(self)


def test_a_str_subclass_content_type_is_read_as_before() -> None:
    # Asked once more than before when it may be an event (the inline test,
    # then content_mode's own); its answer is the same.
    for text in ("application/cloudevents+json", "application/json", "application/cloudevents+xml"):
        answers = []
        for previous in (False, True):
            ctx = _previous_receive() if previous else nullcontext()
            with ctx:
                answers.append(_answer(_LowerCounts(text), BODIES["structured"], False)[:2])
        assert answers[0] == answers[1], text


def _http_events(content_type: str | None, body: str, binary: bool) -> list[dict[str, Any]]:
    headers = {"host": "example.org"}
    if content_type is not None:
        headers["content-type"] = content_type
    if binary:
        headers.update({"ce-specversion": "1.0", "ce-id": "b1", "ce-source": "/s", "ce-type": "t"})
    return [
        rest_event(
            method="POST", path="/", body=body, headers={k: [v] for k, v in headers.items()}
        ),
        http_api_event(method="POST", body=body, headers=headers),
        http_api_event(
            method="POST",
            body=body,
            headers=headers,
            domain="abcdefghij.lambda-url.eu-west-1.on.aws",
        ),
        alb_event(method="POST", body=body, headers=headers),
        alb_event(method="POST", body=body, multi_headers={k: [v] for k, v in headers.items()}),
    ]


def _shim_answers(content_type: str | None, body: str, binary: bool) -> list[Any]:
    answers = []
    for event in _http_events(content_type, body, binary):
        seen, app = _app_and_seen()
        try:
            out: Any = make_lambda_handler(app)(event, CONTEXT)
        except Exception as exc:
            out = ("raised", type(exc).__name__, str(exc))
        answers.append((out, seen))
    return answers


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    content_type=st.one_of(st.none(), CONTENT_TYPES),
    body=st.sampled_from(sorted(BODIES)),
    binary=st.booleans(),
)
@example(content_type="application/cloudevents+xml", body="structured", binary=True)
@example(
    content_type="APPLICATION/CloudEvents-batch+json; charset=latin-1", body="batch", binary=False
)
@example(content_type="Application/CloudEvents+JSON", body="structured", binary=False)
@example(content_type=None, body="text", binary=True)
@example(content_type="application/json", body="structured", binary=True)
def test_the_shim_s_http_triggers_answer_as_when_content_mode_was_always_asked(
    content_type: str | None, body: str, binary: bool
) -> None:
    now = _shim_answers(content_type, BODIES[body].decode(), binary)
    with _previous_receive():
        before = _shim_answers(content_type, BODIES[body].decode(), binary)
    assert now == before
    for out, _ in now:
        assert not (isinstance(out, tuple) and out[0] == "raised"), out
        assert isinstance(out, dict) and not 500 <= out["statusCode"] < 600, out


def test_binary_mode_by_ce_specversion_through_every_http_trigger() -> None:
    for content_type in (None, "application/json", "text/plain", "application/cloudevents+xml"):
        answers = _shim_answers(content_type, '{"n": 1}', True)
        for out, seen in answers:
            if content_type == "application/cloudevents+xml":
                assert out["statusCode"] == 415 and seen == []
                continue
            assert out["statusCode"] == 200, (content_type, out)
            [request] = seen
            assert request["mode"] == "binary"
            assert request["event"]["id"] == "b1"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda n: "application/cloudevents+json; x=" + "a" * n, id="structured-param"),
        pytest.param(lambda n: "application/json; x=" + "a" * n, id="json-param"),
        pytest.param(lambda n: "application/cloudevents+xml" + " " * n, id="xml-spaces"),
        pytest.param(lambda n: "\u0130" * n, id="dotted-capital-i"),
        pytest.param(lambda n: "a" * n, id="no-slash"),
    ],
)
@pytest.mark.parametrize("binary", [False, True])
def test_a_long_content_type_is_answered_in_linear_time(
    make: Callable[[int], str], binary: bool
) -> None:
    middleware = CloudEventsMiddleware(lambda e, s: s("200 OK", []) or [b""])

    def call(content_type: str) -> object:
        return b"".join(
            middleware(_environ(content_type, BODIES["structured"], binary), lambda *a: None)
        )

    assert_linear(call, make, n=20_000)


# -- 2. source_reference naming the native field ------------------------------------

ANY_TEXT = st.text(
    alphabet=st.characters(exclude_categories=()),  # surrogates too
    max_size=20,
)
BIASED_TEXT = st.one_of(
    ANY_TEXT,
    st.lists(
        st.sampled_from(["/", "%", "%2F", "é", "\ud800", "\udc00", "a", " ", "?", "#", ":", "~"]),
        max_size=8,
    ).map("".join),
)


def _quoted(value: str) -> str | None:
    try:
        return quote(value, safe=_aws._URI_SAFE)
    except UnicodeEncodeError:
        return None


@settings(max_examples=500)
@given(base=BIASED_TEXT, topic=BIASED_TEXT)
@example(base="arn:aws:kafka:x", topic="\ud800")
@example(base="kafka://b\udc00", topic="t")
@example(base="\ud83d", topic="\ude00")  # a pair split by the "/": never joined
@example(base="a%2F", topic="%")
def test_kafka_s_two_part_source_is_the_whole_quoted(base: str, topic: str) -> None:
    whole = _quoted(base + "/" + topic)
    try:
        parts: str | None = (
            _aws.source_reference(base, "eventSourceArn")
            + "/"
            + _aws.source_reference(topic, "records.k[0].topic")
        )
    except InvalidEventError as error:
        parts = None
        expected = "eventSourceArn" if _quoted(base) is None else "records.k[0].topic"
        assert error.field == expected
        assert error.reason == "is not valid text"
    assert parts == whole


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(arn=BIASED_TEXT, topic=BIASED_TEXT.filter(bool), self_managed=st.booleans())
@example(arn="arn:aws:kafka:x\ud800", topic="t", self_managed=False)
@example(arn="broker\ud800:9092", topic="t", self_managed=True)
@example(arn="b:9092", topic="t\ud800", self_managed=True)
def test_kafka_records_source_or_refusal_through_the_adapter(
    arn: str, topic: str, self_managed: bool
) -> None:
    good, other = kafka_record(topic=topic, offset=1), kafka_record(offset=2)
    payload = kafka_event(good, other, self_managed=self_managed)
    if self_managed:
        payload["bootstrapServers"] = arn
        base = "kafka://" + arn.split(",")[0].strip()
        base_field = "bootstrapServers"
    else:
        payload["eventSourceArn"] = arn
        base = arn or "kafka://" + payload["bootstrapServers"].split(",")[0].strip()
        base_field = "eventSourceArn" if arn else "bootstrapServers"
    outcomes = aws_kafka.ADAPTER.convert_each(payload, NO_HEADERS)
    key = f"{topic}-0"
    whole = _quoted(base + "/" + topic)
    first = outcomes[0]
    if whole is None:
        assert isinstance(first, InvalidEventError)
        assert first.field in (base_field, f"records.{key}[0].topic")
        if _quoted(base) is None:
            assert first.field == base_field
            assert all(isinstance(o, InvalidEventError) for o in outcomes)  # every record
    elif isinstance(first, InvalidEventError):
        # Refused for another reason than its text (the whole is no URI
        # reference: ":/0"), as when it was quoted whole.
        assert first.reason != "is not valid text", first
    else:
        [converted] = first
        assert converted.event.get_source() == whole


SQS_ARN = "arn:aws:sqs:us-east-2:123456789012:my-queue"


def _sns_document(topic_arn: str) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "TopicArn": topic_arn,
        "Message": "hello",
        "Timestamp": "1970-01-01T00:00:00.000Z",
        "SignatureVersion": "1",
    }


def _sns_lambda_event(topic_arn: str, subscription: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "Sns": _sns_document(topic_arn),
    }
    if subscription is not None:
        record["EventSubscriptionArn"] = subscription
    return {"Records": [record]}


TOPIC = "arn:aws:sns:us-east-1:123456789012:t"


def _sqs_of(*bodies: Any) -> dict[str, Any]:
    return sqs_batch(*[json.dumps(b) if not isinstance(b, str) else b for b in bodies])


def _fields(adapter: Any, payload: Any) -> list[str]:
    return [
        o.field if isinstance(o, InvalidEventError) else "ok"
        for o in adapter.convert_each(payload, NO_HEADERS)
    ]


def test_sns_inside_sqs_names_the_topic_arn_under_the_body() -> None:
    payload = _sqs_of(_sns_document(TOPIC), _sns_document(TOPIC + SURROGATE), "{}")
    assert _fields(aws_sqs.ADAPTER, payload) == ["ok", "Records[1].body.TopicArn", "ok"]


def test_an_sns_lambda_event_inside_sqs_names_its_subscription_under_the_body() -> None:
    bad_subscription = _sns_lambda_event(TOPIC, TOPIC + ":sub" + SURROGATE)
    bad_topic = _sns_lambda_event(TOPIC + SURROGATE, None)
    payload = _sqs_of(bad_subscription, bad_topic, _sns_lambda_event(TOPIC, TOPIC + ":s"))
    assert _fields(aws_sqs.ADAPTER, payload) == [
        "Records[0].body.Records[0].EventSubscriptionArn",
        "Records[1].body.Records[0].Sns.TopicArn",
        "ok",
    ]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("", "EventSubscriptionArn"),
        ("Sns", "EventSubscriptionArn"),
        ("Records[0].Sns", "Records[0].EventSubscriptionArn"),
        ("x.Sns", "x.EventSubscriptionArn"),
        ("Message", "Message.EventSubscriptionArn"),
        ("Records[0].body", "Records[0].body.EventSubscriptionArn"),
    ],
)
def test_convert_document_s_subscription_refusal_names_a_field_path(
    where: str, expected: str
) -> None:
    # convert_document is public: ``where`` need not end in ".Sns" (it was
    # ".EventSubscriptionArn" for the top).
    with pytest.raises(InvalidEventError) as caught:
        aws_sns.ADAPTER.convert_document(
            _sns_document(TOPIC), subscription_arn="arn:sub" + SURROGATE, where=where
        )
    assert caught.value.field == expected


def _bad_source_batches() -> list[Any]:
    sqs = sqs_batch("{}", "{}", "{}")
    sqs["Records"][1]["eventSourceARN"] = SQS_ARN + SURROGATE
    sns_in_sqs = _sqs_of("{}", _sns_document(TOPIC + SURROGATE), "{}")
    kinesis = kinesis_batch("1", "2", "3")
    kinesis["Records"][1]["eventSourceARN"] += SURROGATE
    dynamodb = dynamodb_batch("1", "2", "3")
    dynamodb["Records"][1]["eventSourceARN"] += SURROGATE
    kafka = kafka_event(
        kafka_record(partition=0, offset=1),
        kafka_record(topic="t" + SURROGATE, partition=0, offset=2),
        kafka_record(partition=1, offset=3),
    )
    return [
        pytest.param(sqs, [{"itemIdentifier": sqs["Records"][1]["messageId"]}], 2, id="sqs"),
        pytest.param(
            sns_in_sqs,
            [{"itemIdentifier": sns_in_sqs["Records"][1]["messageId"]}],
            2,
            id="sns-in-sqs",
        ),
        pytest.param(kinesis, [{"itemIdentifier": "2"}], 1, id="kinesis"),
        pytest.param(dynamodb, [{"itemIdentifier": "2"}], 1, id="dynamodb"),
        pytest.param(
            kafka,
            [{"itemIdentifier": {"partition": "t\ud800-0", "offset": 2}}],
            2,
            id="kafka",
        ),
    ]


@pytest.mark.parametrize(("payload", "failures", "delivered"), _bad_source_batches())
def test_one_bad_source_in_a_batch_is_that_record_s_failure_once(
    payload: dict[str, Any],
    failures: list[Any],
    delivered: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen, app = _app_and_seen()
    with caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"):
        answer = make_lambda_handler(app)(payload, CONTEXT)
    assert answer == {"batchItemFailures": failures}
    assert len(seen) == delivered  # the others reach the app (a stream stops at its failure)
    refused = [r.getMessage() for r in caplog.records if "is not valid text" in r.getMessage()]
    assert len(refused) == 1, refused
    assert "refused: source:" not in refused[0]  # the native field, not source


def test_an_sns_lambda_event_with_a_bad_subscription_fails_the_invocation_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen, app = _app_and_seen()
    event = _sns_lambda_event(TOPIC, TOPIC + ":sub" + SURROGATE)
    with (
        caplog.at_level(logging.WARNING, logger="cloudevents_wsgi"),
        pytest.raises(EventFailedError, match=r"400.*Records\[0\]\.EventSubscriptionArn"),
    ):
        make_lambda_handler(app)(event, CONTEXT)
    assert seen == []
    refused = [r.getMessage() for r in caplog.records if "is not valid text" in r.getMessage()]
    assert len(refused) == 1, refused
    assert "Records[0].EventSubscriptionArn" in refused[0]


# -- 3. the rest of the round's request path ------------------------------------------


class _Dict(dict[str, Any]):
    pass


def _previous_records(payload: Any, where: str = "") -> Any:
    """_aws.records as it was: every item's type told by a generator."""
    if type(payload) is dict:
        items = payload.get("Records")
        if type(items) is list and items and all(type(item) is dict for item in items):
            return list(items)
    return _aws.records(payload, where)  # the slow path, unchanged


RECORD_ITEMS = st.lists(
    st.one_of(
        st.just({}),
        st.just({"a": 1}),
        st.builds(_Dict),
        st.none(),
        st.integers(),
        st.text(max_size=2),
        st.just([]),
    ),
    max_size=5,
)


@given(items=st.one_of(RECORD_ITEMS, RECORD_ITEMS.map(tuple), st.none(), st.just({})))
def test_records_answers_as_the_generator_did(items: Any) -> None:
    def outcome(function: Callable[..., Any]) -> Any:
        try:
            return ("ok", function({"Records": items}, "x"))
        except InvalidEventError as error:
            return ("refused", error.field, error.reason)

    assert outcome(_aws.records) == outcome(_previous_records)
