"""The IO-free view of a request that the receiver and adapters see."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

__all__ = ["Message", "is_plain_header_value"]

if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    import sys
    from collections import namedtuple
    from types import FunctionType

    try:
        from _collections import _tuplegetter  # collections.namedtuple's field accessor
    except ImportError:  # not CPython: as collections does
        from operator import itemgetter

        def _tuplegetter(index: int, doc: str) -> Any:
            return property(itemgetter(index), doc=doc)

    _tuple_new = tuple.__new__
    # namedtuple's classes have __replace__ (copy.replace) from Python 3.13,
    # and their _replace refuses an unknown field with TypeError, not ValueError.
    _REPLACE = sys.version_info >= (3, 13)
    _UNKNOWN_FIELD = TypeError if _REPLACE else ValueError

    # __new__ of 2, 3 and 4 fields, whose parameters are renamed after the
    # fields (code.replace) where collections.namedtuple compiles source with
    # eval(): 0.1 ms of the Lambda cold start per class (measured). Others
    # are built by namedtuple().
    def _new_2(_cls, _0, _1):
        return _tuple_new(_cls, (_0, _1))

    def _new_3(_cls, _0, _1, _2):
        return _tuple_new(_cls, (_0, _1, _2))

    def _new_4(_cls, _0, _1, _2, _3):
        return _tuple_new(_cls, (_0, _1, _2, _3))

    _NEW = {2: _new_2, 3: _new_3, 4: _new_4}

    # namedtuple's methods: each class built here has its own copy (named and
    # documented as namedtuple's), of the same code (reading its _fields).
    def _make(cls, iterable):
        result = _tuple_new(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self, /, **kwds):
        result = self._make(map(kwds.pop, self._fields, self))
        if kwds:
            raise _UNKNOWN_FIELD(f"Got unexpected field names: {list(kwds)!r}")
        return result

    def __repr__(self):
        "Return a nicely formatted representation string"
        pairs = zip(self._fields, self, strict=True)
        fields = ", ".join(f"{name}={value!r}" for name, value in pairs)
        return f"{self.__class__.__name__}({fields})"

    def _asdict(self):
        "Return a new dict which maps field names to their values."
        return dict(zip(self._fields, self, strict=True))

    def __getnewargs__(self):
        "Return self as a plain tuple.  Used by copy and pickle."
        return tuple(self)

    # Each documented as namedtuple's: the doc it sets ({} is the class's
    # name), or None for its own docstring, as namedtuple's (None under -OO).
    _METHODS = {
        "_make": (_make, "Make a new {} object from a sequence or iterable"),
        "_replace": (_replace, "Return a new {} object replacing specified fields with new values"),
        "__repr__": (__repr__, None),
        "_asdict": (_asdict, None),
        "__getnewargs__": (__getnewargs__, None),
    }

    class _NamedTupleMeta(type):
        def __new__(cls, typename: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
            fields = tuple(namespace.get("__annotations__", ()))
            defaults = tuple(namespace[name] for name in fields if name in namespace)
            if any(name not in namespace for name in fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{typename}: a field without a default follows one with a default")
            module = namespace["__module__"]
            template = _NEW.get(len(fields))
            if template is None or any(name.startswith("_") for name in fields):
                built = namedtuple(typename, fields, defaults=defaults, module=module)
            else:
                built = _build(typename, fields, defaults, module, template)
            # As typing's, less the ForwardRefs: the annotations (strings under
            # ``from __future__ import annotations``) for get_type_hints() and
            # inspect.signature().
            built.__annotations__ = built.__new__.__annotations__ = dict(
                namespace.get("__annotations__", {})
            )
            for key, value in namespace.items():
                if key not in _NOT_COPIED and key not in fields:
                    setattr(built, key, value)
            built.__qualname__ = namespace["__qualname__"]
            return built

    def _build(
        typename: str,
        fields: tuple[str, ...],
        defaults: tuple[Any, ...],
        module: str,
        template: Any,
    ) -> type:
        """The class collections.namedtuple(typename, fields, defaults=...,
        module=...) builds, its __new__ made from ``template``."""
        # No co_qualname (Python 3.11+): the function's __qualname__, set
        # below, is what argument errors name.
        code = template.__code__.replace(co_varnames=("_cls", *fields), co_name="__new__")
        new = FunctionType(code, template.__globals__, "__new__", defaults)
        new.__qualname__ = f"{typename}.__new__"
        new.__doc__ = f"Create new instance of {typename}({', '.join(fields)})"
        first_default = len(fields) - len(defaults)
        body: dict[str, Any] = {
            "__doc__": f"{typename}({', '.join(fields)})",
            "__slots__": (),
            "_fields": fields,
            "_field_defaults": dict(zip(fields[first_default:], defaults, strict=True)),
            "__new__": new,
            "__match_args__": fields,
            "__module__": module,
        }
        for name, (function, doc) in _METHODS.items():
            own = FunctionType(function.__code__, function.__globals__, name)
            own.__qualname__ = f"{typename}.{name}"
            own.__doc__ = function.__doc__ if doc is None else doc.format(typename)
            body[name] = classmethod(own) if name == "_make" else own
        if _REPLACE:
            body["__replace__"] = body["_replace"]  # copy.replace(), as namedtuple's
        for index, name in enumerate(fields):
            body[name] = _tuplegetter(index, f"Alias for field number {index}")
        return type(typename, (tuple,), body)

    _NOT_COPIED = frozenset(("__module__", "__qualname__", "__annotations__", "__orig_bases__"))
    _NamedTupleBase = type.__new__(_NamedTupleMeta, "NamedTuple", (), {})

    def NamedTuple(typename: str, fields: Any = None, /, **kwargs: Any) -> type:
        """``typing.NamedTuple``: the functional form is typing's own."""
        import typing

        return typing.NamedTuple(typename, fields, **kwargs)  # type: ignore[no-any-return]

    # ``class X(NamedTuple): a: int = 0`` derives from _NamedTupleBase instead.
    NamedTuple.__mro_entries__ = lambda bases: (_NamedTupleBase,)

# NamedTuple (above) is typing.NamedTuple for type checkers and, at run time,
# the same class syntax building the same class as collections.namedtuple,
# without evaluating the annotations or compiling source: typing.NamedTuple
# compiles each string annotation (``from __future__ import annotations``)
# into a ForwardRef, and the first compile() of a process costs 1 to 1.6 ms
# of Lambda's cold start (it builds the ast module's types); namedtuple()
# compiles its __new__ with eval(). The classes on the Lambda import path
# (Message, adapters.base.Converted, dispatch.Refused) use it.

# Not a dataclass either: importing dataclasses costs a Lambda cold start
# several milliseconds.
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class Message(NamedTuple):
    """An HTTP request reduced to what event parsing needs (immutable).

    ``headers`` maps lower-case header names to values (``content-type``
    included); ``body`` is the whole body.
    """

    method: str = "POST"
    path: str = "/"
    headers: Mapping[str, str] = _NO_HEADERS
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def is_plain_header_value(text: str) -> bool:
    """Whether ``text`` is a header value with nothing to quote or decode.

    True for printable ASCII without space, ``"`` and ``%`` (the empty string
    included): the characters the CloudEvents HTTP binding (section 3.1.3.2)
    leaves as they are, so such a value is its own header encoding and its
    own decoding. String methods, not a regular expression: faster for the
    short values attributes are.
    """
    return (
        text.isascii()
        and text.isprintable()
        and " " not in text
        and '"' not in text
        and "%" not in text
    )
