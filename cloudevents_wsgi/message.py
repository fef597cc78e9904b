"""The IO-free view of a request that the receiver and adapters see."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

__all__ = ["Message", "is_plain_header_value"]

if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    class _NamedTupleMeta(type):
        def __new__(cls, typename: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
            fields = tuple(namespace.get("__annotations__", ()))
            defaults = [namespace[name] for name in fields if name in namespace]
            if any(name not in namespace for name in fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{typename}: a field without a default follows one with a default")
            built = namedtuple(typename, fields, defaults=defaults, module=namespace["__module__"])
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

    _NOT_COPIED = frozenset(("__module__", "__qualname__", "__annotations__", "__orig_bases__"))
    _NamedTupleBase = type.__new__(_NamedTupleMeta, "NamedTuple", (), {})

    def NamedTuple(typename: str, fields: Any = None, /, **kwargs: Any) -> type:
        """``typing.NamedTuple``: the functional form is typing's own."""
        import typing

        return typing.NamedTuple(typename, fields, **kwargs)  # type: ignore[no-any-return]

    # ``class X(NamedTuple): a: int = 0`` derives from _NamedTupleBase instead.
    NamedTuple.__mro_entries__ = lambda bases: (_NamedTupleBase,)

# NamedTuple (above) is typing.NamedTuple for type checkers and, at run time,
# the same class syntax building the same collections.namedtuple without
# evaluating the annotations: typing.NamedTuple compiles each string
# annotation (``from __future__ import annotations``) into a ForwardRef, and
# the first compile() of a process costs 1 to 1.6 ms of Lambda's cold start
# (it builds the ast module's types). The classes on the Lambda import path
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
