"""The string-method checks that replaced regular expressions compiled at
import (spec.py): the same verdict as the expression on any text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudevents_wsgi import spec


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
}
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
