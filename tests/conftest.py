"""Shared test helpers: where the real sample events are, and how to read them."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Real sample events from public sources; present in CI, absent in a user's clone.
FIXTURES = ROOT.parent / "shared" / "fixtures"


def fixture_paths(kind: str, pattern: str = "*.json") -> list[Path]:
    """The sample files under ``shared/fixtures/<kind>``, or [] when absent."""
    folder = FIXTURES / kind
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def fixture_params(kind: str, pattern: str = "*.json") -> list[Any]:
    """``pytest.param``s of fixture paths with readable ids; a skipping
    placeholder when ``../shared`` is not there."""
    paths = fixture_paths(kind, pattern)
    if not paths:
        return [
            pytest.param(
                None,
                id="no-fixtures",
                marks=pytest.mark.skip(reason=f"../shared/fixtures/{kind} is not present"),
            )
        ]
    return [pytest.param(p, id=p.stem) for p in paths]


def load_fixture(path: Path) -> Any:
    """A fixture's JSON (some start with a UTF-8 BOM)."""
    return json.loads(path.read_bytes().decode("utf-8-sig"))


def require_fixture(relative: str) -> Path:
    """One fixture file by its path under shared/fixtures; skip when absent."""
    path = FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"../shared/fixtures/{relative} is not present")
    return path


def utc(*args: int) -> datetime:
    """A UTC datetime: ``utc(2024, 5, 1, 10)``."""
    return datetime(*args, tzinfo=timezone.utc)


def summary(converted: Any) -> tuple[Any, ...]:
    """What the golden tables of the adapters pin, for one converted event."""
    event = converted.event
    return (
        event.get_type(),
        event.get_source(),
        event.get_id(),
        event.get_subject(),
        event.get_time(),
        event.get_datacontenttype(),
        converted.record_id,
    )


def plugin_path(folder: Path) -> str:
    """A PYTHONPATH under which pytest finds this checkout's package and its
    ``pytest11`` entry point as ``pip install .`` would declare it: a
    ``.dist-info`` in ``folder`` whose entry points are setup.cfg's."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    points = config["options.entry_points"]
    info = folder / "cloudevents_wsgi-0.1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cloudevents-wsgi\nVersion: 0.1.0\n"
    )
    sections = []
    for group, lines in points.items():
        entries = [line.strip() for line in lines.strip().splitlines()]
        sections.append(f"[{group}]\n" + "\n".join(entries) + "\n")
    (info / "entry_points.txt").write_text("\n".join(sections))
    return os.pathsep.join([str(ROOT), str(folder)])


def mypy_strict(folder: Path, source: str) -> list[str]:
    """What ``mypy --strict`` prints of ``source`` (a user's module, written
    to ``folder/user.py``), this checkout's package importable: its lines."""
    import subprocess
    import sys

    (folder / "user.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MYPYPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "user.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out.stdout.splitlines()
