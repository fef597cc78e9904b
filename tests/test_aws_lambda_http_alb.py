"""Application Load Balancer events (aws_lambda/http_alb.py)."""

from __future__ import annotations

import pytest

from cloudevents_wsgi.aws_lambda import (
    make_lambda_handler,
)

from .builders import (
    alb_event,
)
from .lambda_apps import (
    CONTEXT,
    Recorder,
)


def test_alb_remote_addr_is_the_rightmost_forwarded_for() -> None:
    # ALB appends the address it saw; the rest is whatever the client claimed.
    app = Recorder()
    event = alb_event(headers={"x-forwarded-for": "10.9.9.9, 198.51.100.7"})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["REMOTE_ADDR"] == "198.51.100.7"


def test_alb_multi_value_forwarded_for() -> None:
    app = Recorder()
    event = alb_event(multi_headers={"x-forwarded-for": ["10.9.9.9", "198.51.100.7"]})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["REMOTE_ADDR"] == "198.51.100.7"


def test_alb_query_is_passed_as_the_client_encoded_it() -> None:
    app = Recorder()
    event = alb_event(query={"next": "%2Fhome%3Fa%3D1", "t": "a+b", "raw": "x y"})
    make_lambda_handler(app)(event, CONTEXT)
    assert app.environ["QUERY_STRING"] == "next=%2Fhome%3Fa%3D1&t=a+b&raw=x%20y"


def test_alb_single_value_response() -> None:
    app = Recorder(
        status="404 Not Found", headers=[("Content-Type", "text/html")], body=b"<p>no</p>"
    )
    assert make_lambda_handler(app)(alb_event(), CONTEXT) == {
        "statusCode": 404,
        "statusDescription": "404 Not Found",
        "headers": {"Content-Type": "text/html"},
        "body": "<p>no</p>",
        "isBase64Encoded": False,
    }


def test_alb_multi_value_request_gets_multi_value_response() -> None:
    app = Recorder(headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    response = make_lambda_handler(app)(alb_event(multi_headers={"host": ["lb"]}), CONTEXT)
    assert response == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "",
        "isBase64Encoded": False,
    }


def test_alb_single_value_mode_keeps_one_set_cookie_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Recorder(headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    response = make_lambda_handler(app)(alb_event(), CONTEXT)
    assert response["headers"] == {"Set-Cookie": "b=2"}
    assert "Enable multi-value headers" in caplog.text


def test_alb_status_without_reason_gets_the_standard_phrase() -> None:
    app = Recorder(status="201", headers=[])
    assert make_lambda_handler(app)(alb_event(), CONTEXT)["statusDescription"] == "201 Created"


def test_alb_status_nobody_knows_keeps_its_code() -> None:
    app = Recorder(status="599", headers=[])
    assert make_lambda_handler(app)(alb_event(), CONTEXT)["statusDescription"] == "599"
