"""The failures already reported and pinned in tests/test_fuzz_findings.py
(``xfail(strict=True)`` until fixed).

Used by the CI short pass and by ``python -m fuzz.run --tolerate-known`` (so
that a coverage-guided run goes past them): remove each entry when its bug is
fixed, and keep the list empty otherwise.
"""

from __future__ import annotations


def known_bug(target: str, error: BaseException) -> bool:
    """Whether ``error`` is one of the reported, not yet fixed, bugs (none now)."""
    return False
