"""The IO-free view of a request that the receiver and adapters see."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

__all__ = ["Message", "is_plain_header_value"]

# A NamedTuple, not a dataclass: importing dataclasses costs a Lambda cold
# start several milliseconds.
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
