"""HTTP API and function URL events (aws_lambda/http_apigw_v2.py, http_function_url.py)."""

from __future__ import annotations

import pytest

from cloudevents_wsgi.aws_lambda import (
    FUNCTION_URL,
    http_event_kind,
    make_lambda_handler,
)

from .builders import (
    http_api_event,
)
from .lambda_apps import (
    CONTEXT,
    Recorder,
)


def test_v2_raw_path_keeps_its_trailing_slash_and_query_is_verbatim() -> None:
    app = Recorder()
    event = http_api_event(raw_path="/books/", raw_query="q=a+b&r=%2B1&r=2&empty=")
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["PATH_INFO"] == "/books/"
    assert app.environ["QUERY_STRING"] == "q=a+b&r=%2B1&r=2&empty="


def test_v2_cookies_become_one_cookie_header() -> None:
    app = Recorder()
    make_lambda_handler(app)(http_api_event(cookies=["a=1", "b=2"]), CONTEXT)
    assert app.environ["HTTP_COOKIE"] == "a=1; b=2"


def test_v2_cookie_header_beside_the_cookies_list_is_not_doubled() -> None:
    app = Recorder()
    event = http_api_event(headers={"cookie": "a=1; b=2"}, cookies=["a=1", "b=2"])
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["HTTP_COOKIE"] == "a=1; b=2"


@pytest.mark.parametrize(
    ("stage", "raw_path", "domain", "mount"),
    [
        pytest.param("prod", "/prod/books", None, ("/prod", "/books"), id="named-stage"),
        pytest.param("prod", "/prod", None, ("/prod", "/"), id="named-stage-root"),
        pytest.param("$default", "/books", None, ("", "/books"), id="default-stage"),
        pytest.param("prod", "/production", None, ("", "/production"), id="prefix-not-segment"),
        pytest.param(
            "prod", "/prod/books", "api.example.org", ("", "/prod/books"), id="custom-domain"
        ),
    ],
)
def test_v2_named_stage_becomes_script_name(
    stage: str, raw_path: str, domain: str | None, mount: tuple[str, str]
) -> None:
    app = Recorder()
    event = http_api_event(stage=stage, raw_path=raw_path)
    if domain:
        event["requestContext"]["domainName"] = domain
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == mount


def test_function_url_never_has_a_stage() -> None:
    app = Recorder()
    event = http_api_event(
        raw_path="/prod/books", stage="prod", domain="abc.lambda-url.eu-west-1.on.aws"
    )
    assert http_event_kind(event) == FUNCTION_URL
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("", "/prod/books")


def test_v2_remote_addr_is_the_source_ip() -> None:
    app = Recorder()
    event = http_api_event(
        headers={"x-forwarded-for": "198.51.100.66, 203.0.113.9"}, source_ip="203.0.113.9"
    )
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["REMOTE_ADDR"] == "203.0.113.9"


def test_v2_response_puts_set_cookie_into_cookies() -> None:
    app = Recorder(
        headers=[
            ("Content-Type", "text/plain"),
            ("Set-Cookie", "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT"),
            ("Set-Cookie", "b=2"),
            ("Vary", "Accept"),
            ("vary", "Cookie"),
        ],
        body=b"ok",
    )
    assert make_lambda_handler(app)(http_api_event(), CONTEXT) == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain", "Vary": "Accept,Cookie"},
        "cookies": ["a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "b=2"],
        "body": "ok",
        "isBase64Encoded": False,
    }
