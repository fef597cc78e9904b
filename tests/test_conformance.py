"""The CloudEvents conformance cases in ../shared/fixtures/cloudevents, through
the receiver and through the middleware."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from werkzeug.test import Client

from cloudevents_wsgi import CloudEventsMiddleware, InvalidEventError, Message, from_http
from cloudevents_wsgi.receiver import parse_batch, parse_structured

from .conftest import FIXTURES, load_fixture

CONFORMANCE = FIXTURES / "cloudevents" / "conformance"

# The attribute each invalid case must be rejected for (read off the cases).
INVALID_FIELD = {
    "invalidNoSpecVersion": "specversion",
    "invalidNoId": "id",
    "invalidNoType": "type",
    "invalidNoSource": "source",
    "invalidTimeGarbage": "time",
    "invalidTimeToMinute": "time",
    "invalidTimeOffsetX": "time",
    "invalidTimeOffsetOutOfRange": "time",
    "invalidTimeOffsetNonInteger": "time",
    "invalidTimeOffsetHourOnly": "time",
    "invalidEmptyId": "id",
    "invalidEmptyType": "type",
    "invalidEmptySource": "source",
    "invalidEmptySpecVersion": "specversion",
    "invalidUnknownSpecVersion": "specversion",
    "invalidNonRfc2046DataContentType": "datacontenttype",
    "invalidEmptyDataContentType": "datacontenttype",
    "invalidEmptyDataSchema": "dataschema",
    "invalidEmptySubject": "subject",
    "invalidNumericId": "id",
    "invalidObjectId": "id",
    "invalidCapitalizedExtension": "MyExtension",
    "invalidPunctuatedExtension": "my.extension",
    "invalidNonIntegerExtensionValue": "my.extension",
    "invalidBothDataAndDataBase64": "data_base64",
}
INVALID_BATCH_FIELD = {
    "invalidBatchMixedSpecVersions": "[1].specversion",
    "invalidBatchContainingInvalidCloudEvent": "[0].id",
    "invalidBatchContainingNonObject": "[0].event",
}


HEADER_SAFE = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in ' "%')


def cases(name: str) -> list[Any]:
    path = CONFORMANCE / name
    if not path.is_file():
        return [
            pytest.param(None, id="no-fixtures", marks=pytest.mark.skip(reason=f"{path} absent"))
        ]
    return [pytest.param(t, id=t["id"]) for t in load_fixture(path)["tests"]]


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    event = environ["cloudevent"]
    body = json.dumps({"id": event.get_id(), "data": repr(event.get_data())}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


client = Client(CloudEventsMiddleware(app))


@pytest.mark.parametrize("case", cases("json-format-valid-events.json"))
def test_valid_event_is_accepted_with_its_attributes(case: dict[str, Any]) -> None:
    body = json.dumps(case["event"]).encode()
    event = parse_structured(body)
    expected = {k: v for k, v in case["event"].items() if v is not None and k != "data"}
    got = event.get_attributes()
    if "time" in got:
        assert case["event"]["time"].startswith(got.pop("time").strftime("%Y-%m-%dT%H:%M:%S"))
        expected.pop("time")
    assert got == expected
    assert event.get_data() == case["event"].get("data")
    response = client.post("/", data=body, headers={"Content-Type": "application/cloudevents+json"})
    assert response.status_code == 200
    assert response.json["id"] == case["event"]["id"]


@pytest.mark.parametrize("case", cases("json-format-invalid-events.json"))
def test_invalid_event_is_rejected_naming_the_attribute(case: dict[str, Any]) -> None:
    body = json.dumps(case["event"]).encode()
    with pytest.raises(InvalidEventError) as caught:
        parse_structured(body)
    assert caught.value.field == INVALID_FIELD[case["id"]]
    response = client.post("/", data=body, headers={"Content-Type": "application/cloudevents+json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["field"] == INVALID_FIELD[case["id"]]


@pytest.mark.parametrize("case", cases("json-format-valid-batches.json"))
def test_valid_batch_calls_the_app_once_per_event(case: dict[str, Any]) -> None:
    body = json.dumps(case["batch"]).encode()
    events = parse_batch(body)
    assert [e.get_id() for e in events] == [e["id"] for e in case["batch"]]
    response = client.post(
        "/", data=body, headers={"Content-Type": "application/cloudevents-batch+json"}
    )
    if case["batch"]:
        assert response.status_code == 200
        assert [r["id"] for r in response.json["results"]] == [e["id"] for e in case["batch"]]
    else:
        assert response.status_code == 204


@pytest.mark.parametrize("case", cases("json-format-invalid-batches.json"))
def test_invalid_batch_is_rejected_whole(case: dict[str, Any]) -> None:
    body = json.dumps(case["batch"]).encode()
    with pytest.raises(InvalidEventError) as caught:
        parse_batch(body)
    assert caught.value.field == INVALID_BATCH_FIELD[case["id"]]
    calls: list[Any] = []

    def counting(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ)
        return app(environ, start_response)

    response = Client(CloudEventsMiddleware(counting)).post(
        "/", data=body, headers={"Content-Type": "application/cloudevents-batch+json"}
    )
    assert response.status_code == 400
    assert calls == []


# -- the conformance tool's YAML documents ---------------------------------


def yaml_documents(name: str) -> list[Any]:
    yaml = pytest.importorskip("yaml")
    path = CONFORMANCE / name
    if not path.is_file():
        return []
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def text(value: Any) -> str:
    """YAML reads timestamps as datetimes and 1.0 as a float: back to strings."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def as_message(doc: dict[str, Any]) -> Message:
    """A conformance YAML document as the HTTP request the tool would send."""
    attributes = {k: text(v) for k, v in doc["ContextAttributes"].items() if k != "Extensions"}
    extensions = {k: text(v) for k, v in (doc["ContextAttributes"].get("Extensions") or {}).items()}
    data = doc.get("Data", "")
    if doc.get("Mode", "binary") == "structured":
        event: dict[str, Any] = {**attributes, **extensions}
        content_type = attributes.get("datacontenttype", "application/json")
        event["data"] = json.loads(data) if "json" in content_type else data
        headers = {"content-type": "application/cloudevents+json"}
        return Message(headers=headers, body=json.dumps(event).encode())
    headers = {
        f"ce-{k}": v for k, v in {**attributes, **extensions}.items() if k != "datacontenttype"
    }
    if "datacontenttype" in attributes:
        headers["content-type"] = attributes["datacontenttype"]
    # A conforming sender percent-encodes header values (HTTP binding 3.1.3.2).
    headers = {
        k: quote(v, safe=HEADER_SAFE) if k.startswith("ce-") else v for k, v in headers.items()
    }
    return Message(headers=headers, body=data.encode("utf-8"))


def yaml_params(*names: str) -> list[Any]:
    params = [
        pytest.param(doc, id=f"{Path(name).stem}-{i}")
        for name in names
        for i, doc in enumerate(yaml_documents(name))
    ]
    return params or [pytest.param(None, id="no-fixtures", marks=pytest.mark.skip(reason="absent"))]


@pytest.mark.parametrize("doc", yaml_params("v1-minimum.yaml"))
def test_v1_conformance_document_is_received(doc: dict[str, Any]) -> None:
    message = as_message(doc)
    events = from_http(message)
    assert events is not None and len(events) == 1
    event = events[0]
    assert event.get_id() == doc["ContextAttributes"]["id"]
    assert event.get_type() == doc["ContextAttributes"]["type"]
    assert event.get_source() == doc["ContextAttributes"]["source"]
    content_type = doc["ContextAttributes"].get("datacontenttype", "application/json")
    data = event.get_data()
    if "json" in content_type:
        assert data == json.loads(doc["Data"])
    else:
        assert data == doc["Data"]
    for name, value in (doc["ContextAttributes"].get("Extensions") or {}).items():
        assert event.get_extension(name) == value
    response = client.post("/", headers=dict(message.headers), data=message.body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("doc", yaml_params("v1-binary-and-structured.yaml"))
def test_v1_document_with_a_newline_in_an_extension_is_rejected(doc: dict[str, Any]) -> None:
    # The YAML block scalar gives comexampleextension2 a trailing newline, a
    # control character the spec forbids in every String attribute.
    message = as_message(doc)
    with pytest.raises(InvalidEventError) as caught:
        from_http(message)
    assert caught.value.field == "comexampleextension2"
    assert "U+000A" in caught.value.reason
    response = client.post("/", headers=dict(message.headers), data=message.body)
    assert response.status_code == 400
    assert response.json["field"] == "comexampleextension2"


@pytest.mark.parametrize("doc", yaml_params("v03-minimum.yaml", "v03.yaml"))
def test_v03_document_is_rejected_naming_specversion(doc: dict[str, Any]) -> None:
    message = as_message(doc)
    with pytest.raises(InvalidEventError) as caught:
        from_http(message)
    assert caught.value.field == "specversion"
    response = client.post("/", headers=dict(message.headers), data=message.body)
    assert response.status_code == 400
    assert response.json["field"] == "specversion"
