"""CloudEvent: the SDK protocol, and nothing invented."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from cloudevents.core.bindings.http import (
    from_binary_event,
    from_structured_event,
    to_binary_event,
    to_structured_event,
)

from cloudevents_wsgi import CloudEvent, InvalidEventError

ATTRIBUTES = {
    "id": "1",
    "source": "/s",
    "type": "t",
    "subject": "sub",
    "time": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    "datacontenttype": "application/json",
    "dataschema": "https://example.com/schema",
    "ext": "v",
    "count": 3,
    "flag": False,
}


def test_getters_return_the_attributes() -> None:
    event = CloudEvent(ATTRIBUTES, {"a": 1})
    assert (event.get_id(), event.get_source(), event.get_type()) == ("1", "/s", "t")
    assert event.get_specversion() == "1.0"
    assert event.get_subject() == "sub"
    assert event.get_time() == ATTRIBUTES["time"]
    assert event.get_datacontenttype() == "application/json"
    assert event.get_dataschema() == "https://example.com/schema"
    assert event.get_extension("ext") == "v"
    assert event.get_extension("missing") is None
    assert event.get_extensions() == {"ext": "v", "count": 3, "flag": False}
    assert event.get_data() == {"a": 1}
    assert event.get_attributes() == {"specversion": "1.0", **ATTRIBUTES}


def test_nothing_is_invented() -> None:
    event = CloudEvent({"id": "1", "source": "/s", "type": "t"})
    assert event.get_time() is None
    assert event.get_attributes() == {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}


def test_time_may_be_given_as_rfc3339_text() -> None:
    event = CloudEvent({"id": "1", "source": "/s", "type": "t", "time": "2024-01-02T03:04:05Z"})
    assert event.get_time() == ATTRIBUTES["time"]


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"source": "/s", "type": "t"}, "id"),
        ({"id": "1", "source": "/s", "type": "t", "time": datetime(2024, 1, 1)}, "time"),
        ({"id": "1", "source": "/s", "type": "t", "Bad": "x"}, "Bad"),
        ({"id": "1", "source": "/s", "type": "t", "data": "x"}, "data"),
        ({"id": "1", "source": "/s", "type": "t", "ext": 1.5}, "ext"),
        ({"id": "1", "source": "/s", "type": "t", "specversion": "0.3"}, "specversion"),
    ],
)
def test_invalid_attributes_are_refused(attributes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        CloudEvent(attributes)
    assert caught.value.field == field


def test_the_sdk_writes_and_reads_it_back_in_binary_mode() -> None:
    event = CloudEvent(ATTRIBUTES, {"a": 1})
    message = to_binary_event(event)
    assert message.headers["ce-time"] == "2024-01-02T03:04:05Z"
    assert json.loads(message.body) == {"a": 1}
    back = from_binary_event(message)
    assert back.get_data() == {"a": 1}
    assert back.get_id() == "1"
    assert back.get_time() == ATTRIBUTES["time"]


def test_the_sdk_writes_and_reads_it_back_in_structured_mode() -> None:
    event = CloudEvent(ATTRIBUTES, b"\x00\x01")
    message = to_structured_event(event)
    assert json.loads(message.body)["data_base64"] == "AAE="
    back = from_structured_event(message)
    assert back.get_data() == b"\x00\x01"
    assert back.get_subject() == "sub"


def test_equality_compares_attributes_and_data() -> None:
    assert CloudEvent(ATTRIBUTES, 1) == CloudEvent(dict(ATTRIBUTES), 1)
    assert CloudEvent(ATTRIBUTES, 1) != CloudEvent(ATTRIBUTES, 2)
    assert repr(CloudEvent(ATTRIBUTES)) == "CloudEvent(type='t', source='/s', id='1')"
