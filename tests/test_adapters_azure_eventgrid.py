"""Azure Event Grid (Event Grid schema) events into CloudEvents."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_wsgi import InvalidEventError, Message
from cloudevents_wsgi.adapters.azure_eventgrid import ADAPTER, validation_response
from cloudevents_wsgi.adapters.base import Adapter
from cloudevents_wsgi.receiver import event_from_json

from .conftest import fixture_params, fixture_paths, load_fixture, require_fixture

UTC = timezone.utc
MESSAGE = Message()

STORAGE_ACCOUNT = (
    "/subscriptions/319a9601-1ec0-0000-aebc-8fe82724c81e/resourceGroups/testrg"
    "/providers/Microsoft.Storage/storageAccounts/myaccount"
)
TEST_ACCOUNT = (
    "/subscriptions/id/resourceGroups/Storage/providers/Microsoft.Storage"
    "/storageAccounts/xstoretestaccount"
)
BLOB_CREATED = {
    "type": "Microsoft.Storage.BlobCreated",
    "source": STORAGE_ACCOUNT,
    "id": "602a88ef-0001-00e6-1233-1646070610ea",
    "subject": "/blobServices/default/containers/testcontainer/blobs/file1.txt",
    "time": datetime(2017, 8, 16, 1, 57, 26, 5121, UTC),
}
BLOB_DELETED = {
    "type": "Microsoft.Storage.BlobDeleted",
    "source": TEST_ACCOUNT,
    "id": "4c2359fe-001e-00ba-0e04-58586806d298",
    "subject": "/blobServices/default/containers/testcontainer/blobs/testfile.txt",
    # "2017-11-07T20:09:22.5674003Z": Event Grid's 7th fractional digit is cut.
    "time": datetime(2017, 11, 7, 20, 9, 22, 567400, UTC),
}

# Expected attributes (besides specversion and datacontenttype) per fixture.
GOLDEN = {
    "java-sdk-eventgrid-schema-blob-created-array": [BLOB_CREATED],
    "java-sdk-eventgrid-schema-custom-event": [
        {
            "type": "Contoso.Items.ItemReceived",
            "source": "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
            "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
            # subject "" is dropped
            "time": datetime(2018, 1, 25, 22, 12, 19, 455681, UTC),
            "dataversion": "1",
        }
    ],
    "java-sdk-eventgrid-schema-mixed-batch": [
        BLOB_CREATED,
        BLOB_DELETED,
        BLOB_DELETED,
        {
            "type": "Microsoft.ServiceBus.DeadletterMessagesAvailableWithNoListeners",
            "source": (
                "/subscriptions/id/resourcegroups/rg/providers/Microsoft.ServiceBus"
                "/namespaces/testns1"
            ),
            "id": "dede87b0-3656-419c-acaf-70c95ddc60f5",
            "subject": "topics/topic1/subscriptions/sub1",
            "time": datetime(2018, 2, 14, 5, 12, 53, 413352, UTC),
            "dataversion": "1",
        },
    ],
    "java-sdk-eventgrid-schema-single-object-not-array": [BLOB_DELETED],
}

# Microsoft's documented handshake, https://learn.microsoft.com/azure/event-grid/
# webhook-event-delivery#validation-details (values are this project's own).
VALIDATION_EVENT = {
    "id": "0d7c9a3e-4a5b-4a10-9a3b-6c2f0e1d2b3c",
    "topic": "/subscriptions/00000000-0000-0000-0000-000000000000",
    "subject": "",
    "data": {
        "validationCode": "7f3c2b1a-0e4d-4c5b-8a9f-1b2c3d4e5f60",
        "validationUrl": (
            "https://rp-westeurope.eventgrid.azure.net:553/eventsubscriptions/orders"
            "/validate?id=7F3C2B1A-0E4D-4C5B-8A9F-1B2C3D4E5F60&t=2024-03-01T10:00:00.1234567Z"
            "&apiVersion=2018-05-01-preview&token=abc"
        ),
    },
    "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
    "eventTime": "2024-03-01T10:00:00.1234567Z",
    "metadataVersion": "1",
    "dataVersion": "1",
}


def event(**changes: Any) -> dict[str, Any]:
    """A small Event Grid event, written from the documented schema."""
    base: dict[str, Any] = {
        "id": "b3a0f7c2-1d4e-4f5a-9b6c-7d8e9f0a1b2c",
        "topic": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
        "subject": "/orders/42",
        "eventType": "Contoso.Orders.OrderPlaced",
        "eventTime": "2024-03-01T10:00:00.1234567Z",
        "data": {"orderId": 42},
        "dataVersion": "2.0",
        "metadataVersion": "1",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not ...}


def test_adapter_satisfies_the_protocol() -> None:
    assert isinstance(ADAPTER, Adapter)
    assert ADAPTER.name == "azure.eventgrid"


# -- golden pairs over the real samples --------------------------------------


@pytest.mark.parametrize(
    ("stem", "expected"), [pytest.param(stem, want, id=stem) for stem, want in GOLDEN.items()]
)
def test_golden(stem: str, expected: list[dict[str, Any]]) -> None:
    payload = load_fixture(require_fixture(f"azure/eventgrid/{stem}.json"))
    original = copy.deepcopy(payload)
    assert ADAPTER.matches(payload, MESSAGE)
    converted = ADAPTER.convert(payload, MESSAGE)
    items = payload if isinstance(payload, list) else [payload]
    assert [c.event.get_attributes() for c in converted] == [
        {"specversion": "1.0", "datacontenttype": "application/json", **want} for want in expected
    ]
    assert [c.event.get_data() for c in converted] == [item["data"] for item in items]
    assert [c.native for c in converted] == items
    assert all(c.record_id is None for c in converted)
    assert payload == original  # the native payload is left as it came


def test_every_event_grid_schema_sample_has_a_golden_entry() -> None:
    stems = {path.stem for path in fixture_paths("azure/eventgrid", "*eventgrid-schema*.json")}
    if not stems:
        pytest.skip("../shared/fixtures/azure/eventgrid is not present")
    assert stems == set(GOLDEN)


# -- Event Grid's CloudEvents schema is the core receiver's ------------------


@pytest.mark.parametrize("path", fixture_params("azure/eventgrid", "*cloudevents-schema*.json"))
def test_cloudevents_schema_never_matches(path: Any) -> None:
    payload = load_fixture(path)
    assert not ADAPTER.matches(payload, MESSAGE)
    assert validation_response(payload) is None


def test_cloudevents_schema_without_type_is_rejected_by_the_receiver() -> None:
    path = require_fixture("azure/eventgrid/java-core-cloudevents-schema-invalid-no-type.json")
    with pytest.raises(InvalidEventError) as caught:
        event_from_json(load_fixture(path))
    assert caught.value.field == "type"


def test_cloudevents_schema_single_object_parses_in_the_receiver() -> None:
    path = require_fixture("azure/eventgrid/java-core-cloudevents-schema-json-data-array.json")
    item = load_fixture(path)[0]
    # Its "subject": "" is not a valid CloudEvents subject; without it, it parses.
    del item["subject"]
    parsed = event_from_json(item)
    assert (parsed.get_type(), parsed.get_source(), parsed.get_extension("foo")) == (
        "Contoso.Items.ItemReceived",
        "contoso/items",
        "bar",
    )


# -- own samples ---------------------------------------------------------------


def test_single_object_from_a_small_sample() -> None:
    [converted] = ADAPTER.convert(event(), MESSAGE)
    assert converted.event.get_attributes() == {
        "specversion": "1.0",
        "id": "b3a0f7c2-1d4e-4f5a-9b6c-7d8e9f0a1b2c",
        "source": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
        "type": "Contoso.Orders.OrderPlaced",
        "subject": "/orders/42",
        "time": datetime(2024, 3, 1, 10, 0, 0, 123456, UTC),
        "datacontenttype": "application/json",
        "dataversion": "2.0",
    }
    assert converted.event.get_data() == {"orderId": 42}


@pytest.mark.parametrize(
    ("changes", "absent"),
    [
        pytest.param({"subject": ""}, "subject", id="empty-subject"),
        pytest.param({"subject": ...}, "subject", id="no-subject"),
        pytest.param({"data": ...}, "datacontenttype", id="no-data"),
        pytest.param({"data": None}, "datacontenttype", id="null-data"),
        pytest.param({"dataVersion": ""}, "dataversion", id="empty-dataversion"),
        pytest.param({"dataVersion": ...}, "dataversion", id="no-dataversion"),
    ],
)
def test_what_the_native_event_lacks_is_left_out(changes: dict[str, Any], absent: str) -> None:
    [converted] = ADAPTER.convert([event(**changes)], MESSAGE)
    assert absent not in converted.event.get_attributes()
    assert "metadataversion" not in converted.event.get_attributes()


def test_data_that_is_a_string_stays_json() -> None:
    [converted] = ADAPTER.convert([event(data="plain")], MESSAGE)
    assert converted.event.get_data() == "plain"
    assert converted.event.get_datacontenttype() == "application/json"


def test_utc_offsets_are_kept() -> None:
    [converted] = ADAPTER.convert([event(eventTime="2024-03-01T11:00:00+01:00")], MESSAGE)
    assert converted.event.get_time() == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


# -- malformed events ------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param([event(), event(eventTime=...)], "[1].eventTime", id="missing-time"),
        pytest.param([event(eventTime="yesterday")], "[0].eventTime", id="bad-time"),
        pytest.param([event(eventTime="2024-02-30T10:00:00Z")], "[0].eventTime", id="no-such-day"),
        pytest.param([event(eventTime=1709287200)], "[0].eventTime", id="numeric-time"),
        pytest.param([event(id=...)], "[0].id", id="missing-id"),
        pytest.param([event(id="")], "[0].id", id="empty-id"),
        pytest.param([event(id=7)], "[0].id", id="numeric-id"),
        pytest.param([event(), event(topic=...)], "[1].topic", id="missing-topic"),
        pytest.param([event(topic="/a b")], "[0].topic", id="topic-not-a-uri"),
        pytest.param([event(eventType="")], "[0].eventType", id="empty-type"),
        pytest.param([event(subject=["x"])], "[0].subject", id="subject-not-a-string"),
        pytest.param([event(dataVersion=2)], "[0].dataVersion", id="numeric-dataversion"),
        pytest.param([event(), "event"], "[1]", id="item-not-an-object"),
        pytest.param(event(id=...), "id", id="single-object-missing-id"),
        pytest.param("text", "body", id="not-an-event"),
    ],
)
def test_malformed_events_name_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        ADAPTER.convert(payload, MESSAGE)
    assert caught.value.field == field


# -- recognition ------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(None, id="null"),
        pytest.param([], id="empty-array"),
        pytest.param({}, id="empty-object"),
        pytest.param([1, 2], id="array-of-numbers"),
        pytest.param("eventType", id="string"),
        pytest.param({"eventType": "x", "eventTime": "y"}, id="no-topic-or-subject"),
        pytest.param({**event(), "specversion": "1.0"}, id="cloudevent-lookalike"),
        pytest.param(
            {"Records": [{"eventSource": "aws:s3", "eventTime": "x", "eventName": "y"}]},
            id="aws-s3-shape",
        ),
    ],
)
def test_does_not_match_other_payloads(payload: Any) -> None:
    assert not ADAPTER.matches(payload, MESSAGE)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "topic", "subject", "eventType", "eventTime", "data"])
            | st.text(max_size=6),
            inner,
            max_size=6,
        )
    ),
    max_leaves=12,
)


@given(JSON)
def test_matches_never_raises_and_convert_raises_only_invalid_event(payload: Any) -> None:
    if ADAPTER.matches(payload, MESSAGE):
        try:
            ADAPTER.convert(payload, MESSAGE)
        except InvalidEventError:
            pass


# -- the subscription validation handshake ---------------------------------------


@pytest.mark.parametrize(
    "payload",
    [pytest.param([VALIDATION_EVENT], id="array"), pytest.param(VALIDATION_EVENT, id="object")],
)
def test_validation_handshake_is_answered(payload: Any) -> None:
    assert validation_response(payload) == {
        "validationResponse": "7f3c2b1a-0e4d-4c5b-8a9f-1b2c3d4e5f60"
    }


@pytest.mark.parametrize("path", fixture_params("azure/eventgrid", "*eventgrid-schema*.json"))
def test_ordinary_events_are_not_a_handshake(path: Any) -> None:
    assert validation_response(load_fixture(path)) is None


@pytest.mark.parametrize(
    "payload", [None, 1, "x", [], [1], {}, [{"eventType": 5}], [event()], event()]
)
def test_other_payloads_are_not_a_handshake(payload: Any) -> None:
    assert validation_response(payload) is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param([{**VALIDATION_EVENT, "data": {}}], "[0].data.validationCode", id="no-code"),
        pytest.param(
            [{**VALIDATION_EVENT, "data": "code"}], "[0].data.validationCode", id="data-not-object"
        ),
        pytest.param(
            {**VALIDATION_EVENT, "data": {"validationCode": ""}},
            "data.validationCode",
            id="empty-code",
        ),
        pytest.param([event(), VALIDATION_EVENT], "[1].eventType", id="inside-a-batch"),
    ],
)
def test_malformed_handshakes_are_rejected(payload: Any, field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        validation_response(payload)
    assert caught.value.field == field
