"""Message and the NamedTuple of message.py: typing.NamedTuple's class
syntax, without its cost at import."""

from __future__ import annotations

import collections
import copy
import pickle
import subprocess
import sys
import typing
from typing import Any

import pytest

from cloudevents_wsgi import Message
from cloudevents_wsgi.adapters.base import Converted
from cloudevents_wsgi.dispatch import Refused
from cloudevents_wsgi.message import NamedTuple


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
    # As namedtuple's: ValueError, TypeError from Python 3.13.
    with pytest.raises(ValueError if sys.version_info < (3, 13) else TypeError, match="unexpected"):
        message._replace(nope=1)  # type: ignore[call-arg]
    assert message._asdict() == {"method": "GET", "path": "/a", "headers": {"x": "1"}, "body": b"b"}
    assert pickle.loads(pickle.dumps(message)) == message
    assert type(copy.deepcopy(message)) is Message
    match message:
        case Message(method, path):
            assert (method, path) == ("GET", "/a")


class Light(NamedTuple):
    """Documented."""

    a: int
    b: str = "b"
    c: Any = None

    def twice(self) -> int:
        return self.a * 2


class Typed(typing.NamedTuple):
    """Documented."""

    a: int
    b: str = "b"
    c: Any = None

    def twice(self) -> int:
        return self.a * 2


def test_the_class_syntax_builds_what_typing_builds() -> None:
    light, typed = Light(1), Typed(1)
    assert tuple(light) == tuple(typed) == (1, "b", None)
    assert repr(light) == repr(typed).replace("Typed", "Light")
    assert Light._fields == Typed._fields
    assert Light._field_defaults == Typed._field_defaults
    assert Light.__match_args__ == Typed.__match_args__
    assert (Light.__doc__, Light.__module__) == (Typed.__doc__, Typed.__module__)
    assert Light.__qualname__ == "Light"
    assert light.twice() == typed.twice() == 2
    assert light._replace(b="x") == (1, "x", None)
    assert pickle.loads(pickle.dumps(light)) == light
    assert type(Light.a) is type(Typed.a)  # the C field accessor
    with pytest.raises(TypeError):
        Light()  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        light.a = 2  # type: ignore[misc]
    assert tuple.__mro__[0] in Light.__mro__


def test_a_field_without_a_default_after_one_with_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default"):

        class Wrong(NamedTuple):
            a: int = 0
            b: int  # type: ignore[misc]


def test_the_functional_form_is_typings() -> None:
    Point = NamedTuple("Point", [("x", int), ("y", int)])
    assert Point(1, 2)._asdict() == {"x": 1, "y": 2}


def test_the_package_classes_keep_their_fields() -> None:
    assert Converted._fields == ("event", "native", "record_id")
    assert Converted._field_defaults == {"record_id": None}
    assert Refused._fields == ("record_id", "error")
    assert Refused.__module__ == "cloudevents_wsgi.dispatch"


def _made_while_importing_the_shim(counting: str) -> str:
    """What ``made`` holds once a fresh interpreter has run ``counting`` (code
    that appends to ``made``), then imported the Lambda shim."""
    code = f"made = []\n{counting}import cloudevents_wsgi.aws_lambda\nprint(made)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_importing_the_lambda_shim_compiles_no_forward_reference() -> None:
    """The first compile() of a process builds the ast module's types (1 ms
    or more of a Lambda cold start); typing.NamedTuple's string annotations
    are compiled as ForwardRefs."""
    counting = (
        "import typing\n"
        "init = typing.ForwardRef.__init__\n"
        "def counted(self, arg, *args, **kwargs):\n"
        "    made.append(arg)\n"
        "    init(self, arg, *args, **kwargs)\n"
        "typing.ForwardRef.__init__ = counted\n"
    )
    assert _made_while_importing_the_shim(counting) == "[]"


class Five(NamedTuple):
    """More fields than the built-in __new__ templates: built by namedtuple()."""

    a: int
    b: int
    c: int
    d: int
    e: int = 5


@pytest.mark.parametrize("cls", [Message, Converted, Refused, Light, Five])
def test_each_class_has_what_namedtuple_gives(cls: Any) -> None:
    fields = cls._fields
    twin: Any = collections.namedtuple(  # type: ignore[misc]
        cls.__name__,
        fields,
        defaults=tuple(cls._field_defaults.values()),  # type: ignore[misc]
    )
    # __slotnames__: copyreg's cache, on the classes copied or pickled so far.
    # __firstlineno__, __static_attributes__: what a class body holds from 3.13.
    own = {"__annotations__", "__orig_bases__", "__slotnames__", "header", "twice"}
    own |= {"__firstlineno__", "__static_attributes__"}
    assert set(dir(twin)) ^ set(dir(cls)) <= own
    assert cls.__bases__ == (tuple,)
    assert cls.__new__.__defaults__ == twin.__new__.__defaults__
    assert cls.__new__.__code__.co_varnames == twin.__new__.__code__.co_varnames
    assert cls.__new__.__qualname__ == f"{cls.__name__}.__new__"
    values = tuple(range(len(fields)))
    made, twin_made = cls(*values), twin(*values)
    assert tuple(made) == tuple(twin_made) and repr(made) == repr(twin_made)
    assert made._asdict() == twin_made._asdict()
    assert cls._make(values) == made and type(cls._make(values)) is cls
    for wrong in ((*values, 0), values[:1]):
        with pytest.raises(TypeError) as ours:
            cls._make(wrong)
        with pytest.raises(TypeError) as theirs:
            twin._make(wrong)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="positional arguments"):
        cls(*values, 0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        cls(*values, nope=0)
    assert pickle.loads(pickle.dumps(made)) == made


def test_importing_the_lambda_shim_evaluates_no_source() -> None:
    """collections.namedtuple() compiles each class's __new__ with eval()
    (0.1 ms of a Lambda cold start each): the package's classes do not."""
    counting = (
        "import builtins, sys\n"
        "real = builtins.eval\n"
        "def counted(source, *args, **kwargs):\n"
        "    caller = sys._getframe(2).f_globals.get('__name__', '')  # namedtuple()'s\n"
        "    if caller.startswith('cloudevents_wsgi'):  # not the stdlib's own classes\n"
        "        made.append(source)\n"
        "    return real(source, *args, **kwargs)\n"
        "builtins.eval = counted\n"
    )
    assert _made_while_importing_the_shim(counting) == "[]"
