"""Trust that cannot be sidestepped: each rule of cloudevents_wsgi.origins,
tried as an attacker would (issue 9, "Trust").

Keys and certificates are made here; nothing reaches the internet.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from cloudevents_wsgi import CloudEventsMiddleware, ConfigurationError, InvalidEventError
from cloudevents_wsgi.sns_signature import (
    CachingCertificateFetcher,
    check_certificate_url,
    check_subscription_url,
)

from .test_security import (
    ATTACKER_KEY,
    CERT_URL,
    TOPICS,
    App,
    Fetcher,
    assert_problem,
    call,
    notification,
    request,
    sign,
    sns_now,
    validation_event,
)

FOREIGN_TOPIC = "arn:aws:sns:us-east-1:999999999999:books"
EVENTGRID = {"azure.eventgrid"}
GRID_SECRET = "grid-secret-0123456789abcdef"


def sns_environ(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return request(
        json.dumps(message).encode(),
        "text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=message.get("Type", "Notification"),
        **extra,
    )


def confirmation(topic: str = "arn:aws:sns:us-east-1:123456789012:books") -> dict[str, Any]:
    return sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "m",
            "Token": "t",
            "TopicArn": topic,
            "Message": "confirm",
            "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
            f"&TopicArn={topic}&Token=t",
            "Timestamp": sns_now(),
            "SignatureVersion": "1",
            "SigningCertURL": CERT_URL,
        }
    )


# -- SNS: only the expected topics, only signed fields --------------------------------


def test_sns_without_sns_topics_passes_through_unread() -> None:
    app, fetcher = App(), Fetcher()
    environ = sns_environ(sign(notification()))
    body = environ["wsgi.input"].getvalue()
    status, _, _ = call(CloudEventsMiddleware(app, sns_certificate_fetcher=fetcher), environ)
    assert status == 200 and "cloudevent" not in app.calls[0]
    assert app.bodies == [body] and fetcher.urls == []


@pytest.mark.parametrize("native_over_http", [True, {"aws.sns"}])
def test_native_over_http_alone_never_admits_sns(native_over_http: Any) -> None:
    """An SNS document without the SNS header, with every opt-in but sns_topics."""
    app, fetcher = App(), Fetcher()
    environ = request(json.dumps(sign(notification())).encode())
    middleware = CloudEventsMiddleware(
        app, sns_certificate_fetcher=fetcher, native_over_http=native_over_http
    )
    status, _, _ = call(middleware, environ)
    assert status == 200 and "cloudevent" not in app.calls[0] and fetcher.urls == []


def test_sns_document_without_the_header_is_still_verified() -> None:
    """Leaving out x-amz-sns-message-type does not skip the signature check."""
    app = App()
    environ = request(json.dumps(notification()).encode())  # unsigned
    middleware = CloudEventsMiddleware(
        app, sns_certificate_fetcher=Fetcher(), sns_topics=TOPICS, native_over_http=True
    )
    assert_problem(*call(middleware, environ), 400)
    assert app.calls == []


def test_signed_message_from_a_foreign_topic_is_403_and_never_reaches_the_app() -> None:
    app, fetcher = App(), Fetcher()
    middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=fetcher, sns_topics=TOPICS)
    answer = call(middleware, sns_environ(sign(notification(TopicArn=FOREIGN_TOPIC))))
    assert assert_problem(*answer, 403)["field"] == "TopicArn"
    assert app.calls == []


def test_foreign_topic_subscription_is_never_confirmed() -> None:
    app, fetcher = App(), Fetcher()
    middleware = CloudEventsMiddleware(
        app, sns_certificate_fetcher=fetcher, sns_topics=TOPICS, sns_confirm_subscriptions=True
    )
    answer = call(middleware, sns_environ(confirmation(FOREIGN_TOPIC)))
    assert assert_problem(*answer, 403)["field"] == "TopicArn"
    assert fetcher.urls == [CERT_URL]  # the certificate, never the SubscribeURL
    assert app.calls == []


def test_expected_topic_subscription_is_confirmed() -> None:
    fetcher = Fetcher()
    middleware = CloudEventsMiddleware(
        App(), sns_certificate_fetcher=fetcher, sns_topics=TOPICS, sns_confirm_subscriptions=True
    )
    status, _, _ = call(middleware, sns_environ(confirmation()))
    assert status == 200 and fetcher.urls[-1].startswith("https://sns.us-east-1.amazonaws.com/?")


def test_unsigned_subscription_header_does_not_change_the_source() -> None:
    app = App()
    middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=Fetcher(), sns_topics=TOPICS)
    forged = "arn:aws:sns:us-east-1:999999999999:evil:0123"
    environ = sns_environ(sign(notification()), HTTP_X_AMZ_SNS_SUBSCRIPTION_ARN=forged)
    status, _, _ = call(middleware, environ)
    assert status == 200
    assert app.calls[0]["cloudevent"].get_source() == "arn:aws:sns:us-east-1:123456789012:books"


@pytest.mark.parametrize("seconds_ago, status", [(3900 + 60, 403), (3900 - 60, 200)])
def test_sns_timestamp_older_than_the_window_is_refused(seconds_ago: int, status: int) -> None:
    app = App()
    middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=Fetcher(), sns_topics=TOPICS)
    answer = call(middleware, sns_environ(sign(notification(Timestamp=sns_now(seconds_ago)))))
    assert answer[0] == status
    if status == 403:
        assert assert_problem(*answer, 403)["field"] == "Timestamp"
        assert app.calls == []


def test_sns_max_age_is_an_option() -> None:
    app = App()
    middleware = CloudEventsMiddleware(
        app, sns_certificate_fetcher=Fetcher(), sns_topics=TOPICS, sns_max_age=60
    )
    answer = call(middleware, sns_environ(sign(notification(Timestamp=sns_now(120)))))
    assert assert_problem(*answer, 403)["field"] == "Timestamp"


GOOD_HEX = "SimpleNotificationService-0123456789abcdef.pem"
BAD_CERTIFICATE_URLS = [
    f"https://sns.s3.amazonaws.com/{GOOD_HEX}",
    f"https://sns.s3.us-east-1.amazonaws.com/{GOOD_HEX}",
    f"https://sns.s3-us-east-1.amazonaws.com/{GOOD_HEX}",
    f"https://sns.s3-external-1.amazonaws.com/{GOOD_HEX}",
    f"https://sns.us-east-1.amazonaws.com/{GOOD_HEX}?x=1",
    f"https://sns.us-east-1.amazonaws.com/{GOOD_HEX}#x",
    f"https://sns.us-east-1.amazonaws.com/a/../{GOOD_HEX}",
    f"https://sns.us-east-1.amazonaws.com/x/{GOOD_HEX}",
    f"https://sns.us-east-1.amazonaws.com//{GOOD_HEX}",
    f"https://u@sns.us-east-1.amazonaws.com/{GOOD_HEX}",
    f"https://sns.us-east-1.amazonaws.com:443/{GOOD_HEX}",
    f"https://SNS.US-EAST-1.AMAZONAWS.COM/{GOOD_HEX}",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-xyz.pem",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-.pem",
    "https://sns.us-east-1.amazonaws.com/evil.pem",
    f"https://sns.us-east-1.amazonaws.com/{GOOD_HEX}\n",
    f"https://sns.us-east-1.amazonaws.com.evil.com/{GOOD_HEX}",
    f"http://sns.us-east-1.amazonaws.com/{GOOD_HEX}",
]


@pytest.mark.parametrize("url", BAD_CERTIFICATE_URLS)
def test_certificate_url_forms_are_refused_before_any_fetch(url: str) -> None:
    app, fetcher = App(), Fetcher()
    middleware = CloudEventsMiddleware(app, sns_certificate_fetcher=fetcher, sns_topics=TOPICS)
    answer = call(middleware, sns_environ(sign(notification(SigningCertURL=url), ATTACKER_KEY)))
    assert assert_problem(*answer, 400)["field"] == "SigningCertURL"
    assert fetcher.urls == [] and app.calls == []
    with pytest.raises(InvalidEventError):
        CachingCertificateFetcher(download=lambda u, t: b"never")(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-0a.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-ff.pem",
    ],
)
def test_genuine_certificate_url_forms(url: str) -> None:
    assert check_certificate_url(url) == url


TOPIC = "arn:aws:sns:us-east-1:123456789012:books"
ROOT = "https://sns.us-east-1.amazonaws.com/"


@pytest.mark.parametrize(
    "url",
    [
        f"https://sns.s3.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}",
        f"https://evil.example.com/?Action=ConfirmSubscription&TopicArn={TOPIC}",
        f"https://u@sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}",
        f"https://sns.us-east-1.amazonaws.com:8443/?Action=ConfirmSubscription&TopicArn={TOPIC}",
        f"{ROOT}../?Action=ConfirmSubscription&TopicArn={TOPIC}",
        f"{ROOT}x?Action=ConfirmSubscription&TopicArn={TOPIC}",
        f"{ROOT}?Action=ConfirmSubscription&TopicArn={TOPIC}#frag",
        f"{ROOT}?Action=Unsubscribe&TopicArn={TOPIC}",
        f"{ROOT}?Action=ConfirmSubscription&Action=ConfirmSubscription&TopicArn={TOPIC}",
        f"{ROOT}?Action=ConfirmSubscription&TopicArn={FOREIGN_TOPIC}",
        f"{ROOT}?Action=ConfirmSubscription",
        f"http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}",
    ],
)
def test_subscribe_url_forms_are_refused_before_any_visit(url: str) -> None:
    with pytest.raises(InvalidEventError):
        check_subscription_url("SubscribeURL", url, "ConfirmSubscription", TOPIC)
    message = confirmation()
    message["SubscribeURL"] = url
    message = sign(message)
    fetcher = Fetcher()
    middleware = CloudEventsMiddleware(
        App(), sns_certificate_fetcher=fetcher, sns_topics=TOPICS, sns_confirm_subscriptions=True
    )
    assert_problem(*call(middleware, sns_environ(message)), 400)
    assert fetcher.urls == [CERT_URL]


def test_unsubscribe_url_checked_the_same_way() -> None:
    good = f"{ROOT}?Action=Unsubscribe&SubscriptionArn={TOPIC}:1"
    assert check_subscription_url("UnsubscribeURL", good, "Unsubscribe", None) == good
    for bad in (
        f"https://sns.s3.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC}:1",
        f"{ROOT}?Action=ConfirmSubscription",
    ):
        with pytest.raises(InvalidEventError):
            check_subscription_url("UnsubscribeURL", bad, "Unsubscribe", None)


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_forged_certificate_urls_cannot_evict_the_real_certificate() -> None:
    downloads: list[str] = []

    def download(url: str, timeout: float) -> bytes:
        downloads.append(url)
        if url != CERT_URL:  # SNS answers 404 for a made-up certificate name
            raise InvalidEventError("SigningCertURL", "could not be fetched (404)", url)
        return b"PEM"

    fetcher = CachingCertificateFetcher(max_entries=2, max_failures=8, download=download)
    assert fetcher(CERT_URL) == b"PEM"
    for index in range(1000):
        with pytest.raises(InvalidEventError):
            fetcher(f"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-{index:x}.pem")
    assert fetcher(CERT_URL) == b"PEM"
    assert downloads.count(CERT_URL) == 1


def test_failed_certificate_fetches_are_cached_briefly() -> None:
    clock = Clock()
    downloads: list[str] = []

    def download(url: str, timeout: float) -> bytes:
        downloads.append(url)
        raise InvalidEventError("SigningCertURL", "could not be fetched (timeout)", url)

    fetcher = CachingCertificateFetcher(negative_ttl=60, download=download, clock=clock)
    for _ in range(5):
        with pytest.raises(InvalidEventError):
            fetcher(CERT_URL)
    assert downloads == [CERT_URL]
    clock.now += 61
    with pytest.raises(InvalidEventError):
        fetcher(CERT_URL)
    assert downloads == [CERT_URL, CERT_URL]


# -- Azure Event Grid: an opt-in, with an endpoint secret ----------------------------


def grid_environ(payload: Any, kind: str = "Notification", query: str = "") -> dict[str, Any]:
    return request(json.dumps(payload).encode(), HTTP_AEG_EVENT_TYPE=kind, QUERY_STRING=query)


GRID_EVENT = validation_event()[0] | {"eventType": "Contoso.Items.ItemReceived", "data": {}}


@pytest.mark.parametrize("kind", ["Notification", "SubscriptionValidation"])
def test_event_grid_without_opt_in_passes_through_unread(kind: str) -> None:
    app = App()
    payload = validation_event() if kind == "SubscriptionValidation" else [GRID_EVENT]
    environ = grid_environ(payload, kind)
    body = environ["wsgi.input"].getvalue()
    status, _, answer = call(CloudEventsMiddleware(app), environ)
    assert status == 200 and answer == b"ok"  # the app's answer, no validationResponse
    assert app.bodies == [body] and "cloudevent" not in app.calls[0]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "code=",
        "code=wrong",
        f"code={GRID_SECRET[:-1]}",
        f"code={GRID_SECRET}x",
        f"CODE={GRID_SECRET}",
        f"code={GRID_SECRET}&code=wrong",
        f"code=wrong&code={GRID_SECRET}",
        f"key={GRID_SECRET}",
    ],
)
@pytest.mark.parametrize("kind", ["Notification", "SubscriptionValidation"])
def test_event_grid_with_a_wrong_or_missing_secret_is_403(query: str, kind: str) -> None:
    app = App()
    middleware = CloudEventsMiddleware(
        app, native_over_http=EVENTGRID, eventgrid_secret=GRID_SECRET
    )
    payload = validation_event() if kind == "SubscriptionValidation" else [GRID_EVENT]
    answer = call(middleware, grid_environ(payload, kind, query))
    assert assert_problem(*answer, 403)["field"] == "code"
    assert b"validationResponse" not in answer[2] and app.calls == []


def test_event_grid_with_the_secret_is_accepted() -> None:
    app = App()
    middleware = CloudEventsMiddleware(
        app, native_over_http=EVENTGRID, eventgrid_secret=GRID_SECRET
    )
    status, headers, body = call(
        middleware,
        grid_environ(validation_event(), "SubscriptionValidation", f"code={GRID_SECRET}"),
    )
    assert status == 200 and json.loads(body)["validationResponse"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, _ = call(middleware, grid_environ([GRID_EVENT], query=f"code={GRID_SECRET}"))
    assert status == 200 and app.calls[0]["cloudevent"].get_type() == "Contoso.Items.ItemReceived"


def test_event_grid_secret_parameter_name_is_an_option() -> None:
    app = App()
    middleware = CloudEventsMiddleware(
        app,
        native_over_http=EVENTGRID,
        eventgrid_secret=GRID_SECRET,
        eventgrid_secret_parameter="token",
    )
    assert_problem(*call(middleware, grid_environ([GRID_EVENT], query=f"code={GRID_SECRET}")), 403)
    status, _, _ = call(middleware, grid_environ([GRID_EVENT], query=f"token={GRID_SECRET}"))
    assert status == 200 and "cloudevent" in app.calls[0]


def test_event_grid_without_its_header_still_needs_the_secret() -> None:
    """Leaving out aeg-event-type does not skip the secret or answer the handshake."""
    app = App()
    middleware = CloudEventsMiddleware(
        app, native_over_http=EVENTGRID, eventgrid_secret=GRID_SECRET
    )
    for payload in (validation_event(), [GRID_EVENT]):
        answer = call(middleware, request(json.dumps(payload).encode()))
        assert assert_problem(*answer, 403)["field"] == "code"
    assert app.calls == []


# -- Google Pub/Sub: the token check and the opt-in cover the same requests ----------


@pytest.mark.parametrize(
    "path", ["/pubsub", "/pubsub/", "//pubsub", "/PubSub", "/pubsub//", "/other", "/", "/x/pubsub"]
)
def test_forged_pubsub_push_is_never_an_event_whatever_the_path(path: str) -> None:
    pytest.importorskip("google.auth")
    from cloudevents_wsgi.pubsub_auth import PubSubAuthMiddleware

    from .test_security import pubsub_push_request, verifier

    app = App()
    inner = CloudEventsMiddleware(app, native_over_http={"google.pubsub"})
    guarded = PubSubAuthMiddleware(inner, verifier(), paths={"/pubsub"})
    status, _, _ = call(guarded, pubsub_push_request(None, path=path))
    if path.strip("/").lower() == "pubsub":
        assert status == 401 and app.calls == []  # the push endpoint, however spelt
    else:
        assert status == 200 and "cloudevent" not in app.calls[0]  # a plain request


def test_pubsub_claims_must_come_from_the_environ_not_a_header() -> None:
    pytest.importorskip("google.auth")
    from cloudevents_wsgi.pubsub_auth import PubSubAuthMiddleware

    from .test_security import pubsub_push_request, verifier

    app = App()
    inner = CloudEventsMiddleware(app, native_over_http={"google.pubsub"})
    guarded = PubSubAuthMiddleware(inner, verifier(), paths={"/pubsub"})
    environ = pubsub_push_request(None, path="/other")
    environ["HTTP_CLOUDEVENTS_WSGI_PUBSUB_CLAIMS"] = '{"email": "x"}'
    environ["HTTP_CLOUDEVENTS_WSGI_PUBSUB_GUARDED"] = "0"
    call(guarded, environ)
    assert "cloudevent" not in app.calls[0]


# -- the webhook handshake: off until origins are configured -------------------------


@pytest.mark.parametrize("path", ["/admin/login/", "/events", "/"])
def test_webhook_handshake_is_never_granted_by_default(path: str) -> None:
    app = App()
    environ = {
        "REQUEST_METHOD": "OPTIONS",
        "PATH_INFO": path,
        "HTTP_WEBHOOK_REQUEST_ORIGIN": "evil.example.com",
        "wsgi.input": io.BytesIO(b""),
    }
    status, headers, body = call(CloudEventsMiddleware(app), environ)
    assert "WebHook-Allowed-Origin" not in headers
    assert (status, body) == (200, b"ok") and len(app.calls) == 1


# -- requests that cannot be proved to be events pass through whole -------------------

MIB = 1024 * 1024


class ShortReads(io.BytesIO):
    """A chunked wsgi.input returning at most 64 KiB per read (PEP 3333 allows it)."""

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > 65536:
            size = 65536
        return super().read(size)


class Reader:
    """An app that reads its whole body the way frameworks do."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.events = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH")
        if length:
            body = stream.read(int(length))
        else:
            chunks = []
            while chunk := stream.read(8192):
                chunks.append(chunk)
            body = b"".join(chunks)
        self.bodies.append(body)
        self.events += "cloudevent" in environ
        start_response("200 OK", [])
        return []


class GitHubPush:
    """A user's own adapter (accepted over HTTP without an opt-in)."""

    name = "github.push"

    def matches(self, payload: Any, message: Any) -> bool:
        return message.header("x-github-event") == "push"

    def convert(self, payload: Any, message: Any) -> list[Any]:
        raise AssertionError("an upload is not a push")


UPLOAD_OPTIONS = [
    {"adapters": [GitHubPush()]},
    {"native_over_http": True},
    {"native_over_http": {"google.pubsub"}},
]


@pytest.mark.parametrize("options", UPLOAD_OPTIONS)
def test_11_mib_text_upload_reaches_the_app_whole(options: dict[str, Any]) -> None:
    body = bytes(range(256)) * (11 * MIB // 256)
    app = Reader()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/upload",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    status, _, _ = call(CloudEventsMiddleware(app, **options), environ)
    assert status == 200 and app.events == 0
    assert app.bodies == [body]


@pytest.mark.parametrize("options", UPLOAD_OPTIONS)
@pytest.mark.parametrize("stream", [io.BytesIO, ShortReads])
def test_11_mib_chunked_json_upload_reaches_the_app_whole(
    options: dict[str, Any], stream: type[io.BytesIO]
) -> None:
    body = b'{"rows": [' + b'"0123456789abcdef",' * (11 * MIB // 19) + b'"end"]}'
    app = Reader()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/upload",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": stream(body),
        "wsgi.input_terminated": True,
    }
    status, _, _ = call(CloudEventsMiddleware(app, **options), environ)
    assert status == 200 and app.events == 0
    assert len(app.bodies[0]) == len(body) and app.bodies == [body]


def test_oversized_upload_with_a_content_length_is_not_read_by_the_middleware() -> None:
    body = b"x" * (2 * MIB)
    stream = io.BytesIO(body)
    app = Reader()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/upload",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": stream,
    }
    middleware = CloudEventsMiddleware(app, native_over_http=True, max_body_size=MIB)
    status, _, _ = call(middleware, environ)
    assert status == 200 and app.bodies == [body] and environ["wsgi.input"] is stream


def test_readline_of_a_rejoined_upload_gives_every_line() -> None:
    lines = [b'{"line": %d}\n' % index for index in range(200_000)]
    body = b"".join(lines)
    seen: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.extend(environ["wsgi.input"])
        start_response("200 OK", [])
        return []

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/upload",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": ShortReads(body),
        "wsgi.input_terminated": True,
    }
    call(CloudEventsMiddleware(app, native_over_http=True, max_body_size=MIB), environ)
    assert seen == lines


# -- linear time ---------------------------------------------------------------------


def _seconds(function: Any, argument: Any) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        function(argument)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize(
    "name, make",
    [
        ("host", lambda n: "sns." + "ab-" * n + "1x"),
        ("region", lambda n: "https://sns." + "us-" * n + "x.amazonaws.com/x.pem"),
        ("hex", lambda n: ROOT + "SimpleNotificationService-" + "a" * n + ".pemx"),
        ("query", lambda n: ROOT + "?" + "a" * n + "#"),
    ],
)
def test_sns_url_patterns_cost_linear_time(name: str, make: Any) -> None:
    """Near-miss inputs at n and 4n characters: the cost may grow about 4 times, not 16."""
    from cloudevents_wsgi.sns_signature import CERTIFICATE_URL, SNS_HOST, SUBSCRIPTION_URL

    pattern = SNS_HOST if name == "host" else CERTIFICATE_URL
    if name == "query":
        pattern = SUBSCRIPTION_URL
    n = 100_000
    small = _seconds(pattern.fullmatch, make(n))
    large = _seconds(pattern.fullmatch, make(4 * n))
    assert large / max(small, 1e-6) < 8
    # And the checks refuse a long URL before any pattern runs.
    with pytest.raises(InvalidEventError):
        check_certificate_url(make(4 * n))
    with pytest.raises(InvalidEventError):
        check_subscription_url("SubscribeURL", make(4 * n), "ConfirmSubscription", None)


def test_pubsub_path_comparison_costs_linear_time() -> None:
    pytest.importorskip("google.auth")
    from cloudevents_wsgi.pubsub_auth import PubSubAuthMiddleware

    from .test_security import verifier

    def through(path: str) -> None:
        environ = request(b"{}", PATH_INFO=path)
        call(PubSubAuthMiddleware(App(), verifier(), paths={"/pubsub"}), environ)

    n = 200_000
    small = _seconds(through, "/" * n + "pubsub" + "/x" * n)
    large = _seconds(through, "/" * (4 * n) + "pubsub" + "/x" * (4 * n))
    assert large / max(small, 1e-6) < 8


# -- options ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, named",
    [
        ({"sns_topics": "arn:aws:sns:*:1:t"}, "sns_topics"),
        ({"sns_topics": [""]}, "sns_topics"),
        ({"sns_topics": [1]}, "sns_topics"),
        ({"sns_max_age": 0}, "sns_max_age"),
        ({"sns_max_age": True}, "sns_max_age"),
        ({"sns_max_age": "60"}, "sns_max_age"),
        ({"eventgrid_secret": "short"}, "eventgrid_secret"),
        ({"eventgrid_secret": b"0123456789abcdef"}, "eventgrid_secret"),
        ({"eventgrid_secret_parameter": ""}, "eventgrid_secret_parameter"),
        ({"webhook_origins": "*"}, "webhook_origins"),
    ],
)
def test_trust_options_are_validated(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        CloudEventsMiddleware(App(), **options)


def test_reads_of_a_rejoined_upload_are_full_across_the_seam() -> None:
    """An app asking for n bytes gets n while there are n left, also where the
    bytes the middleware read give way to the rest of the stream."""
    body = bytes(range(251)) * (3 * MIB // 251)
    sizes: list[int] = []
    chunks: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        while chunk := environ["wsgi.input"].read(MIB + 7):
            sizes.append(len(chunk))
            chunks.append(chunk)
        start_response("200 OK", [])
        return []

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/upload",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
    }
    call(CloudEventsMiddleware(app, native_over_http=True, max_body_size=MIB), environ)
    assert b"".join(chunks) == body
    assert all(size == MIB + 7 for size in sizes[:-1])
