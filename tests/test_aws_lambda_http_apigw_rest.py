"""API Gateway REST API events (aws_lambda/http_apigw_rest.py)."""

from __future__ import annotations

from cloudevents_wsgi.aws_lambda import (
    make_lambda_handler,
)

from .builders import (
    rest_event,
)
from .lambda_apps import (
    CONTEXT,
    Recorder,
)


def test_rest_stage_in_the_client_url_becomes_script_name() -> None:
    app = Recorder()
    make_lambda_handler(app)(rest_event(path="/books/1", context_path="/prod/books/1"), CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/prod", "/books/1")


def test_rest_root_with_stage() -> None:
    app = Recorder()
    make_lambda_handler(app)(rest_event(path="/", context_path="/prod/"), CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/prod", "/")


def test_rest_route_that_starts_like_the_stage_keeps_it() -> None:
    # Stage "api", resource /api/items: the client asked for /api/api/items.
    app = Recorder()
    event = rest_event(path="/api/items", context_path="/api/api/items", stage="api")
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/api", "/api/items")


def test_rest_custom_domain_has_no_stage_in_the_url() -> None:
    app = Recorder()
    event = rest_event(path="/v1/books", context_path="/v1/books", domain="api.example.org")
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("", "/v1/books")


def test_rest_path_without_leading_slash() -> None:
    app = Recorder()
    make_lambda_handler(app)(rest_event(path="a/b", context_path="/prod/a/b"), CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/prod", "/a/b")


def test_rest_multi_value_query_is_encoded_back() -> None:
    app = Recorder()
    event = rest_event(query={"q": ["a b", "c&d=e"], "x": ["é"]})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["QUERY_STRING"] == "q=a%20b&q=c%26d%3De&x=%C3%A9"


def test_rest_multi_value_headers_are_joined() -> None:
    app = Recorder()
    event = rest_event(headers={"Accept": ["text/html", "application/json"], "Host": ["h"]})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["HTTP_ACCEPT"] == "text/html,application/json"


def test_rest_remote_addr_is_the_source_ip_never_the_forwarded_for() -> None:
    app = Recorder()
    event = rest_event(headers={"X-Forwarded-For": ["198.51.100.66, 203.0.113.9"]})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["REMOTE_ADDR"] == "203.0.113.9"
    assert app.environ["HTTP_X_FORWARDED_FOR"] == "198.51.100.66, 203.0.113.9"


def test_rest_without_source_ip_has_no_remote_addr() -> None:
    app = Recorder()
    make_lambda_handler(app)(rest_event(source_ip=None), CONTEXT)
    assert "REMOTE_ADDR" not in app.environ


def test_rest_response_uses_multi_value_headers() -> None:
    app = Recorder(
        headers=[("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")],
        body=b"hi",
    )
    assert make_lambda_handler(app)(rest_event(), CONTEXT) == {
        "statusCode": 200,
        "multiValueHeaders": {"Content-Type": ["text/plain"], "Set-Cookie": ["a=1", "b=2"]},
        "body": "hi",
        "isBase64Encoded": False,
    }


def test_http_api_payload_1_puts_a_named_stage_in_the_path() -> None:
    app = Recorder()
    event = rest_event(path="/dev/books", stage="dev")
    event["version"] = "1.0"
    make_lambda_handler(app)(event, CONTEXT)
    assert (app.environ["SCRIPT_NAME"], app.environ["PATH_INFO"]) == ("/dev", "/books")
