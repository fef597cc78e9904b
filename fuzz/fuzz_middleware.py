"""Fuzz CloudEventsMiddleware with arbitrary requests.

Methods, headers, content types, Content-Length (true, missing, chunked,
lying, not a number) and bodies are arbitrary or edited real events: binary,
structured and batched CloudEvents, native provider payloads (with the
Lambda shim's delivery object on and off, SNS message headers with correctly
signed and tampered messages, Event Grid headers), webhook handshakes; under
several middleware configurations.

The app never raises and always answers 2xx, so:

- no exception escapes the middleware;
- the answer is never 5xx;
- every 4xx (they all come from the middleware) is ``application/problem+json``
  with a ``field`` and a ``reason``;
- the app never sees an event when the body is shorter than its
  Content-Length, and every event it sees reads back the same from the
  rewritten environ (binary or structured form);
- a request that reaches the app without an event has its body intact;
- SNS certificates are only ever fetched from ``https://sns.<region>.amazonaws.com``.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from cloudevents_wsgi import CloudEvent, CloudEventsMiddleware, Message, from_http
from cloudevents_wsgi.delivery import LambdaDelivery
from cloudevents_wsgi.environ import LAMBDA_DELIVERY
from cloudevents_wsgi.errors import InvalidEventError
from cloudevents_wsgi.receiver import parse_structured
from cloudevents_wsgi.sns_signature import (
    CERTIFICATE_URL,
    SNS_HOST,
    SUBSCRIPTION_URL,
    string_to_sign,
)
from cloudevents_wsgi.spec import canonical_string

from .common import Input, body_of, check, deep, gen_json, mutate_json, seed
from .fuzz_receiver import CONFORMANCE, CONTENT_TYPES, event_headers

NATIVE_FOLDERS = [
    "aws/s3",
    "aws/sqs",
    "aws/sns",
    "aws/eventbridge",
    "aws/scheduled",
    "aws/dynamodb",
    "aws/kinesis",
    "aws/cloudwatch-logs",
    "aws/ses",
    "azure/eventgrid",
    "gcp/pubsub-push",
    "gcp/legacy",
]
METHODS = ("POST", "POST", "POST", "PUT", "PATCH", "GET", "DELETE", "OPTIONS", "post", "HEAD")
NATIVE_TYPES = ("application/json", "text/plain", "application/json; charset=utf-8", None, "")


class Signer:
    """A local RSA key and self-signed certificate standing in for SNS's."""

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.fetched = 0

    def sign(self, message: dict[str, Any], version: str = "1") -> None:
        """Sign ``message`` in place as SNS would (if it can be signed at all)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        message["SignatureVersion"] = version
        try:
            signed = string_to_sign(message)
        except InvalidEventError:
            return
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(signed, padding.PKCS1v15(), algorithm)
        message["Signature"] = base64.b64encode(signature).decode()

    def fetch(self, url: str) -> bytes:
        """The certificate fetcher: never the network; checks the pinning held."""
        parts = urlsplit(url)
        check(
            parts.scheme == "https"
            and parts.hostname is not None
            and SNS_HOST.fullmatch(parts.hostname)
            and parts.username is None
            and parts.port in (None, 443),
            f"a certificate was fetched from an unpinned URL: {url!r}",
        )
        check(
            CERTIFICATE_URL.fullmatch(url) is not None
            or SUBSCRIPTION_URL.fullmatch(url) is not None,
            f"a URL of another form than SNS's was fetched: {url!r}",
        )
        self.fetched += 1
        return self.pem


@cache
def signer() -> Signer:
    return Signer()


Config = dict[str, Any]

CONFIGS: tuple[Config, ...] = (
    {},
    {"mode": "structured"},
    {"native_over_http": True},
    {"native_over_http": True, "mode": "structured", "unwrap": False},
    {"native_over_http": {"google.pubsub", "aws.s3"}},
    {"dapr": True},
    {"routes": {"com.amazonaws.s3.*": "/s3", "*": "/other"}},
    {"max_body_size": 512, "max_batch_size": 2, "max_json_depth": 4},
    {"max_attributes": 3, "max_header_size": 16, "native_over_http": True},
    {"webhook_origins": {"a.example.com"}, "webhook_rate": 60},
    {"webhook_origins": ()},
    {"sns_confirm_subscriptions": True, "sns_topics": {"*"}, "sns_max_age": None},
    {
        "sns_topics": {"arn:aws:sns:*:123456789012:*"},
        "native_over_http": {"azure.eventgrid"},
        "eventgrid_secret": "fuzz-secret-0123456789",
    },
    {"native_over_http": {"azure.eventgrid"}, "webhook_origins": {"*"}},
)


class App:
    """A WSGI app that never raises: it checks what it gets and answers 2xx."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.status = "200 OK"

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        stream = environ["wsgi.input"]
        if length.isdigit() and length.isascii():
            body = stream.read(int(length))
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = None
        self.calls.append({"environ": environ, "body": body})
        start_response(self.status, [("Content-Type", "text/plain")])
        return [] if self.status.startswith("204") else [b"ok"]


@cache
def middlewares() -> tuple[tuple[App, CloudEventsMiddleware, Config], ...]:
    built = []
    for config in CONFIGS:
        app = App()
        middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=signer().fetch, **config)
        built.append((app, middleware, config))
    return tuple(built)


def request(inp: Input) -> tuple[dict[str, Any], bytes]:
    """An environ and the body bytes it carries."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": inp.pick(METHODS),
        "PATH_INFO": inp.pick(("/", "/events", "/a%20b")),
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    kind = inp.below(7)
    value: Any
    if kind == 0:  # binary mode
        for name, header in event_headers(inp).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = _latin1(header)
        environ["CONTENT_TYPE"] = inp.pick(CONTENT_TYPES[10:]) if inp.chance(80) else None
        value = seed(inp, CONFORMANCE)
        value = value.get("data") if isinstance(value, dict) else gen_json(inp)
    elif kind in (1, 2):  # structured, batch
        value = seed(inp, CONFORMANCE)
        if kind == 2 and not isinstance(value, list):
            value = [value, seed(inp, CONFORMANCE)]
        if inp.chance(60):
            value = mutate_json(inp, value)
        environ["CONTENT_TYPE"] = inp.pick(CONTENT_TYPES[1:10])
    elif kind in (3, 4, 5):  # native
        folder = inp.pick(NATIVE_FOLDERS)
        value = seed(inp, [folder]) if inp.chance(90) else gen_json(inp)
        if inp.chance(70):
            value = mutate_json(inp, value)
        environ["CONTENT_TYPE"] = inp.pick(NATIVE_TYPES)
        if inp.chance(25):
            value = _sns_http(inp, value)
            environ["HTTP_X_AMZ_SNS_MESSAGE_TYPE"] = inp.pick(
                ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation", "x")
            )
        elif (folder == "azure/eventgrid" and inp.chance(50)) or inp.chance(5):
            environ["HTTP_AEG_EVENT_TYPE"] = inp.pick(
                ("Notification", "SubscriptionValidation", "")
            )
            if inp.chance(30):
                value = [
                    {
                        "id": inp.text(),
                        "topic": inp.text(),
                        "subject": "",
                        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                        "eventTime": "2024-05-01T10:00:00Z",
                        "data": {"validationCode": gen_json(inp)},
                        "dataVersion": "1",
                    }
                ]
        if inp.chance(50):
            environ[LAMBDA_DELIVERY] = LambdaDelivery()
        elif inp.chance(10):
            environ["HTTP_CLOUDEVENTS_WSGI_TRUSTED"] = "True"
            environ["HTTP_X_CLOUDEVENTS_WSGI_TRUSTED"] = "1"
    elif kind == 6:  # webhook handshake or anything
        environ["REQUEST_METHOD"] = inp.pick(("OPTIONS", "OPTIONS", "POST"))
        environ["HTTP_WEBHOOK_REQUEST_ORIGIN"] = _latin1(inp.text())
        environ["CONTENT_TYPE"] = inp.pick(CONTENT_TYPES)
        value = gen_json(inp)
    if environ.get("CONTENT_TYPE") is None:
        environ.pop("CONTENT_TYPE", None)
    body = body_of(inp, value) if inp.chance(97) else deep(inp)
    length = inp.below(12)
    if length < 8:
        environ["CONTENT_LENGTH"] = str(len(body))
    elif length == 8:
        environ["wsgi.input_terminated"] = True
    elif length == 9:
        environ["CONTENT_LENGTH"] = str(len(body) + 1 + inp.below(100))  # lying, or cut off
    elif length == 10:
        environ["CONTENT_LENGTH"] = inp.pick(("abc", "-1", "+5", " 5", "1e3", "\uff11", ""))
    environ["wsgi.input"] = io.BytesIO(body)
    if inp.chance(10) and LAMBDA_DELIVERY not in environ:
        environ[LAMBDA_DELIVERY] = LambdaDelivery()
    return environ, body


def _latin1(text: str) -> str:
    """What a WSGI server hands over: header bytes decoded as latin-1."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def _sns_http(inp: Input, value: Any) -> Any:
    """An SNS document as SNS POSTs it, correctly signed, tampered or forged."""
    if isinstance(value, dict) and isinstance(value.get("Records"), list) and value["Records"]:
        record = value["Records"][0]
        value = record.get("Sns", record) if isinstance(record, dict) else value
    if not isinstance(value, dict):
        return value
    value = dict(value)
    for lambda_name, http_name in (("SigningCertUrl", "SigningCertURL"), ("UnsubscribeUrl", "")):
        if lambda_name in value:
            url = value.pop(lambda_name)
            if http_name:
                value[http_name] = url
    if inp.chance(60):
        value["SigningCertURL"] = inp.pick(
            (
                "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
                "https://sns.s3.amazonaws.com/SimpleNotificationService-1.pem",
                "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem?x",
                "https://sns.cn-north-1.amazonaws.com.cn/x.pem",
                "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
                "http://sns.us-east-1.amazonaws.com/x.pem",
                "https://evil@sns.us-east-1.amazonaws.com/x.pem",
                "https://sns.us-east-1.amazonaws.com:8443/x.pem",
                "https://sns.us-east-1.amazonaws.com/x.txt",
                "https://[::1]/x.pem",
                "https://sns.us-east-1.amazonaws.com:99999/x.pem",
            )
        )
    if inp.chance(30):
        value["SubscribeURL"] = inp.pick(
            (
                "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t",
                "https://evil.example/?Action=ConfirmSubscription",
                "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            )
        )
    if inp.chance(70):
        signer().sign(value, inp.pick(("1", "2")))
        if inp.chance(30):
            value = mutate_json(inp, value, 1)  # tampered after signing
    return value


def check_answer(status: str, headers: list[tuple[str, str]], body: bytes) -> None:
    code = int(status[:3])
    check(code < 500, f"answered {status}")
    fields = {name.lower(): value for name, value in headers}
    if "content-length" in fields:
        check(int(fields["content-length"]) == len(body), "Content-Length differs from the body")
    if 400 <= code < 500:
        check(
            fields.get("content-type") == "application/problem+json",
            f"a {code} that is not problem+json: {headers}",
        )
        problem = json.loads(body)
        check(isinstance(problem.get("field"), str), f"problem without a field: {problem}")
        check(
            isinstance(problem.get("reason"), str) and problem["reason"],
            f"problem without a reason: {problem}",
        )
        check(problem.get("status") == code, "problem status differs")


def check_event_environ(environ: dict[str, Any], body: bytes | None, structured: bool) -> None:
    event = environ["cloudevent"]
    check(isinstance(event, CloudEvent), f"environ['cloudevent'] is {event!r}")
    check(body is not None and len(body) == int(environ["CONTENT_LENGTH"]), "data length differs")
    assert body is not None
    if structured:
        check(environ["CONTENT_TYPE"] == "application/cloudevents+json", "not structured")
        check(
            parse_structured(body) == event,
            f"the structured environ reads back differently: {event!r}",
        )
        return
    headers = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_CE_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    again = from_http(Message(headers=headers, body=body))
    check(again is not None and len(again) == 1, "the binary environ is not one event")
    assert again is not None
    ours = {k: canonical_string(v) for k, v in event.get_attributes().items()}
    theirs = {k: canonical_string(v) for k, v in again[0].get_attributes().items()}
    check(ours == theirs, f"the binary environ reads back differently: {ours} != {theirs}")


def one_input(data: bytes) -> None:
    inp = Input(data)
    app, middleware, config = inp.pick(middlewares())
    app.calls.clear()
    app.status = inp.pick(("200 OK", "200 OK", "202 Accepted", "204 No Content"))
    environ, body = request(inp)
    declared = environ.get("CONTENT_LENGTH", "")
    lying = declared.isdigit() and declared.isascii() and int(declared) > len(body)
    delivery = environ.get(LAMBDA_DELIVERY)
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer[:] = [status, headers]
        return lambda chunk: None

    chunks = middleware(environ, start_response)
    out = b"".join(chunks)
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
    check(answer, "start_response was never called")
    check_answer(answer[0], answer[1], out)
    structured = config.get("mode") == "structured"
    for call in app.calls:
        env = call["environ"]
        if "cloudevent" in env:
            check(not lying, "the app got an event from a body shorter than its Content-Length")
            check_event_environ(env, call["body"], structured)
        elif call["body"] is not None and declared.isdigit() and declared.isascii():
            check(call["body"] == body[: int(declared)], "a passed-through body was changed")
    if delivery is not None:
        results = [r for r in delivery.results if r.event is not None]  # not the refused
        events = [c for c in app.calls if "cloudevent" in c["environ"]]
        check(len(results) == len(events), "results do not match the calls")


if __name__ == "__main__":
    import sys

    from .run import main

    main(["middleware", *sys.argv[1:]])
