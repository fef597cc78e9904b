"""CloudEventsMiddleware with native provider events: trust, adapters, envelopes,
handshakes, routes and Dapr."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from werkzeug.test import Client, EnvironBuilder

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, ConfigurationError, Message
from cloudevents_wsgi.adapters.base import Converted
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY

from . import builders
from .test_sns_signature import SUBSCRIBE_URL, Fetcher, notification, signed, subscription


def s3_event(*keys: str) -> dict[str, Any]:
    return builders.s3_event(*keys, bucket="library")


def sqs_event(*bodies: Any) -> dict[str, Any]:
    """An SQS batch as Lambda delivers it, messages ``msg-0``, ``msg-1``..."""
    return builders.sqs_batch(*bodies, queue="books", region="us-east-1", sent="1714557600000")


class Recorder:
    def __init__(self, status: str = "204 No Content", fail: set[str] | None = None) -> None:
        self.status = status
        self.fail = fail or set()
        self.calls: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls.append(environ)
        event = environ.get("cloudevent")
        if event is not None and event.get_subject() in self.fail:
            start_response("500 Internal Server Error", [])
            return [b"failed"]
        body = environ["wsgi.input"].read()
        start_response(self.status, [("Content-Type", "text/plain")])
        return [b"body:" + body[:20]]


def request(
    payload: Any,
    *,
    trusted: bool = False,
    headers: dict[str, str] | None = None,
    path: str = "/events",
) -> dict[str, Any]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    environ = EnvironBuilder(
        path, method="POST", data=body, content_type="application/json", headers=headers
    ).get_environ()
    if trusted:
        # What the Lambda shim hands over (here without the decoded payload:
        # the middleware reads it from the body).
        environ[LAMBDA_DELIVERY] = LambdaDelivery()
    return environ


def call(middleware: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    answers: list[Any] = []
    body = b"".join(
        middleware(environ, lambda status, headers, exc=None: answers.append((status, headers)))
    )
    status, headers = answers[-1]
    return status, headers, body


# -- trust --------------------------------------------------------------------------


def test_native_payload_over_plain_http_passes_through_unread() -> None:
    app = Recorder("200 OK")
    environ = request(s3_event("a.epub"))
    status, _, body = call(CloudEventsMiddleware(app), environ)
    assert status == "200 OK"
    assert app.calls == [environ]
    assert "cloudevent" not in environ
    assert body == b"body:" + json.dumps(s3_event("a.epub")).encode()[:20]


def test_native_payload_over_http_accepted_when_the_user_opts_in() -> None:
    app = Recorder()
    status, _, _ = call(
        CloudEventsMiddleware(app, native_over_http={"aws.s3"}), request(s3_event("a.epub"))
    )
    assert status == "204 No Content"
    [environ] = app.calls
    assert environ["cloudevent"].get_type() == "com.amazonaws.s3.ObjectCreated:Put"
    assert environ["cloudevents_wsgi.adapter"] == "aws.s3"


def test_opt_in_for_one_adapter_does_not_open_the_others() -> None:
    app = Recorder("200 OK")
    environ = request(sqs_event({"hello": 1}))
    call(CloudEventsMiddleware(app, native_over_http={"aws.s3"}), environ)
    assert app.calls == [environ]
    assert "cloudevent" not in environ


def test_unrecognised_json_over_http_reaches_the_app_byte_for_byte() -> None:
    app = Recorder("200 OK")
    payload = b'{"name": "a plain API call"}   '
    environ = request(payload)
    status, _, body = call(CloudEventsMiddleware(app, native_over_http=True), environ)
    assert status == "200 OK"
    assert app.calls == [environ]
    assert body == b"body:" + payload[:20]


def test_invalid_json_over_http_reaches_the_app_untouched() -> None:
    app = Recorder("200 OK")
    environ = request(b"{not json")
    _, _, body = call(CloudEventsMiddleware(app, native_over_http=True), environ)
    assert body == b"body:{not json"


def test_trusted_s3_event_calls_the_app_once_per_record() -> None:
    app = Recorder()
    status, headers, body = call(
        CloudEventsMiddleware(app), request(s3_event("a.epub", "b+c.epub"), trusted=True)
    )
    assert status == "200 OK"
    assert ("Content-Type", "application/json") in headers
    assert json.loads(body)["results"] == [
        {
            "id": f"REQ{i}.FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
            "status": 204,
        }
        for i in range(2)
    ]
    assert [e["cloudevent"].get_subject() for e in app.calls] == ["a.epub", "b c.epub"]
    assert [e["cloudevents_wsgi.native"]["s3"]["object"]["key"] for e in app.calls] == [
        "a.epub",
        "b+c.epub",
    ]
    assert {e["cloudevents_wsgi.content_mode"] for e in app.calls} == {"native"}
    assert [e["cloudevents_wsgi.batch_index"] for e in app.calls] == [0, 1]


def test_single_native_event_gets_the_app_answer_itself() -> None:
    app = Recorder("202 Accepted")
    status, _, body = call(CloudEventsMiddleware(app), request(s3_event("a.epub"), trusted=True))
    assert status == "202 Accepted"
    assert body.startswith(b"body:")
    [environ] = app.calls
    # The binary form of the S3 record: the SDK would read the same event.
    assert environ["HTTP_CE_SUBJECT"] == "a.epub"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert json.loads(environ["wsgi.input"].getvalue())["s3"]["object"]["key"] == "a.epub"


def test_trusted_payload_nothing_recognises_is_415() -> None:
    app = Recorder()
    status, headers, body = call(
        CloudEventsMiddleware(app), request({"hello": "world"}, trusted=True)
    )
    assert status.startswith("415")
    assert ("Content-Type", "application/problem+json") in headers
    assert json.loads(body)["field"] == "body"
    assert app.calls == []


def test_trust_cannot_be_claimed_with_a_header() -> None:
    app = Recorder("200 OK")
    environ = request(s3_event("a.epub"), headers={"Cloudevents-Wsgi-Trusted": "true"})
    call(CloudEventsMiddleware(app), environ)
    assert "cloudevent" not in app.calls[0]


def test_malformed_native_event_is_400_naming_the_field() -> None:
    payload = s3_event("a.epub")
    del payload["Records"][0]["s3"]["bucket"]["name"]
    app = Recorder()
    status, _, body = call(CloudEventsMiddleware(app), request(payload, trusted=True))
    assert status.startswith("400")
    assert json.loads(body)["field"] == "Records[0].s3.bucket.name"
    assert app.calls == []


# -- adapters, envelopes, routes -------------------------------------------------------


class BookAdapter:
    """A user's own adapter: claims S3 events for the books bucket."""

    name = "mine.books"

    def matches(self, payload: Any, message: Message) -> bool:
        return isinstance(payload, dict) and "Records" in payload

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        event = CloudEvent({"id": "1", "source": "/books", "type": "book.added"}, payload)
        return [Converted(event, payload)]


def test_user_adapters_are_tried_first_and_accepted_over_http() -> None:
    app = Recorder()
    call(CloudEventsMiddleware(app, adapters=[BookAdapter()]), request(s3_event("a.epub")))
    [environ] = app.calls
    assert environ["cloudevent"].get_type() == "book.added"
    assert environ["cloudevents_wsgi.adapter"] == "mine.books"


def test_s3_inside_sqs_gives_the_s3_events_with_the_sqs_record_id() -> None:
    app = Recorder()
    environ = request(sqs_event(s3_event("a.epub"), {"plain": True}), trusted=True)
    results = environ[LAMBDA_DELIVERY].results
    call(CloudEventsMiddleware(app), environ)
    assert [e["cloudevent"].get_type() for e in app.calls] == [
        "com.amazonaws.s3.ObjectCreated:Put",
        "com.amazonaws.sqs.message",
    ]
    assert [r.record_id for r in results] == ["msg-0", "msg-1"]
    assert [e["cloudevents_wsgi.record_id"] for e in app.calls] == ["msg-0", "msg-1"]


def test_unwrap_false_keeps_the_envelope() -> None:
    app = Recorder()
    call(
        CloudEventsMiddleware(app, unwrap=False),
        request(sqs_event(s3_event("a.epub")), trusted=True),
    )
    [environ] = app.calls
    assert environ["cloudevent"].get_type() == "com.amazonaws.sqs.message"
    assert environ["cloudevent"].get_data() == s3_event("a.epub")


def test_batch_failures_are_recorded_per_record() -> None:
    app = Recorder(fail={"b.epub"})
    environ = request(
        sqs_event(s3_event("a.epub"), s3_event("b.epub"), s3_event("c.epub")), trusted=True
    )
    results = environ[LAMBDA_DELIVERY].results
    status, _, body = call(CloudEventsMiddleware(app), environ)
    assert status == "500 Internal Server Error"
    assert [(r.record_id, r.ok) for r in results] == [
        ("msg-0", True),
        ("msg-1", False),
        ("msg-2", True),
    ]
    assert [r["status"] for r in json.loads(body)["results"]] == [204, 500, 204]


def test_routes_set_the_path_by_event_type() -> None:
    app = Recorder()
    middleware = CloudEventsMiddleware(
        app, routes={"com.amazonaws.s3.ObjectCreated:*": "/books/events"}
    )
    call(middleware, request(sqs_event(s3_event("a.epub"), {"x": 1}), trusted=True))
    assert [e["PATH_INFO"] for e in app.calls] == ["/books/events", "/events"]


# -- SNS over HTTP --------------------------------------------------------------------


TOPICS = {"arn:aws:sns:us-west-2:123456789012:MyTopic"}


def sns_now() -> str:
    """A current SNS Timestamp: older signed messages are refused (sns_max_age)."""
    moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sns_request(message: dict[str, Any]) -> dict[str, Any]:
    environ = EnvironBuilder(
        "/sns",
        method="POST",
        data=json.dumps(message).encode(),
        content_type="text/plain; charset=UTF-8",
        headers={"x-amz-sns-message-type": message["Type"]},
    ).get_environ()
    return environ


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_sns_notification_reaches_the_app(version: str) -> None:
    app = Recorder()
    fetcher = Fetcher()
    middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=fetcher, sns_topics=TOPICS)
    status, _, _ = call(middleware, sns_request(signed(notification(Timestamp=sns_now()), version)))
    assert status == "204 No Content"
    [environ] = app.calls
    assert environ["cloudevent"].get_type() == "com.amazonaws.sns.Notification"
    assert environ["cloudevent"].get_id() == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"
    assert len(fetcher.urls) == 1


def test_tampered_sns_notification_is_refused() -> None:
    app = Recorder()
    message = signed(notification(Timestamp=sns_now()))
    message["Message"] = "forged"
    status, _, body = call(
        CloudEventsMiddleware(app, sns_certificate_fetcher=Fetcher(), sns_topics=TOPICS),
        sns_request(message),
    )
    assert status.startswith("400")
    assert json.loads(body)["field"] == "Signature"
    assert app.calls == []


def test_unsigned_sns_notification_is_refused() -> None:
    app = Recorder()
    status, _, _ = call(
        CloudEventsMiddleware(app, sns_certificate_fetcher=Fetcher(), sns_topics=TOPICS),
        sns_request(notification(Timestamp=sns_now())),
    )
    assert status.startswith("400")
    assert app.calls == []


def test_subscription_confirmation_is_only_logged_by_default() -> None:
    app = Recorder()
    fetcher = Fetcher()
    status, _, body = call(
        CloudEventsMiddleware(app, sns_certificate_fetcher=fetcher, sns_topics=TOPICS),
        sns_request(signed(subscription(Timestamp=sns_now()))),
    )
    assert status == "202 Accepted"
    assert json.loads(body) == {"confirmed": False}
    assert SUBSCRIBE_URL not in fetcher.urls
    assert app.calls == []


def test_subscription_confirmation_is_confirmed_when_opted_in() -> None:
    app = Recorder()
    fetcher = Fetcher()
    middleware = CloudEventsMiddleware(
        app, sns_certificate_fetcher=fetcher, sns_confirm_subscriptions=True, sns_topics=TOPICS
    )
    status, _, _ = call(middleware, sns_request(signed(subscription(Timestamp=sns_now()))))
    assert status == "200 OK"
    assert fetcher.urls[-1] == SUBSCRIBE_URL
    assert app.calls == []


# -- Event Grid over HTTP -------------------------------------------------------------


EVENTGRID = {"azure.eventgrid"}


def grid_request(payload: Any, kind: str = "Notification") -> dict[str, Any]:
    return request(payload, headers={"aeg-event-type": kind})


GRID_EVENT = {
    "id": "831e1650-001e-001b-66ab-eeb76e069631",
    "topic": "/subscriptions/x/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/books",
    "subject": "/blobServices/default/containers/books/blobs/moby-dick.epub",
    "eventType": "Microsoft.Storage.BlobCreated",
    "eventTime": "2024-05-01T10:00:00.1234567Z",
    "data": {"contentLength": 1048576},
    "dataVersion": "1",
    "metadataVersion": "1",
}


def test_event_grid_validation_handshake_is_answered() -> None:
    app = Recorder()
    handshake = [
        {
            "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
            "topic": "/subscriptions/x",
            "subject": "",
            "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "eventTime": "2024-05-01T10:00:00Z",
            "metadataVersion": "1",
            "dataVersion": "1",
        }
    ]
    status, _, body = call(
        CloudEventsMiddleware(app, native_over_http=EVENTGRID),
        grid_request(handshake, "SubscriptionValidation"),
    )
    assert status == "200 OK"
    assert json.loads(body) == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}
    assert app.calls == []


def test_event_grid_delivery_reaches_the_app() -> None:
    app = Recorder()
    status, _, _ = call(
        CloudEventsMiddleware(app, native_over_http=EVENTGRID), grid_request([GRID_EVENT])
    )
    assert status == "204 No Content"
    [environ] = app.calls
    assert environ["cloudevent"].get_type() == "Microsoft.Storage.BlobCreated"
    assert environ["cloudevents_wsgi.adapter"] == "azure.eventgrid"


def test_event_grid_header_over_another_kind_of_payload_is_refused() -> None:
    app = Recorder()
    status, _, body = call(
        CloudEventsMiddleware(app, native_over_http=EVENTGRID), grid_request(s3_event("a.epub"))
    )
    assert status.startswith("400")
    assert json.loads(body)["field"] == "body"
    assert app.calls == []


# -- Dapr ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_status", "dapr_status"),
    [
        ("204 No Content", "SUCCESS"),
        ("404 Not Found", "DROP"),
        ("503 Service Unavailable", "RETRY"),
    ],
)
def test_dapr_answers_carry_the_outcome_in_the_body(app_status: str, dapr_status: str) -> None:
    event = {
        "specversion": "1.0",
        "id": "1",
        "source": "orders",
        "type": "order.created",
        "pubsubname": "pubsub",
        "topic": "orders",
        "data": {"n": 1},
    }
    response = Client(CloudEventsMiddleware(Recorder(app_status), dapr=True)).post(
        "/orders", data=json.dumps(event), content_type="application/cloudevents+json"
    )
    assert response.status_code == 200
    assert response.json == {"status": dapr_status}


# -- configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"adapters": [object()]},
        {"adapters": "aws.s3"},
        {"native_over_http": "aws.s3"},
        {"routes": [("a", "/b")]},
        {"routes": {"a": 1}},
        {"sns_certificate_fetcher": "https://x"},
    ],
)
def test_bad_native_options_raise_configuration_error(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        CloudEventsMiddleware(Recorder(), **options)


class BrokenAdapter:
    name = "mine.broken"

    def matches(self, payload: Any, message: Message) -> bool:
        return True

    def convert(self, payload: Any, message: Message) -> list[Converted]:
        raise KeyError("oops")


def test_an_adapter_that_raises_gives_a_400_and_a_logged_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Recorder()
    status, headers, body = call(
        CloudEventsMiddleware(app, adapters=[BrokenAdapter()]), request({"a": 1})
    )
    assert status.startswith("400")
    assert ("Content-Type", "application/problem+json") in headers
    assert json.loads(body)["reason"] == "could not be converted by mine.broken (KeyError)"
    assert app.calls == []
    assert "adapter mine.broken failed" in caplog.text
