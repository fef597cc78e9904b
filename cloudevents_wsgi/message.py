"""The IO-free view of a request that the receiver and adapters see."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

__all__ = ["Message", "is_plain_header_value"]

# Neither a dataclass (importing dataclasses costs a Lambda cold start several
# milliseconds) nor, at run time, a typing.NamedTuple: building that class at
# import (namedtuple's exec and its annotations compiled as forward
# references) cost 1 to 2 ms. The tuple subclass below is what it built.
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})

if TYPE_CHECKING:
    from typing import NamedTuple

    class Message(NamedTuple):
        """An HTTP request reduced to what event parsing needs (immutable).

        ``headers`` maps lower-case header names to values (``content-type``
        included); ``body`` is the whole body.
        """

        method: str = "POST"
        path: str = "/"
        headers: Mapping[str, str] = _NO_HEADERS
        body: bytes = b""

        def header(self, name: str) -> str | None: ...

else:
    try:  # the C field accessor namedtuple uses
        from collections import _tuplegetter
    except ImportError:  # pragma: no cover - another Python than CPython
        from operator import itemgetter

        def _tuplegetter(index: int, doc: str) -> property:
            return property(itemgetter(index), doc=doc)

    class Message(tuple):
        """An HTTP request reduced to what event parsing needs (immutable).

        ``headers`` maps lower-case header names to values (``content-type``
        included); ``body`` is the whole body.

        A named tuple ``(method, path, headers, body)``, as
        ``typing.NamedTuple`` makes one (``_fields``, ``_replace``,
        ``_asdict``, equality and unpacking as a tuple's).
        """

        __slots__ = ()
        _fields = ("method", "path", "headers", "body")
        _field_defaults: ClassVar[dict[str, Any]] = {
            "method": "POST",
            "path": "/",
            "headers": _NO_HEADERS,
            "body": b"",
        }
        __match_args__ = _fields

        def __new__(
            cls,
            method: str = "POST",
            path: str = "/",
            headers: Mapping[str, str] = _NO_HEADERS,
            body: bytes = b"",
        ) -> Message:
            return tuple.__new__(cls, (method, path, headers, body))

        method = _tuplegetter(0, "The request method.")
        path = _tuplegetter(1, "The request path.")
        headers = _tuplegetter(2, "Lower-case header names to values.")
        body = _tuplegetter(3, "The whole body.")

        @classmethod
        def _make(cls, iterable: Any) -> Message:
            result = tuple.__new__(cls, iterable)
            if len(result) != 4:
                raise TypeError(f"Expected 4 arguments, got {len(result)}")
            return result

        def _replace(self, **changes: Any) -> Message:
            result = self._make(map(changes.pop, self._fields, self))
            if changes:
                raise ValueError(f"Got unexpected field names: {list(changes)!r}")
            return result

        def _asdict(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

        def __repr__(self) -> str:
            method, path, headers, body = self
            return f"Message(method={method!r}, path={path!r}, headers={headers!r}, body={body!r})"

        def __getnewargs__(self) -> tuple[Any, ...]:
            return tuple(self)

        def header(self, name: str) -> str | None:
            return self[2].get(name)  # type: ignore[no-any-return]


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
