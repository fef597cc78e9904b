"""Run by tests/test_json_accelerator.py in a fresh interpreter, once with
msgspec in use and once without (CLOUDEVENTS_WSGI_JSON=stdlib): prints, as
JSON, the verdict of the receiver and of the middleware on every body of the
corpus, for the test to compare."""

from __future__ import annotations

import io
import json
import random
import sys
from typing import Any

from cloudevents_wsgi import CloudEventsMiddleware, InvalidEventError, Message, from_http

# Bodies that the two JSON paths could disagree on, each in every content mode.
TRICKY: list[bytes] = [
    b"18446744073709551616",
    b"-9223372036854775809",
    b"123456789012345678901234567890",
    b"1e999",
    b"-1E400",
    b"1.5e-400",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b'"\\ud800"',
    b'"\\udfff x"',
    b'"\\ud83d\\ude00"',
    b'"\xed\xa0\x80"',
    b"\xef\xbb\xbf{}",
    b"\xef\xbb\xbf[1]",
    b'{"a":1,"b":2,"a":3}',
    b'{"a":{"x":1},"a":[2]}',
    b'"\x01"',
    b'"\x7f"',
    b"\x0c1",
    b" [1, 2.0, -0, -0.0, 0.1, 1e2, 1E-2] ",
    b"[1,]",
    b"[" * 200 + b"]" * 200,
    b"[" * 5000 + b"]" * 5000,
    b"0.30000000000000004",
    b"2.2250738585072014e-308",
    b"4.9e-324",
    b"1.7976931348623157e308",
    b"17976931348623157e292",
    b'{"k":"\\u0000"}',
    b"",
    b"   ",
]
ATTRIBUTES = b'"specversion":"1.0","id":"1","source":"/s","type":"t"'


def bodies(count: int) -> list[tuple[dict[str, str], bytes]]:
    """(headers, body) of every case: the tricky values as binary data, as
    structured data, in a batch; then ``count`` fuzz-generated messages."""
    cases: list[tuple[dict[str, str], bytes]] = []
    binary = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
    for value in TRICKY:
        cases.append(({**binary, "content-type": "application/json"}, value))
        cases.append(
            (
                {"content-type": "application/cloudevents+json"},
                b"{" + ATTRIBUTES + b',"data":' + value + b"}",
            )
        )
        cases.append(
            (
                {"content-type": "application/cloudevents-batch+json"},
                b"[{" + ATTRIBUTES + b',"data":' + value + b"}]",
            )
        )
        cases.append(({"content-type": "application/cloudevents+json"}, value))
    from fuzz.common import Input
    from fuzz.fuzz_receiver import message

    rng = random.Random(13)
    for _ in range(count):
        generated = message(Input(rng.randbytes(512)))
        cases.append((dict(generated.headers), generated.body))
    return cases


def describe(value: Any) -> Any:
    """A JSON-able picture of a value, types and all (1 and 1.0 differ)."""
    if isinstance(value, dict):
        return ["dict", [[k, describe(v)] for k, v in value.items()]]
    if isinstance(value, list):
        return ["list", [describe(v) for v in value]]
    if isinstance(value, (bytes, bytearray)):
        return ["bytes", value.hex()]
    return [type(value).__name__, repr(value)]


def receiver_verdict(headers: dict[str, str], body: bytes) -> Any:
    try:
        events = from_http(Message("POST", "/", headers, body))
    except InvalidEventError as error:
        return ["refused", type(error).__name__, error.field, error.reason]
    if events is None:
        return ["none"]
    return [["event", describe(e.get_attributes()), describe(e.get_data())] for e in events]


def middleware_verdict(headers: dict[str, str], body: bytes, mode: str) -> Any:
    seen: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        read = environ["wsgi.input"].read()
        event_headers = {
            "ce-" + key[8:].lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_CE_")
        }
        if environ.get("CONTENT_TYPE"):
            event_headers["content-type"] = environ["CONTENT_TYPE"]
        # What a second reader makes of the environ the app got.
        again = receiver_verdict(event_headers, read)
        seen.append([environ.get("CONTENT_TYPE"), again])
        start_response("200 OK", [])
        return [b""]

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else "HTTP_" + key] = value
    status: list[str] = []
    b"".join(CloudEventsMiddleware(app, mode=mode)(environ, lambda s, h, e=None: status.append(s)))
    return [status[0][:3], seen]


def main() -> None:
    count = int(sys.argv[1])
    out = []
    for headers, body in bodies(count):
        out.append(
            [
                receiver_verdict(headers, body),
                middleware_verdict(headers, body, "binary"),
                middleware_verdict(headers, body, "structured"),
            ]
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
