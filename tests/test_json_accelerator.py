"""The optional ``json`` extra (msgspec): with it in use, the receiver and
the middleware accept and refuse exactly what they do without it, decode the
same values, and write back environs that read back the same, over the
tricky JSON values (integers beyond 64 bits, NaN, lone surrogates, byte-order
marks, duplicate keys, deep nesting) and the receiver's fuzz corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from .conftest import ROOT

pytest.importorskip("msgspec")

CORPUS = 1500


def _verdicts(accelerated: bool) -> list[Any]:
    env = dict(os.environ)
    env.pop("CLOUDEVENTS_WSGI_JSON", None)
    if not accelerated:
        env["CLOUDEVENTS_WSGI_JSON"] = "stdlib"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-m", "tests.json_differential", str(CORPUS)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _uses_msgspec(accelerated: bool) -> bool:
    env = dict(os.environ)
    env.pop("CLOUDEVENTS_WSGI_JSON", None)
    if not accelerated:
        env["CLOUDEVENTS_WSGI_JSON"] = "stdlib"
    code = (
        "import sys\n"
        "from cloudevents_wsgi import Message, from_http\n"
        "try:\n"
        "    from_http(Message(headers={'content-type': 'application/cloudevents+json'},"
        " body=b'{}'))\n"
        "except Exception:\n"
        "    pass\n"
        "print('msgspec' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    return out.stdout.strip() == "True"


def test_msgspec_is_used_unless_turned_off() -> None:
    assert _uses_msgspec(True)
    assert not _uses_msgspec(False)


def test_with_msgspec_every_verdict_value_and_environ_is_the_standard_library_s() -> None:
    with_msgspec, without = _verdicts(True), _verdicts(False)
    assert len(with_msgspec) == len(without)
    differences = [
        index for index, (a, b) in enumerate(zip(with_msgspec, without, strict=True)) if a != b
    ]
    assert differences == [], [(with_msgspec[i], without[i]) for i in differences[:3]]
