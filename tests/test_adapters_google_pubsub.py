"""Google Cloud Pub/Sub push deliveries into CloudEvents."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.base import Adapter
from cloudevents_wsgi.adapters.google_pubsub import ADAPTER, message_bytes

from .conftest import fixture_params, fixture_paths, load_fixture, require_fixture

UTC = timezone.utc
MESSAGE = Message()
TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
MY_SUBSCRIPTION = "projects/my-project/subscriptions/my-subscription"

# fixture -> (source, id, time, decoded message data)
GOLDEN = {
    "ff-dotnet-raw-push-bom": (
        "//pubsub.googleapis.com/projects/sample-project/subscriptions/sample-subscription",
        "4102184774039362",
        datetime(2022, 2, 15, 11, 28, 32, 942000, UTC),
        b"Text message",
    ),
    "google-cloudevents-binary": (
        "//pubsub.googleapis.com/" + MY_SUBSCRIPTION,
        "message-id",
        datetime(2021, 2, 5, 4, 6, 14, 109000, UTC),
        b"\x01\x02\x03\x04",
    ),
    "google-cloudevents-duplicated-fields": (
        "//pubsub.googleapis.com/" + MY_SUBSCRIPTION,
        "message-id",
        datetime(2021, 2, 5, 4, 6, 14, 109000, UTC),
        b"\x01\x02\x03\x04",
    ),
    "google-cloudevents-text": (
        "//pubsub.googleapis.com/" + MY_SUBSCRIPTION,
        "message-id",
        datetime(2021, 2, 5, 4, 6, 14, 109000, UTC),
        b"test message 3",
    ),
}


def push(**message_changes: Any) -> dict[str, Any]:
    """A push body, written from https://cloud.google.com/pubsub/docs/push."""
    message: dict[str, Any] = {
        "attributes": {"origin": "checkout"},
        "data": "aGVsbG8=",
        "messageId": "2070443601311540",
        "publishTime": "2021-02-26T19:13:55.749Z",
    }
    message.update(message_changes)
    message = {name: value for name, value in message.items() if value is not ...}
    return {"message": message, "subscription": "projects/shop/subscriptions/orders-push"}


def test_adapter_satisfies_the_protocol() -> None:
    assert isinstance(ADAPTER, Adapter)
    assert ADAPTER.name == "google.pubsub"


@pytest.mark.parametrize(
    ("stem", "source", "event_id", "time", "decoded"),
    [pytest.param(stem, *want, id=stem) for stem, want in GOLDEN.items()],
)
def test_golden(stem: str, source: str, event_id: str, time: datetime, decoded: bytes) -> None:
    payload = load_fixture(require_fixture(f"gcp/pubsub-push/{stem}.json"))
    original = copy.deepcopy(payload)
    assert ADAPTER.matches(payload, MESSAGE)
    [converted] = ADAPTER.convert(payload, MESSAGE)
    assert converted.event.get_attributes() == {
        "specversion": "1.0",
        "type": TYPE,
        "source": source,
        "id": event_id,
        "time": time,
        "datacontenttype": "application/json",
    }
    # The data is Google's MessagePublishedData: the push body's shape.
    assert converted.event.get_data() == {
        "message": payload["message"],
        "subscription": payload["subscription"],
    }
    assert message_bytes(converted.event.get_data()) == decoded
    assert converted.native is payload
    assert payload == original


def test_every_push_sample_has_a_golden_entry() -> None:
    stems = {path.stem for path in fixture_paths("gcp/pubsub-push")}
    if not stems:
        pytest.skip("../shared/fixtures/gcp/pubsub-push is not present")
    assert stems == set(GOLDEN)


@pytest.mark.parametrize(
    "path",
    [
        *fixture_params("gcp/legacy"),
        *fixture_params("gcp/cloudevents"),
        *fixture_params("azure/eventgrid"),
        *fixture_params("aws/sqs"),
        *fixture_params("aws/sns"),
    ],
)
def test_other_samples_never_match(path: Any) -> None:
    assert not ADAPTER.matches(load_fixture(path), MESSAGE)


# -- source: the topic when the push endpoint's path names it -------------------


@pytest.mark.parametrize(
    ("path", "source"),
    [
        pytest.param(
            "/projects/shop/topics/orders",
            "//pubsub.googleapis.com/projects/shop/topics/orders",
            id="topic-in-path",
        ),
        pytest.param(
            "/hooks/projects/shop/topics/orders/",
            "//pubsub.googleapis.com/projects/shop/topics/orders",
            id="topic-inside-path",
        ),
        pytest.param(
            "/pubsub", "//pubsub.googleapis.com/projects/shop/subscriptions/orders-push", id="none"
        ),
    ],
)
def test_source(path: str, source: str) -> None:
    [converted] = ADAPTER.convert(push(), Message(path=path))
    assert converted.event.get_source() == source


# -- own samples -------------------------------------------------------------------


def test_small_sample() -> None:
    [converted] = ADAPTER.convert(push(orderingKey="customer-7"), MESSAGE)
    assert converted.event.get_id() == "2070443601311540"
    assert converted.event.get_time() == datetime(2021, 2, 26, 19, 13, 55, 749000, UTC)
    assert converted.event.get_subject() is None
    assert converted.event.get_data()["message"]["orderingKey"] == "customer-7"
    assert message_bytes(converted.event.get_data()) == b"hello"


def test_snake_case_only() -> None:
    payload = push(
        messageId=...,
        publishTime=...,
        message_id="99",
        publish_time="2021-02-26T19:13:55Z",
    )
    assert ADAPTER.matches(payload, MESSAGE)
    [converted] = ADAPTER.convert(payload, MESSAGE)
    assert converted.event.get_id() == "99"
    assert converted.event.get_time() == datetime(2021, 2, 26, 19, 13, 55, tzinfo=UTC)


def test_no_publish_time_means_no_time() -> None:
    [converted] = ADAPTER.convert(push(publishTime=...), MESSAGE)
    assert converted.event.get_time() is None
    assert "time" not in converted.event.get_attributes()


def test_message_without_data() -> None:
    [converted] = ADAPTER.convert(push(data=...), MESSAGE)
    assert message_bytes(converted.event.get_data()) == b""


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        pytest.param("_-8=", b"\xff\xef", id="url-safe"),
        pytest.param("aGk", b"hi", id="unpadded"),
        pytest.param("", b"", id="empty"),
    ],
)
def test_base64_variants_protobuf_json_accepts(encoded: str, decoded: bytes) -> None:
    [converted] = ADAPTER.convert(push(data=encoded), MESSAGE)
    assert message_bytes(converted.event.get_data()) == decoded


# -- malformed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(push(messageId=""), "message.messageId", id="empty-id"),
        pytest.param(push(messageId=12), "message.messageId", id="numeric-id"),
        pytest.param(push(messageId=None), "message.messageId", id="null-id"),
        pytest.param(push(message_id="other"), "message.message_id", id="ids-disagree"),
        pytest.param(
            push(publish_time="2021-02-26T19:13:56Z"), "message.publish_time", id="times-disagree"
        ),
        pytest.param(push(publishTime="Friday"), "message.publishTime", id="bad-time"),
        pytest.param(
            push(publishTime=..., publish_time="Friday"),
            "message.publish_time",
            id="bad-snake-time",
        ),
        pytest.param(push(messageId=..., message_id=""), "message.message_id", id="empty-snake-id"),
        pytest.param(push(data="not base64!"), "message.data", id="bad-base64"),
        pytest.param(push(data="a"), "message.data", id="truncated-base64"),
        pytest.param(push(data=[1]), "message.data", id="data-not-a-string"),
        pytest.param(push(attributes=["a"]), "message.attributes", id="attributes-not-object"),
        pytest.param({**push(), "subscription": ""}, "subscription", id="empty-subscription"),
        pytest.param({**push(), "subscription": None}, "subscription", id="null-subscription"),
        pytest.param({**push(), "message": "text"}, "message", id="message-not-object"),
        pytest.param([push()], "body", id="array"),
    ],
)
def test_malformed_pushes_name_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, MESSAGE)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "data", [pytest.param(None, id="null"), pytest.param({"message": "x"}, id="message-string")]
)
def test_message_bytes_rejects_what_is_not_a_message(data: Any) -> None:
    with pytest.raises(InvalidEventError) as caught:
        message_bytes(data)
    assert caught.value.field == "message"


# -- recognition ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(None, id="null"),
        pytest.param([push()], id="array"),
        pytest.param({"message": {"messageId": "1"}}, id="no-subscription"),
        pytest.param({"subscription": "s", "message": {"data": "aGk="}}, id="no-message-id"),
        pytest.param({"subscription": "s", "message": "x"}, id="message-not-object"),
        pytest.param({**push(), "context": {}}, id="legacy-shape"),
        pytest.param({**push(), "specversion": "1.0"}, id="cloudevent"),
    ],
)
def test_does_not_match_other_payloads(payload: Any) -> None:
    assert not ADAPTER.matches(payload, MESSAGE)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["message", "subscription", "messageId", "message_id", "publishTime", "data"]
            )
            | st.text(max_size=6),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@given(JSON, st.text(max_size=30))
def test_matches_never_raises_and_convert_raises_only_invalid_event(
    payload: Any, path: str
) -> None:
    message = Message(path=path)
    if ADAPTER.matches(payload, message):
        try:
            ADAPTER.convert(payload, message)
        except InvalidEventError:
            pass
