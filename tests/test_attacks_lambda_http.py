"""Attacks on the Lambda shim's HTTP events: the cost of building the request.

A client chooses how many times it repeats a header. API Gateway (REST, in
``multiValueHeaders``) and ALB (multi-value target groups) hand every repeat
to the function, which joins them into one environ value (RFC 9110 5.3). The
join must cost time linear in the input: appending each repeat to the
value built so far copies it every time, quadratic in the count.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import http, make_lambda_handler

from .builders import alb_event, rest_event
from .lambda_apps import CONTEXT
from .test_linear_time import assert_linear

SEEN: list[dict[str, Any]] = []


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    SEEN.append(environ)
    start_response("204 No Content", [])
    return []


HANDLER = make_lambda_handler(CloudEventsMiddleware(app))
BINARY = {"ce-specversion": ["1.0"], "ce-id": ["1"], "ce-source": ["/s"], "ce-type": ["t"]}


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    SEEN.clear()
    answer: dict[str, Any] = HANDLER(event, CONTEXT)
    return answer


REPEATED: list[Any] = [
    pytest.param(lambda n: rest_event(headers={"x-a": ["v"] * n}), id="rest-header"),
    pytest.param(lambda n: rest_event(headers={"cookie": ["a=b"] * n}), id="rest-cookie"),
    pytest.param(
        lambda n: rest_event(method="POST", headers={**BINARY, "ce-ext": ["v"] * n}),
        id="rest-ce-header",
    ),
    pytest.param(
        lambda n: alb_event(multi_headers={"x-forwarded-for": ["192.0.2.1"] * n}),
        id="alb-x-forwarded-for",
    ),
    pytest.param(lambda n: alb_event(multi_headers={"x-a": ["v"] * n}), id="alb-header"),
]


@pytest.mark.parametrize("make", REPEATED)
def test_a_header_repeated_n_and_4n_times_costs_linear_time(
    make: Callable[[int], dict[str, Any]],
) -> None:
    assert_linear(invoke, make, n=1000)


def test_repeated_headers_still_reach_the_app_joined_in_order() -> None:
    invoke(rest_event(headers={"X-A": ["1", "2"], "x-a": ["3"], "Cookie": ["a=b", "c=d"]}))
    (environ,) = SEEN
    assert environ["HTTP_X_A"] == "1,2,3"
    assert environ["HTTP_COOKIE"] == "a=b; c=d"


def test_a_repeated_content_type_keeps_the_last_one() -> None:
    invoke(rest_event(headers={"content-type": ["text/plain", "application/json"]}))
    (environ,) = SEEN
    assert environ["CONTENT_TYPE"] == "application/json"


@pytest.mark.parametrize(
    ("status", "code", "description"),
    [
        ("200", 200, "200 OK"),
        ("200 ", 200, "200 OK"),
        ("299 Mine\tTab", 299, "299 Mine\tTab"),
        ("200 OK\r\nSet-Cookie: a=b", 500, "500 Internal Server Error"),
        ("200 OK\n", 500, "500 Internal Server Error"),
        ("200 O\x00K", 500, "500 Internal Server Error"),
        ("2000 OK", 500, "500 Internal Server Error"),
        ("099 x", 500, "500 Internal Server Error"),
    ],
)
def test_a_status_line_with_control_characters_is_the_apps_error(
    status: str, code: int, description: str
) -> None:
    """PEP 3333: no control characters in the status; one would reach ALB's
    statusDescription. The app's error is answered 500, as a server does."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return [b"x"]

    answer = make_lambda_handler(app)(alb_event(), CONTEXT)
    assert (answer["statusCode"], answer["statusDescription"]) == (code, description)


def _joined_reference(
    headers: list[tuple[str, str]], apart: str | None
) -> tuple[dict[str, str], list[str]]:
    # The rule joined() replaced: grouped() by name, then joined.
    result: dict[str, str] = {}
    kept: list[str] = []
    for name, values in http.grouped(headers).items():
        if apart is not None and name.lower() == apart:
            kept = values
        else:
            result[name] = ",".join(values)
    return result, kept


_NAMES = ["Vary", "vary", "VARY", "Set-Cookie", "set-cookie", "SET-COOKIE", "X-A", "x-a", "ß", "SS"]


@pytest.mark.parametrize("apart", [None, "set-cookie"])
def test_response_headers_are_joined_as_grouped_then_joined(apart: str | None) -> None:
    rng = random.Random(7)
    for size in itertools.chain(range(5), [8, 20] * 200):
        headers = [(rng.choice(_NAMES), rng.choice(["", "a", "b, c"])) for _ in range(size)]
        got = http.joined(headers, apart)
        assert got == _joined_reference(headers, apart), headers
        assert list(got[0]) == list(_joined_reference(headers, apart)[0])  # first spelling, order


def test_response_headers_are_joined_in_linear_time() -> None:
    assert_linear(
        lambda headers: http.joined(headers, "set-cookie"),
        lambda n: [(_NAMES[i % len(_NAMES)], "v") for i in range(n)],
        n=5000,
    )
