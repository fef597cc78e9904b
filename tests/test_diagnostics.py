"""Every refusal and every failed Lambda record is logged once, at WARNING, on
its named logger, with the field and the reason but never the value."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import EventFailedError, make_lambda_handler
from cloudevents_wsgi.router import EventRouter
from cloudevents_wsgi.testing import EventClient, EventRequest, batch, binary, event, structured

from .builders import s3_event, sqs_batch

REFUSED = "cloudevents_wsgi.refused"
LAMBDA = "cloudevents_wsgi.lambda"
SECRET = "secret-value-4f1c"


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """204, but 500 for the events with id ``fail`` or ``m-2``."""
    event = environ.get("cloudevent")
    failing = event is not None and event.get_id() in ("fail", "m-2")
    start_response("500 Internal Server Error" if failing else "204 No Content", [])
    return [b"<html>" + SECRET.encode() + b"</html>"] if failing else []


def lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


def assert_no_value(caplog: pytest.LogCaptureFixture) -> None:
    assert not any(SECRET in r.getMessage() for r in caplog.records), caplog.text


def eventbridge(time: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "eu-west-1",
        "resources": [],
        "detail": {},
    }


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        pytest.param(binary(type="t", id="1", time=SECRET, path="/hooks"), "time", id="binary"),
        pytest.param(
            structured(type="t", id="1", time=SECRET, path="/hooks"), "time", id="structured"
        ),
        pytest.param(
            batch([event(type="t", id="1"), event(type="t", id="2", time=SECRET)], path="/hooks"),
            "[1].time",
            id="batch-member",
        ),
    ],
)
def test_a_refused_event_is_logged_once_with_field_and_reason_not_value(
    caplog: pytest.LogCaptureFixture, request_: Any, field: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        response = EventClient(CloudEventsMiddleware(app)).send(request_)
    assert response.status == 400
    [line] = lines(caplog, REFUSED)
    assert line == f"refused POST '/hooks' (400): {field!r}: is not an RFC 3339 timestamp"
    assert [r.levelno for r in caplog.records if r.name == REFUSED] == [logging.WARNING]
    assert len(caplog.records) == 1  # nothing else about it, anywhere
    assert_no_value(caplog)


def test_a_request_that_is_no_event_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        EventClient(CloudEventsMiddleware(app)).send(
            EventRequest("POST", "/", {"content-type": "text/plain"}, b"x")
        )
    assert caplog.records == []


def test_a_refused_native_event_through_lambda_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        with pytest.raises(EventFailedError, match="time: is not an RFC 3339 timestamp"):
            make_lambda_handler(app)(eventbridge(SECRET), None)
    assert lines(caplog, REFUSED) == [
        "refused POST '/events' (400): 'time': is not an RFC 3339 timestamp"
    ]
    assert lines(caplog, LAMBDA) == []
    assert_no_value(caplog)


def test_each_failed_sqs_record_is_logged_once_with_its_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = sqs_batch("ok", eventbridge(SECRET), "fails", message_ids=["m-0", "m-1", "m-2"])
    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        answer = make_lambda_handler(app)(records, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}
    assert lines(caplog, LAMBDA) == [
        "failed record 'm-1' of an aws:sqs batch: "
        "refused: Records[1].body.time: is not an RFC 3339 timestamp",
        "failed record 'm-2' of an aws:sqs batch (event id 'm-2'): the application answered 500",
    ]
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.WARNING]
    assert lines(caplog, REFUSED) == []  # the refused record: not twice
    assert_no_value(caplog)


def test_a_fifo_group_behind_a_failure_is_logged_as_waiting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = sqs_batch(
        "a", "b", "c", message_ids=["m-1", "m-2", "m-3"], groups=["g", "g", "g"], queue="q.fifo"
    )
    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        answer = make_lambda_handler(app)(records, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-3"}]}
    assert lines(caplog, LAMBDA) == [
        "failed record 'm-2' of an aws:sqs batch (event id 'm-2'): the application answered 500",
        "failed record 'm-3' of an aws:sqs batch: "
        "not handed to the application: it waits behind an earlier failed record",
    ]


def test_an_app_exception_in_a_batch_logs_its_traceback_and_one_record_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def raising(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["cloudevent"].get_id() == "m-1":
            raise RuntimeError("db down")
        start_response("204 No Content", [])
        return []

    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        answer = make_lambda_handler(raising)(sqs_batch("a", "b", id_format="m-{}"), None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert lines(caplog, LAMBDA) == [
        "failed record 'm-1' of an aws:sqs batch (event id 'm-1'): "
        "the application raised RuntimeError"
    ]
    [traceback] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert traceback.exc_info is not None


def test_a_cloudevents_batch_answer_gives_the_reason_per_failed_event() -> None:
    answer = EventClient(CloudEventsMiddleware(app)).send(
        batch([event(type="t", id="ok"), event(type="t", id="fail")])
    )
    assert answer.status == 500
    assert json.loads(answer.body) == {
        "results": [
            {"id": "ok", "status": 204},
            {
                "id": "fail",
                "status": 500,
                "reason": "the application answered 500 Internal Server Error",
            },
        ]
    }


def page_404(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/html")])
    return [b"<!DOCTYPE html><html><body>Page not found: " + SECRET.encode() + b"</body></html>"]


@pytest.mark.parametrize(
    ("options", "path"),
    [
        pytest.param({}, "/events", id="event_path"),
        pytest.param({"routes": {"com.amazonaws.s3.*": "/hooks/s3"}}, "/hooks/s3", id="routes"),
    ],
)
def test_a_non_2xx_native_event_error_names_the_path_and_dumps_no_page(
    options: dict[str, Any], path: str
) -> None:
    with pytest.raises(EventFailedError, match=r"'404 Not Found'$") as caught:
        make_lambda_handler(page_404, **options)(s3_event("a"), None)
    message = str(caught.value)
    assert f"called POST {path};" in message
    assert "CLOUDEVENTS_WSGI_EVENT_PATH" in message and "CLOUDEVENTS_WSGI_ROUTES" in message
    assert "<" not in message and SECRET not in message
    assert caught.value.body.startswith(b"<!DOCTYPE html>")  # kept for who needs it


def test_logged_control_characters_are_escaped(caplog: pytest.LogCaptureFixture) -> None:
    request = binary(type="t", id="1", time="x", path="/a\nERROR forged")
    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        EventClient(CloudEventsMiddleware(app)).send(request)
    [line] = lines(caplog, REFUSED)
    assert "\n" not in line


def test_a_router_refusal_is_logged_once_with_the_event_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = EventRouter()
    router.add("com.example.a", lambda event, environ: None)
    client = EventClient(CloudEventsMiddleware(router))
    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        assert client.send(binary(type="org.other", id="o-1", path="/r")).status == 404
    assert lines(caplog, REFUSED) == [
        "refused POST '/r' (404): 'type': no handler is registered for this event type "
        "(event id 'o-1')"
    ]
    assert len(caplog.records) == 1


def test_a_flask_decorator_refusal_is_logged_once_with_the_event_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flask = pytest.importorskip("flask")
    from cloudevents_wsgi.contrib.flask import cloudevent_required

    app = flask.Flask("hooks")

    @app.post("/hook")
    @cloudevent_required(types=["com.example.*"])
    def hook() -> tuple[str, int]:
        return "", 204

    client = EventClient(CloudEventsMiddleware(app))
    with caplog.at_level(logging.DEBUG, logger="cloudevents_wsgi"):
        assert client.send(binary(type=SECRET, id="f-1", path="/hook")).status == 400
        assert client.send(binary(type="com.example.a", id="f-2", path="/hook")).status == 204
    assert lines(caplog, REFUSED) == [
        "refused POST '/hook' (400): 'type': is not an event type this endpoint accepts "
        "(com.example.*) (event id 'f-1')"
    ]
    assert len(caplog.records) == 1
    assert_no_value(caplog)
