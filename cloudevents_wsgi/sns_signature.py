"""Checking that an SNS message really comes from Amazon SNS.

SNS signs every message it POSTs to an HTTP(S) subscriber. Anyone can POST an
SNS-shaped document to a public endpoint, so over HTTP a message is only
trusted once :func:`verify_sns_message` has checked its signature, as AWS
documents it:
https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html

- ``SigningCertURL`` must be exactly
  ``https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem``
  (no user, port, query, fragment or other path; no S3 host such as
  ``sns.s3.amazonaws.com``): a certificate from anywhere else proves nothing;
- the signature is RSA over the "string to sign" (the message's fields, one
  ``Name\\nvalue\\n`` pair each, in a fixed order), with SHA1
  (``SignatureVersion`` 1) or SHA256 (``SignatureVersion`` 2).

The certificate is fetched over HTTPS (so TLS vouches for the pinned host)
by a :class:`CachingCertificateFetcher`, or by any callable taking the URL
and returning the PEM bytes. Needs the ``cryptography`` package (the ``sns``
extra: ``pip install cloudevents-wsgi[sns]``), imported only when a signature
is checked.

:func:`confirmation_url` gives the checked ``SubscribeURL`` of a
subscription confirmation, for code that confirms subscriptions.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from .errors import ConfigurationError, InvalidEventError

__all__ = [
    "CachingCertificateFetcher",
    "confirmation_url",
    "default_fetcher",
    "string_to_sign",
    "verify_sns_message",
]

# The fields signed, in order, by message type; "Subject" only when present.
SIGNED_FIELDS: Final = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
OPTIONAL_FIELDS: Final = frozenset({"Subject"})
# SignatureVersion -> hash algorithm name in cryptography.hazmat.primitives.hashes.
SIGNATURE_HASHES: Final = {"1": "SHA1", "2": "SHA256"}
# The hosts SNS serves certificates and subscription URLs from: a region is
# two letters, one to three dash-separated words and a number (us-east-1,
# us-gov-west-1, us-isob-east-1, cn-north-1), so ``sns.s3.amazonaws.com`` is
# not one. Every repetition is bounded, so a match costs the same whatever
# the input's length.
SNS_HOST: Final = re.compile(
    r"sns\.[a-z]{2}(?:-[a-z]{1,16}){1,3}-[0-9]{1,2}\.amazonaws\.com(?:\.cn)?"
)
#: The whole signing-certificate URL SNS sends, and nothing else.
CERTIFICATE_URL: Final = re.compile(
    r"https://" + SNS_HOST.pattern + r"/SimpleNotificationService-[0-9a-f]{1,64}\.pem"
)
#: The SubscribeURL and UnsubscribeURL SNS sends: the API root with a query.
SUBSCRIPTION_URL: Final = re.compile(r"https://" + SNS_HOST.pattern + r"/\?[^#\s]{1,4096}")
# Longer URLs are refused before any pattern runs: every check costs O(1).
_URL_MAX: Final = 4096 + 128

# The Lambda form of a message spells these "...Url"; SNS over HTTP, "...URL".
_ALIASES: Final = {"SigningCertURL": "SigningCertUrl", "SubscribeURL": "SubscribeUrl"}


def verify_sns_message(
    message: Mapping[str, Any],
    *,
    fetch_certificate: Callable[[str], bytes] | None = None,
) -> None:
    """Check an SNS message document's signature; raise
    :class:`~cloudevents_wsgi.InvalidEventError` (field ``Signature``,
    ``SignatureVersion``, ``SigningCertURL`` or the unsigned field) if it is
    not from SNS.

    ``fetch_certificate(url)`` returns the PEM certificate at an already
    checked URL; it defaults to a process-wide
    :class:`CachingCertificateFetcher`.
    """
    if not isinstance(message, Mapping):
        raise InvalidEventError("(message)", "an SNS message is a JSON object", message)
    version = _field(message, "SignatureVersion")
    hash_name = SIGNATURE_HASHES.get(version)
    if hash_name is None:
        raise InvalidEventError(
            "SignatureVersion",
            f"is not a known SNS signature version ({', '.join(SIGNATURE_HASHES)})",
            version,
        )
    certificate_url = check_certificate_url(_field(message, "SigningCertURL"))
    encoded = _field(message, "Signature")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise InvalidEventError("Signature", "is not valid base64", encoded) from None
    signed = string_to_sign(message)

    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    fetch = fetch_certificate or default_fetcher()
    pem = fetch(certificate_url)
    try:
        public_key = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        raise InvalidEventError(
            "SigningCertURL", "does not serve a PEM certificate", certificate_url
        ) from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidEventError(
            "SigningCertURL", "serves a certificate without an RSA key", certificate_url
        )
    algorithm: hashes.HashAlgorithm = getattr(hashes, hash_name)()
    try:
        public_key.verify(signature, signed, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise InvalidEventError(
            "Signature", "does not match the message: it was not signed by SNS", encoded
        ) from None


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """The bytes SNS signs for ``message``, as AWS documents them."""
    message_type = _field(message, "Type")
    names = SIGNED_FIELDS.get(message_type)
    if names is None:
        raise InvalidEventError(
            "Type", f"is not an SNS message type ({', '.join(SIGNED_FIELDS)})", message_type
        )
    parts: list[str] = []
    for name in names:
        if name in OPTIONAL_FIELDS and _value(message, name) is None:
            continue
        parts.append(f"{name}\n{_field(message, name)}\n")
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a JSON "\ud800" escape): no signer wrote it.
        raise InvalidEventError("Signature", "the message holds text no signature covers") from None


def confirmation_url(message: Mapping[str, Any]) -> str:
    """The ``SubscribeURL`` of a SubscriptionConfirmation, checked: HTTPS, on
    an SNS host, asking to ``ConfirmSubscription``. Visiting it confirms the
    subscription; check the message's signature first."""
    if _field(message, "Type") != "SubscriptionConfirmation":
        raise InvalidEventError(
            "Type", "is not a SubscriptionConfirmation", _value(message, "Type")
        )
    return check_subscription_url(
        "SubscribeURL",
        _field(message, "SubscribeURL"),
        "ConfirmSubscription",
        _field(message, "TopicArn"),
    )


def check_certificate_url(url: str) -> str:
    """``url`` if it is exactly
    ``https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem``,
    else :class:`~cloudevents_wsgi.InvalidEventError` for ``SigningCertURL``."""
    if not isinstance(url, str) or len(url) > _URL_MAX or not CERTIFICATE_URL.fullmatch(url):
        raise InvalidEventError(
            "SigningCertURL",
            "must be https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem",
            url,
        )
    return url


def check_subscription_url(field: str, url: str, action: str, topic_arn: str | None) -> str:
    """``url`` if it is ``https://sns.<region>.amazonaws.com[.cn]/?...`` with
    exactly one ``Action`` (``action``) and, when ``topic_arn`` is given, a
    ``TopicArn`` equal to it; else :class:`~cloudevents_wsgi.InvalidEventError`
    for ``field`` (``SubscribeURL``, ``UnsubscribeURL``)."""
    if not isinstance(url, str) or len(url) > _URL_MAX or not SUBSCRIPTION_URL.fullmatch(url):
        raise InvalidEventError(
            field, "must be https://sns.<region>.amazonaws.com[.cn]/?Action=...", url
        )
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    if query.get("Action") != [action]:
        raise InvalidEventError(field, f"does not ask to {action}", url)
    if topic_arn is not None and query.get("TopicArn") != [topic_arn]:
        raise InvalidEventError(field, "names another topic than the message's TopicArn", url)
    return url


def _value(message: Mapping[str, Any], name: str) -> Any:
    value = message.get(name)
    if value is None and name in _ALIASES:
        value = message.get(_ALIASES[name])
    return value


def _field(message: Mapping[str, Any], name: str) -> str:
    value = _value(message, name)
    if value is None:
        raise InvalidEventError(name, "is missing")
    if not isinstance(value, str):
        raise InvalidEventError(name, "must be a string", value)
    return value


class CachingCertificateFetcher:
    """GET a URL on an SNS host over HTTPS; keep certificates in memory.

    Refuses any URL that is not an SNS certificate URL
    (:func:`check_certificate_url`) or an SNS subscription URL on the same
    hosts, follows no redirect, waits at most ``timeout`` seconds and reads
    at most ``max_bytes``. Certificates are kept (SNS rotates them by
    publishing new URLs), up to ``max_entries``; other responses (a
    ``SubscribeURL`` visit) never are. A certificate URL that could not be
    fetched is remembered for ``negative_ttl`` seconds (up to
    ``max_failures`` of them) and not asked again meanwhile, so that a flood
    of forged URLs costs one download each at most and cannot evict a real
    certificate: failures live in their own cache, and only a URL that
    served a certificate enters the other. ``download(url, timeout)``
    replaces the HTTP GET (urllib by default). Failures raise
    :class:`~cloudevents_wsgi.InvalidEventError` for ``SigningCertURL``.
    Thread-safe.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_bytes: int = 64 * 1024,
        max_entries: int = 64,
        negative_ttl: float = 60.0,
        max_failures: int = 1024,
        download: Callable[[str, float], bytes] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, number in (("timeout", timeout), ("negative_ttl", negative_ttl)):
            if not isinstance(number, (int, float)) or isinstance(number, bool) or number <= 0:
                raise ConfigurationError(f"{name} must be a positive number, not {number!r}")
        for name, limit in (
            ("max_bytes", max_bytes),
            ("max_entries", max_entries),
            ("max_failures", max_failures),
        ):
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
                raise ConfigurationError(f"{name} must be a positive integer, not {limit!r}")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.negative_ttl = negative_ttl
        self.max_failures = max_failures
        self._download = download or self._urllib_download
        self._clock = clock
        self._cache: dict[str, bytes] = {}
        self._failures: dict[str, tuple[float, InvalidEventError]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        usable = isinstance(url, str) and len(url) <= _URL_MAX
        certificate = usable and CERTIFICATE_URL.fullmatch(url) is not None
        if not certificate and not (usable and SUBSCRIPTION_URL.fullmatch(url)):
            raise InvalidEventError(
                "SigningCertURL", "is not an SNS certificate or subscription URL", url
            )
        if not certificate:
            return self._fetch(url)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None:
                return cached
            failure = self._failures.get(url)
            if failure is not None:
                if failure[0] > now:
                    raise failure[1]
                del self._failures[url]
        try:
            body = self._fetch(url)
        except InvalidEventError as error:
            with self._lock:
                if len(self._failures) >= self.max_failures:
                    # Oldest first; expired ones are the first to go.
                    self._failures.pop(next(iter(self._failures)))
                self._failures[url] = (now + self.negative_ttl, error)
            raise
        with self._lock:
            if len(self._cache) >= self.max_entries:
                self._cache.pop(next(iter(self._cache)))
            self._cache[url] = body
        return body

    def _fetch(self, url: str) -> bytes:
        body = self._download(url, self.timeout)
        if len(body) > self.max_bytes:
            raise InvalidEventError(
                "SigningCertURL", f"answered with more than {self.max_bytes} bytes", url
            )
        return body

    def _urllib_download(self, url: str, timeout: float) -> bytes:
        import ssl
        import urllib.error
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ssl.create_default_context()), NoRedirect()
        )
        try:
            with opener.open(url, timeout=timeout) as response:
                body: bytes = response.read(self.max_bytes + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise InvalidEventError(
                "SigningCertURL", f"could not be fetched ({exc})", url
            ) from None
        return body


_default_fetcher: CachingCertificateFetcher | None = None
_default_lock = threading.Lock()


def default_fetcher() -> CachingCertificateFetcher:
    """The process-wide :class:`CachingCertificateFetcher`."""
    global _default_fetcher
    with _default_lock:
        if _default_fetcher is None:
            _default_fetcher = CachingCertificateFetcher()
        return _default_fetcher
