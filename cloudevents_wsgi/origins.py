"""Who may send what: the trust rules of :class:`CloudEventsMiddleware`.

A native payload that arrives through the Lambda shim is trusted (only AWS
invokes the function). Over HTTP anyone can POST anything, so a native
payload is read only when the user opted in to its provider **and** the
provider's authentication, where it has one, passed (../DESIGN.md, "Trust"):

=================  ==========================================================
Amazon SNS         ``sns_topics`` (TopicArn globs) set; the signature checked
                   over signed fields only; the topic one of ``sns_topics``
                   (else 403 ``TopicArn``); the signed ``Timestamp`` at most
                   ``sns_max_age`` seconds old (else 403 ``Timestamp``).
                   ``native_over_http`` alone never admits SNS.
Azure Event Grid   ``native_over_http`` names ``azure.eventgrid`` (or is
                   ``True``); with ``eventgrid_secret`` set, the endpoint URL's
                   query parameter (``code`` by default) must equal it,
                   compared in constant time (else 403). The validation
                   handshake is answered only under the same rules.
Google Pub/Sub     ``native_over_http`` names ``google.pubsub`` (or is
                   ``True``); when a :class:`~cloudevents_wsgi.pubsub_auth.PubSubAuthMiddleware`
                   is in front, only requests whose token it verified, whatever
                   their path (its ``paths`` only choose where a missing token
                   is answered 401).
other adapters     named in ``native_over_http`` (or ``True``), or the user's
                   own ``adapters=``.
=================  ==========================================================

A payload that is not admitted passes through to the app unread. The CloudEvents
webhook handshake (``OPTIONS`` with ``WebHook-Request-Origin``) is off until
``webhook_origins`` names the origins to grant.

Everything here works on the environ's own keys (set by a server or by a
middleware in front), never on a header a client could send, except the
provider headers that only select which authentication applies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs

from . import environ as keys
from .adapters.base import Adapter
from .delivery import LambdaDelivery
from .errors import ConfigurationError, InvalidEventError, OriginNotAllowedError
from .spec import datetime, is_json, timezone

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = [
    "DEFAULT_EVENTGRID_SECRET_PARAMETER",
    "DEFAULT_SNS_MAX_AGE",
    "EVENTGRID_EVENT_TYPE",
    "ORIGIN_KEYS",
    "SNS_MESSAGE_TYPE",
    "Answer",
    "Origins",
]

#: The provider headers that choose an authentication (SNS, Event Grid).
SNS_MESSAGE_TYPE: Final = "HTTP_X_AMZ_SNS_MESSAGE_TYPE"
EVENTGRID_EVENT_TYPE: Final = "HTTP_AEG_EVENT_TYPE"
#: Every environ key :meth:`Origins.origin` asks about: without any of them,
#: and without ``reads_http``, its answer is ``None`` (the middleware tells
#: that without the call).
ORIGIN_KEYS: Final = (keys.LAMBDA_DELIVERY, SNS_MESSAGE_TYPE, EVENTGRID_EVENT_TYPE)

logger = logging.getLogger("cloudevents_wsgi")

#: Seconds a signed SNS ``Timestamp`` may be old: the longest retry span an
#: HTTP/S delivery policy allows (3,600 s, a hard SNS limit:
#: https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html)
#: plus five minutes for clock skew and queueing, so that no genuine retry is
#: refused while a captured message cannot be replayed for ever.
DEFAULT_SNS_MAX_AGE: Final = 3600 + 300
#: Azure Functions' query parameter for endpoint keys; Event Grid passes any
#: query parameter of the subscription's endpoint URL back unchanged
#: (https://learn.microsoft.com/azure/event-grid/security-authentication).
DEFAULT_EVENTGRID_SECRET_PARAMETER: Final = "code"

SNS: Final = "aws.sns"
EVENTGRID: Final = "azure.eventgrid"
PUBSUB: Final = "google.pubsub"

#: ``(status line, headers, body)`` of an answer given instead of the app's.
Answer = tuple[str, list[tuple[str, str]], bytes]


class Origins:
    """The trust rules of one middleware, built from its options (validated
    here; each error names the option and what it accepts)."""

    def __init__(
        self,
        *,
        adapters: Sequence[Adapter] = (),
        native_over_http: bool | Collection[str] = False,
        sns_topics: Collection[str] | None = None,
        sns_max_age: int | None = DEFAULT_SNS_MAX_AGE,
        sns_certificate_fetcher: Callable[[str], bytes] | None = None,
        sns_confirm_subscriptions: bool = False,
        eventgrid_secret: str | None = None,
        eventgrid_secret_parameter: str = DEFAULT_EVENTGRID_SECRET_PARAMETER,
        webhook_origins: Collection[str] | None = None,
        webhook_rate: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(native_over_http, bool) and (
            isinstance(native_over_http, str)
            or not isinstance(native_over_http, Collection)
            or not all(isinstance(n, str) for n in native_over_http)
        ):
            raise ConfigurationError(
                "native_over_http must be True, False or a collection of adapter names, "
                f"not {native_over_http!r}"
            )
        if sns_topics is not None and (
            isinstance(sns_topics, str) or not all(isinstance(t, str) and t for t in sns_topics)
        ):
            raise ConfigurationError(
                "sns_topics must be None or a collection of TopicArn glob patterns "
                f"('arn:aws:sns:*:123456789012:orders'), not {sns_topics!r}"
            )
        if sns_max_age is not None and (
            isinstance(sns_max_age, bool) or not isinstance(sns_max_age, int) or sns_max_age < 1
        ):
            raise ConfigurationError(
                f"sns_max_age must be a positive number of seconds or None, not {sns_max_age!r}"
            )
        if sns_certificate_fetcher is not None and not callable(sns_certificate_fetcher):
            raise ConfigurationError("sns_certificate_fetcher must be callable")
        if eventgrid_secret is not None and (
            not isinstance(eventgrid_secret, str) or len(eventgrid_secret) < 16
        ):
            raise ConfigurationError(
                "eventgrid_secret must be None or a string of at least 16 characters"
            )
        if not isinstance(eventgrid_secret_parameter, str) or not eventgrid_secret_parameter:
            raise ConfigurationError(
                "eventgrid_secret_parameter must be a query parameter name, "
                f"not {eventgrid_secret_parameter!r}"
            )
        if webhook_origins is not None and (
            isinstance(webhook_origins, str) or not all(isinstance(o, str) for o in webhook_origins)
        ):
            raise ConfigurationError(
                "webhook_origins must be None (no handshake) or a collection of origins "
                f"('*' for any), not {webhook_origins!r}"
            )
        if webhook_rate is not None and (
            isinstance(webhook_rate, bool) or not isinstance(webhook_rate, int) or webhook_rate < 1
        ):
            raise ConfigurationError(
                f"webhook_rate must be a positive integer or None, not {webhook_rate!r}"
            )
        self.adapters = tuple(adapters)
        self.native_over_http: bool | frozenset[str] = (
            native_over_http if isinstance(native_over_http, bool) else frozenset(native_over_http)
        )
        self.sns_topics = None if sns_topics is None else tuple(sns_topics)
        self.sns_max_age = sns_max_age
        self.sns_certificate_fetcher = sns_certificate_fetcher
        self.sns_confirm_subscriptions = sns_confirm_subscriptions
        self._eventgrid_secret = None if eventgrid_secret is None else eventgrid_secret.encode()
        self.eventgrid_secret_parameter = eventgrid_secret_parameter
        self.webhook_origins = None if webhook_origins is None else frozenset(webhook_origins)
        self.webhook_rate = "*" if webhook_rate is None else str(webhook_rate)
        self._clock = clock
        # Whether a JSON body without a provider header may be a native event.
        self.reads_http = bool(self.native_over_http or self.adapters)

    # -- which requests are read ------------------------------------------------

    def origin(self, environ: WSGIEnvironment, content_type: str | None) -> str | None:
        """``"lambda"``, ``"sns"``, ``"eventgrid"`` or ``"http"``: how a request
        that is no CloudEvent may be a native event; ``None``: pass it through
        unread. Only the shim's environ key makes ``"lambda"``."""
        if isinstance(environ.get(keys.LAMBDA_DELIVERY), LambdaDelivery):
            return "lambda"
        if SNS_MESSAGE_TYPE in environ:
            return "sns" if self.sns_topics else None
        if EVENTGRID_EVENT_TYPE in environ:
            return "eventgrid" if self._opted_in(EVENTGRID) else None
        if self.reads_http and content_type and could_be_native(content_type):
            return "http"
        return None

    def accepts_over_http(self, adapter: Adapter, environ: WSGIEnvironment) -> bool:
        """Whether a payload ``adapter`` matched, POSTed without a provider
        header, may be read (its authentication is checked afterwards)."""
        if adapter in self.adapters:
            return True
        if adapter.name == SNS:
            return bool(self.sns_topics)
        if not self._opted_in(adapter.name):
            return False
        if adapter.name == PUBSUB:
            return pubsub_verified(environ)
        return True

    def _opted_in(self, name: str) -> bool:
        allowed = self.native_over_http
        return allowed is True or (isinstance(allowed, frozenset) and name in allowed)

    # -- provider authentication and handshakes ----------------------------------

    def check(self, adapter_name: str, payload: Any, environ: WSGIEnvironment) -> Answer | None:
        """Authenticate a payload read over HTTP; raise
        :class:`~cloudevents_wsgi.InvalidEventError` (400, 403) if it is not
        from the expected sender, return the answer of a handshake, or
        ``None`` when the event may go to the app."""
        if adapter_name == SNS:
            return self.sns(payload)
        if adapter_name == EVENTGRID:
            return self.eventgrid(payload, environ)
        return None

    def sns(self, payload: Any) -> Answer | None:
        """Verify an SNS message document: signature, topic, age; answer
        subscription and unsubscribe confirmations."""
        from . import sns_signature

        if not isinstance(payload, dict):
            raise InvalidEventError("body", "an SNS message is a JSON object", payload)
        fetcher = self.sns_certificate_fetcher or sns_signature.default_fetcher()
        sns_signature.verify_sns_message(payload, fetch_certificate=fetcher)
        # Signed from here on: TopicArn, Timestamp and SubscribeURL are SNS's.
        topic = payload.get("TopicArn")
        if not isinstance(topic, str) or not any(
            fnmatchcase(topic, pattern) for pattern in self.sns_topics or ()
        ):
            raise OriginNotAllowedError("TopicArn", "is not one of sns_topics", topic)
        self._check_age(payload.get("Timestamp"))
        kind = payload.get("Type")
        if kind == "SubscriptionConfirmation":
            url = sns_signature.confirmation_url(payload)
            if self.sns_confirm_subscriptions:
                fetcher(url)
                logger.info("confirmed the SNS subscription to %r", topic)
                return json_answer("200 OK", {"confirmed": True})
            logger.warning(
                "SNS asks to confirm a subscription to %r; confirm it by visiting its "
                "SubscribeURL or enable sns_confirm_subscriptions",
                topic,
            )
            return json_answer("202 Accepted", {"confirmed": False})
        if kind == "UnsubscribeConfirmation":
            return json_answer("200 OK", {})
        return None

    def _check_age(self, timestamp: Any) -> None:
        if self.sns_max_age is None:
            return
        try:
            signed_at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except (AttributeError, TypeError, ValueError):
            raise InvalidEventError("Timestamp", "is not an ISO 8601 time", timestamp) from None
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=timezone.utc)
        age = self._clock() - signed_at.timestamp()
        if age > self.sns_max_age:
            raise OriginNotAllowedError(
                "Timestamp", f"is more than sns_max_age ({self.sns_max_age} s) old", timestamp
            )

    def eventgrid(self, payload: Any, environ: WSGIEnvironment) -> Answer | None:
        """Check the endpoint secret; answer the subscription validation."""
        if self._eventgrid_secret is not None:
            name = self.eventgrid_secret_parameter
            values = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).get(name)
            given = values[0].encode("utf-8", "surrogateescape") if values else b""
            # Imported here: hmac loads OpenSSL's hashes, a cold-start cost
            # for every function that never sets a secret.
            from hmac import compare_digest

            # Both halves always compared, whatever is missing: constant time.
            same = compare_digest(given, self._eventgrid_secret)
            if not same or values is None or len(values) != 1:
                raise OriginNotAllowedError(
                    name, "the query parameter does not hold the Event Grid endpoint secret"
                )
        from .adapters.azure_eventgrid import validation_response

        handshake = validation_response(payload)
        if handshake is not None:
            return json_answer("200 OK", handshake)
        return None

    # -- the CloudEvents webhook handshake (HTTP webhook spec, section 4) --------

    def webhook(self, environ: WSGIEnvironment) -> Answer | None:
        """The answer to an ``OPTIONS`` request carrying ``WebHook-Request-Origin``;
        ``None`` leaves it to the app (no ``webhook_origins`` configured)."""
        if not self.webhook_origins:
            return None
        origin = environ["HTTP_WEBHOOK_REQUEST_ORIGIN"].strip()
        if "*" in self.webhook_origins:
            allowed = "*"
        elif origin in self.webhook_origins:
            allowed = origin
        else:
            raise OriginNotAllowedError(
                "webhook-request-origin", "this origin is not allowed", origin
            )
        headers = [
            ("Allow", "POST"),
            ("WebHook-Allowed-Origin", allowed),
            ("WebHook-Allowed-Rate", self.webhook_rate),
            ("Content-Length", "0"),
        ]
        return "200 OK", headers, b""


def could_be_native(content_type: str) -> bool:
    """Whether a body of this media type may hold a native event (JSON, or
    ``text/plain``, SNS's default); any other body is never read."""
    essence = content_type.split(";", 1)[0].strip().lower()
    return is_json(essence) or essence == "text/plain"


def pubsub_verified(environ: WSGIEnvironment) -> bool:
    """Whether a Pub/Sub push may be read: its token verified by a
    :class:`~cloudevents_wsgi.pubsub_auth.PubSubAuthMiddleware` in front, or
    no such middleware in front at all (the user opted in to unauthenticated
    pushes). Both marks are environ keys no client can set."""
    from .pubsub_auth import CLAIMS, GUARDED

    if environ.get(GUARDED) is not True:
        return True
    return isinstance(environ.get(CLAIMS), dict)


def json_answer(status: str, obj: Any) -> Answer:
    """A small JSON answer that a browser will not sniff into anything else."""
    import json

    body = json.dumps(obj).encode()
    return (
        status,
        [
            ("Content-Type", "application/json"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Length", str(len(body))),
        ],
        body,
    )


def answer(result: Answer, start_response: Any) -> Iterable[bytes]:
    """Send ``result`` through ``start_response``."""
    start_response(result[0], result[1])
    return [result[2]]
