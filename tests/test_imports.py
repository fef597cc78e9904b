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
