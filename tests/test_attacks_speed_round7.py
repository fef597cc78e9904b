"""Attacks on issue 13's seventh round (speed): behaviour as before it.

- a Lambda event whose ``Records[0].eventSource`` is ``aws:kafka`` (Kafka's
  events have no ``Records``) was never a batch: it still is not;
- ``Message``, ``Converted`` and ``Refused`` are built on every supported
  Python (3.10 has no ``co_qualname``), their methods named and documented
  as ``collections.namedtuple``'s;
- the submodules the packages imported before (``cloudevents_wsgi.receiver``,
  ``cloudevents_wsgi.detect``, ``cloudevents_wsgi.aws_lambda.errors``) are
  still their attributes, and type checkers see every lazy submodule.
"""

from __future__ import annotations

import collections
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudevents_wsgi.adapters.base import Converted
from cloudevents_wsgi.aws_lambda import batch_item_failures, make_lambda_handler
from cloudevents_wsgi.aws_lambda.batch import batch_adapter
from cloudevents_wsgi.dispatch import Refused
from cloudevents_wsgi.message import Message, NamedTuple

from .conftest import ROOT, mypy_strict


class _Context:
    aws_request_id = "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    function_name = "f"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


# Kafka's events carry "records" grouped by partition, never "Records".
KAFKA_IN_RECORDS = {
    "Records": [
        {"eventSource": "aws:kafka", "topic": "t", "partition": 0, "offset": 1, "value": "e30="}
    ]
}


def test_records_from_aws_kafka_are_not_a_batch() -> None:
    assert batch_adapter(KAFKA_IN_RECORDS) is None
    assert batch_item_failures(KAFKA_IN_RECORDS, []) is None


def test_records_from_aws_kafka_reach_the_app_as_the_invocation_event() -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    answer = make_lambda_handler(app)(json.loads(json.dumps(KAFKA_IN_RECORDS)), _Context())
    assert answer == {}  # the app's JSON answer, not an empty batchItemFailures
    [environ] = seen
    assert environ["HTTP_CE_TYPE"] == "com.amazonaws.lambda.invocation"


def _python(version: str) -> str | None:
    """A working Python ``version`` ("3.10": pyenv's, or one on PATH), or None."""
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    pattern = os.path.join(pyenv, "versions", f"{version}.*", "bin", f"python{version}")
    candidates = sorted(glob.glob(pattern))
    candidates.append(shutil.which(f"python{version}") or "")
    wanted = tuple(int(part) for part in version.split("."))
    for python in filter(None, candidates):
        check = f"import sys; sys.exit(sys.version_info[:2] != {wanted!r})"
        try:
            if subprocess.run([python, "-c", check], capture_output=True, timeout=60).returncode:
                continue
        except OSError:
            continue
        return python
    return None


def _printed_by(python: str, code: str) -> list[str]:
    """The words ``code`` prints, run by ``python`` with this checkout importable."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_the_package_imports_and_converts_on_python_3_10() -> None:
    python = _python("3.10")
    if python is None:
        pytest.skip("no Python 3.10 interpreter on this machine")
    code = (
        "import cloudevents_wsgi, cloudevents_wsgi.aws_lambda\n"
        "from cloudevents_wsgi import Message\n"
        "from cloudevents_wsgi.adapters.base import Converted\n"
        "from cloudevents_wsgi.dispatch import Refused\n"
        "[event] = cloudevents_wsgi.from_http(Message(headers={'ce-specversion': '1.0',\n"
        "    'ce-id': '1', 'ce-source': '/s', 'ce-type': 't'}))\n"
        "print(Message(path='/x').path, event.get_id(), Converted(event, None).record_id)"
    )
    assert _printed_by(python, code) == ["/x", "1", "None"]


class _CodeWithoutQualname:
    """A code object as Python 3.10's: no co_qualname, replace() refuses it."""

    def __init__(self, code: Any) -> None:
        self._code = code

    def replace(self, **changes: Any) -> Any:
        if "co_qualname" in changes:
            raise TypeError("'co_qualname' is an invalid keyword argument for replace()")
        return self._code.replace(**changes)


def test_new_is_built_from_code_without_co_qualname() -> None:
    from cloudevents_wsgi import message

    template = message._NEW[2]

    class Template:
        __code__ = _CodeWithoutQualname(template.__code__)
        __globals__ = template.__globals__

    built = message._build("Pair", ("left", "right"), (2,), __name__, Template)
    assert built(1) == (1, 2)
    assert built.__new__.__qualname__ == "Pair.__new__"
    with pytest.raises(TypeError, match=r"^Pair\.__new__\(\) got an unexpected keyword"):
        built(1, middle=3)


def _light_and_collections() -> list[tuple[type, type]]:
    class Pair(NamedTuple):
        left: int
        right: int = 0

    pairs: list[tuple[type, type]] = [
        (Pair, collections.namedtuple("Pair", ["left", "right"], defaults=[0]))
    ]
    for cls in (Message, Converted, Refused):
        defaults = [
            cls._field_defaults[name] for name in cls._fields if name in cls._field_defaults
        ]
        pairs.append((cls, collections.namedtuple(cls.__name__, cls._fields, defaults=defaults)))
    return pairs


METHODS = ("__new__", "_make", "_replace", "__repr__", "_asdict", "__getnewargs__")


@pytest.mark.parametrize("method", METHODS)
def test_methods_are_named_and_documented_as_namedtuples(method: str) -> None:
    for ours, theirs in _light_and_collections():
        mine = getattr(getattr(ours, method), "__func__", getattr(ours, method))
        other = getattr(getattr(theirs, method), "__func__", getattr(theirs, method))
        assert mine.__name__ == other.__name__
        assert mine.__qualname__ == other.__qualname__, ours
        assert mine.__doc__ == other.__doc__, ours


def test_method_errors_name_the_class_as_namedtuples() -> None:
    for ours, theirs in _light_and_collections():
        instance = ours._make(range(len(ours._fields)))
        other = theirs._make(range(len(theirs._fields)))
        with pytest.raises(TypeError) as mine:
            instance._replace(1)  # type: ignore[call-arg]
        with pytest.raises(TypeError) as expected:
            other._replace(1)
        assert str(mine.value) == str(expected.value)
        # ValueError up to Python 3.12, TypeError from 3.13: as this Python's.
        with pytest.raises(Exception) as mine:
            instance._replace(nope=1)
        with pytest.raises(Exception) as expected:
            other._replace(nope=1)
        assert type(mine.value) is type(expected.value)
        assert str(mine.value) == str(expected.value)


def test_the_light_classes_are_still_made_without_namedtuple() -> None:
    """The fix keeps the point of the round: no eval() for 2 to 4 fields."""
    from cloudevents_wsgi import message

    for cls in (Message, Converted, Refused):
        assert cls.__new__.__code__.co_filename == message.__file__


_SUBMODULE_ATTRIBUTES = """
import sys
import cloudevents_wsgi
import cloudevents_wsgi.aws_lambda
loaded_at_import = sorted(
    m for m in ("cloudevents_wsgi.receiver", "cloudevents_wsgi.detect",
                "cloudevents_wsgi.aws_lambda.errors") if m in sys.modules)
print(loaded_at_import)
print("receiver" in dir(cloudevents_wsgi), "detect" in dir(cloudevents_wsgi),
      "errors" in dir(cloudevents_wsgi.aws_lambda))
print(cloudevents_wsgi.receiver.from_http is cloudevents_wsgi.from_http)
print(cloudevents_wsgi.detect.find_adapter.__module__)
print(cloudevents_wsgi.aws_lambda.errors.BatchFailedError
      is cloudevents_wsgi.aws_lambda.BatchFailedError)
"""


def test_submodules_the_packages_imported_are_still_their_attributes() -> None:
    """Before this round ``import cloudevents_wsgi`` imported the receiver
    and detect, and ``cloudevents_wsgi.aws_lambda`` its errors: code reading
    them as attributes keeps working (imported on first access)."""
    out = subprocess.run(
        [sys.executable, "-c", _SUBMODULE_ATTRIBUTES],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "[]"  # still not imported with the packages
    assert lines[1:] == ["True True True", "True", "cloudevents_wsgi.detect", "True"]


def test_type_checkers_see_every_lazy_submodule(tmp_path: Path) -> None:
    """The PEP 562 __getattr__ is hidden from type checkers: each submodule it
    gives is typed (mypy took them as Any before; now they must be declared)."""
    from cloudevents_wsgi import aws_lambda

    names = sorted(aws_lambda._SUBMODULES)
    lines = ["import cloudevents_wsgi", "import cloudevents_wsgi.aws_lambda as al"]
    lines += [f"reveal_type(al.{name})" for name in names]
    lines += ["reveal_type(cloudevents_wsgi.receiver)", "reveal_type(cloudevents_wsgi.detect)"]
    out = mypy_strict(tmp_path, "\n".join(lines) + "\n")
    assert not [line for line in out if ": error:" in line], out
    revealed = [line for line in out if "Revealed type" in line]
    assert len(revealed) == len(names) + 2, out
    assert all('"types.ModuleType"' in line for line in revealed), out


def test_the_light_classes_have_every_member_of_namedtuples() -> None:
    """Whatever this Python's namedtuple() gives its classes (3.13's
    ``__replace__``, for ``copy.replace``), ours have, of the same kind."""
    for ours, theirs in _light_and_collections():
        members = vars(ours)
        missing = sorted(set(vars(theirs)) - set(members))
        assert not missing, (ours, missing)
        for name, value in vars(theirs).items():
            assert type(members[name]) is type(value), (ours, name)


@pytest.mark.skipif(sys.version_info < (3, 13), reason="copy.replace is Python 3.13's")
def test_copy_replace_works_on_the_light_classes() -> None:
    import copy

    assert copy.replace(Message(), path="/x") == Message(path="/x")  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="unexpected field names"):  # as namedtuple's, on 3.13
        copy.replace(Message(), nope=1)  # type: ignore[attr-defined]


def test_copy_replace_on_python_3_13() -> None:
    python = _python("3.13")
    if python is None:
        pytest.skip("no Python 3.13 interpreter on this machine")
    code = (
        "import copy\n"
        "from cloudevents_wsgi import Message\n"
        "from cloudevents_wsgi.adapters.base import Converted\n"
        "print(copy.replace(Message(), path='/x').path,\n"
        "      copy.replace(Converted(None, None), record_id='r').record_id)"
    )
    assert _printed_by(python, code) == ["/x", "r"]


def test_replace_refuses_unknown_fields_as_namedtuple_on_python_3_13() -> None:
    python = _python("3.13")
    if python is None:
        pytest.skip("no Python 3.13 interpreter on this machine")
    code = (
        "import collections\n"
        "from cloudevents_wsgi import Message\n"
        "twin = collections.namedtuple('Message', Message._fields)(*Message())\n"
        "for made in (Message(), twin):\n"
        "    try:\n"
        "        made._replace(nope=1)\n"
        "    except Exception as error:\n"
        "        print(type(error).__name__)"
    )
    assert _printed_by(python, code) == ["TypeError", "TypeError"]
