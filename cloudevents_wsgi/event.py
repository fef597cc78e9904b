"""The event handed to applications.

:class:`CloudEvent` satisfies the cloudevents SDK v2 protocol
``cloudevents.core.base.BaseCloudEvent``, so the SDK's ``to_binary_event`` and
``to_structured_event`` accept it, but unlike the SDK's own class it never
invents an attribute: an event without ``time`` has ``get_time() is None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from . import spec
from .errors import InvalidEventError
from .spec import datetime

__all__ = ["CloudEvent"]

# The names spec.check_name has found valid (it returns at once for them).
_SEEN_VALID: Final = spec._VALID_NAMES
# The attributes whose checker is spec.check_non_empty.
_NON_EMPTY_STRINGS: frozenset[str] = frozenset(
    name for name, checker in spec.CHECKERS.items() if checker is spec.check_non_empty
)


class CloudEvent:
    """A CloudEvents 1.0 event: context attributes and data.

    ``attributes`` maps attribute names to values: strings, booleans,
    integers, and ``datetime`` (or an RFC 3339 string) for ``time``. A value
    of ``None`` leaves the attribute unset. ``specversion`` defaults to
    ``"1.0"``; nothing else is filled in. ``data`` is any JSON value, ``str``
    or ``bytes``. Invalid attributes raise :class:`InvalidEventError`.
    """

    __slots__ = ("_attributes", "_data", "_data_json", "_plain", "_time_text")

    def __init__(self, attributes: Mapping[str, Any], data: Any = None) -> None:
        checked: dict[str, Any] = {"specversion": spec.SPECVERSION}
        for name, value in attributes.items():
            if value is None:
                continue
            if (
                name in _NON_EMPTY_STRINGS
                and type(value) is str
                and value
                and value.isascii()
                and value.isprintable()
            ):
                # What spec.check_non_empty accepts at once (a printable ASCII
                # string holds no forbidden character), and the name is the spec's.
                checked[name] = value
                continue
            if name == "data" or name == "data_base64":
                raise InvalidEventError(name, "is the event's data, not an attribute")
            if name not in _SEEN_VALID:  # check_name's own first test, without the call
                spec.check_name(name)
            checker = spec.CHECKERS.get(name)
            checked[name] = (
                checker(name, value) if checker is not None else spec.check_extension(name, value)
            )
        for name in spec.REQUIRED:
            if name not in checked:
                raise InvalidEventError(name, "is a required attribute and is missing")
        self._attributes = checked
        self._data = data
        self._data_json: bytes | None = None
        time = attributes.get("time")
        self._time_text = time if isinstance(time, str) else None
        self._plain = False

    @classmethod
    def _checked(
        cls,
        attributes: dict[str, Any],
        data: Any,
        time_text: str | None = None,
        plain: bool = False,
    ) -> CloudEvent:
        """Build from attributes the receiver has already checked.

        ``time_text`` is the text ``time`` was read from, kept so that the
        event is written out again as it came (to the nanosecond) when that
        text is in the usual RFC 3339 spelling. ``plain``: every string
        attribute is a plain ``str`` of printable ASCII without space, ``"``
        or ``%`` (``message.is_plain_header_value``) and ``time_text``, if
        given, is in the usual spelling (``spec.timestamp_text`` gives it
        back as it is), as the event's maker has checked: the binary-mode
        writer puts them in headers as they are.
        """
        event = cls.__new__(cls)
        event._attributes = attributes
        event._data = data
        event._data_json = None
        event._time_text = time_text
        event._plain = plain
        return event

    def _received_as(self, data_json: bytes | None) -> None:
        """Remember ``data_json``, the data as the UTF-8 JSON the receiver
        read (a binary request's JSON body) or msgspec wrote right after it
        decoded it, for the environ writers to put back rather than encode
        again. Only JSON that reads back as this very data (see
        ``_json.parse_json``)."""
        self._data_json = data_json

    def time_text(self) -> str | None:
        """``time`` as RFC 3339 text, as it arrived when it did; None if unset."""
        time = self._attributes.get("time")
        if time is not None and self._time_text is not None:
            text = spec.timestamp_text(self._time_text)
            if text is not None:
                return text
        return None if time is None else spec.format_timestamp(time)

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
