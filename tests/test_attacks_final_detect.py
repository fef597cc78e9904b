"""Final attack on the lazy adapter predicates (detect.MIGHT_MATCH): a
payload of the wrong shape where each predicate looks (unhashable or
non-string eventSource, non-list Records, non-dict records) names no
candidate and raises nothing, so it cannot turn into a 500."""

from __future__ import annotations

from typing import Any

import pytest

from cloudevents_wsgi.detect import candidates

SHAPES: list[Any] = [
    {"Records": []},
    {"Records": "aws:sqs"},
    {"Records": [1]},
    {"Records": [None, {"eventSource": "aws:sqs"}]},
    {"Records": [{"eventSource": ["aws:sqs"]}]},
    {"Records": [{"eventSource": {"aws:sqs": 1}}]},
    {"Records": [{"EventSource": {}}]},
    {"eventSource": ["aws:kafka"]},
    {"eventSource": {"aws:kafka": 1}},
    {"eventSource": "AWS:KAFKA"},
    [],
    [{"eventSource": "aws:kafka"}],
    None,
    "aws:sqs",
    1.5,
]


@pytest.mark.parametrize("payload", SHAPES, ids=[repr(s)[:40] for s in SHAPES])
def test_wrong_shapes_name_no_candidate_and_never_raise(payload: Any) -> None:
    assert candidates(payload) == []
