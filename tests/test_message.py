"""Message (message.py): a named tuple, without typing.NamedTuple's cost at import."""

from __future__ import annotations

import copy
import pickle

import pytest

from cloudevents_wsgi import Message


def test_fields_defaults_and_order() -> None:
    message = Message()
    assert (message.method, message.path, dict(message.headers), message.body) == (
        "POST",
        "/",
        {},
        b"",
    )
    assert Message._fields == ("method", "path", "headers", "body")
    assert Message("GET", "/a", {"x": "1"}, b"b") == Message(
        body=b"b", headers={"x": "1"}, path="/a", method="GET"
    )


def test_a_tuple_it_is() -> None:
    message = Message("GET", "/a", {"x": "1"}, b"b")
    method, path, headers, body = message
    assert (method, path, headers, body) == ("GET", "/a", {"x": "1"}, b"b")
    assert message == ("GET", "/a", {"x": "1"}, b"b")
    assert isinstance(message, tuple)
    assert message[1] == "/a"
    assert message != Message("GET", "/b", {"x": "1"}, b"b")
    assert hash(Message(headers=())) == hash(("POST", "/", (), b""))  # type: ignore[arg-type]


def test_immutable() -> None:
    message = Message()
    with pytest.raises(AttributeError):
        message.method = "GET"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        message.extra = 1  # type: ignore[attr-defined]


def test_repr_header_replace_asdict_pickle_copy() -> None:
    message = Message("GET", "/a", {"x": "1"}, b"b")
    assert repr(message) == "Message(method='GET', path='/a', headers={'x': '1'}, body=b'b')"
    assert message.header("x") == "1"
    assert message.header("y") is None
    assert message._replace(path="/c") == Message("GET", "/c", {"x": "1"}, b"b")
    with pytest.raises(ValueError, match="unexpected field"):
        message._replace(nope=1)  # type: ignore[call-arg]
    assert message._asdict() == {"method": "GET", "path": "/a", "headers": {"x": "1"}, "body": b"b"}
    assert pickle.loads(pickle.dumps(message)) == message
    assert type(copy.deepcopy(message)) is Message
    match message:
        case Message(method, path):
            assert (method, path) == ("GET", "/a")
