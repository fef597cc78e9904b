"""Fuzz the cost of every check on the request path: it must grow linearly.

Each input builds a near-miss text, ``prefix + unit * k + suffix``: a prefix
that opens something (a JSON string, many brackets, a quoted header value, a
media type parameter, a timestamp fraction, an IP literal...), a unit
repeated (escape runs, escaped quotes, runs of one character, brackets, or
bytes from the input) and a suffix that closes it, breaks it or does
neither. One check of the package (a scanner, a parser, or the whole
middleware) runs on the text at two sizes, SIZE and 4 * SIZE characters.

Invariants: only ``InvalidEventError`` escapes; and the longer text costs at
most RATIO_LIMIT times the shorter one (linear is about 4, quadratic 16).
A ratio over the limit is measured again, with more runs, before it counts,
so that a busy machine does not fail the run; a timing under NOISE_FLOOR
seconds is too short to judge and is not judged.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

from cloudevents_wsgi import CloudEventsMiddleware, InvalidEventError, spec
from cloudevents_wsgi.receiver import (
    check_depth,
    content_mode,
    parse_batch,
    parse_binary,
    parse_structured,
)

from .common import Input, check

SIZE = 4096
RATIO_LIMIT = 10.0
NOISE_FLOOR = 0.002  # seconds

PREFIXES = (
    "",
    '"',
    "[" * 200 + '"',
    '{"data":"',
    '{"data":' + "[" * 150,
    '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"',
    '"\\',
    "%",
    'a/b;x="',
    "application/cloudevents+json",
    "2024-01-01T00:00:00.",
    "http://[",
    "a:",
    "/#",
)
UNITS = (
    '\\"',
    "\\",
    "\\\\",
    "\\a",
    "a",
    " ",
    "[",
    "{",
    '{"',
    '["',
    '\\"[',
    '"]',
    "%4",
    "%41",
    "%C3%A9",
    ";a=b",
    "; a",
    "1",
    "1:",
    "é",
    "\x00",
)
SUFFIXES = ("", '"', "!", "\x00", "]", "}", "%", "Z", ":", "#", ";=", " x")

REQUIRED = [("specversion", "1.0"), ("id", "1"), ("source", "/s"), ("type", "t")]


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return []


_MIDDLEWARE = CloudEventsMiddleware(_app)


def _request(text: str, binary: bool) -> None:
    body = text.encode("utf-8", "surrogatepass")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": "application/json" if binary else "application/cloudevents+json",
    }
    if binary:
        environ.update(
            {f"HTTP_CE_{name.upper()}": value for name, value in REQUIRED}
            | {"HTTP_CE_EXT": text[:8192]}
        )
    answer: list[str] = []
    _MIDDLEWARE(environ, lambda status, headers, exc_info=None: answer.append(status))
    check(answer and answer[0][:1] in "24", f"the middleware answered {answer}")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


#: Each check on the request path, as a function of one text.
CHECKS: dict[str, Callable[[str], object]] = {
    "depth": lambda text: check_depth("body", _bytes(text)),
    "structured": lambda text: parse_structured(_bytes(text)),
    "batch": lambda text: parse_batch(_bytes(text)),
    "binary-json-data": lambda text: parse_binary(REQUIRED, "application/json", _bytes(text)),
    "binary-text-data": lambda text: parse_binary(REQUIRED, "text/plain", _bytes(text)),
    "header-value": lambda text: parse_binary([*REQUIRED, ("ext", text)], None, b""),
    "attribute-name": lambda text: parse_binary([*REQUIRED, (text, "v")], None, b""),
    "datacontenttype": lambda text: parse_binary(REQUIRED, text, b""),
    "media-type": lambda text: spec.parse_media_type("datacontenttype", text),
    "content-mode": lambda text: content_mode(text, True),
    "timestamp": lambda text: spec.parse_timestamp("time", text),
    "uri-reference": lambda text: spec.check_uri_reference("source", text),
    "uri": lambda text: spec.check_uri("dataschema", text),
    "string": lambda text: spec.check_string("subject", text),
    "extension": lambda text: spec.check_extension("ext", text),
    "middleware-structured": lambda text: _request(text, binary=False),
    "middleware-binary": lambda text: _request(text, binary=True),
}


def near_miss(inp: Input, size: int, parts: tuple[str, str, str]) -> str:
    prefix, unit, suffix = parts
    repeat = max(1, (size - len(prefix) - len(suffix)) // max(1, len(unit)))
    return prefix + unit * repeat + suffix


def _fastest(func: Callable[[str], object], text: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        try:
            func(text)
        except InvalidEventError:
            pass
        best = min(best, time.perf_counter() - start)
    return best


def growth(func: Callable[[str], object], small: str, large: str, runs: int) -> float | None:
    """How much longer ``large`` takes than ``small``; None if too short to judge."""
    short = _fastest(func, small, runs)
    long = _fastest(func, large, runs)
    if long < NOISE_FLOOR:
        return None
    return long / max(short, 1e-9)


def one_input(data: bytes) -> None:
    inp = Input(data)
    name = inp.pick(sorted(CHECKS))
    func = CHECKS[name]
    prefix = inp.pick(PREFIXES)
    unit = inp.pick(UNITS) if inp.chance(80) else inp.text(8) or "a"
    suffix = inp.pick(SUFFIXES)
    parts = (prefix, unit, suffix)
    small = near_miss(inp, SIZE, parts)
    large = near_miss(inp, 4 * SIZE, parts)
    ratio = growth(func, small, large, 2)  # raises if anything but InvalidEventError escapes
    if ratio is not None and ratio > RATIO_LIMIT:
        # Measure again, longer and with more runs, before calling it superlinear.
        small, large = near_miss(inp, 4 * SIZE, parts), near_miss(inp, 16 * SIZE, parts)
        again = growth(func, small, large, 5)
        check(
            again is None or again <= RATIO_LIMIT,
            f"{name}: 4x the input took {again:.1f}x the time "
            f"(prefix={prefix[:20]!r}, unit={unit!r}, suffix={suffix!r})",
        )
