"""Google Cloud Functions legacy (background) events into CloudEvents.

Expected values come from GoogleCloudPlatform/functions-framework-conformance,
``events/generate/data/<name>-cloudevent-output.json`` for the same inputs
(commit d6e959a72a1d), not from this code.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters import azure_eventgrid, google_pubsub
from cloudevents_wsgi.adapters.base import Adapter
from cloudevents_wsgi.adapters.google_legacy import ADAPTER, CLOUDEVENT_TYPES, SERVICES_BY_PREFIX
from cloudevents_wsgi.receiver import event_from_json

from .conftest import fixture_params, fixture_paths, load_fixture, require_fixture

MESSAGE = Message()
ID = "aaaaaa-1111-bbbb-2222-cccccccccccc"
TIME = "2020-09-29T11:32:00.123Z"  # as written in the expected outputs
AT_TIME = datetime(2020, 9, 29, 11, 32, 0, 123000, timezone.utc)
TOPIC = "//pubsub.googleapis.com/projects/sample-project/topics/gcf-test"
PUBSUB = "google.cloud.pubsub.topic.v1.messagePublished"
PUBSUB_MESSAGE = "type.googleapis.com/google.pubsub.v1.PubsubMessage"

# fixture -> (type, source, id, subject, time)
GOLDEN = {
    "ff-conformance-firebase-auth": (
        "google.firebase.auth.user.v1.created",
        "//firebaseauth.googleapis.com/projects/my-project-id",
        ID,
        "users/UUpby3s4spZre6kHsgVSPetzQ8l2",
        AT_TIME,
    ),
    "ff-conformance-firestore-simple": (
        "google.cloud.firestore.document.v1.written",
        "//firestore.googleapis.com/projects/project-id/databases/(default)",
        ID,
        "documents/gcf-test/2Vm2mI1d0wIaK2Waj5to",
        AT_TIME,
    ),
    "ff-conformance-pubsub-binary": (PUBSUB, TOPIC, ID, None, AT_TIME),
    "ff-conformance-pubsub-legacy-flat": (PUBSUB, TOPIC, ID, None, AT_TIME),
    "ff-conformance-pubsub-text": (PUBSUB, TOPIC, ID, None, AT_TIME),
    "ff-conformance-storage-finalize": (
        "google.cloud.storage.object.v1.finalized",
        "//storage.googleapis.com/projects/_/buckets/some-bucket",
        ID,
        "objects/folder/Test.cs",
        AT_TIME,
    ),
    # No conformance output exists for this one: mapping.md's Storage example
    # (generation cut from the subject) and functions-framework-python's type
    # table (object.change -> finalized).
    "ff-dotnet-storage-object-change": (
        "google.cloud.storage.object.v1.finalized",
        "//storage.googleapis.com/projects/_/buckets/sample-bucket",
        "1200401551653202",
        "objects/MyFile",
        datetime(2020, 5, 18, 9, 7, 51, 799000, timezone.utc),
    ),
}

# Expected data where the mapping reshapes it (conformance outputs).
GOLDEN_DATA = {
    "ff-conformance-firebase-auth": {
        "email": "test@nowhere.com",
        "metadata": {
            "createTime": "2020-05-26T10:42:27Z",
            "lastSignInTime": "2020-10-24T11:00:00Z",
        },
        "providerData": [
            {"email": "test@nowhere.com", "providerId": "password", "uid": "test@nowhere.com"}
        ],
        "uid": "UUpby3s4spZre6kHsgVSPetzQ8l2",
    },
    "ff-conformance-pubsub-binary": {
        "message": {
            "@type": PUBSUB_MESSAGE,
            "messageId": ID,
            "publishTime": TIME,
            "data": "AQIDBA==",
        }
    },
    "ff-conformance-pubsub-legacy-flat": {
        "message": {
            "@type": PUBSUB_MESSAGE,
            "messageId": ID,
            "publishTime": TIME,
            "attributes": {"attribute1": "value1"},
            "data": "VGhpcyBpcyBhIHNhbXBsZSBtZXNzYWdl",
        }
    },
    "ff-conformance-pubsub-text": {
        "message": {
            "@type": PUBSUB_MESSAGE,
            "messageId": ID,
            "publishTime": TIME,
            "attributes": {"attr1": "attr1-value"},
            "data": "dGVzdCBtZXNzYWdlIDM=",
        }
    },
}


def convert_one(payload: Any) -> Any:
    assert ADAPTER.matches(payload, MESSAGE)
    [converted] = ADAPTER.convert(payload, MESSAGE)
    assert converted.native is payload
    return converted.event


def test_adapter_satisfies_the_protocol() -> None:
    assert isinstance(ADAPTER, Adapter)
    assert ADAPTER.name == "google.legacy"


@pytest.mark.parametrize(
    ("stem", "expected"), [pytest.param(stem, want, id=stem) for stem, want in GOLDEN.items()]
)
def test_golden(stem: str, expected: tuple[str, str, str, str | None, datetime]) -> None:
    payload = load_fixture(require_fixture(f"gcp/legacy/{stem}.json"))
    original = copy.deepcopy(payload)
    event = convert_one(payload)
    assert (
        event.get_type(),
        event.get_source(),
        event.get_id(),
        event.get_subject(),
        event.get_time(),
    ) == expected
    assert event.get_datacontenttype() == "application/json"
    assert event.get_data() == GOLDEN_DATA.get(stem, original["data"])
    assert payload == original  # the native payload is never changed


def test_every_legacy_sample_has_a_golden_entry() -> None:
    stems = {path.stem for path in fixture_paths("gcp/legacy")}
    if not stems:
        pytest.skip("../shared/fixtures/gcp/legacy is not present")
    assert stems == set(GOLDEN)


def test_pubsub_payload_decodes() -> None:
    payload = load_fixture(require_fixture("gcp/legacy/ff-conformance-pubsub-text.json"))
    assert google_pubsub.message_bytes(convert_one(payload).get_data()) == b"test message 3"


# -- Google's own CloudEvents: structured JSON, the core receiver's -------------------


@pytest.mark.parametrize("path", fixture_params("gcp/cloudevents"))
def test_google_cloudevents_parse_in_the_receiver(path: Any) -> None:
    payload = load_fixture(path)
    parsed = event_from_json(payload)
    assert parsed.get_id() == ID
    assert parsed.get_datacontenttype() == "application/json"
    for adapter in (ADAPTER, google_pubsub.ADAPTER, azure_eventgrid.ADAPTER):
        assert not adapter.matches(payload, MESSAGE)


@pytest.mark.parametrize(
    ("cloudevent", "legacy"),
    [
        pytest.param(
            "ff-conformance-storage-finalized", "ff-conformance-storage-finalize", id="storage"
        ),
        pytest.param("ff-conformance-pubsub-text", "ff-conformance-pubsub-text", id="pubsub"),
    ],
)
def test_legacy_events_become_googles_cloudevents(cloudevent: str, legacy: str) -> None:
    google = event_from_json(load_fixture(require_fixture(f"gcp/cloudevents/{cloudevent}.json")))
    ours = convert_one(load_fixture(require_fixture(f"gcp/legacy/{legacy}.json")))
    assert ours.get_attributes() == google.get_attributes()
    if ours.get_type() == PUBSUB:
        # The legacy event does not know the subscription; the message is the same.
        assert ours.get_data()["message"] == google.get_data()["message"]
        assert google_pubsub.message_bytes(google.get_data()) == b"test message 3"
    else:
        assert ours.get_data() == google.get_data()


# -- own samples, from mapping.md and the conformance inputs' shapes ---------------


def flat(event_type: str, resource: str, data: Any, **extra: Any) -> dict[str, Any]:
    return {
        "eventId": "e-1",
        "eventType": event_type,
        "resource": resource,
        "timestamp": "2021-01-02T03:04:05Z",
        "data": data,
        **extra,
    }


def context(event_type: str, resource: Any, data: Any) -> dict[str, Any]:
    return {
        "context": {
            "eventId": "e-2",
            "timestamp": "2021-01-02T03:04:05.5Z",
            "eventType": event_type,
            "resource": resource,
        },
        "data": data,
    }


RTDB_WRITE = "providers/google.firebase.database/eventTypes/ref.write"
RTDB_RESOURCE = "projects/_/instances/my-project-id/refs/gcf-test/xyz"
RTDB_DATA = {"data": None, "delta": {"grandchild": "other"}}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            flat(RTDB_WRITE, RTDB_RESOURCE, RTDB_DATA, domain="firebaseio.com"),
            (
                "google.firebase.database.ref.v1.written",
                "//firebasedatabase.googleapis.com/projects/_/locations/us-central1"
                "/instances/my-project-id",
                "refs/gcf-test/xyz",
            ),
            id="rtdb-default-location",
        ),
        pytest.param(
            flat(RTDB_WRITE, RTDB_RESOURCE, RTDB_DATA, domain="europe-west1.firebasedatabase.app"),
            (
                "google.firebase.database.ref.v1.written",
                "//firebasedatabase.googleapis.com/projects/_/locations/europe-west1"
                "/instances/my-project-id",
                "refs/gcf-test/xyz",
            ),
            id="rtdb-regional",
        ),
        pytest.param(
            flat(
                "providers/google.firebase.analytics/eventTypes/event.log",
                "projects/my-project-id/events/session_start",
                {"userDim": {"appInfo": {"appId": "com.example.exampleapp"}}},
            ),
            (
                "google.firebase.analytics.log.v1.written",
                "//firebaseanalytics.googleapis.com/projects/my-project-id"
                "/apps/com.example.exampleapp",
                "events/session_start",
            ),
            id="analytics",
        ),
        pytest.param(
            flat(
                "providers/firebase.remoteConfig/remoteconfig.update",
                "projects/sample-project",
                {"versionNumber": "5"},
            ),
            (
                "google.firebase.remoteconfig.remoteConfig.v1.updated",
                "//firebaseremoteconfig.googleapis.com/projects/sample-project",
                None,
            ),
            id="remote-config",
        ),
        pytest.param(
            flat(
                "providers/firebase.auth/eventTypes/user.delete",
                "projects/p",
                {"email": "a@example.com"},
            ),
            (
                "google.firebase.auth.user.v1.deleted",
                "//firebaseauth.googleapis.com/projects/p",
                None,
            ),
            id="auth-without-uid",
        ),
        pytest.param(
            context(
                "google.storage.object.delete",
                {
                    "service": "storage.googleapis.com",
                    "name": "projects/_/buckets/b/objects/a#b/c#12",
                    "type": "storage#object",
                },
                {"name": "a#b/c#12", "generation": "7"},
            ),
            (
                "google.cloud.storage.object.v1.deleted",
                "//storage.googleapis.com/projects/_/buckets/b",
                "objects/a#b/c#12",  # "#12" is part of the name, not the generation 7
            ),
            id="storage-hash-in-name",
        ),
        pytest.param(
            context(
                "providers/cloud.firestore/eventTypes/document.delete",
                "projects/p/databases/orders-db/documents/orders/42",
                {"oldValue": {}},
            ),
            (
                "google.cloud.firestore.document.v1.deleted",
                "//firestore.googleapis.com/projects/p/databases/orders-db",
                "documents/orders/42",
            ),
            id="firestore-named-database",
        ),
        pytest.param(
            context(
                "google.pubsub.topic.publish",
                "projects/p/topics/t",
                {"messageId": "kept", "publishTime": "2021-01-02T03:04:04Z", "data": "aGk="},
            ),
            (
                "google.cloud.pubsub.topic.v1.messagePublished",
                "//pubsub.googleapis.com/projects/p/topics/t",
                None,
            ),
            id="pubsub-resource-string",
        ),
    ],
)
def test_own_samples(payload: Any, expected: tuple[str, str, str | None]) -> None:
    original = copy.deepcopy(payload)
    event = convert_one(payload)
    assert (event.get_type(), event.get_source(), event.get_subject()) == expected
    assert payload == original


def test_firebase_auth_data_that_is_not_an_object_is_kept() -> None:
    payload = flat("providers/firebase.auth/eventTypes/user.create", "projects/p", ["x"])
    event = convert_one(payload)
    assert (event.get_subject(), event.get_data()) == (None, ["x"])


def test_every_legacy_type_has_a_service() -> None:
    for legacy_type in CLOUDEVENT_TYPES:
        assert any(legacy_type.startswith(prefix) for prefix, _ in SERVICES_BY_PREFIX)


def test_pubsub_message_members_already_there_are_kept() -> None:
    payload = context(
        "google.pubsub.topic.publish",
        "projects/p/topics/t",
        {"messageId": "kept", "publishTime": "2021-01-02T03:04:04Z", "data": "aGk="},
    )
    message = convert_one(payload).get_data()["message"]
    assert (message["messageId"], message["publishTime"]) == ("kept", "2021-01-02T03:04:04Z")


def test_no_timestamp_means_no_time() -> None:
    payload = flat("google.pubsub.topic.publish", "projects/p/topics/t", {"data": "aGk="})
    del payload["timestamp"]
    event = convert_one(payload)
    assert event.get_time() is None
    assert "publishTime" not in event.get_data()["message"]
    assert event.get_data()["message"]["messageId"] == "e-1"


# -- malformed ---------------------------------------------------------------------------


STORAGE_CONTEXT = context(
    "google.storage.object.finalize",
    {"service": "storage.googleapis.com", "name": "projects/_/buckets/b/objects/o"},
    {"name": "o"},
)


def with_context(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(STORAGE_CONTEXT)
    payload["context"].update(changes)
    payload["context"] = {k: v for k, v in payload["context"].items() if v is not ...}
    return payload


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(
            with_context(eventType="google.storage.object.explode"),
            "context.eventType",
            id="unknown-type",
        ),
        pytest.param(with_context(eventType=5), "context.eventType", id="numeric-type"),
        pytest.param(with_context(eventId=""), "context.eventId", id="empty-id"),
        pytest.param(with_context(eventId=None), "context.eventId", id="null-id"),
        pytest.param(with_context(timestamp="noon"), "context.timestamp", id="bad-timestamp"),
        pytest.param(
            with_context(
                resource={"service": "storage.googleapis.com", "name": "projects/_/buckets/b"}
            ),
            "context.resource.name",
            id="storage-resource-without-object",
        ),
        pytest.param(
            with_context(resource={"service": 7, "name": "x"}),
            "context.resource.service",
            id="numeric-service",
        ),
        pytest.param(
            with_context(resource={"service": "storage.googleapis.com"}),
            "context.resource.name",
            id="no-resource-name",
        ),
        pytest.param(with_context(resource=""), "context.resource", id="empty-resource"),
        pytest.param({"context": STORAGE_CONTEXT["context"]}, "data", id="no-data"),
        pytest.param(
            flat("google.pubsub.topic.publish", "projects/p/topics/t", "aGk="),
            "data",
            id="pubsub-data-not-object",
        ),
        pytest.param(
            flat(RTDB_WRITE, RTDB_RESOURCE, RTDB_DATA), "domain", id="rtdb-without-domain"
        ),
        pytest.param(
            flat(RTDB_WRITE, RTDB_RESOURCE, RTDB_DATA, domain=""), "domain", id="rtdb-empty-domain"
        ),
        pytest.param(
            flat(
                "providers/google.firebase.analytics/eventTypes/event.log",
                "projects/p/events/e",
                {},
            ),
            "data.userDim.appInfo.appId",
            id="analytics-without-app",
        ),
        pytest.param(
            flat("providers/firebase.auth/eventTypes/user.create", "projects/p", {"uid": 3}),
            "data.uid",
            id="auth-numeric-uid",
        ),
        pytest.param(
            flat("google.pubsub.topic.publish", "projects/p/topics/a b", {}),
            "resource",
            id="resource-not-uri",
        ),
        pytest.param(["x"], "body", id="array"),
    ],
)
def test_malformed_events_name_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, MESSAGE)
    assert caught.value.field == field


# -- recognition ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        *fixture_params("gcp/pubsub-push"),
        *fixture_params("azure/eventgrid"),
        *fixture_params("aws/eventbridge"),
        *fixture_params("aws/dynamodb"),
        *fixture_params("aws/s3"),
    ],
)
def test_other_samples_never_match(path: Any) -> None:
    assert not ADAPTER.matches(load_fixture(path), MESSAGE)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(None, id="null"),
        pytest.param([], id="array"),
        pytest.param({"eventType": "x", "eventId": "y"}, id="no-resource"),
        pytest.param({"context": {"eventType": "x", "resource": "r"}}, id="context-without-id"),
        pytest.param({"context": "x", "eventType": "x"}, id="context-not-object"),
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
                ["context", "eventId", "eventType", "resource", "timestamp", "data", "domain"]
            )
            | st.text(max_size=6),
            inner,
            max_size=6,
        )
    ),
    max_leaves=14,
)
KNOWN_TYPES = st.sampled_from(
    [
        "google.pubsub.topic.publish",
        "google.storage.object.finalize",
        RTDB_WRITE,
        "providers/firebase.auth/eventTypes/user.create",
        "providers/google.firebase.analytics/eventTypes/event.log",
        "providers/cloud.firestore/eventTypes/document.write",
    ]
)


@given(JSON)
def test_matches_never_raises_and_convert_raises_only_invalid_event(payload: Any) -> None:
    if ADAPTER.matches(payload, MESSAGE):
        try:
            ADAPTER.convert(payload, MESSAGE)
        except InvalidEventError:
            pass


@given(KNOWN_TYPES, JSON, JSON, JSON)
def test_known_types_with_any_members_raise_only_invalid_event(
    event_type: str, resource: Any, data: Any, domain: Any
) -> None:
    payload = {
        "eventId": "1",
        "eventType": event_type,
        "resource": resource,
        "data": data,
        "domain": domain,
    }
    try:
        ADAPTER.convert(payload, MESSAGE)
    except InvalidEventError:
        pass
