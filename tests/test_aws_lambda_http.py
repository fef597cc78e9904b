"""The Lambda shim with HTTP events (aws_lambda/http.py): every sample reaches the app
as the request it describes (golden environs in tests/data/lambda/http/), the
environ follows PEP 3333, and bodies and app answers go back as Lambda expects."""

from __future__ import annotations

import base64
import gzip
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudevents_wsgi.aws_lambda import (
    make_lambda_handler,
)
from cloudevents_wsgi.environ import LAMBDA_DELIVERY

from .builders import (
    http_api_event,
    rest_event,
    structured,
)
from .conftest import load_fixture, require_fixture
from .lambda_apps import (
    CONTEXT,
    Recorder,
    echo,
    http_params,
)

# What the echo app sees for each sample: the CGI keys whole, and the body; one
# file per sample, named as the sample is.
GOLDEN = Path(__file__).parent / "data" / "lambda" / "http"


def golden_params() -> list[Any]:
    return [
        pytest.param(path, id=f"{path.parent.name}/{path.stem}")
        for path in sorted(GOLDEN.glob("*/*.json"))
    ]


@pytest.mark.parametrize("golden", golden_params())
def test_http_sample_reaches_the_app_as_the_request_it_describes(golden: Path) -> None:
    folder = golden.parent.name
    event = load_fixture(require_fixture(f"aws/{folder}/{golden.name}"))
    response = make_lambda_handler(echo)(event, CONTEXT)

    body = json.dumps(json.loads(golden.read_text(encoding="utf-8")))
    expected: dict[str, Any] = {"statusCode": 200}
    if folder == "alb":
        expected["statusDescription"] = "200 OK"
    if folder in ("apigw-http-v2", "function-url"):
        expected["headers"] = {"Content-Type": "application/json"}
    elif folder == "apigw-rest-v1" or event.get("multiValueHeaders") is not None:
        expected["multiValueHeaders"] = {"Content-Type": ["application/json"]}
    else:
        expected["headers"] = {"Content-Type": "application/json"}
    expected["body"] = body
    expected["isBase64Encoded"] = False
    assert response == expected


@pytest.mark.parametrize("path", http_params())
def test_every_http_sample_has_its_golden_environ(path: Path) -> None:
    assert (GOLDEN / path.parent.name / f"{path.stem}.json").is_file()


@pytest.mark.parametrize("path", http_params())
def test_http_sample_environ_follows_pep_3333(path: Path) -> None:
    from wsgiref.validate import validator

    event = load_fixture(path)
    app = Recorder()
    # wsgiref's validator checks the environ and the calls (warnings are errors here).
    make_lambda_handler(validator(app))(event, CONTEXT)
    environ = app.environ
    assert "HTTP_CONTENT_TYPE" not in environ
    assert "HTTP_CONTENT_LENGTH" not in environ
    assert environ["CONTENT_LENGTH"] == str(len(environ["body"]))
    for key, value in environ.items():
        if key.isupper():
            assert isinstance(value, str), key
            value.encode("latin-1")  # "bytes as latin-1" strings
    assert environ["aws.event"] is event
    assert environ["aws.context"] is CONTEXT
    assert LAMBDA_DELIVERY not in environ


def test_content_type_and_length_are_cgi_keys() -> None:
    app = Recorder()
    event = http_api_event(
        method="POST",
        headers={"content-type": "application/json", "content-length": "999"},
        body='{"a": 1}',
    )
    make_lambda_handler(app)(event, CONTEXT)
    environ = app.environ
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "8"  # the body, not the header's claim
    assert "HTTP_CONTENT_TYPE" not in environ
    assert "HTTP_CONTENT_LENGTH" not in environ
    assert environ["body"] == b'{"a": 1}'
    assert isinstance(environ["wsgi.input"], io.BytesIO)
    assert environ["wsgi.errors"] is sys.stderr
    assert environ["wsgi.version"] == (1, 0)


def test_path_info_is_percent_decoded_utf8_as_latin1() -> None:
    app = Recorder()
    make_lambda_handler(app)(http_api_event(raw_path="/caf%C3%A9/a%20b"), CONTEXT)
    assert app.environ["PATH_INFO"] == "/café/a b".encode().decode("latin-1")


def test_path_info_from_a_raw_non_ascii_path() -> None:
    app = Recorder()
    make_lambda_handler(app)(http_api_event(raw_path="/café"), CONTEXT)
    assert app.environ["PATH_INFO"] == "/café".encode().decode("latin-1")


@pytest.mark.parametrize(
    ("headers", "scheme", "port", "name"),
    [
        pytest.param(
            {"host": "h.example", "x-forwarded-proto": "http", "x-forwarded-port": "8080"},
            "http",
            "8080",
            "h.example",
            id="forwarded",
        ),
        pytest.param({"host": "h.example:8443"}, "https", "443", "h.example", id="no-forwarded"),
        pytest.param(
            {"x-forwarded-proto": "gopher"},
            "https",
            "443",
            "abc123.execute-api.eu-west-1.amazonaws.com",
            id="bad-proto",
        ),
        pytest.param({"host": "[2001:db8::1]:8080"}, "https", "443", "[2001:db8::1]", id="ipv6"),
    ],
)
def test_scheme_server_name_and_port(
    headers: dict[str, str], scheme: str, port: str, name: str
) -> None:
    app = Recorder()
    make_lambda_handler(app)(http_api_event(headers=headers), CONTEXT)
    environ = app.environ
    assert (environ["wsgi.url_scheme"], environ["SERVER_PORT"], environ["SERVER_NAME"]) == (
        scheme,
        port,
        name,
    )


def test_header_with_underscore_is_dropped() -> None:
    app = Recorder()
    make_lambda_handler(app)(
        http_api_event(headers={"x_forwarded_for": "6.6.6.6", "x-real": "1"}), CONTEXT
    )
    assert "HTTP_X_FORWARDED_FOR" not in app.environ
    assert app.environ["HTTP_X_REAL"] == "1"


def test_repeated_content_type_keeps_the_last_and_other_headers_join() -> None:
    app = Recorder()
    headers = {"Content-Type": ["text/plain", "application/json"], "Accept": ["a/b", "c/d"]}
    make_lambda_handler(app)(rest_event(method="POST", headers=headers, body="{}"), CONTEXT)
    assert app.environ["CONTENT_TYPE"] == "application/json"
    assert app.environ["HTTP_ACCEPT"] == "a/b,c/d"


def test_header_names_seen_before_map_alike() -> None:
    # Header keys are cached by name; the second request must not differ.
    for _ in range(2):
        app = Recorder()
        make_lambda_handler(app)(
            http_api_event(headers={"x-real": "1", "x_real": "2", "content-length": "9"}), CONTEXT
        )
        assert app.environ["HTTP_X_REAL"] == "1"
        assert app.environ["CONTENT_LENGTH"] == "0"


def test_base64_body_is_decoded_to_its_bytes() -> None:
    app = Recorder()
    raw = bytes(range(256))
    event = http_api_event(method="PUT", body=base64.b64encode(raw).decode(), base64_encoded=True)
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["body"] == raw
    assert app.environ["CONTENT_LENGTH"] == "256"


@pytest.mark.parametrize(
    "relative",
    [
        "aws/alb/dotnet-multi-value-base64-flag.json",
        "aws/alb/dotnet-single-value-base64-flag.json",
        "aws/apigw-http-v2/dotnet-base64-flag.json",
        "aws/apigw-rest-v1/powertools-proxy-no-version-base64-flag.json",
    ],
)
def test_body_flagged_base64_that_is_not_is_passed_on_as_text(
    relative: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = load_fixture(require_fixture(relative))
    app = Recorder()
    response = make_lambda_handler(app)(event, CONTEXT)
    assert response["statusCode"] == 200
    assert app.environ["body"] == event["body"].encode()
    assert "not base64" in caplog.text


def test_invalid_base64_never_answers_500() -> None:
    app = Recorder()
    event = rest_event(method="POST", body="%%%é", base64_encoded=True)
    assert make_lambda_handler(app)(event, CONTEXT)["statusCode"] == 200
    assert app.environ["body"] == "%%%é".encode()


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("text/html; charset=utf-8", True),
        ("application/json", True),
        ("application/problem+json", True),
        ("application/vnd.api+json", True),
        ("application/xml", True),
        ("image/svg+xml", True),
        ("application/javascript", True),
        ("image/png", False),
        ("application/octet-stream", False),
        ("application/pdf", False),
        (None, False),
    ],
)
def test_body_is_base64_unless_a_text_type(content_type: str | None, text: bool) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    app = Recorder(headers=headers, body=b"<x/>")
    response = make_lambda_handler(app)(http_api_event(), CONTEXT)
    assert response["isBase64Encoded"] is not text
    assert response["body"] == ("<x/>" if text else base64.b64encode(b"<x/>").decode())


def test_content_encoding_makes_any_body_base64() -> None:
    compressed = gzip.compress(b"hello")
    app = Recorder(
        headers=[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], body=compressed
    )
    response = make_lambda_handler(app)(http_api_event(), CONTEXT)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == compressed


def test_text_that_is_not_utf8_goes_as_base64_and_keeps_its_bytes() -> None:
    body = "café".encode("latin-1")
    app = Recorder(headers=[("Content-Type", "text/plain; charset=latin-1")], body=body)
    response = make_lambda_handler(app)(http_api_event(), CONTEXT)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == body


def test_text_types_are_configurable() -> None:
    app = Recorder(headers=[("Content-Type", "application/x-ndjson")], body=b"{}\n")
    handler = make_lambda_handler(app, text_types=["application/x-ndjson"])
    assert handler(http_api_event(), CONTEXT)["body"] == "{}\n"
    app.headers = [("Content-Type", "text/plain")]
    assert handler(http_api_event(), CONTEXT)["isBase64Encoded"] is True


def test_empty_body_is_empty_text() -> None:
    app = Recorder(status="204 No Content", headers=[("Content-Type", "image/png")])
    response = make_lambda_handler(app)(http_api_event(), CONTEXT)
    assert (response["body"], response["isBase64Encoded"]) == ("", False)


def test_write_callable_and_iterable_both_count() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"one ")
        return [b"two"]

    assert make_lambda_handler(app)(http_api_event(), CONTEXT)["body"] == "one two"


class Closing:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


def test_close_is_called_on_the_apps_iterable() -> None:
    answer = Closing([b"a", b"b"])

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Closing:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return answer

    assert make_lambda_handler(app)(http_api_event(), CONTEXT)["body"] == "ab"
    assert answer.closed


def test_close_is_called_on_a_native_answer_too() -> None:
    answer = Closing([b""])

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Closing:
        start_response("204 No Content", [])
        return answer

    make_lambda_handler(app)(structured(), CONTEXT)
    assert answer.closed


def test_exc_info_before_the_body_replaces_the_answer() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("boom")
        except ValueError:
            start_response(
                "503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info()
            )
        return [b"sorry"]

    response = make_lambda_handler(app)(http_api_event(), CONTEXT)
    assert (response["statusCode"], response["body"]) == (503, "sorry")


def test_exc_info_after_the_body_reraises_and_answers_500(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"half"
        try:
            raise ValueError("boom")
        except ValueError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b"never"

    response = make_lambda_handler(app)(http_api_event(), CONTEXT)
    assert (response["statusCode"], response["body"]) == (500, "Internal Server Error")
    assert "ValueError: boom" in caplog.text


def test_second_start_response_without_exc_info_is_an_error() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [])
        start_response("201 Created", [])
        return []

    assert make_lambda_handler(app)(http_api_event(), CONTEXT)["statusCode"] == 500


def test_app_that_raises_on_http_answers_500_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise RuntimeError("database is down")

    assert make_lambda_handler(app)(rest_event(), CONTEXT) == {
        "statusCode": 500,
        "multiValueHeaders": {"Content-Type": ["text/plain; charset=utf-8"]},
        "body": "Internal Server Error",
        "isBase64Encoded": False,
    }
    assert "database is down" in caplog.text


def test_body_before_start_response_answers_500() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        yield b"early"
        start_response("200 OK", [])

    assert make_lambda_handler(app)(http_api_event(), CONTEXT)["statusCode"] == 500


def test_bad_status_line_answers_500() -> None:
    app = Recorder(status="OK")
    assert make_lambda_handler(app)(http_api_event(), CONTEXT)["statusCode"] == 500


def test_body_given_as_json_object_is_serialised() -> None:
    # Not what AWS sends, but what a hand-written test event may hold.
    app = Recorder()
    make_lambda_handler(app)(rest_event(method="POST", body={"a": 1}), CONTEXT)  # type: ignore[arg-type]
    assert app.environ["body"] == b'{"a": 1}'


def test_app_that_never_starts_the_response_answers_500() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        return []

    assert make_lambda_handler(app)(http_api_event(), CONTEXT)["statusCode"] == 500
