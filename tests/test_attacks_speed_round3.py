"""Attacks on the speed changes of issue 13 (round 3): the remembered WSGI
status lines, the Lambda handler's one-test skip to native, request_headers'
skip of an environ without headers, and the string-method checks that
replaced expressions. Each test was written failing first where it found a
fault; the others pin what held."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cloudevents_wsgi import CloudEvent, _wsgi, spec
from cloudevents_wsgi._wsgi import run
from cloudevents_wsgi.aws_lambda import make_lambda_handler
from cloudevents_wsgi.errors import InvalidEventError
from cloudevents_wsgi.testing import sample

from .builders import alb_event

_STATUS_LINE = re.compile(r"[1-5][0-9][0-9](?: [^\x00-\x08\x0a-\x1f\x7f]*)?\Z")


class _LyingStatus(str):
    """A str whose slices [:3] and [3:] (the ones the check reads) say "200 OK",
    while its characters, which a JSON encoder or a server writes, say more."""

    def __getitem__(self, key: Any) -> str:
        if key in (slice(None, 3), slice(3, None)):
            return str.__getitem__("200 OK", key)
        return str.__getitem__(self, key)


_INJECTED = "200 OK\r\nSet-Cookie: session=stolen"


def _answering(status: Any) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


def test_a_str_subclass_status_is_checked_on_its_own_characters() -> None:
    status = _LyingStatus(_INJECTED)
    assert not _STATUS_LINE.match(status)  # what the expression said
    with pytest.raises(ValueError, match="not a WSGI status line"):
        run(_answering(status), {})


def test_a_str_subclass_status_is_kept_as_a_plain_str() -> None:
    class Status(str):
        def __str__(self) -> str:
            return "200 OK\r\nX: y"

    response = run(_answering(Status("201 Created")), {})
    assert type(response.status) is str
    assert (response.status, response.code) == ("201 Created", 201)


def test_a_lying_status_never_reaches_an_alb_status_description() -> None:
    answer = make_lambda_handler(_answering(_LyingStatus(_INJECTED)))(alb_event(), None)
    assert answer["statusCode"] == 500
    assert "\r" not in answer["statusDescription"]
    assert "\n" not in answer["statusDescription"]


# The string-method checks of spec.py read a str through its methods (encode,
# isascii, slices, upper, strip...), where the expressions they replaced read
# its characters: a subclass must be read as the plain str of its characters.
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)


class _LyingText(str):
    """Says it is the usual spelling of a leap second, whatever it holds."""

    def isascii(self) -> bool:
        return True

    def encode(self, *args: Any, **kwargs: Any) -> bytes:
        return b"2024-12-31T23:59:60Z"

    def __getitem__(self, key: Any) -> str:
        return "60" if key == slice(17, 19) else str.__getitem__(self, key)

    def upper(self) -> str:
        return _LyingText("not a time\r\nce-id: forged")


def test_timestamp_text_reads_a_str_subclass_by_its_characters() -> None:
    lying = _LyingText("2024-12-31t23:59:60z")  # valid RFC 3339, not the usual spelling
    text = spec.timestamp_text(lying)
    assert text is None or (type(text) is str and _TIMESTAMP.fullmatch(text)), text
    event = CloudEvent({"id": "1", "source": "/s", "type": "t", "time": lying})
    time = event.time_text()
    assert time is not None and _TIMESTAMP.fullmatch(time), time


class _LyingMediaType(str):
    def strip(self, chars: Any = None) -> str:
        return _LyingMediaType(str.strip(self, chars))

    def partition(self, sep: str) -> tuple[str, str, str]:
        return ("application", "/", "json")

    def __getitem__(self, key: Any) -> str:
        return "application/json" if isinstance(key, slice) else str.__getitem__(self, key)

    def __len__(self) -> int:
        return len("application/json")


def test_a_media_type_str_subclass_is_parsed_by_its_characters() -> None:
    with pytest.raises(InvalidEventError, match="not a media type"):
        spec.parse_media_type("datacontenttype", _LyingMediaType("no media type"))
    parsed = spec.parse_media_type("datacontenttype", _LyingMediaType("Text/Plain; a=b"))
    assert parsed == ("text/plain", {"a": "b"})


# request_headers (and the HTTP_CE_* readers) remember keys, and skip an
# environ whose keys are all remembered as no header: a key remembered wrongly
# hides that header from every later request.
class _LyingKey(str):
    """An environ key whose slices say it is no header."""

    def __getitem__(self, key: Any) -> str:
        return "" if isinstance(key, slice) else str.__getitem__(self, key)


@pytest.mark.parametrize("name", ["HTTP_X_AMZ_SNS_MESSAGE_TYPE_ATK3", "HTTP_CE_ATKTHREE"])
def test_a_str_subclass_key_is_never_remembered_for_the_plain_key(name: str) -> None:
    from cloudevents_wsgi import environ as keys

    keys.request_headers({_LyingKey(name): "x"})
    keys.ce_headers({_LyingKey(name): "x"})
    plain = {name: "Notification", "REQUEST_METHOD": "POST"}
    header = name[5:].lower().replace("_", "-")
    assert keys.request_headers(plain).get(header) == "Notification"
    if name.startswith("HTTP_CE_"):
        assert keys.ce_headers(plain) == [(name[8:].lower(), "Notification")]


def test_request_headers_after_the_skip() -> None:
    from cloudevents_wsgi import environ as keys

    environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "", "wsgi.input": b""}
    assert keys.request_headers(environ) == {}
    assert keys.request_headers(environ) == {}  # every key remembered: the loop skipped
    environ["HTTP_X_LATER"] = "1"
    environ["CONTENT_TYPE"] = "text/plain"
    environ["HTTP_CONTENT_TYPE"] = "application/json"
    assert list(keys.request_headers(environ).items()) == [
        ("x-later", "1"),
        ("content-type", "text/plain"),
    ]


def test_threads_running_apps_at_once_get_their_own_codes() -> None:
    import threading

    errors: list[BaseException] = []
    statuses = [f"{200 + i % 300} phrase {i}" for i in range(2 * _wsgi._SEEN_MAX)]

    def work(offset: int) -> None:
        try:
            for round_ in range(20):
                for status in statuses[offset::4]:
                    assert run(_answering(status), {}).code == int(status[:3])
                bad = f"200 phrase {round_}\r\nX: y"
                with pytest.raises(ValueError):
                    run(_answering(bad), {})
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # Bounded: a race between the size test and the insert adds at most one
    # line per thread.
    assert len(_wsgi._SEEN_STATUS_LINES) <= _wsgi._SEEN_MAX + len(threads)
    assert all(
        _STATUS_LINE.match(line) and code == int(line[:3])
        for line, code in _wsgi._SEEN_STATUS_LINES.items()
    )


def test_base64_in_and_out_in_a_process_that_never_imported_it() -> None:
    import subprocess
    import sys

    code = """
import sys, json
from cloudevents_wsgi.aws_lambda import make_lambda_handler
assert "base64" not in sys.modules and "binascii" not in sys.modules
seen = []
def app(environ, start_response):
    seen.append((environ.get("cloudevent"), environ["wsgi.input"].read()))
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"\\xff\\x00\\xfe"]
handler = make_lambda_handler(app)
event = json.loads(sys.argv[1])
event["requestContext"]["http"]["method"] = "POST"
event["headers"] = {"content-type": "application/cloudevents+json"}
event["body"] = ("eyJzcGVjdmVyc2lvbiI6IjEuMCIsImlkIjoiMSIsInNvdXJjZSI6Ii9zIiwidHlwZSI6InQi"
                 "LCJkYXRhX2Jhc2U2NCI6Ii93RCsifQ==")
event["isBase64Encoded"] = True
answer = handler(event, None)
ce, body = seen[-1]
assert ce is not None and ce.get_data() == b"\\xff\\x00\\xfe", ce
assert answer["isBase64Encoded"] is True and answer["body"] == "/wD+", answer
from cloudevents_wsgi.environ import event_to_json
assert event_to_json(ce)["data_base64"] == "/wD+"
event["body"] = "not base64!"
assert handler(event, None)["statusCode"] == 400
print("ok")
"""
    event = json.dumps(sample("apigw-v2-get-books"))
    out = subprocess.run(
        [sys.executable, "-c", code, event], capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == "ok", out.stderr
