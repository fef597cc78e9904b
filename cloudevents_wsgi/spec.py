"""The CloudEvents 1.0 type system, as plain functions.

Each checker takes the field name (for the error) and a value, and returns the
value in its canonical Python form or raises :class:`InvalidEventError`.
https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#type-system
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .errors import InvalidEventError

# The datetime classes of the whole package, imported from here (one place).
if TYPE_CHECKING:
    from datetime import datetime as datetime
    from datetime import timedelta as timedelta
    from datetime import timezone as timezone
else:  # the C module's classes, which datetime re-exports: on CPython 3.11
    # ``import datetime`` first builds the pure-Python ones (1.5 ms at import)
    try:
        from _datetime import datetime, timedelta, timezone
    except ImportError:  # pragma: no cover - a Python without it
        from datetime import datetime, timedelta, timezone

SPECVERSION: Final = "1.0"
REQUIRED: Final = ("specversion", "id", "source", "type")
OPTIONAL: Final = ("datacontenttype", "dataschema", "subject", "time")
INT_MIN: Final = -(2**31)
INT_MAX: Final = 2**31 - 1

# The HTTP protocol binding's content modes (section 3) and the media types of
# the JSON event format (section 3) and its batch (section 4):
# https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md
BINARY: Final = "binary"
STRUCTURED: Final = "structured"
BATCH: Final = "batch"
STRUCTURED_TYPE: Final = "application/cloudevents+json"
BATCH_TYPE: Final = "application/cloudevents-batch+json"
# What every event format's media type starts with (lower case).
FORMAT_PREFIX: Final = "application/cloudevents"

# Patterns only the rarer paths need (a non-ASCII string, a timestamp in an
# unusual spelling, an IP literal, a quoted media type parameter) are compiled
# on first use: compiling them all at import took 1.3 ms of Lambda's cold start.
# The simplest ones are string methods (each regular expression compiled at
# import costs 30 to 90 us); the tests compare them with the expressions.


# Control characters, surrogates (Python keeps lone ones from JSON "\ud800"
# escapes) and Unicode noncharacters: the spec's "MUST NOT be used".
@functools.cache
def _forbidden() -> re.Pattern[str]:
    return re.compile(
        "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
        + "".join(f"{chr(p + 0xFFFE)}{chr(p + 0xFFFF)}" for p in range(0, 0x110000, 0x10000))
        + "]"
    )


# RFC 3339 section 5.6; [0-9] because Python's \d also matches non-ASCII digits.
@functools.cache
def _timestamp() -> re.Pattern[str]:
    return re.compile(
        r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
        r"(\.[0-9]+)?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
    )


def is_name(text: str) -> bool:
    """Whether ``text`` is a CloudEvents attribute name: ``[a-z0-9]+``."""
    return text.isascii() and text.isalnum() and (text.islower() or text.isdigit())


# RFC 3986: the characters a URI may hold, ``[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*``
# (percent signs only as %HH: _bad_percent): printable ASCII but for space and these.
_NOT_URI_CHARS: Final = '"<>\\^`{|}'


def _uri_chars_only(text: str) -> bool:
    return (
        text.isascii()
        and text.isprintable()
        and " " not in text
        and not any(c in text for c in _NOT_URI_CHARS)
    )


def _path_or_query_at(text: str) -> int:
    """The index of the first ``/`` or ``?`` in ``text``, else its length."""
    slash, question = text.find("/"), text.find("?")
    if slash == -1:
        return len(text) if question == -1 else question
    return slash if question == -1 else min(slash, question)


def _is_scheme(text: str) -> bool:
    r"""``[A-Za-z][A-Za-z0-9+.\-]*`` (RFC 3986 section 3.1)."""
    rest = text[1:].replace("+", "").replace(".", "").replace("-", "")
    return text[:1].isalpha() and text.isascii() and (not rest or rest.isalnum())


@functools.cache
def _bad_percent() -> re.Pattern[str]:
    return re.compile(r"%(?![0-9A-Fa-f]{2})")


@functools.cache
def _ip_literal() -> re.Pattern[str]:
    return re.compile(r"\[[^\[\]]+\](?::[0-9]*)?")


# RFC 7231 section 3.1.1.1 media-type, which RFC 2046 types are written in:
# type "/" subtype, each a token. The two tokens are read with string methods,
# not an expression compiled at import (150 us of cold start), and faster
# (0.68 us against 0.80 for "application/json"): ``part.strip(_TOKEN_CHARS)``
# takes every token character off both ends, so only a part made of token
# characters alone leaves nothing.
_TOKEN_CHARS: Final = (
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


# A parameter's value is a token or a quoted-string; a quoted-string is read by
# _quoted_end (a linear scan: the grammar as one regular expression kept a
# backtracking entry per character, and its cost grew faster than the input).
# Parameters are read with string methods too: the expression compiled at
# import cost 150 us of every cold start, and the first SQS event with a text
# body needs "text/plain; charset=utf-8". Slower on the first parse of a value
# (1.71 us against 1.36 for that one), which parse_media_type then caches.


@functools.cache
def _control() -> re.Pattern[str]:
    return re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@functools.cache
def _quoted_pair() -> re.Pattern[str]:
    return re.compile(r"\\(.)", re.DOTALL)


def check_name(name: str) -> str:
    if name in _VALID_NAMES:
        return name
    if not is_name(name):
        raise InvalidEventError(
            name, "attribute names are lower-case ASCII letters and digits only", name
        )
    if len(_VALID_NAMES) < CACHE_SIZE and len(name) <= CACHED_LENGTH:  # bounds on memory
        _VALID_NAMES.add(name)
    return name


# Every cache of the package, lru_cache or hand-made: at most CACHE_SIZE
# entries, each keyed by at most CACHED_LENGTH characters (512 keys of 10 MB
# would not be bounded memory); a longer key is checked, never kept.
CACHE_SIZE: Final = 512
CACHED_LENGTH: Final = 256
# Names repeat: those found valid. A set, not lru_cache: callers test a whole
# event's names at once (``names <= _VALID_NAMES``), far faster than one call each.
_VALID_NAMES: set[str] = set()


def check_string(field: str, value: Any) -> str:
    if type(value) is str and value.isascii() and value.isprintable():
        return value  # printable ASCII holds no forbidden character
    if not isinstance(value, str):
        raise InvalidEventError(field, f"must be a string, not {json_type(value)}", value)
    bad = _forbidden().search(value)
    if bad:
        raise InvalidEventError(
            field, f"contains the forbidden character U+{ord(bad.group()):04X}", value
        )
    return value


def check_non_empty(field: str, value: Any) -> str:
    check_string(field, value)
    if not value:
        raise InvalidEventError(field, "must not be empty", value)
    return value  # type: ignore[no-any-return]


def check_uri_reference(field: str, value: Any) -> str:
    if type(value) is str and len(value) <= CACHED_LENGTH and _is_uri_reference(value):
        return value
    check_non_empty(field, value)
    _check_uri_syntax(field, value, absolute=False)
    return value  # type: ignore[no-any-return]


# Sources repeat (one per producer): remember those already checked.
@functools.lru_cache(maxsize=CACHE_SIZE)
def _is_uri_reference(value: str) -> bool:
    try:
        check_non_empty("source", value)
        _check_uri_syntax("source", value, absolute=False)
    except InvalidEventError:
        return False
    return True


def check_uri(field: str, value: Any) -> str:
    check_non_empty(field, value)
    _check_uri_syntax(field, value, absolute=True)
    return value  # type: ignore[no-any-return]


def _check_uri_syntax(field: str, value: str, *, absolute: bool) -> None:
    if not _uri_chars_only(value) or ("%" in value and _bad_percent().search(value)):
        raise InvalidEventError(
            field, "is not a URI reference (RFC 3986): a character is not allowed", value
        )
    head, hashes, fragment = value.partition("#")
    if "#" in fragment:
        raise InvalidEventError(field, "has more than one '#'", value)
    if absolute and hashes:
        raise InvalidEventError(
            field, "must be an absolute URI (RFC 3986 section 4.3), without a fragment", value
        )
    # A colon before any '/' or '?' ends a scheme, which must be well formed.
    colon = head.find(":", 0, _path_or_query_at(head))
    if colon == -1 and absolute:
        raise InvalidEventError(field, "must be an absolute URI with a scheme", value)
    if colon != -1 and not _is_scheme(head[:colon]):
        raise InvalidEventError(field, "has a malformed URI scheme", value)
    rest = head[colon + 1 :]
    authority = ""
    if rest.startswith("//"):
        after = rest[2:]
        authority = after[: _path_or_query_at(after)]
        rest = rest[2 + len(authority) :]
    # Brackets only ever enclose an IP literal host.
    if "[" not in value and "]" not in value:
        return
    userinfo, _, host = authority.rpartition("@")
    if (
        "[" in rest + fragment + userinfo
        or "]" in rest + fragment + userinfo
        or (("[" in host or "]" in host) and not _ip_literal().fullmatch(host))
    ):
        raise InvalidEventError(field, "has '[' or ']' outside an IP literal host", value)


def check_integer(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEventError(field, f"must be an integer, not {json_type(value)}", value)
    if not INT_MIN <= value <= INT_MAX:
        raise InvalidEventError(field, "is outside the 32-bit signed Integer range", value)
    return value


def parse_timestamp(field: str, value: Any) -> datetime:
    """An RFC 3339 timestamp; sub-microsecond digits are cut (Python's limit).

    A leap second (``23:59:60`` UTC, RFC 3339 section 5.7, at any offset:
    ``15:59:60-08:00``) is valid; no ``datetime`` holds it, so it becomes the
    closest one, ``23:59:59.999999`` at the same offset (the event keeps the
    original text, :meth:`CloudEvent.time_text`). Linear in ``value``.
    """
    if _FROMISOFORMAT_RFC3339 and type(value) is str and _is_usual_timestamp(value):
        try:
            return _fromisoformat(value)
        except ValueError:
            pass  # the slow path below says why
    return _parse_timestamp(field, value)


def parse_usual_timestamp(field: str, value: Any) -> tuple[datetime, bool]:
    """:func:`parse_timestamp`'s ``datetime``, and whether ``value`` is RFC 3339
    text in the usual spelling (:func:`timestamp_text` gives it back as it
    is), told by the one look at the text that parsing takes."""
    if type(value) is str and _is_usual_timestamp(value):
        if _FROMISOFORMAT_RFC3339:
            try:
                return _fromisoformat(value), True
            except ValueError:
                pass  # the slow path below says why (a leap second is parsed there)
        return _parse_timestamp(field, value), True
    return _parse_timestamp(field, value), False


def _parse_timestamp(field: str, value: Any) -> datetime:
    """:func:`parse_timestamp` by the expression: any RFC 3339 spelling, or why not."""
    check_string(field, value)
    if type(value) is not str:  # its characters: the steps below call its methods
        value = str.__str__(value)
    match = _timestamp().fullmatch(value)
    if match is None:
        raise InvalidEventError(field, "is not an RFC 3339 timestamp", value)
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = match.groups()
    if not zulu and (int(oh) > 23 or int(om) > 59):
        raise InvalidEventError(field, "has a UTC offset out of range", value)
    if second == "60":
        return _leap_second(field, value, match.groups())
    try:
        if _FROMISOFORMAT_RFC3339:
            # The regex has vetted the syntax; the C parser builds the value.
            return datetime.fromisoformat(value.upper() if zulu == "z" or "t" in value else value)
        if zulu:
            tz = timezone.utc
        else:
            offset = timedelta(hours=int(oh), minutes=int(om))
            tz = timezone(-offset if sign == "-" else offset)
        micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
        )
    except ValueError as exc:
        raise InvalidEventError(field, f"is not a valid date and time: {exc}", value) from None


def _leap_second(field: str, value: str, groups: tuple[str, ...]) -> datetime:
    """``...:60``: the last microsecond before it, if it is a leap second.

    RFC 3339 places leap seconds at 23:59:60 UTC (section 5.7, where
    ``1990-12-31T15:59:60-08:00`` is an example); the text ``23:59:60`` is
    also taken at any offset, as producers write it in local time.
    """
    year, month, day, hour, minute, _, _, zulu, sign, oh, om = groups
    offset = timedelta() if zulu else timedelta(hours=int(oh), minutes=int(om))
    if sign == "-":
        offset = -offset
    try:
        before = datetime(
            int(year), int(month), int(day), int(hour), int(minute), 59, 999999, timezone(offset)
        )
    except ValueError as exc:
        raise InvalidEventError(field, f"is not a valid date and time: {exc}", value) from None
    if (hour, minute) == ("23", "59"):
        return before
    try:
        utc = before.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:60+01:00: before year 1 in UTC
        raise InvalidEventError(field, "is out of the range of dates", value) from None
    if (utc.hour, utc.minute) != (23, 59):
        raise InvalidEventError(
            field, "has second 60, which only a leap second has (23:59:60 UTC)", value
        )
    return before


# Python 3.11 parses every RFC 3339 form (Z, any number of fraction digits).
_FROMISOFORMAT_RFC3339: Final = sys.version_info >= (3, 11)
# Bound once: ``datetime.fromisoformat`` is an attribute of a class, which
# CPython 3.11 looks up unspecialised on every call (measured).
_fromisoformat: Final = datetime.fromisoformat
# The common spelling, ``[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}``
# ``(?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])`` (upper-case T and
# Z, offsets in range), checked by its shape: the text with each ASCII digit
# made "0" is one of 30 shapes, one dict look-up (0.20 us against the compiled
# expression's 0.32 for "...T00:00:00.000Z", and no 180 us compile at import).
_DIGITS_TO_0: Final = bytes.maketrans(b"123456789", b"000000000")
_FRACTIONS: Final = [b""] + [b"." + b"0" * digits for digits in range(1, 10)]
_TIMESTAMP_SHAPES: Final = {
    b"0000-00-00T00:00:00" + fraction + zone: zone[:1]
    for fraction in _FRACTIONS
    for zone in (b"Z", b"+00:00", b"-00:00")
}


def _is_usual_timestamp(value: str) -> bool:
    """Whether ``value`` is an RFC 3339 timestamp in the common spelling (above)."""
    if not value.isascii():
        return False
    shape = value.encode().translate(_DIGITS_TO_0)
    zone = _TIMESTAMP_SHAPES.get(shape)
    if zone is None and shape[19:29] == _FRACTIONS[-1]:  # more than nine fraction digits
        zone = _TIMESTAMP_SHAPES.get(shape[:29] + shape[29:].lstrip(b"0"))
    if zone == b"Z":
        return True
    # An offset: hours 00 to 23, minutes 00 to 59 (ASCII digits compare as text).
    return zone is not None and value[-5:-3] <= "23" and value[-2] <= "5"


def timestamp_text(value: str) -> str | None:
    """``value`` if it is RFC 3339 in the usual spelling (``T``, ``Z``), else None.

    A leap second in another spelling comes back upper-cased: no ``datetime``
    can say it again.
    """
    if type(value) is not str:  # its characters: the checks read it through its methods
        value = str.__str__(value)
    if _is_usual_timestamp(value):
        return value
    upper = value.upper()
    return upper if upper[17:19] == "60" and _is_usual_timestamp(upper) else None


def format_timestamp(value: datetime) -> str:
    """The canonical string of a Timestamp: RFC 3339, 'Z' for UTC."""
    text = value.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def parse_media_type(field: str, value: Any) -> tuple[str, dict[str, str]]:
    """Split an RFC 2046 media type into its lower-cased essence and parameters.

    The parameters dict is shared between calls with the same value: read it,
    never change it.
    """
    if type(value) is str and len(value) <= CACHED_LENGTH:
        parsed = _known_media_type(value)
        if parsed is not None:
            return parsed
    return _parse_media_type(field, value)  # raises, saying why


# Content types repeat: those already parsed (None: not a media type).
@functools.lru_cache(maxsize=CACHE_SIZE)
def _known_media_type(value: str) -> tuple[str, dict[str, str]] | None:
    try:
        return _parse_media_type("content-type", value)
    except InvalidEventError:
        return None


def _parse_media_type(field: str, value: Any) -> tuple[str, dict[str, str]]:
    check_non_empty(field, value)
    # Its characters, as a plain str: read through its methods, which a
    # subclass may answer otherwise (the expressions read the characters).
    text = str.__str__(value).strip(" \t")
    type_, _, rest = text.partition("/")
    tail = rest.lstrip(_TOKEN_CHARS)  # what follows the subtype ("" without a "/")
    if len(tail) == len(rest) or not (
        (type_.isalnum() and type_.isascii()) or (type_ and not type_.strip(_TOKEN_CHARS))
    ):
        raise InvalidEventError(field, "is not a media type (RFC 2046, type/subtype)", value)
    essence = text[: len(text) - len(tail)]
    at = len(essence)
    params: dict[str, str] = {}
    while at < len(text):  # each time: [ \t]* ";" [ \t]* [ token "=" ( token / quoted-string ) ]
        semi = text.find(";", at)
        if semi == -1 or (semi > at and text[at:semi].strip(" \t")):
            raise InvalidEventError(field, "has a malformed media type parameter", value)
        at = text.find(";", semi + 1)
        if at == -1:
            at = len(text)
        parameter = text[semi + 1 : at].lstrip(" \t")
        name, _, raw = parameter.partition("=")
        if raw[:1] == '"' and name and not name.strip(_TOKEN_CHARS):
            start = at - len(parameter) + len(name) + 2  # after the opening '"'
            at = _quoted_end(text, start - 1)
            if at == -1 or _control().search(text, start, at - 1):
                raise InvalidEventError(field, "has a malformed media type parameter", value)
            raw = _quoted_pair().sub(r"\1", text[start : at - 1])
        else:
            raw = raw.rstrip(" \t")  # before the next ";"
            if not raw or raw.strip(_TOKEN_CHARS) or not name or name.strip(_TOKEN_CHARS):
                if not parameter:  # nothing between two ";": allowed
                    continue
                raise InvalidEventError(field, "has a malformed media type parameter", value)
        params[name.lower()] = raw
    return essence.lower(), params


def _quoted_end(text: str, start: int) -> int:
    """The index just past the RFC 7230 quoted-string that opens at ``start``
    (``text[start] == '"'``), or -1 if it is never closed: the first '"' not
    escaped by an odd run of backslashes before it. Each character is looked
    at a bounded number of times."""
    at = start + 1
    while True:
        close = text.find('"', at)
        if close == -1:
            return -1
        backslashes = close - at - len(text[at:close].rstrip("\\"))
        if backslashes % 2 == 0:
            return close + 1
        at = close + 1


def is_json(essence: str) -> bool:
    """``*/json`` and ``*/*+json`` are JSON (JSON format section 3.1)."""
    return essence.endswith("/json") or essence.endswith("+json")


def canonical_string(value: Any) -> str:
    """The canonical string representation of an attribute value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    return str(value)


def check_context_attribute(name: str, value: Any) -> Any:
    """Check a typed attribute value; return its canonical Python value."""
    checker = CHECKERS.get(name)
    if checker is not None:
        return checker(name, value)
    return check_extension(name, value)


def check_extension(name: str, value: Any) -> Any:
    """Check an extension attribute's value by its type; return it."""
    if type(value) is str:
        return check_string(name, value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return check_integer(name, value)
    if isinstance(value, str):
        return check_string(name, value)
    if isinstance(value, datetime):
        return _check_aware(name, value)
    raise InvalidEventError(
        name,
        f"extension values are strings, booleans or integers, not {json_type(value)}",
        value,
    )


def _check_specversion(field: str, value: Any) -> str:
    check_string(field, value)
    if value != SPECVERSION:
        raise InvalidEventError(field, f"only CloudEvents {SPECVERSION} is supported", value)
    return value  # type: ignore[no-any-return]


def _check_time(field: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return _check_aware(field, value)
    return parse_timestamp(field, value)


def _check_aware(field: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidEventError(field, "must carry a UTC offset", value)
    return value


def _check_datacontenttype(field: str, value: Any) -> str:
    parse_media_type(field, value)
    return value  # type: ignore[no-any-return]


#: The checker of each context attribute the spec defines, by name.
CHECKERS: Final[dict[str, Callable[[str, Any], Any]]] = {
    "specversion": _check_specversion,
    "id": check_non_empty,
    "source": check_uri_reference,
    "type": check_non_empty,
    "datacontenttype": _check_datacontenttype,
    "dataschema": check_uri,
    "subject": check_non_empty,
    "time": _check_time,
}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__
