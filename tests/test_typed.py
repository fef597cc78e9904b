"""cloudevents_wsgi.typed: event data into a dataclass or a pydantic model, and the
400 naming the field; the same on EventRouter routes and the Flask decorator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi import InvalidEventError as Invalid
from cloudevents_wsgi.router import EventRouter
from cloudevents_wsgi.testing import EventClient, binary, structured
from cloudevents_wsgi.typed import DATA, check_model, data_of, validate_data


@dataclass
class Item:
    sku: str
    count: int = 1


@dataclass
class Order:
    id: int
    items: list[Item]
    note: str | None = None
    total: float = 0.0
    paid: bool = False
    meta: dict[str, int] = field(default_factory=dict)
    anything: Any = None


class PydanticOrder(BaseModel):
    id: int
    items: list[str]


def ce(data: Any, content_type: str | None = "application/json") -> CloudEvent:
    attributes = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}
    if content_type is not None:
        attributes["datacontenttype"] = content_type
    return CloudEvent(attributes, data)


def test_a_dataclass_is_built_with_nested_dataclasses_and_defaults() -> None:
    data = {"id": 7, "items": [{"sku": "a"}, {"sku": "b", "count": 2}], "total": 3, "meta": {}}
    assert validate_data(ce(data), Order) == Order(
        id=7, items=[Item("a"), Item("b", 2)], total=3, meta={}
    )


def test_json_text_data_is_decoded_for_a_dataclass() -> None:
    assert validate_data(ce('{"sku": "a"}', "text/plain"), Item) == Item("a")


@pytest.mark.parametrize(
    ("data", "field_name", "reason"),
    [
        pytest.param([], "data", "is not a JSON object, so it cannot be a Order", id="not-object"),
        pytest.param({"items": []}, "data.id", "is required", id="missing"),
        pytest.param({"id": 1, "items": [], "x": 1}, "data.x", "is not a field of Order", id="x"),
        pytest.param({"id": "1", "items": []}, "data.id", "is not an integer", id="str-int"),
        pytest.param({"id": True, "items": []}, "data.id", "is not an integer", id="bool-int"),
        pytest.param({"id": 1, "items": {}}, "data.items", "is not a JSON array", id="list"),
        pytest.param(
            {"id": 1, "items": [{"sku": 2}]}, "data.items[0].sku", "is not a string", id="n"
        ),
        pytest.param({"id": 1, "items": [], "note": 3}, "data.note", "is not a string", id="opt"),
        pytest.param({"id": 1, "items": [], "total": "1"}, "data.total", "is not a number", id="f"),
        pytest.param(
            {"id": 1, "items": [], "paid": 1}, "data.paid", "is not true or false", id="b"
        ),
        pytest.param(
            {"id": 1, "items": [], "meta": {"a": "1"}}, "data.meta.a", "is not an integer"
        ),
    ],
)
def test_data_that_does_not_fit_a_dataclass_names_the_field(
    data: Any, field_name: str, reason: str
) -> None:
    with pytest.raises(Invalid) as caught:
        validate_data(ce(data), Order)
    assert (caught.value.field, caught.value.reason, caught.value.status) == (
        field_name,
        reason,
        400,
    )
    assert caught.value.value is None  # the data itself is never quoted


def test_non_json_data_is_refused_for_a_dataclass() -> None:
    with pytest.raises(Invalid) as caught:
        validate_data(ce(b"\xff", "application/octet-stream"), Item)
    assert caught.value.field == "data"


def test_a_pydantic_model_reports_its_first_error_as_a_field_path() -> None:
    assert validate_data(ce({"id": 1, "items": ["a"]}), PydanticOrder) == PydanticOrder(
        id=1, items=["a"]
    )
    assert validate_data(ce('{"id": 2, "items": []}', "text/plain"), PydanticOrder).id == 2
    with pytest.raises(Invalid) as caught:
        validate_data(ce({"id": 1, "items": ["a", [1]]}), PydanticOrder)
    assert caught.value.field == "data.items[1]"
    assert caught.value.reason == "Input should be a valid string"


@pytest.mark.parametrize("model", [dict, "Order", Item("a"), None])
def test_a_model_that_is_neither_is_a_configuration_error(model: Any) -> None:
    with pytest.raises(ConfigurationError, match="pydantic model class or a dataclass"):
        check_model(model)


def test_data_of_reads_what_a_helper_left_or_validates_now() -> None:
    item = Item("a")
    assert data_of({DATA: item}, Item) is item
    assert data_of({"cloudevent": ce({"sku": "b"})}, Item) == Item("b")
    with pytest.raises(LookupError):
        data_of({}, Item)


# -- on EventRouter and the Flask decorator -----------------------------------------------


def test_router_route_with_data_validates_before_the_handler() -> None:
    router = EventRouter()
    got: list[Any] = []

    @router.on("com.example.order", data=Order)
    def order(event: CloudEvent, environ: dict[str, Any]) -> None:
        got.append(data_of(environ, Order))

    client = EventClient(CloudEventsMiddleware(router))
    assert client.binary(type="com.example.order", data={"id": 1, "items": []}).status == 204
    refused = client.binary(type="com.example.order", data={"id": 1, "items": [{}]})
    assert got == [Order(id=1, items=[])]
    assert refused.status == 400
    assert refused.header("content-type") == "application/problem+json"
    assert refused.json()["field"] == "data.items[0].sku"
    with pytest.raises(ConfigurationError):
        router.on("x", data=dict)


def test_flask_decorator_with_data() -> None:
    from flask import Flask

    from cloudevents_wsgi.contrib.flask import cloudevent_data, cloudevent_required

    app = Flask(__name__)
    app.wsgi_app = CloudEventsMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    @app.post("/orders")
    @cloudevent_required(types=["com.example.*"], data=PydanticOrder)
    def orders() -> Any:
        return {"id": cloudevent_data(PydanticOrder).id}

    client = EventClient(app)
    good = {"id": 3, "items": []}
    assert client.structured(type="com.example.o", data=good, path="/orders").json() == {"id": 3}
    bad = client.structured(type="com.example.o", data={"items": []}, path="/orders")
    assert (bad.status, bad.json()["field"]) == (400, "data.id")
    other = client.structured(type="org.o", data=good, path="/orders")
    assert (other.status, other.json()["field"]) == (400, "type")
    no_data = client.send(structured(type="com.example.o", path="/orders"))
    assert (no_data.status, no_data.json()["field"]) == (400, "data")
    no_event = client.send(binary(type="t", path="/orders", headers={"ce-specversion": ""}))
    assert no_event.status == 400
    assert no_event.json()["field"] in ("ce-specversion", "specversion")


def test_an_annotation_that_cannot_be_resolved_is_not_checked() -> None:
    @dataclass
    class Local:
        inner: Unresolvable  # type: ignore[name-defined]  # noqa: F821
        count: int = 0

    assert validate_data(ce({"inner": {"a": 1}, "count": 2}), Local) == Local({"a": 1}, 2)
    with pytest.raises(Invalid) as caught:
        validate_data(ce({"inner": 1, "count": "2"}), Local)
    assert caught.value.field == "data.count"
