"""The event handed to applications.

:class:`CloudEvent` satisfies the cloudevents SDK v2 protocol
``cloudevents.core.base.BaseCloudEvent``, so the SDK's ``to_binary_event`` and
``to_structured_event`` accept it, but unlike the SDK's own class it never
invents an attribute: an event without ``time`` has ``get_time() is None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import spec
from .errors import InvalidEventError

__all__ = ["CloudEvent"]


class CloudEvent:
    """A CloudEvents 1.0 event: context attributes and data.

    ``attributes`` maps attribute names to values: strings, booleans,
    integers, and ``datetime`` (or an RFC 3339 string) for ``time``. A value
    of ``None`` leaves the attribute unset. ``specversion`` defaults to
    ``"1.0"``; nothing else is filled in. ``data`` is any JSON value, ``str``
    or ``bytes``. Invalid attributes raise :class:`InvalidEventError`.
    """

    __slots__ = ("_attributes", "_data")

    def __init__(self, attributes: Mapping[str, Any], data: Any = None) -> None:
        checked: dict[str, Any] = {"specversion": spec.SPECVERSION}
        for name, value in attributes.items():
            if value is None:
                continue
            if name == "data" or name == "data_base64":
                raise InvalidEventError(name, "is the event's data, not an attribute")
            spec.check_name(name)
            checked[name] = spec.check_context_attribute(name, value)
        for name in spec.REQUIRED:
            if name not in checked:
                raise InvalidEventError(name, "is a required attribute and is missing")
        self._attributes = checked
        self._data = data

    @classmethod
    def _checked(cls, attributes: dict[str, Any], data: Any) -> CloudEvent:
        """Build from attributes the receiver has already checked."""
        event = cls.__new__(cls)
        event._attributes = attributes
        event._data = data
        return event

    def get_id(self) -> str:
        return self._attributes["id"]  # type: ignore[no-any-return]

    def get_source(self) -> str:
        return self._attributes["source"]  # type: ignore[no-any-return]

    def get_type(self) -> str:
        return self._attributes["type"]  # type: ignore[no-any-return]

    def get_specversion(self) -> str:
        return self._attributes["specversion"]  # type: ignore[no-any-return]

    def get_datacontenttype(self) -> str | None:
        return self._attributes.get("datacontenttype")

    def get_dataschema(self) -> str | None:
        return self._attributes.get("dataschema")

    def get_subject(self) -> str | None:
        return self._attributes.get("subject")

    def get_time(self) -> datetime | None:
        return self._attributes.get("time")

    def get_extension(self, extension_name: str) -> Any:
        return self._attributes.get(extension_name)

    def get_extensions(self) -> dict[str, Any]:
        """The extension attributes only."""
        return {
            name: value
            for name, value in self._attributes.items()
            if name not in spec.REQUIRED and name not in spec.OPTIONAL
        }

    def get_data(self) -> Any:
        return self._data

    def get_attributes(self) -> dict[str, Any]:
        """A copy of every attribute that is set (``time`` as a datetime)."""
        return dict(self._attributes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CloudEvent):
            return NotImplemented
        return self._attributes == other._attributes and self._data == other._data

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"CloudEvent(type={self.get_type()!r}, source={self.get_source()!r}, "
            f"id={self.get_id()!r})"
        )
