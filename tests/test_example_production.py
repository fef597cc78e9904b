"""examples/production.py runs as the README says, and shows what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_production_example_runs() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "examples/production.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "  first delivery: 201 Created (replayed: false)" in lines
    assert "  redelivery: 201 Created (replayed: true)" in lines
    assert "  the app ran 1 time(s)" in lines
    assert "  trace 4bf92f3577b34da6a3ce929d0e0e4736 (the sender's)" in lines
    assert lines[-1] == (
        '  200 OK: {"statuses": [{"entryId": "e-1", "status": "SUCCESS"}, '
        '{"entryId": "e-2", "status": "DROP"}]}'
    )
    assert "time: is not an RFC 3339 timestamp" in out.stderr
    assert "yesterday" not in out.stderr
