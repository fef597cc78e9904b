"""EventBridge events (custom, AWS service, scheduled): golden events from the
shared samples and malformed envelopes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.aws_eventbridge import ADAPTER

from .conftest import fixture_paths, load_fixture, require_fixture, utc

NO_HEADERS = Message()


GOLDEN = [
    pytest.param(
        "aws/eventbridge/dotnet-s3-object-deleted.json",
        ("Object Deleted", "aws.s3", "2ee9cc15-d022-99ea-1fb8-1b1bac4850f9"),
        utc(2021, 11, 12),
        "ca-central-1",
        id="dotnet-s3-object-deleted",
    ),
    pytest.param(
        "aws/eventbridge/go-codebuild-state-change.json",
        ("CodeBuild Build State Change", "aws.codebuild", "c030038d-8c4d-6141-9545-00ff7b7153EX"),
        utc(2017, 9, 1, 16, 14, 28),
        "us-west-2",
        id="go-codebuild-state-change",
    ),
    pytest.param(
        # no "version" key
        "aws/eventbridge/powertools-custom-mycompany.json",
        ("CustomEvent", "mycompany.service", "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c"),
        utc(1970, 1, 1),
        "us-east-1",
        id="powertools-custom-mycompany",
    ),
    pytest.param(
        # no "resources" key; a 13-digit account
        "aws/eventbridge/powertools-custom-payment-created.json",
        ("PaymentCreated", "app.payment", "9c95e8e4-96a4-ef3f-b739-b6aa5b193afb"),
        utc(2022, 8, 8, 20, 41, 53),
        "eu-east-1",
        id="powertools-custom-payment-created",
    ),
    pytest.param(
        # "replay-name": a replayed event
        "aws/eventbridge/powertools-ec2-state-change.json",
        (
            "EC2 Instance State-change Notification",
            "aws.ec2",
            "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        ),
        utc(2017, 12, 22, 18, 43, 48),
        "us-west-1",
        id="powertools-ec2-state-change",
    ),
    pytest.param(
        "aws/eventbridge/powertools-s3-object-created.json",
        ("Object Created", "aws.s3", "f5f1e65c-dc3a-93ca-6c1e-b1647eac7963"),
        utc(2023, 3, 8, 17, 50, 14),
        "eu-west-1",
        id="powertools-s3-object-created",
    ),
    pytest.param(
        "aws/scheduled/dotnet-scheduled-event.json",
        ("Scheduled Event", "aws.events", "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c"),
        utc(1970, 1, 1),
        "us-east-1",
        id="scheduled-dotnet",
    ),
    pytest.param(
        "aws/scheduled/java-cloudwatch-scheduled.json",
        ("Scheduled Event", "aws.events", "fae0433b-7a0e-e383-7849-7e10153eaa47"),
        utc(2020, 9, 30, 15, 58, 34),
        "eu-central-1",
        id="scheduled-java",
    ),
    pytest.param(
        # no "version" key; a non-empty detail
        "aws/scheduled/powertools-docs-scheduled.json",
        ("Scheduled Event", "aws.events", "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c"),
        utc(1970, 1, 1),
        "us-east-1",
        id="scheduled-powertools-docs",
    ),
    pytest.param(
        "aws/scheduled/rust-eventbridge-schedule.json",
        ("Scheduled Event", "aws.events", "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"),
        utc(2015, 10, 8, 16, 53, 6),
        "us-east-1",
        id="scheduled-rust",
    ),
]


@pytest.mark.parametrize(("relative", "type_source_id", "time", "region"), GOLDEN)
def test_golden(
    relative: str, type_source_id: tuple[str, str, str], time: datetime, region: str
) -> None:
    payload = load_fixture(require_fixture(relative))
    assert ADAPTER.matches(payload, NO_HEADERS)
    (converted,) = ADAPTER.convert(payload, NO_HEADERS)
    event = converted.event
    assert (event.get_type(), event.get_source(), event.get_id()) == type_source_id
    assert event.get_subject() is None
    assert event.get_time() == time
    assert event.get_extensions() == {"awsregion": region}
    assert event.get_datacontenttype() == "application/json"
    assert event.get_data() == payload["detail"]
    assert converted.native is payload
    assert converted.record_id is None


def test_every_sample_is_in_the_golden_table() -> None:
    paths = {
        f"aws/{kind}/{path.name}"
        for kind in ("eventbridge", "scheduled")
        for path in fixture_paths(f"aws/{kind}")
    }
    if not paths:
        pytest.skip("../shared/fixtures is not present")
    assert paths == {param.values[0] for param in GOLDEN}


def envelope(**changes: Any) -> dict[str, Any]:
    """An EventBridge event as AWS documents it."""
    event: dict[str, Any] = {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "123456789012",
        "time": "2015-11-11T21:29:54Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-abcd1111", "state": "pending"},
    }
    event.update(changes)
    return {key: value for key, value in event.items() if value is not None}


def test_without_region_or_time() -> None:
    (converted,) = ADAPTER.convert(envelope(region=None, time=None), NO_HEADERS)
    assert converted.event.get_extensions() == {}
    assert converted.event.get_time() is None


def test_source_with_characters_a_uri_cannot_hold_is_percent_encoded() -> None:
    (converted,) = ADAPTER.convert(envelope(source="my app#1"), NO_HEADERS)
    assert converted.event.get_source() == "my%20app%231"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(envelope(id=None), "id", id="no-id"),
        pytest.param(envelope(id=""), "id", id="empty-id"),
        pytest.param(envelope(id=42), "id", id="id-number"),
        pytest.param(envelope(**{"detail-type": ""}), "detail-type", id="empty-detail-type"),
        pytest.param(envelope(source=""), "source", id="empty-source"),
        pytest.param(envelope(time="2015-11-11 21:29:54"), "time", id="time-not-rfc3339"),
        pytest.param(envelope(region=["us-east-1"]), "region", id="region-array"),
        pytest.param(envelope(detail="text"), "detail", id="detail-string"),
    ],
)
def test_malformed(payload: Any, field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == field
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(envelope(detail=None), id="no-detail"),
        pytest.param(envelope(source=None), id="no-source"),
        pytest.param(envelope(**{"detail-type": None}), id="no-detail-type"),
        pytest.param(envelope(**{"detail-type": ["x"]}), id="detail-type-array"),
        pytest.param(
            {"specversion": "1.0", "type": "t", "source": "s", "id": "1"}, id="cloudevent"
        ),
        pytest.param([envelope()], id="array"),
        pytest.param(None, id="null"),
    ],
)
def test_does_not_match(payload: Any) -> None:
    assert not ADAPTER.matches(payload, NO_HEADERS)
