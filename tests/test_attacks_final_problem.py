"""Final attack on problem+json size with the JSON path in use (msgspec when
installed; run with CLOUDEVENTS_WSGI_JSON=stdlib for the other): a 3 MB bad
attribute name, timestamp, media type, extension or unclosed body gets a
400 whose answer stays under 2 KB."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware

BIG = "A" * 3_000_000
REQUIRED = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}
STRUCTURED = "application/cloudevents+json"


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [b"reached"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param(STRUCTURED, json.dumps({**REQUIRED, BIG: "v"}), id="attribute-name"),
        pytest.param(STRUCTURED, json.dumps({**REQUIRED, "time": BIG}), id="time"),
        pytest.param(
            STRUCTURED,
            json.dumps({**REQUIRED, "datacontenttype": 'text/plain; a="' + BIG}),
            id="media-type-parameter",
        ),
        pytest.param(
            "application/cloudevents-batch+json",
            json.dumps([{**REQUIRED, "ext": {"x": BIG}}]),
            id="batch-extension-object",
        ),
        pytest.param(STRUCTURED, '{"id":"' + BIG + "\\u0000\x01", id="unclosed-with-control"),
    ],
)
def test_problem_json_for_a_huge_bad_field_stays_small(content_type: str, body: str) -> None:
    data = body.encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
    }
    statuses: list[str] = []
    answer = b"".join(
        CloudEventsMiddleware(app, max_body_size=len(data) + 1)(
            environ, lambda status, headers, exc_info=None: statuses.append(status)
        )
    )
    assert statuses == ["400 Bad Request"]
    assert len(answer) < 2_000
    assert json.loads(answer)["status"] == 400
