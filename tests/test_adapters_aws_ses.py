"""SES receipts: golden events from the shared samples, malformed records."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.aws_ses import ADAPTER

from .conftest import fixture_paths, load_fixture, require_fixture, utc

NO_HEADERS = Message()


GOLDEN = [
    pytest.param(
        "aws/ses/go-lambda-action.json",
        (
            "6n4thuhcbhpfiuf25gshf70rss364fuejrvmqko1",
            "Test Subject",
            utc(1970, 1, 1, 0, 0, 0, 123000),
        ),
        id="go-lambda-action",
    ),
    pytest.param(
        "aws/ses/go-s3-action.json",
        ("d6iitobk75ur44p8kdnnp7g2n800", "Example subject", utc(2015, 9, 11, 20, 32, 33, 936000)),
        id="go-s3-action",
    ),
    pytest.param(
        "aws/ses/go-sns-action.json",
        ("d6iitobk75ur44p8kdnnp7g2n800", "Example subject", utc(2015, 9, 11, 20, 32, 33, 936000)),
        id="go-sns-action",
    ),
    pytest.param(
        "aws/ses/powertools-receipt.json",
        ("o3vrnil0e2ic28tr", "Test Subject", utc(1970, 1, 1)),
        id="powertools-receipt",
    ),
]


@pytest.mark.parametrize(("relative", "expected"), GOLDEN)
def test_golden(relative: str, expected: tuple[Any, ...]) -> None:
    payload = load_fixture(require_fixture(relative))
    assert ADAPTER.matches(payload, NO_HEADERS)
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    event = converted.event
    assert (event.get_type(), event.get_source()) == ("com.amazonaws.ses.receipt", "aws:ses")
    assert (event.get_id(), event.get_subject(), event.get_time()) == expected
    assert event.get_datacontenttype() == "application/json"
    record = payload["Records"][0]
    assert event.get_data() is record["ses"]
    assert converted.native is record
    assert converted.record_id is None


def test_every_sample_is_in_the_golden_table() -> None:
    paths = {f"aws/ses/{path.name}" for path in fixture_paths("aws/ses")}
    if not paths:
        pytest.skip("../shared/fixtures is not present")
    assert paths == {param.values[0] for param in GOLDEN}


def sample() -> dict[str, Any]:
    return copy.deepcopy(load_fixture(require_fixture("aws/ses/powertools-receipt.json")))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda mail: mail["commonHeaders"].pop("subject"), id="no-subject"),
        pytest.param(lambda mail: mail["commonHeaders"].update(subject=""), id="empty-subject"),
        pytest.param(lambda mail: mail.pop("commonHeaders"), id="no-common-headers"),
    ],
)
def test_without_subject(change: Any) -> None:
    payload = sample()
    change(payload["Records"][0]["ses"]["mail"])
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    assert converted.event.get_subject() is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(
            lambda record: record["ses"]["mail"].pop("messageId"),
            "Records[0].ses.mail.messageId",
            id="no-message-id",
        ),
        pytest.param(
            lambda record: record["ses"]["mail"].update(timestamp="Wed, 7 Oct 2015"),
            "Records[0].ses.mail.timestamp",
            id="bad-timestamp",
        ),
        pytest.param(
            lambda record: record["ses"]["mail"].update(commonHeaders=[]),
            "Records[0].ses.mail.commonHeaders",
            id="headers-array",
        ),
        pytest.param(
            lambda record: record["ses"]["mail"]["commonHeaders"].update(subject="a\u0000b"),
            "Records[0].ses.mail.commonHeaders.subject",
            id="subject-control-character",
        ),
        pytest.param(lambda record: record.pop("ses"), "Records[0].ses", id="no-ses"),
        pytest.param(lambda record: record["ses"].pop("mail"), "Records[0].ses.mail", id="no-mail"),
    ],
)
def test_malformed(change: Any, field: str) -> None:
    payload = sample()
    change(payload["Records"][0])
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == field
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"Records": [{"eventSource": "aws:sns"}]}, id="sns"),
        pytest.param({"Records": [{"EventSource": "aws:ses"}]}, id="pascal-case"),
        pytest.param({"notificationType": "Received", "mail": {}}, id="ses-sns-notification"),
    ],
)
def test_does_not_match(payload: Any) -> None:
    assert not ADAPTER.matches(payload, NO_HEADERS)


def test_mixed_records_are_invalid() -> None:
    payload = sample()
    payload["Records"].append({"eventSource": "aws:sns"})
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == "Records[1].eventSource"
