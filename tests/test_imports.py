"""The import path stays lean: Lambda cold starts pay for every import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

HEAVY = ("werkzeug", "webob", "dateutil")


def _python(code: str, **run: Any) -> str:
    """What a fresh interpreter running ``code`` prints."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, **run
    )
    return out.stdout


@pytest.mark.parametrize("module", ["cloudevents_wsgi", "cloudevents_wsgi.middleware"])
def test_import_loads_no_werkzeug_webob_or_dateutil(module: str) -> None:
    code = (
        f"import sys, {module}; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    assert _python(code).strip() == "[]"


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
    assert _python(code).split() == ["False", "True"]


def test_the_lambda_import_path_leaves_base64_and_the_spec_patterns_for_later() -> None:
    """base64 (with struct and binascii: 0.7 ms of a cold start) is imported by
    the code that writes or reads ``data_base64``, diagnostics by the first
    refusal or failure; spec.py compiles no regular
    expression at import (its checks are string methods or compiled on first use),
    nor does the WSGI runner (its status line check is string methods too)."""
    code = (
        "import re, sys\n"
        "compiled, compile = [], re.compile\n"
        "def counting(pattern, flags=0):\n"
        "    compiled.append(sys._getframe(1).f_globals.get('__name__', ''))\n"
        "    return compile(pattern, flags)\n"
        "re.compile = counting\n"
        "import cloudevents_wsgi.aws_lambda\n"
        "print(sorted(m for m in ('base64', 'binascii', 'cloudevents_wsgi.diagnostics')"
        " if m in sys.modules))\n"
        "print(sorted(n for n in compiled if n.startswith('cloudevents_wsgi')))"
    )
    assert _python(code).splitlines() == ["[]", "[]"]


def test_the_first_s3_and_http_api_events_import_no_base64() -> None:
    """A text body in and out of an HTTP API request, and an S3 event, need no
    base64: the Lambda shim's HTTP module imports it where a body is base64."""
    code = (
        "import json, sys\n"
        "from cloudevents_wsgi.aws_lambda import make_lambda_handler\n"
        "s3, v2 = json.loads(sys.stdin.read())\n"
        "def app(environ, start_response):\n"
        "    environ['wsgi.input'].read()\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n"
        "handler = make_lambda_handler(app)\n"
        "handler(s3, None)\n"
        "answer = handler(v2, None)\n"
        "print(answer['body'], answer['isBase64Encoded'])\n"
        "print(sorted(m for m in ('base64', 'binascii') if m in sys.modules))\n"
    )
    from cloudevents_wsgi.cli import load_sample  # here: the CLI imports base64

    events = json.dumps([load_sample("s3-object-created"), load_sample("apigw-v2-get-books")])
    env = {**os.environ, "CLOUDEVENTS_WSGI_JSON": "stdlib"}
    assert _python(code, input=events, env=env).splitlines() == ["ok False", "[]"]
