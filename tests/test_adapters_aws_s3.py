"""S3 notifications: golden events from the shared samples, key decoding,
the s3:TestEvent, and malformed notifications."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.aws_s3 import ADAPTER

from .conftest import load_fixture, require_fixture, summary, utc

NO_HEADERS = Message()
EXAMPLE_ID = "EXAMPLE123456789.EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH"
POWERTOOLS_ID = (
    "D82B88E5F771F645.vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="
)


def convert(payload: Any) -> list[Any]:
    assert ADAPTER.matches(payload, NO_HEADERS)
    return ADAPTER.convert(payload, NO_HEADERS)


GOLDEN = [
    pytest.param(
        "aws/s3/dotnet-two-records-key-plus.json",
        [
            (
                "com.amazonaws.s3.ObjectCreated:Put",
                "aws:s3.us-east-1.sourcebucket",
                EXAMPLE_ID,
                "HappyFace.jpg",
                utc(1970, 1, 1),
                "application/json",
                None,
            ),
            (
                "com.amazonaws.s3.ObjectCreated:Put",
                "aws:s3.us-east-1.sourcebucket",
                EXAMPLE_ID,
                "New File.jpg",  # "New+File.jpg": form-encoded space
                utc(1970, 1, 1),
                "application/json",
                None,
            ),
        ],
        id="dotnet-two-records-key-plus",
    ),
    pytest.param(
        "aws/s3/go-replication-key-percent2d.json",
        [
            (
                # eventName "s3:Replication:...": the configuration prefix is dropped
                "com.amazonaws.s3.Replication:OperationFailedReplication",
                "aws:s3.us-east-1.amzn-s3-demo-bucket1",
                "123bf045-2b4b-4ca8-a211-c34a63c59426."
                "12VAWNDIHnwJsRhTccqQTeAPoXQmRt22KkewMV8G3XZihAuf9CLDdmkApgZzudaIe2KlLfDqGS0=",
                "replication-test.png",  # "replication%2Dtest.png"
                utc(2024, 9, 5, 21, 4, 32, 527000),
                "application/json",
                None,
            )
        ],
        id="go-replication-key-percent2d",
    ),
    pytest.param(
        "aws/s3/go-restore-completed.json",
        [
            (
                "com.amazonaws.s3.ObjectRestore:Completed",
                "aws:s3.us-west-2.example-bucket",
                EXAMPLE_ID,
                "glacier-test.txt",
                utc(2023, 5, 10, 15, 0, 0, 123000),
                "application/json",
                None,
            )
        ],
        id="go-restore-completed",
    ),
    pytest.param(
        "aws/s3/java-put-key-with-slash.json",
        [
            (
                "com.amazonaws.s3.ObjectCreated:Put",
                "aws:s3.eu-central-1.example-bucket",
                EXAMPLE_ID,
                "test/key",
                utc(1970, 1, 1),
                "application/json",
                None,
            )
        ],
        id="java-put-key-with-slash",
    ),
    pytest.param(
        "aws/s3/powertools-delete.json",
        [
            (
                "com.amazonaws.s3.ObjectRemoved:Delete",
                "aws:s3.us-east-2.lambda-artifacts-deafc19498e3f2df",
                POWERTOOLS_ID,
                "b21b84d653bb07b05b1e6b33684dc11b",
                utc(2019, 9, 3, 19, 37, 27, 192000),
                "application/json",
                None,
            )
        ],
        id="powertools-delete",
    ),
    pytest.param(
        "aws/s3/powertools-put-key-percent20.json",
        [
            (
                "com.amazonaws.s3.ObjectCreated:Put",
                "aws:s3.us-east-1.sourcebucket",
                "C3D13FE58DE4C810.FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
                "Happy Face.jpg",  # "Happy%20Face.jpg"
                utc(1970, 1, 1, 0, 0, 0, 123000),
                "application/json",
                None,
            )
        ],
        id="powertools-put-key-percent20",
    ),
    pytest.param(
        "aws/s3/powertools-put.json",
        [
            (
                "com.amazonaws.s3.ObjectCreated:Put",
                "aws:s3.us-east-2.lambda-artifacts-deafc19498e3f2df",
                POWERTOOLS_ID,
                "b21b84d653bb07b05b1e6b33684dc11b",
                utc(2019, 9, 3, 19, 37, 27, 192000),
                "application/json",
                None,
            )
        ],
        id="powertools-put",
    ),
]


@pytest.mark.parametrize(("relative", "expected"), GOLDEN)
def test_golden(relative: str, expected: list[tuple[Any, ...]]) -> None:
    payload = load_fixture(require_fixture(relative))
    converted = convert(payload)
    assert [summary(item) for item in converted] == expected
    for item, record in zip(converted, payload["Records"], strict=True):
        assert item.event.get_data() == record
        assert item.native is record
        assert item.event.get_extensions() == {}


def test_every_s3_sample_is_in_the_golden_table() -> None:
    from .conftest import fixture_paths

    paths = {f"aws/s3/{path.name}" for path in fixture_paths("aws/s3")}
    if not paths:
        pytest.skip("../shared/fixtures is not present")
    assert paths == {param.values[0] for param in GOLDEN}


def record(key: str = "photo.jpg", **changes: Any) -> dict[str, Any]:
    """An S3 notification record as AWS documents it."""
    item: dict[str, Any] = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-3",
        "eventTime": "2024-02-29T23:59:59.999Z",
        "eventName": "ObjectCreated:CompleteMultipartUpload",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "REQ1", "x-amz-id-2": "HOST/2="},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "uploads",
            "bucket": {
                "name": "my-bucket",
                "ownerIdentity": {"principalId": "A3EXAMPLE"},
                "arn": "arn:aws:s3:::my-bucket",
            },
            "object": {"key": key, "size": 10, "eTag": "0" * 32, "sequencer": "0055AED6DCD90281E5"},
        },
    }
    item.update(changes)
    return item


@pytest.mark.parametrize(
    ("key", "subject"),
    [
        pytest.param("a+b.txt", "a b.txt", id="plus-is-space"),
        pytest.param("a%2Bb.txt", "a+b.txt", id="encoded-plus"),
        pytest.param("%C3%A9t%C3%A9+2024.txt", "été 2024.txt", id="utf8-percent-encoded"),
        pytest.param("%E6%97%A5%E6%9C%AC/%F0%9F%93%B7.png", "日本/📷.png", id="cjk-and-emoji"),
        pytest.param("dir%2Fsub/file", "dir/sub/file", id="encoded-slash"),
        pytest.param("100%25", "100%", id="encoded-percent"),
    ],
)
def test_object_key_is_form_decoded(key: str, subject: str) -> None:
    (converted,) = convert({"Records": [record(key)]})
    assert converted.event.get_subject() == subject
    assert converted.event.get_data()["s3"]["object"]["key"] == key


def test_documented_record() -> None:
    (converted,) = convert({"Records": [record()]})
    assert summary(converted) == (
        "com.amazonaws.s3.ObjectCreated:CompleteMultipartUpload",
        "aws:s3.eu-west-3.my-bucket",
        "REQ1.HOST/2=",
        "photo.jpg",
        utc(2024, 2, 29, 23, 59, 59, 999000),
        "application/json",
        None,
    )


def test_test_event() -> None:
    # As S3 sends it when a notification configuration is saved (AWS docs).
    payload = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2014-10-13T15:57:02.089Z",
        "Bucket": "amzn-s3-demo-bucket",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
    (converted,) = convert(payload)
    assert summary(converted) == (
        "com.amazonaws.s3.TestEvent",
        "aws:s3.amzn-s3-demo-bucket",
        "5582815E1AEA5ADF.8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
        None,
        utc(2014, 10, 13, 15, 57, 2, 89000),
        "application/json",
        None,
    )
    assert converted.event.get_data() == payload
    assert converted.native is payload


def test_test_event_without_bucket_is_invalid() -> None:
    payload = {"Service": "Amazon S3", "Event": "s3:TestEvent", "RequestId": "R", "HostId": "H"}
    with pytest.raises(InvalidEventError) as caught:
        convert(payload)
    assert caught.value.field == "Bucket"


def test_record_without_event_time_has_no_time() -> None:
    item = record()
    del item["eventTime"]
    (converted,) = convert({"Records": [item]})
    assert converted.event.get_time() is None


def without(path: str) -> dict[str, Any]:
    item = record()
    *parents, last = path.split(".")
    target = item
    for name in parents:
        target = target[name]
    del target[last]
    return {"Records": [item]}


def replaced(path: str, value: Any) -> dict[str, Any]:
    item = record()
    *parents, last = path.split(".")
    target = item
    for name in parents:
        target = target[name]
    target[last] = value
    return {"Records": [item]}


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        pytest.param(
            without("s3.bucket.name"), "Records[0].s3.bucket.name", "missing", id="no-bucket-name"
        ),
        pytest.param(without("s3.object"), "Records[0].s3.object", "missing", id="no-object"),
        pytest.param(without("s3"), "Records[0].s3", "missing", id="no-s3"),
        pytest.param(
            without("responseElements"),
            "Records[0].responseElements",
            "missing",
            id="no-response-elements",
        ),
        pytest.param(
            without("responseElements.x-amz-id-2"),
            "Records[0].responseElements.x-amz-id-2",
            "missing",
            id="no-host-id",
        ),
        pytest.param(without("awsRegion"), "Records[0].awsRegion", "missing", id="no-region"),
        pytest.param(without("eventName"), "Records[0].eventName", "missing", id="no-event-name"),
        pytest.param(
            replaced("s3.object.key", 7), "Records[0].s3.object.key", "string", id="key-number"
        ),
        pytest.param(
            replaced("s3.object.key", "%FF.bin"),
            "Records[0].s3.object.key",
            "UTF-8",
            id="key-not-utf8",
        ),
        pytest.param(
            replaced("s3.object.key", "a%0Ab"),
            "Records[0].s3.object.key",
            "U+000A",
            id="key-newline",
        ),
        pytest.param(
            replaced("s3.bucket", []), "Records[0].s3.bucket", "object", id="bucket-array"
        ),
        pytest.param(
            replaced("eventTime", "yesterday"), "Records[0].eventTime", "RFC 3339", id="bad-time"
        ),
        pytest.param(
            replaced("eventName", ""), "Records[0].eventName", None, id="empty-event-name"
        ),
        pytest.param(
            {"Records": [record(), record(eventSource="aws:sqs")]},
            "Records[1].eventSource",
            "aws:s3",
            id="mixed-records",
        ),
        pytest.param({"Records": [record(), "x"]}, "Records[1]", "object", id="record-not-object"),
        pytest.param({"Records": {}}, "Records", "array", id="records-object"),
        pytest.param({"Records": []}, "Records", "empty", id="records-empty"),
        pytest.param({}, "Records", "missing", id="no-records"),
        pytest.param([], "(payload)", "object", id="payload-array"),
    ],
)
def test_malformed(payload: Any, field: str, reason: str | None) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, NO_HEADERS)
    assert caught.value.field == field
    assert caught.value.status == 400
    if reason is not None:
        assert reason in caught.value.reason


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"Records": []}, id="no-records"),
        pytest.param({"Records": [{"eventSource": "aws:sqs"}]}, id="sqs"),
        pytest.param({"Records": [{"EventSource": "aws:s3"}]}, id="pascal-case-key"),
        pytest.param({"Records": "aws:s3"}, id="records-string"),
        pytest.param({"Records": [["aws:s3"]]}, id="record-array"),
        pytest.param({"Records": [{"eventSource": ["aws:s3"]}]}, id="source-array"),
        pytest.param(
            {"Service": "Amazon S3", "Event": "s3:ObjectCreated:Put"}, id="not-test-event"
        ),
        pytest.param(
            {"detail-type": "Object Created", "source": "aws.s3", "detail": {}}, id="eventbridge"
        ),
        pytest.param([], id="array"),
        pytest.param("aws:s3", id="string"),
        pytest.param(None, id="null"),
    ],
)
def test_does_not_match(payload: Any) -> None:
    assert not ADAPTER.matches(payload, NO_HEADERS)


def test_convert_does_not_change_the_payload() -> None:
    payload = {"Records": [record("a+b")]}
    before = copy.deepcopy(payload)
    convert(payload)
    assert payload == before
