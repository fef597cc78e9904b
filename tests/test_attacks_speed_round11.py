"""Issue 13, eleventh round, read as an attacker: commit efcfa05 made the JSON
depth check faster and was to refuse exactly what it refused before.

- ``json_depth_over`` deletes every quote in one pass when each is in a pair
  (``text.count(b'"') == 2 * text.count(b'""')``) instead of replacing the
  pairs and splitting off strings. ``count`` and ``replace`` both take the
  pairs left to right without overlap, so the replace left no quote and the
  split nothing to do: the same bytes on any input. Checked here against the
  previous function, copied below, on arbitrary bytes.
- ``check_depth`` no longer counts the brackets of a body over 64 KiB before
  the scan: the scan's own first count (of the brackets it keeps, never more
  than the body's) decides the same for any ``limit`` of 1 or more. For a
  limit of 0 it did not: the scan's loop never ran and a large body with a
  closing bracket but no opening one (``b"]" + b" " * 70_000``) was refused,
  where the count had let it through. The count is skipped for a positive
  limit only (the middleware accepts no other).
- Through the middleware (structured, batch, binary; with msgspec and, in a
  fresh process, without), bodies just under and over 64 KiB are answered as
  with the previous functions patched in.
- Both branches of the scan stay linear above 64 KiB.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import CloudEventsMiddleware, InvalidEventError, _json
from cloudevents_wsgi import middleware as middleware_module
from cloudevents_wsgi._json import check_depth, json_depth_over

from .test_linear_time import assert_linear

KIB64: Final = 64 * 1024

# -- the previous code (git show efcfa05~1:cloudevents_wsgi/_json.py) --------------------

_OLD_BRACKETS: Final = bytes.maketrans(b"{}", b"[]")
_OLD_NOT_STRUCTURE: Final = bytes(b for b in range(256) if b not in b'[]{}"')


def old_json_depth_over(body: bytes, limit: int) -> bool:
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    text = body.translate(_OLD_BRACKETS, _OLD_NOT_STRUCTURE).replace(b'""', b"")
    brackets = b"".join(text.split(b'"')[::2]) if b'"' in text else text
    for level in range(limit):
        if brackets.count(b"[") <= limit - level:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


def old_check_depth(field: str, body: bytes, limit: int = _json.MAX_DEPTH) -> None:
    if body.count(b"[") + body.count(b"{") > limit and old_json_depth_over(body, limit):
        raise InvalidEventError(field, f"nests JSON deeper than {limit} levels")


def refuses(check: Callable[[str, bytes, int], None], body: bytes, limit: int) -> bool:
    try:
        check("body", body, limit)
    except InvalidEventError:
        return True
    return False


# -- json_depth_over: the same answer on any bytes --------------------------------------

# Structure, escapes, and a few bytes that are none (NUL, non-UTF-8, a BOM's first).
_ALPHABET: Final = [b"[", b"]", b"{", b"}", b'"', b"\\", b"a", b" ", b"\x00", b"\xff", b"\xef"]
_TOKENS: Final = [
    *_ALPHABET,
    b'""',
    b'""""',
    b'\\"',
    b'\\\\"',
    b'\\\\\\"',
    b"\\\\",
    b'"[',
    b']"',
    b'"\\"[',
    b"[]",
    b"{}",
    b'[""]',
    b'{"":""}',
]
_LIMITS: Final = range(-1, 9)
_structured_bytes = st.lists(st.sampled_from(_TOKENS), max_size=60).map(b"".join)
# Every quote in a pair of adjacent quotes: the new one-pass branch.
_paired_bytes = st.lists(
    st.sampled_from([b'""', b"[", b"]", b"{", b"}", b"a", b"\\\\", b'\\"', b" "]), max_size=60
).map(b"".join)


def assert_scans_agree(bodies: list[bytes]) -> None:
    for body in bodies:
        for limit in _LIMITS:
            assert json_depth_over(body, limit) == old_json_depth_over(body, limit), (body, limit)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_structured_bytes, min_size=1, max_size=4))
def test_the_scan_answers_as_before_on_bytes_of_brackets_quotes_and_escapes(
    bodies: list[bytes],
) -> None:
    assert_scans_agree(bodies)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_paired_bytes, min_size=1, max_size=4))
def test_the_scan_answers_as_before_when_every_quote_is_in_an_adjacent_pair(
    bodies: list[bytes],
) -> None:
    assert_scans_agree(bodies)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=4))
def test_the_scan_answers_as_before_on_arbitrary_bytes(bodies: list[bytes]) -> None:
    assert_scans_agree(bodies)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_structured_bytes, min_size=1, max_size=4))
def test_the_one_pass_quote_deletion_leaves_the_bytes_the_replace_and_split_left(
    bodies: list[bytes],
) -> None:
    # The two branches' kept brackets, compared directly (not only the verdict).
    for body in bodies:
        text = body.translate(_OLD_BRACKETS, _OLD_NOT_STRUCTURE)
        replaced = text.replace(b'""', b"")
        old = b"".join(replaced.split(b'"')[::2]) if b'"' in replaced else replaced
        if text.count(b'"') == 2 * text.count(b'""'):
            assert text.translate(None, b'"') == old


# -- check_depth: the same verdict either side of 64 KiB --------------------------------

_SIZES: Final = [KIB64 - 1, KIB64, KIB64 + 1, KIB64 + 7]
_FILLERS: Final = [b" ", b'""', b"a", b"\\\\", b'"a"', b"\x00"]


def padded(core: bytes, size: int, filler: bytes, front: bool = False) -> bytes:
    """``core`` filled to ``size`` bytes (at least ``core``) with ``filler``."""
    pad = (filler * ((size - len(core)) // len(filler) + 1))[: max(0, size - len(core))]
    return pad + core if front else core + pad


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _structured_bytes,
    st.sampled_from(_SIZES),
    st.sampled_from(_FILLERS),
    st.booleans(),
    st.sampled_from([-1, 0, 1, 2, 3, 4, 5, _json.MAX_DEPTH]),
)
def test_check_depth_refuses_as_before_on_bodies_just_under_and_over_64_kib(
    core: bytes, size: int, filler: bytes, front: bool, limit: int
) -> None:
    body = padded(core, size, filler, front)
    assert refuses(check_depth, body, limit) == refuses(old_check_depth, body, limit)


def test_check_depth_with_limit_zero_lets_a_large_body_without_opening_brackets_through() -> None:
    # Before the fix: refused over 64 KiB (the scan's loop never ran for a
    # limit of 0 and its leftover ']' counted), let through under it.
    for body in (b"]" + b" " * 70_000, b"}" * 70_000, b' "x" ]' * 20_000):
        assert not refuses(old_check_depth, body, 0)
        assert not refuses(check_depth, body, 0)


def _deep(levels: int, inner: bytes = b"1") -> bytes:
    return b"[" * levels + inner + b"]" * levels


# Hand-picked shapes: (core, whether it is placed after the padding).
_TARGETED: Final = [
    _deep(3),
    _deep(6),
    b'{"a":' * 5 + b"1" + b"}" * 5,
    b'["\\"' + b"[" * 10 + b'"]',  # escaped quote, brackets in the string
    b'["\\\\"' + b"[" * 10 + b'"]',  # escaped backslash closes the string
    b'["\\\\\\"' + b"[" * 10 + b'"]',  # odd run: the quote is escaped
    b'["' + b"[" * 10,  # unterminated string
    b'"' + b"[" * 10,
    b"[" * 10 + b'"',
    b'""""' + _deep(6) + b'""""',
    b'[""' * 6 + b"]" * 6,
    b'["",""' * 6 + b"]" * 6,
    b'"]"' * 6 + b"[" * 6,
    b"]" * 6 + b"[" * 6,
    b"]" * 6,
    b"\xef\xbb\xbf" + _deep(6),
    b"\x00[" * 6 + b"\x00]" * 6,
    b"\xff\xfe" + _deep(6),
    b'"\\' + b"[" * 6,  # backslash at the end of an unterminated string
    b'["\\' + b'"' * 7 + b"[" * 6,
]


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 5, _json.MAX_DEPTH])
@pytest.mark.parametrize("size", _SIZES)
def test_check_depth_refuses_hand_picked_shapes_as_before_either_side_of_64_kib(
    size: int, limit: int
) -> None:
    for core in _TARGETED:
        for filler in _FILLERS:
            for front in (False, True):
                body = padded(core, size, filler, front)
                assert json_depth_over(body, limit) == old_json_depth_over(body, limit), body[:40]
                assert refuses(check_depth, body, limit) == refuses(old_check_depth, body, limit)


# -- the middleware: the same answer as with the previous functions ---------------------


@contextmanager
def previous_depth_check() -> Iterator[None]:
    with (
        mock.patch.object(_json, "check_depth", old_check_depth),
        mock.patch.object(_json, "json_depth_over", old_json_depth_over),
        mock.patch.object(middleware_module, "json_depth_over", old_json_depth_over),
    ):
        yield


def _app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _event(data: bytes) -> bytes:
    return b'{"specversion":"1.0","id":"r11","source":"/s","type":"t","data":' + data + b"}"


def _data_cores(limit: int) -> list[bytes]:
    """JSON values (most valid) nested at and one past ``limit``, with the
    string shapes the scan must see through."""
    cores = []
    for levels in (limit - 1, limit, limit + 1):
        cores.append(_deep(levels, b'"\\"[{"'))
        cores.append(_deep(levels, b'"\\\\","[","",""'))
    cores += [
        b'["\\\\\\"' + b"[" * 10 + b'"]',
        b'["' + b"[" * 10 + b"]",  # unterminated
        b"[" * 10 + b"]" * 9,  # unclosed
        b"]" * 3,
    ]
    return cores


def _padded_value(core: bytes, size: int, filler: str) -> bytes:
    """``core`` inside a JSON array whose string ``filler`` makes the whole about ``size``."""
    if filler == "spaces":
        return padded(core, size, b" ", front=False)
    unit = {"empty": b'"",', "escapes": b'"\\\\\\"\\\\",', "text": b'"aaaa",'}[filler]
    pad = unit * max(0, (size - len(core) - 2) // len(unit))
    return b"[" + pad + core + b"]"


def _request(mode: str, data: bytes, charset: str | None = None) -> dict[str, Any]:
    environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "PATH_INFO": "/"}
    if mode == "structured":
        body = _event(data)
        environ["CONTENT_TYPE"] = "application/cloudevents+json"
    elif mode == "batch":
        body = b"[" + _event(data) + b"]"
        environ["CONTENT_TYPE"] = "application/cloudevents-batch+json"
    else:
        body = data
        environ["CONTENT_TYPE"] = "application/json" + (f"; charset={charset}" if charset else "")
        environ.update(
            HTTP_CE_SPECVERSION="1.0", HTTP_CE_ID="r11", HTTP_CE_SOURCE="/s", HTTP_CE_TYPE="t"
        )
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = io.BytesIO(body)
    return environ


def _answer(middleware: CloudEventsMiddleware, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    chunks = middleware(environ, lambda s, h, e=None: status.append(s))
    return status[0], b"".join(chunks)


def middleware_differences() -> tuple[int, list[str]]:
    """(requests compared, those answered otherwise than with the previous code)."""
    compared, different = 0, []
    for limit in (1, 2, 3, 5, _json.MAX_DEPTH):
        middleware = CloudEventsMiddleware(_app, max_json_depth=limit, max_body_size=1 << 20)
        for core, size, filler in itertools.product(
            _data_cores(limit), (KIB64 - 100, KIB64 + 100), ("spaces", "empty", "escapes")
        ):
            data = _padded_value(core, size, filler)
            cases = [("structured", data, None), ("batch", data, None), ("binary", data, None)]
            cases.append(("binary", data.decode("utf-8").encode("utf-16"), "utf-16"))
            for mode, payload, charset in cases:
                new = _answer(middleware, _request(mode, payload, charset))
                with previous_depth_check():
                    old = _answer(middleware, _request(mode, payload, charset))
                compared += 1
                if new != old:
                    different.append(f"{mode} {charset} {limit} {core[:30]!r}: {new} {old}")
    return compared, different


def test_the_middleware_answers_as_before_with_msgspec() -> None:
    pytest.importorskip("msgspec")
    _json._ACCELERATOR = None
    try:
        assert _json._accelerator() is not _json._NONE
        compared, different = middleware_differences()
    finally:
        _json._ACCELERATOR = None
    assert compared > 500
    assert different == []


def test_the_middleware_answers_as_before_with_the_standard_library() -> None:
    root = Path(__file__).resolve().parent.parent
    script = (
        "import json; from cloudevents_wsgi import _json;"
        "assert _json._accelerator() is _json._NONE;"
        "from tests.test_attacks_speed_round11 import middleware_differences as m;"
        "print(json.dumps(m()))"
    )
    env = {**os.environ, "CLOUDEVENTS_WSGI_JSON": "stdlib", "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    compared, different = json.loads(done.stdout)
    assert compared > 500
    assert different == []


# -- linear above 64 KiB, both branches of the scan -------------------------------------


def _shape(unit: bytes) -> Callable[[int], bytes]:
    return lambda n: b"[" * 200 + unit * (n // len(unit) + 1)


@pytest.mark.parametrize(
    "unit",
    [
        b'""[',  # every quote paired: the one-pass branch
        b'"[" ',  # strings holding brackets: the split
        b'\\"[\\\\',  # escapes
        b'"' + b"[" * 50,  # an unterminated string
        b"[]",
    ],
    ids=["paired", "bracket-strings", "escapes", "unterminated", "pairs"],
)
def test_check_depth_stays_linear_above_64_kib(unit: bytes) -> None:
    assert_linear(lambda body: check_depth("body", body, 5), _shape(unit), n=KIB64 + 1)
