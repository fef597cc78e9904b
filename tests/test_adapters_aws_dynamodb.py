"""DynamoDB Streams: golden events from the shared samples, the AttributeValue
deserializer, malformed records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.aws_dynamodb import ADAPTER, deserialize

from .conftest import fixture_paths, load_fixture, require_fixture, utc

NO_HEADERS = Message()
EXAMPLE_STREAM = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/Example-Table/stream/2016-12-01T00:00:00.000"
)
JAVA_STREAM = (
    "arn:aws:dynamodb:eu-central-1:123456789012:table/ExampleTableWithStream/stream/"
    "2015-06-27T00:48:05.899"
)


DEC_2016 = utc(2016, 12, 2, 1, 27)
APR_2015 = utc(2015, 4, 9)


def expected(name: str, source: str, event_id: str, time: Any, sequence: str) -> tuple[Any, ...]:
    return (f"com.amazonaws.dynamodb.{name}", source, event_id, None, time, sequence)


GOLDEN = [
    pytest.param(
        "aws/dynamodb/dotnet-insert-remove.json",
        [
            expected(
                "INSERT",
                EXAMPLE_STREAM,
                "f07f8ca4b0b26cb9c4e5e77e69f274ee",
                DEC_2016,
                "1405400000000002063282832",
            ),
            expected(
                "REMOVE",
                EXAMPLE_STREAM,
                "f07f8ca4b0b26cb9c4e5e77e42f274ee",
                DEC_2016,
                "1405400000000002063282832",
            ),
        ],
        id="dotnet-insert-remove",
    ),
    pytest.param(
        # a tumbling-window invocation: window/state keys beside Records
        "aws/dynamodb/go-time-window-insert-modify-remove.json",
        [
            expected("INSERT", "stream-ARN", "1", DEC_2016, "111"),
            expected("MODIFY", "stream-ARN", "2", DEC_2016, "222"),
            expected("REMOVE", "stream-ARN", "3", DEC_2016, "333"),
        ],
        id="go-time-window-insert-modify-remove",
    ),
    pytest.param(
        "aws/dynamodb/go-two-inserts.json",
        [
            expected(
                "INSERT",
                EXAMPLE_STREAM,
                "f07f8ca4b0b26cb9c4e5e77e69f274ee",
                DEC_2016,
                "1405400000000002063282832",
            ),
            expected(
                "INSERT",
                EXAMPLE_STREAM,
                "f07f8ca4b0b26cb9c4e5e77e42f274ee",
                DEC_2016,
                "1405400000000002063282832",
            ),
        ],
        id="go-two-inserts",
    ),
    pytest.param(
        # the MODIFY record's ApproximateCreationDateTime has a fraction
        # (1635734407.1234567): digits below the microsecond are cut
        "aws/dynamodb/java-insert-modify-remove.json",
        [
            expected(
                "INSERT",
                JAVA_STREAM,
                "c4ca4238a0b923820dcc509a6f75849b",
                APR_2015,
                "4421584500000000017450439091",
            ),
            expected(
                "MODIFY",
                JAVA_STREAM,
                "c81e728d9d4c2f636f067f89cc14862c",
                utc(2021, 11, 1, 2, 40, 7, 123456),
                "4421584500000000017450439092",
            ),
            expected(
                "REMOVE",
                JAVA_STREAM,
                "eccbc87e4b5ce2fe28308fd9f2a7baf3",
                APR_2015,
                "4421584500000000017450439093",
            ),
        ],
        id="java-insert-modify-remove",
    ),
    pytest.param(
        # the MODIFY record has no ApproximateCreationDateTime: no time
        "aws/dynamodb/powertools-insert-modify.json",
        [
            expected("INSERT", "eventsource_arn", "1", utc(2023, 9, 6, 10, 45, 55), "111"),
            expected("MODIFY", "source_arn", "2", None, "222"),
        ],
        id="powertools-insert-modify",
    ),
]


@pytest.mark.parametrize(("relative", "events"), GOLDEN)
def test_golden(relative: str, events: list[tuple[Any, ...]]) -> None:
    payload = load_fixture(require_fixture(relative))
    assert ADAPTER.matches(payload, NO_HEADERS)
    converted = ADAPTER.convert(payload, NO_HEADERS)
    assert [
        (
            item.event.get_type(),
            item.event.get_source(),
            item.event.get_id(),
            item.event.get_subject(),
            item.event.get_time(),
            item.record_id,
        )
        for item in converted
    ] == events
    for item, record in zip(converted, payload["Records"], strict=True):
        assert item.event.get_data() is record["dynamodb"]
        assert item.event.get_datacontenttype() == "application/json"
        assert item.native is record


def test_every_sample_is_in_the_golden_table() -> None:
    paths = {f"aws/dynamodb/{path.name}" for path in fixture_paths("aws/dynamodb")}
    if not paths:
        pytest.skip("../shared/fixtures is not present")
    assert paths == {param.values[0] for param in GOLDEN}


def test_deserialize_a_sample_image() -> None:
    payload = load_fixture(require_fixture("aws/dynamodb/java-insert-modify-remove.json"))
    image = payload["Records"][1]["dynamodb"]["NewImage"]
    assert deserialize(image) == {"Message": "This item has changed", "Id": 101}


def test_deserialize_every_type() -> None:
    # The AttributeValue examples of the DynamoDB API reference.
    item = {
        "name": {"S": "Hello"},
        "count": {"N": "123"},
        "negative": {"N": "-7"},
        "price": {"N": "123.45"},
        "big": {"N": "1E+40"},
        "precise": {"N": "0.1000000000000000000000000000000000001"},
        "blob": {"B": "dGhpcyB0ZXh0IGlzIGJhc2U2NC1lbmNvZGVk"},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
        "map": {"M": {"Name": {"S": "Joe"}, "Age": {"N": "35"}}},
        "list": {"L": [{"S": "Cookies"}, {"S": "Coffee"}, {"N": "3.14159"}]},
        "strings": {"SS": ["Giraffe", "Hippo", "Zebra"]},
        "numbers": {"NS": ["42.2", "-19", "7.5", "3.14"]},
        "binaries": {"BS": ["U3Vubnk=", "UmFpbnk=", "U25vd3k="]},
        "empty": {"M": {}},
    }
    assert deserialize(item) == {
        "name": "Hello",
        "count": 123,
        "negative": -7,
        "price": Decimal("123.45"),
        "big": Decimal("1E+40"),
        "precise": Decimal("0.1000000000000000000000000000000000001"),
        "blob": b"this text is base64-encoded",
        "flag": True,
        "nothing": None,
        "map": {"Name": "Joe", "Age": 35},
        "list": ["Cookies", "Coffee", Decimal("3.14159")],
        "strings": {"Giraffe", "Hippo", "Zebra"},
        "numbers": {Decimal("42.2"), -19, Decimal("7.5"), Decimal("3.14")},
        "binaries": {b"Sunny", b"Rainy", b"Snowy"},
        "empty": {},
    }
    assert type(deserialize({"n": {"N": "5"}})["n"]) is int


@pytest.mark.parametrize(
    ("item", "field"),
    [
        pytest.param({"a": {}}, "a", id="no-type"),
        pytest.param({"a": {"S": "x", "N": "1"}}, "a", id="two-types"),
        pytest.param({"a": "x"}, "a", id="not-an-attribute-value"),
        pytest.param({"a": {"X": "1"}}, "a.X", id="unknown-type"),
        pytest.param({"a": {"N": "one"}}, "a.N", id="number-text"),
        pytest.param({"a": {"N": "NaN"}}, "a.N", id="number-nan"),
        pytest.param({"a": {"N": 1}}, "a.N", id="number-not-string"),
        pytest.param({"a": {"B": "not base64!"}}, "a.B", id="binary-not-base64"),
        pytest.param({"a": {"BOOL": "true"}}, "a.BOOL", id="bool-string"),
        pytest.param({"a": {"NULL": False}}, "a.NULL", id="null-false"),
        pytest.param({"a": {"L": {}}}, "a.L", id="list-object"),
        pytest.param({"a": {"L": [{"S": 1}]}}, "a.L[0].S", id="list-item"),
        pytest.param({"a": {"M": {"b": {"M": {"c": {"SS": "x"}}}}}}, "a.M.b.M.c.SS", id="nested"),
        pytest.param({"a": {"NS": ["1", "x"]}}, "a.NS[1]", id="number-set-item"),
        pytest.param([], "(payload)", id="not-a-map"),
    ],
)
def test_deserialize_malformed(item: Any, field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        deserialize(item)
    assert caught.value.field == field


def record(**changes: Any) -> dict[str, Any]:
    """A stream record as AWS documents it."""
    item: dict[str, Any] = {
        "eventID": "1",
        "eventVersion": "1.0",
        "dynamodb": {
            "Keys": {"Id": {"N": "101"}},
            "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "SequenceNumber": "111",
            "SizeBytes": 26,
            "ApproximateCreationDateTime": 1700000000,
        },
        "awsRegion": "us-west-2",
        "eventName": "INSERT",
        "eventSourceARN": "arn:aws:dynamodb:us-west-2:123456789012:table/T/stream/2024-01-01",
        "eventSource": "aws:dynamodb",
    }
    item.update(changes)
    return {key: value for key, value in item.items() if value is not ...}


def stream(**changes: Any) -> dict[str, Any]:
    changed = record()
    changed["dynamodb"] = {
        key: value for key, value in {**changed["dynamodb"], **changes}.items() if value is not ...
    }
    return changed


@pytest.mark.parametrize(
    ("item", "field"),
    [
        pytest.param(record(eventName="UPSERT"), "Records[0].eventName", id="unknown-event-name"),
        pytest.param(record(eventName=...), "Records[0].eventName", id="no-event-name"),
        pytest.param(record(eventID=...), "Records[0].eventID", id="no-event-id"),
        pytest.param(record(eventSourceARN=...), "Records[0].eventSourceARN", id="no-arn"),
        pytest.param(record(dynamodb=...), "Records[0].dynamodb", id="no-dynamodb"),
        pytest.param(record(dynamodb="x"), "Records[0].dynamodb", id="dynamodb-string"),
        pytest.param(
            stream(SequenceNumber=...), "Records[0].dynamodb.SequenceNumber", id="no-sequence"
        ),
        pytest.param(
            stream(SequenceNumber=111), "Records[0].dynamodb.SequenceNumber", id="sequence-number"
        ),
        pytest.param(
            stream(ApproximateCreationDateTime="soon"),
            "Records[0].dynamodb.ApproximateCreationDateTime",
            id="time-text",
        ),
        pytest.param(
            stream(ApproximateCreationDateTime=1e300),
            "Records[0].dynamodb.ApproximateCreationDateTime",
            id="time-out-of-range",
        ),
    ],
)
def test_malformed(item: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert({"Records": [item]}, NO_HEADERS)
    assert caught.value.field == field
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"Records": [{"eventSource": "aws:kinesis"}]}, id="kinesis"),
        pytest.param({"Records": [{"EventSource": "aws:dynamodb"}]}, id="pascal-case"),
        pytest.param({"Records": []}, id="no-records"),
        pytest.param(record(), id="bare-record"),
    ],
)
def test_does_not_match(payload: Any) -> None:
    assert not ADAPTER.matches(payload, NO_HEADERS)


def test_mixed_records_are_invalid() -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert({"Records": [record(), record(eventSource="aws:kinesis")]}, NO_HEADERS)
    assert caught.value.field == "Records[1].eventSource"
