"""The IO-free view of a request that the receiver and adapters see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Message"]


@dataclass(frozen=True)
class Message:
    """An HTTP request reduced to what event parsing needs.

    ``headers`` maps lower-case header names to values (``content-type``
    included); ``body`` is the whole body.
    """

    method: str = "POST"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)
