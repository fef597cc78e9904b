"""JSON loading with the limits: strict syntax, bounded nesting.

Every function here costs time linear in its input, whatever the input
(unclosed strings, long escape runs, many brackets): the request path runs
them on bodies a client chose.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, Final

from .errors import InvalidEventError

__all__ = [
    "ACCELERATOR_VARIABLE",
    "MAX_ATTRIBUTES",
    "MAX_BATCH",
    "MAX_DEPTH",
    "check_depth",
    "decode_text",
    "encode_decoded",
    "encode_native",
    "json_depth_over",
    "load_json",
    "parse_json",
]

# Default for JSON nesting: DynamoDB items nest 32 levels, each two JSON levels
# deep ({"M": {...}}), inside a few levels of envelope.
MAX_DEPTH: Final = 128
# Default for the batch length limit (DoS guard; configurable).
MAX_BATCH: Final = 1000
# Default for the attributes of one event (DoS guard; configurable): far more
# than any event has; a WSGI server caps all headers at about 100.
MAX_ATTRIBUTES: Final = 100


# Set to "stdlib" to leave msgspec unused even where it is installed.
ACCELERATOR_VARIABLE: Final = "CLOUDEVENTS_WSGI_JSON"


def load_json(field: str, body: bytes, charset: str = "utf-8", max_depth: int = MAX_DEPTH) -> Any:
    """Strict JSON (RFC 8259): a leading BOM ignored, no NaN or Infinity,
    arrays and objects nested at most ``max_depth`` deep.

    :func:`parse_json`'s value.
    """
    return parse_json(field, body, charset, max_depth)[0]


def parse_json(
    field: str, body: bytes, charset: str = "utf-8", max_depth: int = MAX_DEPTH
) -> tuple[Any, bool]:
    """:func:`load_json`'s value, and whether msgspec decoded it.

    With the ``json`` extra (msgspec) installed, UTF-8 text is decoded by
    msgspec first: it refuses what this function refuses (NaN, Infinity, a
    BOM, control characters) and more (numbers beyond a double, lone
    surrogate escapes), and decodes what it accepts to the same value as the
    standard library (integers of any size, the last of duplicate keys).
    Whatever it refuses is decoded again as below, which gives the verdict
    and the message. When it decoded the text (``True``), every string of the
    value is valid UTF-8 and every number finite: :func:`encode_decoded`
    writes the value back as JSON.

    Otherwise the standard library parses first (the C parser stops absurd
    nesting with RecursionError). Either way this then checks the depth of
    the valid text in a few passes at C speed, and only when it holds more
    than ``max_depth`` brackets at all.
    Raises :class:`InvalidEventError` naming ``field``.
    """
    accelerator = _ACCELERATOR or _accelerator()
    if accelerator is not _NONE and (charset == "utf-8" or charset.lower() in ("utf-8", "utf8")):
        decode, _, failure = accelerator
        try:
            value = decode(body)
        except failure:
            pass  # the standard library below gives the verdict and the message
        else:
            check_depth(field, body, max_depth)
            return value, True
    return _load_stdlib(field, body, charset, max_depth), False


def encode_decoded(value: Any) -> bytes:
    """``value``, as :func:`parse_json` decoded it with msgspec, as compact UTF-8 JSON.

    Only for such a value, unchanged: msgspec writes infinity as ``null``,
    which such a value cannot hold.
    """
    accelerator = _ACCELERATOR or _accelerator()
    return accelerator[1](value)  # type: ignore[no-any-return]


def encode_native(value: Any) -> bytes | None:
    """``value``, made of JSON's own types only (dict with str keys, list,
    str, int, float, bool, None: what ``json.loads`` returns), as compact
    UTF-8 JSON by msgspec; ``None`` without msgspec, or where the standard
    encoder must give the verdict: a non-finite number (msgspec writes
    ``null`` for it, so any ``null`` in the output sends it there) or a lone
    surrogate (msgspec refuses it)."""
    accelerator = _ACCELERATOR or _accelerator()
    if accelerator is _NONE:
        return None
    try:
        text: bytes = accelerator[1](value)
    except (TypeError, ValueError, OverflowError):  # UnicodeEncodeError is a ValueError
        return None
    return None if b"null" in text else text


def _accelerator() -> tuple[Any, ...]:
    """msgspec's decoder, encoder and decode error; ``_NONE`` without it."""
    global _ACCELERATOR
    found: tuple[Any, ...] = _NONE
    if os.environ.get(ACCELERATOR_VARIABLE, "") != "stdlib":
        try:
            import msgspec
        except ImportError:
            pass
        else:
            found = (
                msgspec.json.Decoder().decode,
                msgspec.json.Encoder().encode,
                (msgspec.DecodeError, RecursionError),
            )
    _ACCELERATOR = found
    return found


_NONE: Final[tuple[Any, ...]] = (None, None, None)
_ACCELERATOR: tuple[Any, ...] | None = None


def _load_stdlib(field: str, body: bytes, charset: str, max_depth: int) -> Any:
    text = decode_text(field, body, charset)
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        try:
            # The scanner alone, when the text is one value with no white
            # space around it (the usual case); else the decoder, which also
            # explains what is wrong.
            value, end = _SCAN(text, 0)
            if end != len(text):
                value = _JSON.decode(text)
        except StopIteration:
            value = _JSON.decode(text)
    except RecursionError:
        raise InvalidEventError(field, f"nests JSON deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise InvalidEventError(field, f"is not valid JSON: {exc}") from None
    if body.count(b"[") + body.count(b"{") > max_depth:
        # Cannot be deeper otherwise (the usual case, decided by two counts).
        raw = body if charset.lower() in ("utf-8", "utf8") else text.encode("utf-8", "replace")
        if json_depth_over(raw, max_depth):
            raise InvalidEventError(field, f"nests JSON deeper than {max_depth} levels")
    return value


def check_depth(field: str, body: bytes, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` arrays and objects, before parsing it.

    Exact on valid JSON; on invalid JSON it never costs more than linear time
    (and the parse that follows refuses the text anyway).
    """
    # Few brackets cannot nest too deep: counted first for a small body, where
    # it spares the scan. A large one goes straight to the scan, which counts
    # the brackets it keeps (a third of the time of counting them in the body)
    # when the limit is positive: for 0 its loop never runs, and a body
    # with no opening bracket must still pass on the count alone.
    if (
        (limit > 0 and len(body) > _COUNT_FIRST_MAX) or body.count(b"[") + body.count(b"{") > limit
    ) and json_depth_over(body, limit):
        raise InvalidEventError(field, f"nests JSON deeper than {limit} levels")


# Bytes: bodies up to this size have their brackets counted before the scan.
_COUNT_FIRST_MAX: Final = 64 * 1024


def json_depth_over(body: bytes, limit: int) -> bool:
    """Whether the JSON text ``body`` nests arrays and objects deeper than ``limit``.

    Strings are cut out first (brackets in them do not count), then what is
    left (brackets only) is emptied of innermost pairs, one nesting level per
    pass. Each step is one bytes method (C speed) over at most the
    input; the passes stop after ``limit``, or as soon as the opening
    brackets left are too few to be deeper. Hand-written because no regular
    expression of the standard library skips JSON strings without
    backtracking over an unclosed one.
    """
    # In a JSON string a backslash starts a two-character escape (and \uXXXX
    # holds neither quote nor backslash): dropping escaped backslashes, then
    # escaped quotes, leaves only the quotes that open and close strings.
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Keep quotes and brackets only ('{}' as '[]'). Two adjacent quotes enclose
    # an empty string or an empty gap between strings: dropping them changes
    # nothing else, and leaves the few strings that hold brackets to split off.
    text = body.translate(_BRACKETS, _NOT_STRUCTURE)
    if text.count(b'"') == 2 * text.count(b'""'):
        # Every quote is in such a pair (the usual case: no string holds a
        # bracket): what the replace below would leave is the text less its
        # quotes, deleted in one pass (the replace of a pair a string costs
        # twice the time of the three passes here, measured).
        brackets = text.translate(None, b'"')
    else:
        text = text.replace(b'""', b"")
        brackets = b"".join(text.split(b'"')[::2]) if b'"' in text else text
    for level in range(limit):
        if brackets.count(b"[") <= limit - level:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


# '{' and '}' become '[' and ']'; everything but brackets and quotes is deleted.
_BRACKETS: Final = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE: Final = bytes(b for b in range(256) if b not in b'[]{}"')


def decode_text(field: str, body: bytes, charset: str) -> str:
    """``body`` decoded with ``charset``; InvalidEventError if it cannot be."""
    try:
        return body.decode(charset)
    except LookupError:
        raise InvalidEventError(
            "datacontenttype", "names a charset this receiver does not know", charset
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidEventError(field, f"is not valid {charset} text (byte {exc.start})") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_JSON = json.JSONDecoder(parse_constant=_reject_constant)
_SCAN: Callable[[str, int], tuple[Any, int]] = _JSON.scan_once  # type: ignore[attr-defined]
