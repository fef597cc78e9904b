"""Attacks on issue 13's seventh round (speed), fresh eyes: behaviour as before it.

- under ``python -OO`` (docstrings stripped) the methods of ``Message``,
  ``Converted`` and ``Refused`` are documented as ``collections.namedtuple``'s
  are: ``__repr__``, ``_asdict`` and ``__getnewargs__`` without a docstring,
  ``_make``, ``_replace`` and ``__new__`` with the one namedtuple sets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import ROOT

_DOCS = """
import collections, json
from cloudevents_wsgi.adapters.base import Converted
from cloudevents_wsgi.dispatch import Refused
from cloudevents_wsgi.message import Message
out = []
for cls in (Message, Converted, Refused):
    defaults = [cls._field_defaults[n] for n in cls._fields if n in cls._field_defaults]
    theirs = collections.namedtuple(cls.__name__, cls._fields, defaults=defaults)
    for name in ("__new__", "_make", "_replace", "__repr__", "_asdict", "__getnewargs__"):
        mine = getattr(getattr(cls, name), "__func__", getattr(cls, name))
        other = getattr(getattr(theirs, name), "__func__", getattr(theirs, name))
        out.append([cls.__name__, name, mine.__doc__, other.__doc__])
print(json.dumps(out))
"""


def test_method_docs_are_namedtuples_under_python_oo() -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-OO", "-c", _DOCS],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    for cls, name, mine, theirs in json.loads(out.stdout):
        assert mine == theirs, (cls, name)
