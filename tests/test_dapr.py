"""Answers for Dapr's pub/sub deliveries."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_wsgi.dapr import (
    DROP,
    RETRY,
    STATUSES,
    SUCCESS,
    dapr_response_body,
    dapr_status,
)


@pytest.mark.parametrize(
    ("http_status", "expected"),
    [
        pytest.param(200, SUCCESS, id="200"),
        pytest.param(202, SUCCESS, id="202"),
        pytest.param(204, SUCCESS, id="204"),
        pytest.param(299, SUCCESS, id="299"),
        # Dapr itself drops a message answered 404.
        pytest.param(404, DROP, id="404"),
        # The message is wrong or unwanted: a retry would get the same answer.
        pytest.param(400, DROP, id="400"),
        pytest.param(405, DROP, id="405"),
        pytest.param(410, DROP, id="410"),
        pytest.param(413, DROP, id="413"),
        pytest.param(415, DROP, id="415"),
        pytest.param(422, DROP, id="422"),
        # Client errors that a later attempt may not repeat.
        pytest.param(408, RETRY, id="408"),
        pytest.param(409, RETRY, id="409"),
        pytest.param(423, RETRY, id="423"),
        pytest.param(425, RETRY, id="425"),
        pytest.param(429, RETRY, id="429"),
        # Server errors, and the 500 that stands for an exception.
        pytest.param(500, RETRY, id="500"),
        pytest.param(502, RETRY, id="502"),
        pytest.param(503, RETRY, id="503"),
        pytest.param(504, RETRY, id="504"),
        # Not an answer Dapr can act on: deliver again.
        pytest.param(100, RETRY, id="100"),
        pytest.param(302, RETRY, id="302"),
        pytest.param(304, RETRY, id="304"),
    ],
)
def test_dapr_status(http_status: int, expected: str) -> None:
    assert dapr_status(http_status) == expected


@given(st.integers(min_value=100, max_value=599))
def test_every_status_gets_one_of_daprs(http_status: int) -> None:
    assert dapr_status(http_status) in STATUSES


@pytest.mark.parametrize("status", STATUSES)
def test_response_body(status: str) -> None:
    body = dapr_response_body(status)
    assert isinstance(body, bytes)
    assert json.loads(body) == {"status": status}


def test_response_body_for_an_app_answer() -> None:
    assert dapr_response_body(dapr_status(503)) == b'{"status": "RETRY"}'


@pytest.mark.parametrize("status", ["success", "OK", "", "DEADLETTER"])
def test_response_body_refuses_unknown_statuses(status: str) -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        dapr_response_body(status)
