"""examples/native_events.py runs and shows what the README says."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_native_events_example_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "native_events.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert '{"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}' in out
    assert out.count("app got Microsoft.Storage.BlobCreated") == 1
    assert "sender got 403 Forbidden: code " in out
    assert (
        "app got google.cloud.pubsub.topic.v1.messagePublished from "
        "//pubsub.googleapis.com/projects/library/topics/books (adapter google.pubsub)" in out
    )
    assert "not an event: handled as a plain request" in out
    assert "app got com.github.push from https://github.com/o/books (adapter github.push)" in out
