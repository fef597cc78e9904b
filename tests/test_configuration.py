"""Every option of CloudEventsMiddleware and make_lambda_handler is checked when
it is given: a ConfigurationError names the option and what it accepts."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware, ConfigurationError
from cloudevents_wsgi.aws_lambda import make_lambda_handler


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return []


# option, a bad value, and what the message must say (a regular expression).
MIDDLEWARE_CASES = [
    ("mode", "xml", r"^mode must be one of \('binary', 'structured'\), not 'xml'$"),
    ("max_body_size", 0, r"^max_body_size must be a positive integer, not 0$"),
    ("max_batch_size", -1, r"^max_batch_size must be a positive integer"),
    ("max_json_depth", 1.5, r"^max_json_depth must be a positive integer"),
    ("max_attributes", True, r"^max_attributes must be a positive integer"),
    ("max_header_size", "8k", r"^max_header_size must be a positive integer"),
    ("max_headers", 0, r"^max_headers must be a positive integer"),
    ("methods", "POST", r"^methods must be a collection of strings"),
    ("webhook_origins", "https://a.example", r"^webhook_origins must be None .* \('\*' for any\)"),
    ("webhook_rate", 0, r"^webhook_rate must be a positive integer or None"),
    ("adapters", [object()], r"^adapters must be a sequence of objects with name, matches\(\)"),
    (
        "native_over_http",
        {"gcp.pubsub"},
        r"^native_over_http names no adapter 'gcp.pubsub': give True, False or adapter names "
        r"among aws.dynamodb, .*azure.eventgrid, google.legacy, google.pubsub$",
    ),
    ("native_over_http", "aws.s3", r"^native_over_http must be True, False or a collection"),
    ("unwrap", "false", r"^unwrap must be True or False, not 'false'$"),
    (
        "routes",
        {"t": "noslash"},
        r"^routes\['t'\] must be an ASCII path starting with '/', not 'noslash'$",
    ),
    ("routes", {"": "/a"}, r"^routes: a pattern must be a non-empty string"),
    ("routes", [("t", "/a")], r"^routes must map CloudEvent type glob patterns to paths"),
    ("routes", {"t": "/a?b=1"}, r"^routes\['t'\] must be a path without query or fragment"),
    ("sns_certificate_fetcher", "https://x", r"^sns_certificate_fetcher must be callable"),
    ("sns_confirm_subscriptions", 1, r"^sns_confirm_subscriptions must be True or False"),
    ("sns_topics", "arn:aws:sns:*", r"^sns_topics must be None or a collection of TopicArn"),
    ("sns_max_age", 0, r"^sns_max_age must be a positive number of seconds or None"),
    ("eventgrid_secret", "short", r"^eventgrid_secret must be None or a string of at least 16"),
    ("eventgrid_secret_parameter", "", r"^eventgrid_secret_parameter must be a query parameter"),
    ("dapr", "yes", r"^dapr must be True or False, not 'yes'$"),
    ("idempotency", {}, r"^idempotency must be None or a store with claim\(\), complete\(\)"),
    ("tracing", "otel", r"^tracing must be True, False or an OpenTelemetry TracerProvider"),
]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [pytest.param(*case, id=f"{case[0]}={case[1]!r}") for case in MIDDLEWARE_CASES],
)
def test_a_bad_middleware_option_is_named_with_what_it_accepts(
    option: str, value: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        CloudEventsMiddleware(app, **{option: value})


def test_every_middleware_option_has_a_case() -> None:
    options = set(inspect.signature(CloudEventsMiddleware).parameters) - {"app"}
    assert options == {case[0] for case in MIDDLEWARE_CASES}


def test_a_users_adapter_name_is_a_known_name() -> None:
    class Mine:
        name = "mine.hooks"

        def matches(self, payload: Any, message: Any) -> bool:
            return False

        def convert(self, payload: Any, message: Any) -> list[Any]:
            return []

    CloudEventsMiddleware(app, adapters=[Mine()], native_over_http={"mine.hooks", "aws.s3"})
    with pytest.raises(ConfigurationError, match=r"'mine\.hook': .* google\.pubsub, mine\.hooks$"):
        CloudEventsMiddleware(app, adapters=[Mine()], native_over_http={"mine.hook"})


def test_a_callable_app_is_required() -> None:
    with pytest.raises(ConfigurationError, match=r"^app must be a WSGI callable"):
        CloudEventsMiddleware("mysite.wsgi:application")  # type: ignore[arg-type]


LAMBDA_CASES = [
    ("event_path", "events", r"^event_path must be an ASCII path starting with '/'"),
    ("routes", {"t": "noslash"}, r"^routes\['t'\] must be an ASCII path starting with '/'"),
    ("text_types", "text/*", r"^text_types must be a collection of strings"),
    ("server_name", "", r"^server_name must be a non-empty string"),
    (
        "report_batch_item_failures",
        "no",
        r"^report_batch_item_failures must be True or False, not 'no'$",
    ),
    ("deadline_margin_ms", -1, r"^deadline_margin_ms must be a number of milliseconds >= 0"),
    ("websocket_path", "ws", r"^websocket_path must be an ASCII path starting with '/'"),
    ("authorizer_path", "/auth?x", r"^authorizer_path must be a path without query or fragment"),
]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [pytest.param(*case, id=f"{case[0]}={case[1]!r}") for case in LAMBDA_CASES],
)
def test_a_bad_lambda_handler_option_is_named_with_what_it_accepts(
    option: str, value: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_lambda_handler(app, **{option: value})


def test_every_lambda_handler_option_has_a_case() -> None:
    options = set(inspect.signature(make_lambda_handler).parameters) - {"app"}
    assert options == {case[0] for case in LAMBDA_CASES}
