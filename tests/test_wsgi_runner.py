"""The WSGI runner's status lines: remembered once matched, never trusted unmatched."""

from __future__ import annotations

from typing import Any

import pytest

from cloudevents_wsgi import _wsgi
from cloudevents_wsgi._wsgi import Response, run


def _app(status: Any) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


@pytest.mark.parametrize(
    "status",
    ["200 OK", "204 No Content", "599 Custom\tphrase", "404", "201 ", "302 Found"],
)
def test_a_valid_status_gives_its_code_the_first_time_and_the_next(status: str) -> None:
    first = run(_app(status), {})
    again = run(_app(status), {})
    assert (first.status, first.code) == (status, int(status[:3]))
    assert (again.status, again.code) == (status, int(status[:3]))
    assert again.ok is (200 <= int(status[:3]) < 300)


@pytest.mark.parametrize(
    "status",
    ["200 OK\r\nSet-Cookie: a=b", "200 OK\x00", "2000 OK", "600 Nope", "200OK", "", b"200 OK"],
)
def test_an_invalid_status_is_refused_even_after_a_valid_one_was_seen(status: Any) -> None:
    run(_app("200 OK"), {})
    with pytest.raises(ValueError, match="not a WSGI status line"):
        run(_app(status), {})


def test_a_str_subclass_is_matched_every_time_and_never_remembered() -> None:
    class Status(str):
        pass

    _wsgi._SEEN_STATUS_LINES.pop("299 Odd", None)
    for _ in range(2):
        response = run(_app(Status("299 Odd")), {})
        assert (response.status, response.code) == ("299 Odd", 299)
        assert type(response.status) is str
        assert "299 Odd" not in _wsgi._SEEN_STATUS_LINES
    with pytest.raises(ValueError, match="not a WSGI status line"):
        run(_app(Status("299 Odd\r\nX: y")), {})


def test_the_remembered_status_lines_are_bounded() -> None:
    for index in range(3 * _wsgi._SEEN_MAX):
        assert run(_app(f"200 phrase {index}"), {}).code == 200
    assert len(_wsgi._SEEN_STATUS_LINES) <= _wsgi._SEEN_MAX
    long = "200 " + "x" * _wsgi._SEEN_LENGTH_MAX
    assert run(_app(long), {}).code == 200
    assert long not in _wsgi._SEEN_STATUS_LINES


def test_a_response_made_with_a_status_has_its_code() -> None:
    assert Response("503 Service Unavailable").code == 503
    assert Response().code == 0
