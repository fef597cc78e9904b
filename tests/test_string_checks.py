"""The string-method checks that replaced regular expressions compiled at
import (spec.py): the same verdict as the expression on any text. Each
expression stays here as the reference."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import _wsgi, spec
from cloudevents_wsgi.errors import InvalidEventError


def _search_at(text: str) -> int:
    found = re.search("[/?]", text)
    return found.start() if found else len(text)


CASES: dict[str, tuple[Callable[[str], object], Callable[[str], object]]] = {
    "name": (spec.is_name, lambda t: bool(re.fullmatch(r"[a-z0-9]+", t))),
    "uri-chars": (
        spec._uri_chars_only,
        lambda t: bool(re.fullmatch(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*", t)),
    ),
    "scheme": (spec._is_scheme, lambda t: bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", t))),
    "path-or-query": (spec._path_or_query_at, _search_at),
    "status-line": (
        _wsgi._is_status_line,
        lambda t: bool(re.match(r"[1-5][0-9][0-9](?: [^\x00-\x08\x0a-\x1f\x7f]*)?\Z", t)),
    ),
}
# The media type essence, as spec.py matched it before (RFC 7231 tokens).
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})")
_PARAMETER = re.compile(rf'[ \t]*;[ \t]*(?:({_TOKEN})=({_TOKEN}|"))?')
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)


_NOT_MEDIA_TYPE = "is not a media type (RFC 2046, type/subtype)"
_BAD_PARAMETER = "has a malformed media type parameter"


def _media_type_by_regex(text: str) -> object:
    """_parse_media_type as it was with the expressions: its result, or the error's reason."""
    try:
        spec.check_non_empty("content-type", text)
    except InvalidEventError as error:
        return error.reason
    text = text.strip(" \t")
    match = _MEDIA_TYPE.match(text)
    if match is None:
        return _NOT_MEDIA_TYPE
    params: dict[str, str] = {}
    at = match.end()
    while at < len(text):
        param = _PARAMETER.match(text, at)
        if param is None or param.end() == at:
            return _BAD_PARAMETER
        name, raw = param.groups()
        at = param.end()
        if name is not None:
            if raw == '"':
                end = spec._quoted_end(text, at - 1)
                if end == -1 or re.search(r"[\x00-\x08\x0a-\x1f\x7f]", text[at : end - 1]):
                    return _BAD_PARAMETER
                raw = re.sub(r"\\(.)", r"\1", text[at : end - 1], flags=re.DOTALL)
                at = end
            params[name.lower()] = raw
    return f"{match.group(1)}/{match.group(2)}".lower(), params


def _media_type(text: str) -> object:
    try:
        return spec._parse_media_type("content-type", text)
    except InvalidEventError as error:
        return error.reason


CASES["media-type"] = (_media_type, _media_type_by_regex)
CASES["usual-timestamp"] = (spec._is_usual_timestamp, lambda t: bool(_TIMESTAMP.fullmatch(t)))
IDS = list(CASES)

# Characters where string methods and character classes could part ways:
# non-ASCII digits and letters, title case, the Kelvin sign, controls.
_TRICKY = "\x00\t\n\x7f\x80 \u00a0\u00b2\u0663\u017f\u01c5\u212a\u0130\uff11\U0001d7ce"
_ALPHABET = st.sampled_from(
    [chr(c) for c in range(0x20, 0x7F)] + list(_TRICKY) + ["", "1", "a", "/", "?", " "]
)
_TEXT = st.lists(_ALPHABET, max_size=12).map("".join) | st.text(max_size=12)


@pytest.mark.parametrize("case", IDS)
def test_every_single_character(case: str) -> None:
    new, old = CASES[case]
    points = [*range(0x3000), *range(0x3000, 0x110000, 97), *map(ord, _TRICKY)]
    for point in points:
        for text in (chr(point), "a" + chr(point), "2" + chr(point) + "0", "20" + chr(point)):
            assert new(text) == old(text), (case, text)
    assert new("") == old("")


@pytest.mark.parametrize("case", IDS)
@settings(max_examples=400, deadline=None)
@given(text=_TEXT)
def test_any_text(case: str, text: str) -> None:
    new, old = CASES[case]
    assert new(text) == old(text)
    for prefix in ("200", "404 ", "599 x", "a", "http:"):
        assert new(prefix + text) == old(prefix + text)


# Texts the checks accept, each changed at every position to every code point.
VALID = {
    "media-type": [
        "application/json",
        "application/cloudevents+json; charset=utf-8",
        'text/plain;a="b\\"c" ;d=e',
        'multipart/x;;a=b ; ;c="d;e" ;',
    ],
    "usual-timestamp": [
        "2024-05-06T07:08:09Z",
        "2024-05-06T23:59:60.123456789012+05:30",
        "1970-01-01T00:00:00.0-23:59",
    ],
    "status-line": ["200 OK", "404", "599 Custom\tphrase \u00e9\u2028\x85"],
}
_POINTS = [*range(0x180), *range(0x180, 0x110000, 331), *map(ord, _TRICKY)]


@pytest.mark.parametrize("case", list(VALID))
def test_every_character_at_every_position(case: str) -> None:
    new, old = CASES[case]
    for valid in VALID[case]:
        assert new(valid) == old(valid)
        assert not isinstance(old(valid), str) and old(valid)
        for at in range(len(valid) + 1):
            for point in _POINTS:
                for text in (
                    valid[:at] + chr(point) + valid[at + 1 :],  # replaced
                    valid[:at] + chr(point) + valid[at:],  # inserted
                ):
                    assert new(text) == old(text), (case, text)
            shorter = valid[:at] + valid[at + 1 :]
            assert new(shorter) == old(shorter), (case, shorter)


_DIGITS = st.text("0123456789", min_size=14, max_size=14)
_ZONES = st.sampled_from(["Z", "z", ""]) | st.builds(
    str.__add__, st.sampled_from("+-"), st.text("0123456789:", min_size=4, max_size=6)
)
# The usual shape with any digits, fraction (none to 14 digits, or a bare
# dot) and zone; and strings of the same characters.
_TIMESTAMPS = st.builds(
    lambda digits, fraction, zone: (
        "{}{}{}{}-{}{}-{}{}T{}{}:{}{}:{}{}".format(*digits) + fraction + zone
    ),
    _DIGITS,
    st.just("") | st.text("0123456789", max_size=14).map(".".__add__),
    _ZONES,
) | st.text("-T:.Zz+ t0123456789\u0663", min_size=18, max_size=40)


@settings(max_examples=600, deadline=None)
@given(text=_TIMESTAMPS)
def test_timestamps_near_the_usual_shape(text: str) -> None:
    new, old = CASES["usual-timestamp"]
    assert new(text) == old(text)
