"""SNS message signatures: signed with a key and certificate made here, both
signature versions, and the forgeries a public endpoint must refuse."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest

from cloudevents_wsgi import ConfigurationError, InvalidEventError
from cloudevents_wsgi.sns_signature import (
    CachingCertificateFetcher,
    confirmation_url,
    default_fetcher,
    verify_sns_message,
)

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

CERT_URL = "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"


def make_certificate(key: Any) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = make_certificate(KEY)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def canonical(message: dict[str, Any]) -> bytes:
    """The string to sign, written from the AWS documentation."""
    if message["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{name}\n{message[name]}\n" for name in names if message.get(name) is not None)
    return text.encode()


def signed(message: dict[str, Any], version: str = "1", key: Any = KEY) -> dict[str, Any]:
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(canonical(message), padding.PKCS1v15(), algorithm)
    return {
        **message,
        "SignatureVersion": version,
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": CERT_URL,
    }


def notification(**changes: Any) -> dict[str, Any]:
    message = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Subject": "My First Message",
        "Message": "Hello world!\nÜnïcode ✓",
        "Timestamp": "2012-05-02T00:54:06.655Z",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&x=1",
    }
    message.update(changes)
    return {key: value for key, value in message.items() if value is not ...}


SUBSCRIBE_URL = (
    "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription"
    "&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37"
)


def subscription(kind: str = "SubscriptionConfirmation", **changes: Any) -> dict[str, Any]:
    message = {
        "Type": kind,
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": SUBSCRIBE_URL,
        "Timestamp": "2012-04-26T20:45:04.751Z",
    }
    message.update(changes)
    return message


class Fetcher:
    def __init__(self, pem: bytes = PEM) -> None:
        self.pem = pem
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pem


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    "message",
    [
        pytest.param(notification(), id="notification"),
        pytest.param(notification(Subject=...), id="notification-without-subject"),
        pytest.param(subscription(), id="subscription-confirmation"),
        pytest.param(subscription("UnsubscribeConfirmation"), id="unsubscribe-confirmation"),
    ],
)
def test_genuine_messages_pass(message: dict[str, Any], version: str) -> None:
    fetcher = Fetcher()
    verify_sns_message(signed(message, version), fetch_certificate=fetcher)
    assert fetcher.urls == [CERT_URL]


def test_null_subject_is_absent() -> None:
    # The Lambda form writes an absent subject as null.
    message = signed(notification(Subject=...))
    verify_sns_message({**message, "Subject": None}, fetch_certificate=Fetcher())


def test_lambda_spelling_of_the_certificate_url() -> None:
    message = signed(notification())
    message["SigningCertUrl"] = message.pop("SigningCertURL")
    verify_sns_message(message, fetch_certificate=Fetcher())


def test_china_regions() -> None:
    url = "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem"
    fetcher = Fetcher()
    verify_sns_message({**signed(notification()), "SigningCertURL": url}, fetch_certificate=fetcher)
    assert fetcher.urls == [url]


def expect_refusal(message: dict[str, Any], field: str, fetcher: Any = None) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        verify_sns_message(message, fetch_certificate=fetcher or Fetcher())
    assert caught.value.field == field
    assert caught.value.status == 400
    return caught.value


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"Message": "Hello world?"}, id="message"),
        pytest.param({"Subject": "Other"}, id="subject"),
        pytest.param({"TopicArn": "arn:aws:sns:us-west-2:123456789012:Other"}, id="topic"),
        pytest.param({"Timestamp": "2012-05-02T00:54:06.656Z"}, id="timestamp"),
        pytest.param(
            {"Type": "SubscriptionConfirmation", "SubscribeURL": "x", "Token": "t"}, id="type"
        ),
    ],
)
def test_tampered_message_is_refused(change: dict[str, Any]) -> None:
    expect_refusal({**signed(notification()), **change}, "Signature")


def test_subject_removed_is_refused() -> None:
    message = signed(notification())
    del message["Subject"]
    expect_refusal(message, "Signature")


def test_signature_of_another_key_is_refused() -> None:
    expect_refusal(signed(notification(), key=OTHER_KEY), "Signature")


def test_version_1_signature_labelled_version_2_is_refused() -> None:
    expect_refusal({**signed(notification(), "1"), "SignatureVersion": "2"}, "Signature")


@pytest.mark.parametrize("version", ["3", "", 1, None])
def test_unknown_signature_version(version: Any) -> None:
    message = {**signed(notification()), "SignatureVersion": version}
    field = "SignatureVersion"
    error = expect_refusal(message, field)
    assert error.field == field


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(CERT_URL.replace("https:", "http:"), id="http"),
        pytest.param("https://sns.us-west-2.amazonaws.com.evil.example/cert.pem", id="suffix"),
        pytest.param("https://evil.example/sns.us-west-2.amazonaws.com/cert.pem", id="path"),
        pytest.param(
            "https://sns.us-west-2.amazonaws.com@evil.example/cert.pem", id="userinfo-host"
        ),
        pytest.param("https://user@sns.us-west-2.amazonaws.com/cert.pem", id="userinfo"),
        pytest.param("https://sns.us-west-2.amazonaws.com:8443/cert.pem", id="port"),
        pytest.param("https://sqs.us-west-2.amazonaws.com/cert.pem", id="other-service"),
        pytest.param("https://sns.us-west-2.amazonaws.com/cert.txt", id="not-pem"),
        pytest.param("https://sns.us-west-2.amazonaws.com:port/cert.pem", id="bad-port"),
        pytest.param("file:///etc/ssl/cert.pem", id="file"),
    ],
)
def test_certificate_from_elsewhere_is_refused_without_fetching(url: str) -> None:
    fetcher = Fetcher()
    expect_refusal({**signed(notification()), "SigningCertURL": url}, "SigningCertURL", fetcher)
    assert fetcher.urls == []


def test_missing_certificate_url() -> None:
    message = signed(notification())
    del message["SigningCertURL"]
    expect_refusal(message, "SigningCertURL")


@pytest.mark.parametrize(
    ("signature", "field"),
    [
        pytest.param("not base64!", "Signature", id="not-base64"),
        pytest.param(None, "Signature", id="missing"),
    ],
)
def test_bad_signature_field(signature: Any, field: str) -> None:
    expect_refusal({**signed(notification()), "Signature": signature}, field)


def test_unknown_message_type() -> None:
    expect_refusal(signed(notification()) | {"Type": "Bogus"}, "Type")


def test_missing_signed_field() -> None:
    message = signed(notification())
    del message["MessageId"]
    expect_refusal(message, "MessageId")


def test_certificate_that_is_not_pem() -> None:
    expect_refusal(signed(notification()), "SigningCertURL", Fetcher(b"<html>nope</html>"))


def test_certificate_without_rsa_key() -> None:
    pem = make_certificate(ec.generate_private_key(ec.SECP256R1()))
    expect_refusal(signed(notification()), "SigningCertURL", Fetcher(pem))


def test_confirmation_url() -> None:
    assert confirmation_url(subscription()) == SUBSCRIBE_URL


@pytest.mark.parametrize(
    ("message", "field"),
    [
        pytest.param(notification(), "Type", id="notification"),
        pytest.param(subscription("UnsubscribeConfirmation"), "Type", id="unsubscribe"),
        pytest.param(
            subscription(SubscribeURL=SUBSCRIBE_URL.replace("https:", "http:")),
            "SubscribeURL",
            id="http",
        ),
        pytest.param(
            subscription(SubscribeURL="https://evil.example/?Action=ConfirmSubscription"),
            "SubscribeURL",
            id="other-host",
        ),
        pytest.param(
            subscription(SubscribeURL="https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe"),
            "SubscribeURL",
            id="other-action",
        ),
        pytest.param(subscription(SubscribeURL=None), "SubscribeURL", id="missing"),
    ],
)
def test_confirmation_url_refused(message: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        confirmation_url(message)
    assert caught.value.field == field


class Download:
    def __init__(self, body: bytes = PEM) -> None:
        self.body = body
        self.calls: list[tuple[str, float]] = []

    def __call__(self, url: str, timeout: float) -> bytes:
        self.calls.append((url, timeout))
        return self.body


def test_fetcher_caches_certificates() -> None:
    download = Download()
    fetcher = CachingCertificateFetcher(timeout=3.0, download=download)
    assert fetcher(CERT_URL) == PEM
    assert fetcher(CERT_URL) == PEM
    assert download.calls == [(CERT_URL, 3.0)]
    verify_sns_message(signed(notification()), fetch_certificate=fetcher)
    assert len(download.calls) == 1


def test_fetcher_does_not_cache_subscription_visits() -> None:
    download = Download(b"<ConfirmSubscriptionResponse/>")
    fetcher = CachingCertificateFetcher(download=download)
    fetcher(SUBSCRIBE_URL)
    fetcher(SUBSCRIBE_URL)
    assert len(download.calls) == 2


def test_fetcher_keeps_at_most_max_entries() -> None:
    download = Download()
    fetcher = CachingCertificateFetcher(max_entries=2, download=download)
    urls = [CERT_URL.replace(".pem", f"{index}0.pem") for index in range(3)]
    for url in urls:
        fetcher(url)
    fetcher(urls[0])  # evicted, fetched again
    fetcher(urls[2])  # still kept
    assert [url for url, _ in download.calls] == [*urls, urls[0]]


def test_fetcher_refuses_other_hosts_without_downloading() -> None:
    download = Download()
    fetcher = CachingCertificateFetcher(download=download)
    with pytest.raises(InvalidEventError) as caught:
        fetcher("https://evil.example/cert.pem")
    assert caught.value.field == "SigningCertURL"
    assert download.calls == []


def test_fetcher_refuses_large_answers() -> None:
    fetcher = CachingCertificateFetcher(max_bytes=10, download=Download(b"x" * 11))
    with pytest.raises(InvalidEventError):
        fetcher(CERT_URL)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"timeout": 0}, id="timeout-zero"),
        pytest.param({"timeout": True}, id="timeout-bool"),
        pytest.param({"max_bytes": 0}, id="max-bytes"),
        pytest.param({"max_entries": 1.5}, id="max-entries"),
    ],
)
def test_fetcher_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        CachingCertificateFetcher(**options)


def test_default_fetcher_is_shared() -> None:
    assert default_fetcher() is default_fetcher()
    assert isinstance(default_fetcher(), CachingCertificateFetcher)


def test_message_must_be_an_object() -> None:
    with pytest.raises(InvalidEventError):
        verify_sns_message([], fetch_certificate=Fetcher())  # type: ignore[arg-type]
