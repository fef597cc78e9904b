"""The import path stays lean: Lambda cold starts pay for every import."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("werkzeug", "webob", "dateutil")


@pytest.mark.parametrize("module", ["cloudevents_wsgi", "cloudevents_wsgi.middleware"])
def test_import_loads_no_werkzeug_webob_or_dateutil(module: str) -> None:
    code = (
        f"import sys, {module}; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_lambda_import_path_uses_the_c_datetime_classes_without_datetime_py() -> None:
    """On CPython, ``import datetime`` first builds the pure-Python classes;
    the package takes the same classes from ``_datetime``."""
    code = (
        "import sys, cloudevents_wsgi.aws_lambda\n"
        "print('datetime' in sys.modules)\n"
        "import datetime\n"
        "from cloudevents_wsgi import spec, event, writer, receiver\n"
        "print(spec.datetime is event.datetime is writer.datetime is receiver.datetime"
        " is datetime.datetime and spec.timezone is datetime.timezone"
        " and spec.timedelta is datetime.timedelta)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
