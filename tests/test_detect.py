"""detect: the per-adapter predicate table never hides an adapter that
matches (every sample, and generated shapes), and the first event of a kind
imports only the adapter modules it needs."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_wsgi import Message
from cloudevents_wsgi.detect import BUILTIN_MODULES, MIGHT_MATCH, candidates, find_adapter

from .conftest import ROOT
from .test_adapters_exclusive import JSON, SHAPED, payloads, sample_paths

ADAPTERS = {
    name: importlib.import_module(f"cloudevents_wsgi.adapters.{name}").ADAPTER
    for name in BUILTIN_MODULES
}
NO_HEADERS = Message()


def test_every_builtin_module_has_a_predicate() -> None:
    assert set(MIGHT_MATCH) == set(BUILTIN_MODULES)


def _check_never_hidden(payload: Any) -> None:
    for name, adapter in ADAPTERS.items():
        if adapter.matches(payload, NO_HEADERS):
            assert MIGHT_MATCH[name](payload), name
    found = find_adapter(payload, NO_HEADERS)
    matching = [a for a in ADAPTERS.values() if a.matches(payload, NO_HEADERS)]
    assert found is (matching[0] if matching else None)


@pytest.mark.parametrize("path", sample_paths())
def test_the_predicate_of_each_sample_s_adapter_holds(path: Path) -> None:
    for payload in payloads(path):
        _check_never_hidden(payload)
        records = payload.get("Records") if isinstance(payload, dict) else None
        for record in records if isinstance(records, list) else []:
            _check_never_hidden(record)


@given(st.one_of(JSON, SHAPED))
def test_the_predicate_table_never_hides_a_matching_adapter(payload: Any) -> None:
    _check_never_hidden(payload)


def test_an_s3_event_is_a_candidate_for_the_s3_adapter_only() -> None:
    sample = ROOT / "cloudevents_wsgi" / "samples" / "s3-object-created.json"
    assert candidates(json.loads(sample.read_text())) == ["aws_s3"]


def _adapters_imported_by(code: str) -> list[str]:
    probe = (
        "import sys\n"
        + code
        + "\nprint(sorted(m for m in sys.modules if m.startswith('cloudevents_wsgi.adapters.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = eval(out.stdout.strip().splitlines()[-1])  # a printed list of str
    return [m.rsplit(".", 1)[1] for m in loaded if m.rsplit(".", 1)[1] in BUILTIN_MODULES]


def test_the_first_s3_event_imports_only_aws_s3() -> None:
    code = (
        "from cloudevents_wsgi.aws_lambda import make_lambda_handler\n"
        "from cloudevents_wsgi.cli import load_sample\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'']\n"
        "make_lambda_handler(app)(load_sample('s3-object-created'), None)"
    )
    assert _adapters_imported_by(code) == ["aws_s3"]


def test_a_cloudevent_imports_no_adapter() -> None:
    code = (
        "import io\n"
        "from cloudevents_wsgi import CloudEventsMiddleware\n"
        'body = b\'{"specversion":"1.0","id":"1","source":"/s","type":"t"}\'\n'
        "env = {'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/cloudevents+json',\n"
        "       'CONTENT_LENGTH': str(len(body)), 'wsgi.input': io.BytesIO(body)}\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'']\n"
        "CloudEventsMiddleware(app)(env, lambda *a: None)"
    )
    assert _adapters_imported_by(code) == []
