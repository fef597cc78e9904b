"""Smoke run of benchmarks/load_books.py: both variants of the books example
under gunicorn, a few seconds of wrk each (skipped without wrk)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("django")
pytest.importorskip("gunicorn")
pytest.importorskip("cloudevents.core.bindings.http")

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_load_books_smoke() -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "load_books.py"),
            "--seconds=2",
            "--segments=2",
            "--warmup=1",
            "--connections=4",
            "--mix=full",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    for variant in ("middleware", "plain"):
        figures = report[variant]
        assert figures["requests"] > 0
        assert figures["s2xx"] > 0 and figures["s4xx"] > 0
        assert figures["s5xx"] == 0
        assert figures["server_still_answers"] and figures["same_workers"]
    assert report["middleware"]["errors"] == 0
    assert report["ratio"] > 0
