"""Hostile input: forged SNS messages, handshakes, trust, logs, Pub/Sub tokens.

Everything runs in-process with keys and certificates made here; nothing
reaches the internet.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware
from cloudevents_wsgi.aws_lambda import EventFailedError, make_lambda_handler
from cloudevents_wsgi.delivery import LambdaDelivery

from . import builders
from .conftest import fixture_paths

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

SECRET = "s3cr3t-7f9c2a"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem"


def certificate(key: Any, name: str = "sns.amazonaws.com") -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem: bytes = cert.public_bytes(serialization.Encoding.PEM)
    return pem


KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = certificate(KEY)
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_PEM = certificate(ATTACKER_KEY)


class Fetcher:
    """Serves our certificate for SNS hosts, the attacker's for anything else."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return PEM if url == CERT_URL else ATTACKER_PEM


class App:
    def __init__(self, *, raise_in: set[int] | None = None, raise_all: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []
        self.raise_in = raise_in or set()
        self.raise_all = raise_all

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls.append(environ)
        length = environ.get("CONTENT_LENGTH") or "0"
        self.bodies.append(environ["wsgi.input"].read(int(length)))
        if self.raise_all or environ.get("cloudevents_wsgi.batch_index") in self.raise_in:
            raise RuntimeError("the app failed")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


class CountingInput(io.BytesIO):
    """A wsgi.input that counts how many times it was read."""

    reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


def request(body: bytes, content_type: str = "application/json", **extra: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/events",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": CountingInput(body),
        **extra,
    }


def call(app: Any, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer[:] = [status, headers]
        return None

    body = b"".join(app(environ, start_response))
    return int(answer[0][:3]), dict(answer[1]), body


def assert_problem(status: int, headers: dict[str, str], body: bytes, code: int) -> dict[str, Any]:
    assert status == code
    assert headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = json.loads(body)
    assert problem["field"] and problem["reason"]
    return problem


# -- SNS --------------------------------------------------------------------------


TOPICS = {"arn:aws:sns:*:123456789012:books"}


def sns_now(seconds_ago: float = 0) -> str:
    """An SNS ``Timestamp`` (signed messages older than sns_max_age are refused)."""
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def notification(**changes: Any) -> dict[str, Any]:
    message = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:books",
        "Subject": "uploaded",
        "Message": '{"key": "books/moby-dick.epub"}',
        "Timestamp": sns_now(),
        "SignatureVersion": "1",
        "SigningCertURL": CERT_URL,
    }
    message.update(changes)
    return message


def sign(message: dict[str, Any], key: Any = KEY) -> dict[str, Any]:
    names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    if message["Type"] != "Notification":
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{n}\n{message[n]}\n" for n in names if message.get(n) is not None).encode()
    algorithm = hashes.SHA1() if message["SignatureVersion"] == "1" else hashes.SHA256()
    signature = key.sign(text, padding.PKCS1v15(), algorithm)
    return {**message, "Signature": base64.b64encode(signature).decode()}


def sns_call(
    message: dict[str, Any], **options: Any
) -> tuple[App, Fetcher, tuple[int, dict[str, str], bytes]]:
    app = App()
    fetcher = Fetcher()
    options.setdefault("sns_topics", TOPICS)
    middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=fetcher, **options)
    environ = request(
        json.dumps(message).encode(),
        "text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=message.get("Type", "Notification"),
    )
    return app, fetcher, call(middleware, environ)


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_sns_message_is_accepted(version: str) -> None:
    app, fetcher, (status, _, _) = sns_call(sign(notification(SignatureVersion=version)))
    assert status == 200
    assert [c["cloudevent"].get_id() for c in app.calls] == ["22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"]
    assert fetcher.urls == [CERT_URL]


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    "field, value",
    [
        ("Message", '{"key": "evil"}'),
        ("MessageId", "other"),
        ("Subject", "other"),
        ("Timestamp", "2024-05-01T10:00:01.000Z"),
        ("TopicArn", "arn:aws:sns:us-east-1:123456789012:other"),
    ],
)
def test_tampered_sns_message_is_refused(version: str, field: str, value: str) -> None:
    message = sign(notification(SignatureVersion=version))
    message[field] = value
    app, _, answer = sns_call(message)
    assert assert_problem(*answer, 400)["field"] == "Signature"
    assert app.calls == []


@pytest.mark.parametrize("version", ["1", "2"])
def test_sns_message_signed_by_another_key_is_refused(version: str) -> None:
    app, _, answer = sns_call(sign(notification(SignatureVersion=version), ATTACKER_KEY))
    assert_problem(*answer, 400)
    assert app.calls == []


def test_sns_signature_version_downgrade_is_refused() -> None:
    message = sign(notification(SignatureVersion="2"))
    message["SignatureVersion"] = "1"  # the SHA256 signature checked as SHA1
    app, _, answer = sns_call(message)
    assert_problem(*answer, 400)
    assert app.calls == []


@pytest.mark.parametrize("version", ["0", "3", "", None, 1])
def test_unknown_sns_signature_versions_are_refused(version: Any) -> None:
    app, fetcher, answer = sns_call(sign(notification()) | {"SignatureVersion": version})
    assert_problem(*answer, 400)
    assert app.calls == [] and fetcher.urls == []


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem",
        "https://evil.example.com/SimpleNotificationService-0123.pem",
        "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-0123.pem",
        "https://sns.us-east-1.amazonaws.com.cn.evil.com/x.pem",
        "https://evilsns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com@evil.com/x.pem",
        "https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem",
        "https://user:pw@sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-0123.pem",
        "https://sns.us-east-1.amazonaws.com:80/SimpleNotificationService-0123.pem",
        "https://sns.us-east-1.amazonaws.com:99999/x.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.txt",
        "https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us_east_1.amazonaws.com/x.pem",
        "https://SNS.US-EAST-1.AMAZONAWS.COM.evil.com/x.pem",
        "https://sns.us-east-1.amazonaws.com%2eevil.com/x.pem",
        "https://sns.us-east-1.amazonaws.com\\@evil.com/x.pem",
        "file:///etc/ssl/x.pem",
        "//sns.us-east-1.amazonaws.com/x.pem",
        "",
    ],
)
def test_certificate_urls_off_the_pinned_host_are_never_fetched(url: str) -> None:
    # Signed by the attacker, who serves the matching certificate wherever the URL points.
    message = sign(notification(SigningCertURL=url), ATTACKER_KEY)
    app, fetcher, answer = sns_call(message)
    assert_problem(*answer, 400)
    assert app.calls == []
    assert fetcher.urls == []


def test_sns_subscription_url_off_the_pinned_host_is_never_visited() -> None:
    message = sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "m",
            "Token": "t",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:books",
            "Message": "confirm",
            "SubscribeURL": "https://evil.example.com/?Action=ConfirmSubscription&Token=t",
            "Timestamp": sns_now(),
            "SignatureVersion": "1",
            "SigningCertURL": CERT_URL,
        }
    )
    app, fetcher, answer = sns_call(message, sns_confirm_subscriptions=True)
    assert_problem(*answer, 400)
    assert fetcher.urls == [CERT_URL]
    assert app.calls == []


def test_sns_lambda_form_over_http_is_not_trusted() -> None:
    """The Lambda envelope of an SNS message, POSTed with the SNS header, is refused."""
    payload = {"Records": [{"EventSource": "aws:sns", "Sns": sign(notification())}]}
    app = App()
    environ = request(json.dumps(payload).encode(), HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification")
    middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=Fetcher(), sns_topics=TOPICS)
    answer = call(middleware, environ)
    assert_problem(*answer, 400)
    assert app.calls == []


# -- Event Grid and the webhook handshake ----------------------------------------------


EVENTGRID = {"azure.eventgrid"}


def validation_event(code: str = "512d38b6-c7b8-40c8-89fe-f46f9e9622b6") -> list[dict[str, Any]]:
    return [
        {
            "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
            "topic": "/subscriptions/x/resourceGroups/r/providers/Microsoft.EventGrid/topics/t",
            "subject": "",
            "data": {"validationCode": code},
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "eventTime": "2024-05-01T10:00:00Z",
            "metadataVersion": "1",
            "dataVersion": "1",
        }
    ]


def test_event_grid_validation_is_answered_for_the_handshake() -> None:
    app = App()
    environ = request(
        json.dumps(validation_event()).encode(), HTTP_AEG_EVENT_TYPE="SubscriptionValidation"
    )
    status, headers, body = call(CloudEventsMiddleware(app, native_over_http=EVENTGRID), environ)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(body) == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}
    assert app.calls == []


def test_event_grid_validation_without_the_event_grid_header_is_not_answered() -> None:
    """A validation-shaped body POSTed by anyone else is not echoed back."""
    app = App()
    body = json.dumps(validation_event()).encode()
    status, _, answer = call(CloudEventsMiddleware(app), request(body))
    assert status == 200 and answer == b"ok"  # the app answered, not the middleware
    assert app.bodies == [body] and "cloudevent" not in app.calls[0]


def test_event_grid_delivery_reaches_the_app_and_is_not_a_handshake() -> None:
    event = validation_event()[0] | {"eventType": "Contoso.Items.ItemReceived", "data": {}}
    app = App()
    environ = request(json.dumps([event]).encode(), HTTP_AEG_EVENT_TYPE="Notification")
    status, _, body = call(CloudEventsMiddleware(app, native_over_http=EVENTGRID), environ)
    assert status == 200 and body == b"ok"
    assert app.calls[0]["cloudevent"].get_type() == "Contoso.Items.ItemReceived"


@pytest.mark.parametrize("code", [None, 5, {"a": 1}, ["x"]])
def test_event_grid_validation_with_a_malformed_code_is_refused(code: Any) -> None:
    app = App()
    environ = request(
        json.dumps(validation_event(code)).encode(), HTTP_AEG_EVENT_TYPE="SubscriptionValidation"
    )
    middleware = CloudEventsMiddleware(app, native_over_http=EVENTGRID)
    problem = assert_problem(*call(middleware, environ), 400)
    assert problem["field"] == "[0].data.validationCode"
    assert app.calls == []


def handshake(origin: str, **options: Any) -> tuple[App, tuple[int, dict[str, str], bytes]]:
    app = App()
    environ = {
        "REQUEST_METHOD": "OPTIONS",
        "PATH_INFO": "/events",
        "HTTP_WEBHOOK_REQUEST_ORIGIN": origin,
        "wsgi.input": io.BytesIO(b""),
    }
    return app, call(CloudEventsMiddleware(app, **options), environ)


def test_webhook_handshake_grants_only_the_allowed_origins() -> None:
    app, (status, headers, _) = handshake("a.example.com", webhook_origins={"a.example.com"})
    assert status == 200 and headers["WebHook-Allowed-Origin"] == "a.example.com"
    for origin in ("b.example.com", "a.example.com.evil.com", "A.EXAMPLE.COM", "*", ""):
        app, answer = handshake(origin, webhook_origins={"a.example.com"})
        assert_problem(*answer, 403)
        assert app.calls == []


def test_webhook_handshake_off_leaves_options_to_the_app() -> None:
    app, (status, _, body) = handshake("a.example.com", webhook_origins=())
    assert status == 200 and body == b"ok" and len(app.calls) == 1


def test_webhook_handshake_rate() -> None:
    _, (status, headers, _) = handshake("a.example.com", webhook_origins={"*"}, webhook_rate=120)
    assert status == 200
    assert headers["WebHook-Allowed-Rate"] == "120"
    assert headers["WebHook-Allowed-Origin"] == "*"


# -- trust -----------------------------------------------------------------------------

NATIVE_KINDS = [
    "aws/s3",
    "aws/sqs",
    "aws/sns",
    "aws/eventbridge",
    "aws/dynamodb",
    "aws/kinesis",
    "aws/cloudwatch-logs",
    "aws/ses",
    "gcp/pubsub-push",
    "gcp/legacy",
]


def native_samples() -> list[Any]:
    samples = []
    for kind in NATIVE_KINDS:
        for path in fixture_paths(kind):
            samples.append(pytest.param(path, id=f"{kind}/{path.stem}"))
    if not samples:
        samples.append(pytest.param(None, marks=pytest.mark.skip(reason="no fixtures")))
    return samples


TRUST_HEADERS = {
    "HTTP_CLOUDEVENTS_WSGI_TRUSTED": "True",
    "HTTP_X_CLOUDEVENTS_WSGI_TRUSTED": "true",
    "HTTP_TRUSTED": "1",
    "HTTP_X_AMZ_INVOCATION_TYPE": "Event",
    "HTTP_X_FORWARDED_FOR": "127.0.0.1",
    "HTTP_LAMBDA_RUNTIME_AWS_REQUEST_ID": "x",
}


@pytest.mark.parametrize("path", native_samples())
def test_native_events_over_http_pass_through_unread(path: Any) -> None:
    body = path.read_bytes()
    app = App()
    environ = request(body, **TRUST_HEADERS, REMOTE_ADDR="127.0.0.1")
    stream = environ["wsgi.input"]
    status, _, answer = call(CloudEventsMiddleware(app), environ)
    assert status == 200 and answer == b"ok"
    assert len(app.calls) == 1 and "cloudevent" not in app.calls[0]
    assert app.bodies == [body]
    assert stream.reads == 1  # the app's own read: the middleware never read it


def test_trusted_flag_is_only_the_environ_key_not_a_header_value() -> None:
    s3 = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "awsRegion": "us-east-1",
                "eventTime": "2024-05-01T10:00:00.000Z",
                "responseElements": {"x-amz-request-id": "r", "x-amz-id-2": "i"},
                "s3": {"bucket": {"name": "books"}, "object": {"key": "a.epub", "size": 1}},
            }
        ]
    }
    body = json.dumps(s3).encode()
    for value in ("True", "true", "1"):
        app = App()
        environ = request(body, **{"HTTP_CLOUDEVENTS_WSGI_TRUSTED": value})
        call(CloudEventsMiddleware(app), environ)
        assert "cloudevent" not in app.calls[0]
    # Anything but the shim's LambdaDelivery object is not enough either,
    # including the key of the first version's boolean flag.
    for key, flag in (
        ("cloudevents_wsgi.lambda_delivery", True),
        ("cloudevents_wsgi.lambda_delivery", "True"),
        ("cloudevents_wsgi.lambda_delivery", {"payload": s3}),
        ("cloudevents_wsgi.trusted", True),
    ):
        app = App()
        environ = request(body)
        environ[key] = flag
        call(CloudEventsMiddleware(app), environ)
        assert "cloudevent" not in app.calls[0], (key, flag)
    app = App()
    environ = request(body)
    environ["cloudevents_wsgi.lambda_delivery"] = LambdaDelivery()
    call(CloudEventsMiddleware(app), environ)
    assert app.calls[0]["cloudevent"].get_type() == "com.amazonaws.s3.ObjectCreated:Put"


def test_lambda_http_events_are_never_trusted() -> None:
    """A native payload POSTed through API Gateway is plain HTTP: not trusted."""
    s3 = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}
    app = App()
    handler = make_lambda_handler(app)
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/events",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "cloudevents_wsgi.trusted": "true",
            "cloudevents-wsgi-trusted": "true",
        },
        "requestContext": {
            "http": {"method": "POST", "path": "/events", "sourceIp": "203.0.113.1"},
            "domainName": "abc.execute-api.us-east-1.amazonaws.com",
            "stage": "$default",
        },
        "body": json.dumps(s3),
        "isBase64Encoded": False,
    }
    answer = handler(event, None)
    assert answer["statusCode"] == 200
    assert len(app.calls) == 1
    assert "cloudevent" not in app.calls[0]
    assert "cloudevents_wsgi.lambda_delivery" not in app.calls[0]


# -- logs --------------------------------------------------------------------------------


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        formatter = logging.Formatter()
        return [f"{r.name}: {formatter.format(r)} {r.args!r}" for r in self.records]


@pytest.fixture
def captured_logs() -> Iterator[Capture]:
    handler = Capture()
    loggers = [
        logging.getLogger(name)
        for name in ("cloudevents_wsgi", "cloudevents_wsgi.aws_lambda", "cloudevents_wsgi.cli")
    ]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    root = logging.getLogger("cloudevents_wsgi")
    root.addHandler(handler)
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.setLevel(level)
            lg.propagate = propagate


def secret_events() -> list[tuple[dict[str, Any], bytes]]:
    event = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "/s",
        "type": "t",
        "subject": SECRET,
        "secretext": SECRET,
        "datacontenttype": "application/json",
        "data": {"password": SECRET},
    }
    bad_time = event | {"time": SECRET}
    binary_headers = {
        "HTTP_CE_SPECVERSION": "1.0",
        "HTTP_CE_ID": "e-2",
        "HTTP_CE_SOURCE": "/s",
        "HTTP_CE_TYPE": "t",
        "HTTP_CE_SUBJECT": SECRET,
    }
    return [
        ({"CONTENT_TYPE": "application/cloudevents+json"}, json.dumps(event).encode()),
        ({"CONTENT_TYPE": "application/cloudevents+json"}, json.dumps(bad_time).encode()),
        (
            {"CONTENT_TYPE": "application/cloudevents-batch+json"},
            json.dumps([event, event | {"id": "e-3"}, event | {"id": "e-4"}]).encode(),
        ),
        (
            {"CONTENT_TYPE": "application/cloudevents-batch+json"},
            json.dumps([event, bad_time]).encode(),
        ),
        ({**binary_headers, "CONTENT_TYPE": "text/plain"}, SECRET.encode()),
        ({**binary_headers, "HTTP_CE_TIME": SECRET, "CONTENT_TYPE": "text/plain"}, b"x"),
    ]


def test_logs_never_carry_event_data(captured_logs: Capture) -> None:
    for mode in ("binary", "structured"):
        for raise_in in (set(), {1}):
            for headers, body in secret_events():
                app = App(raise_in=raise_in)
                middleware = CloudEventsMiddleware(app, mode=mode)
                environ = request(body, **headers)
                environ["CONTENT_TYPE"] = headers["CONTENT_TYPE"]
                call(middleware, environ)
    # Native events through the Lambda shim, with a record that fails.
    sqs = builders.sqs_batch(
        *({"password": SECRET} for _ in range(3)),
        id_format="m-{}",
        queue="books",
        region="us-east-1",
        sent="1714557600000",
    )
    handler = make_lambda_handler(App(raise_in={1}))
    handler(sqs, None)
    with pytest.raises(EventFailedError):
        make_lambda_handler(App(raise_all=True))({"Records": sqs["Records"][:1]}, None)
    # An SNS subscription confirmation (logged by design: TopicArn and URL).
    confirmation = sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "m",
            "Token": "t",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:books",
            "Message": SECRET,
            "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t",
            "Timestamp": "2024-05-01T10:00:00.000Z",
            "SignatureVersion": "1",
            "SigningCertURL": CERT_URL,
        }
    )
    sns_call(confirmation)
    assert captured_logs.records, "nothing was logged: the capture does not work"
    leaks = [text for text in captured_logs.texts() if SECRET in text]
    assert leaks == []


# -- Pub/Sub push OIDC tokens ------------------------------------------------------------

google_jwt = pytest.importorskip("google.auth.jwt")
google_crypt = pytest.importorskip("google.auth.crypt")

from cloudevents_wsgi.pubsub_auth import (  # noqa: E402
    CLAIMS,
    PubSubAuthError,
    PubSubAuthMiddleware,
    PubSubPushVerifier,
)

GOOGLE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
GOOGLE_PEM = certificate(GOOGLE_KEY, "accounts.google.com").decode()
AUDIENCE = "https://books.example.com/pubsub"
PUSHER = "pusher@my-project.iam.gserviceaccount.com"


def private_pem(key: Any) -> bytes:
    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem


def token(key: Any = GOOGLE_KEY, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "azp": "1234",
        "email": PUSHER,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
        "sub": "1234",
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    signer = google_crypt.RSASigner.from_string(private_pem(key), key_id=kid)
    encoded: bytes = google_jwt.encode(signer, payload)
    return encoded.decode()


class CertsFetcher:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        return {"k1": GOOGLE_PEM}


def verifier(**options: Any) -> PubSubPushVerifier:
    settings: dict[str, Any] = {
        "audience": AUDIENCE,
        "service_accounts": {PUSHER},
        "certs_fetcher": CertsFetcher(),
    }
    settings.update(options)
    return PubSubPushVerifier(**settings)


def test_pubsub_token_from_the_push_service_account_is_accepted() -> None:
    claims = verifier().verify("Bearer " + token())
    assert claims["email"] == PUSHER and claims["aud"] == AUDIENCE


@pytest.mark.parametrize(
    "authorization, field",
    [
        (None, "authorization"),
        ("", "authorization"),
        ("Basic dXNlcjpwdw==", "authorization"),
        ("Bearer", "authorization"),
        ("Bearer not.a.jwt", "authorization"),
        (
            "Bearer " + token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "authorization",
        ),
        ("Bearer " + token(kid="unknown"), "authorization"),
        ("Bearer " + token(aud="https://other.example.com"), "authorization"),
        (
            "Bearer " + token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
            "authorization",
        ),
        (
            "Bearer " + token(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200),
            "authorization",
        ),
        ("Bearer " + token(iss="https://evil.example.com"), "iss"),
        ("Bearer " + token(email="other@my-project.iam.gserviceaccount.com"), "email"),
        ("Bearer " + token(email_verified=False), "email"),
        ("Bearer " + token(email=None), "email"),
    ],
)
def test_pubsub_tokens_that_do_not_prove_the_sender_are_refused(
    authorization: str | None, field: str
) -> None:
    with pytest.raises(PubSubAuthError) as caught:
        verifier().verify(authorization)
    assert caught.value.field == field


def test_pubsub_token_with_alg_none_is_refused() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"k1"}').rstrip(b"=")
    claims = json.loads(google_jwt.decode(token(), verify=False) and "{}")
    claims = {"iss": "https://accounts.google.com", "aud": AUDIENCE, "email": PUSHER}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    forged = b".".join([header, payload, b""]).decode()
    with pytest.raises(PubSubAuthError):
        verifier().verify("Bearer " + forged)


def pubsub_push_request(authorization: str | None, path: str = "/pubsub") -> dict[str, Any]:
    body = json.dumps(
        {
            "message": {
                "data": base64.b64encode(b'{"key": "a.epub"}').decode(),
                "messageId": "m-1",
                "publishTime": "2024-05-01T10:00:00.000Z",
            },
            "subscription": "projects/p/subscriptions/s",
        }
    ).encode()
    environ = request(body, PATH_INFO=path)
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization
    return environ


def test_pubsub_auth_middleware_guards_the_push_endpoint() -> None:
    app = App()
    inner = CloudEventsMiddleware(app, native_over_http={"google.pubsub"})
    guarded = PubSubAuthMiddleware(inner, verifier(), paths={"/pubsub"})
    status, headers, body = call(guarded, pubsub_push_request("Bearer " + token()))
    assert status == 200
    event = app.calls[0]["cloudevent"]
    assert event.get_type() == "google.cloud.pubsub.topic.v1.messagePublished"
    assert app.calls[0][CLAIMS]["email"] == PUSHER

    app.calls.clear()
    forged = "Bearer " + token(email="attacker@evil.iam.gserviceaccount.com")
    for authorization in (None, forged):
        status, headers, body = call(guarded, pubsub_push_request(authorization))
        assert status == 401
        assert headers["Content-Type"] == "application/problem+json"
        assert json.loads(body)["field"] and json.loads(body)["reason"]
    assert app.calls == []

    # Elsewhere the app answers, but a push without a verified token is never
    # read as an event (it was, before: a forged push at any other path).
    status, _, _ = call(guarded, pubsub_push_request(None, path="/other"))
    assert status == 200 and "cloudevent" not in app.calls[0]


def test_pubsub_claims_cannot_be_injected_by_the_client() -> None:
    app = App()
    guarded = PubSubAuthMiddleware(app, verifier())
    environ = pubsub_push_request(None)
    environ[CLAIMS] = {"email": PUSHER}
    status, _, _ = call(guarded, environ)
    assert status == 401 and app.calls == []
