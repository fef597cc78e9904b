"""Checking that a Pub/Sub push request really comes from Google (optional).

A push subscription with authentication sends ``Authorization: Bearer <JWT>``,
an OpenID Connect ID token signed by Google for the subscription's service
account (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions).
:class:`PubSubPushVerifier` checks it: the RS256 signature against Google's
public certificates, the expiry, the issuer (``accounts.google.com``), the
audience the subscription was configured with, and the service account
``email`` (verified). :class:`PubSubAuthMiddleware` puts the check in front
of a WSGI app (the usual place: in front of :class:`CloudEventsMiddleware`
built with ``native_over_http={"google.pubsub"}``)::

    from cloudevents_wsgi import CloudEventsMiddleware
    from cloudevents_wsgi.pubsub_auth import PubSubAuthMiddleware, PubSubPushVerifier

    verifier = PubSubPushVerifier(
        audience="https://books.example.com/pubsub",
        service_accounts={"pusher@my-project.iam.gserviceaccount.com"},
    )
    application = PubSubAuthMiddleware(
        CloudEventsMiddleware(app, native_over_http={"google.pubsub"}),
        verifier,
        paths={"/pubsub"},
    )

Needs ``google-auth`` (the ``pubsub`` extra: ``pip install
'cloudevents-wsgi[pubsub]'``), imported on the first check. Google's
certificates are downloaded over HTTPS and kept for an hour;
``certs_fetcher=`` replaces the download (``() -> {key id: PEM}``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from .environ import ADAPTER
from .errors import CloudEventsWSGIError, ConfigurationError, _cut, problem_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "CLAIMS",
    "GOOGLE_CERTS_URL",
    "GOOGLE_ISSUERS",
    "GUARDED",
    "GoogleCertsFetcher",
    "PubSubAuthError",
    "PubSubAuthMiddleware",
    "PubSubPushVerifier",
]

GOOGLE_CERTS_URL: Final = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS: Final = ("accounts.google.com", "https://accounts.google.com")
#: The environ key holding the verified token's claims.
CLAIMS: Final = "cloudevents_wsgi.pubsub_claims"
#: The environ key set to ``True`` on every request a
#: :class:`PubSubAuthMiddleware` saw: behind one, a
#: :class:`~cloudevents_wsgi.CloudEventsMiddleware` reads a Pub/Sub push only
#: when :data:`CLAIMS` holds verified claims, whatever the path.
GUARDED: Final = "cloudevents_wsgi.pubsub_guarded"
_PUBSUB: Final = "google.pubsub"  # the adapter's name


class PubSubAuthError(CloudEventsWSGIError):
    """The request's token does not prove that Pub/Sub sent it (401)."""

    status = 401

    def __init__(self, field: str, reason: str) -> None:
        # Cut short: google-auth's reasons quote the token, which a client chose.
        reason = _cut(reason)
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def problem_json(self) -> bytes:
        """The body of the 401 answer (the package's one problem+json writer)."""
        return problem_answer(self.status, self.field, self.reason)[2]


class GoogleCertsFetcher:
    """Google's token signing certificates (``{key id: PEM}``), kept ``ttl`` seconds."""

    def __init__(
        self, *, url: str = GOOGLE_CERTS_URL, ttl: float = 3600.0, timeout: float = 10.0
    ) -> None:
        if not url.startswith("https://"):
            raise ConfigurationError(f"url must be an https URL, not {url!r}")
        self.url = url
        self.ttl = ttl
        self.timeout = timeout
        self._certs: dict[str, str] = {}
        self._fetched = -float("inf")
        self._lock = threading.Lock()

    def __call__(self) -> Mapping[str, str]:
        with self._lock:
            if time.monotonic() - self._fetched > self.ttl:
                self._certs = self._download()
                self._fetched = time.monotonic()
            return self._certs

    def _download(self) -> dict[str, str]:
        import urllib.request

        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as response:
                certs = json.loads(response.read(1 << 20))
        except (OSError, ValueError) as exc:
            raise PubSubAuthError("authorization", f"Google's certificates: {exc}") from None
        if not isinstance(certs, dict) or not all(isinstance(v, str) for v in certs.values()):
            raise PubSubAuthError("authorization", "Google's certificates are not {kid: PEM}")
        return certs


class PubSubPushVerifier:
    """Checks the OIDC token of a Pub/Sub push request.

    ``audience``
        the audience (or audiences) the push subscription sends; required,
        so that a token minted for another service is refused.
    ``service_accounts``
        the service account emails allowed to push; ``None`` allows any
        account Google signed a token for (not recommended).
    ``certs_fetcher``
        ``() -> {key id: PEM certificate}``; by default Google's, cached.
    ``clock_skew``
        seconds of tolerance on ``iat`` and ``exp``.
    """

    def __init__(
        self,
        *,
        audience: str | Collection[str],
        service_accounts: Collection[str] | None,
        certs_fetcher: Callable[[], Mapping[str, str]] | None = None,
        issuers: Collection[str] = GOOGLE_ISSUERS,
        clock_skew: int = 10,
    ) -> None:
        audiences = [audience] if isinstance(audience, str) else list(audience)
        if not audiences or not all(isinstance(a, str) and a for a in audiences):
            raise ConfigurationError(f"audience must name the push audience, not {audience!r}")
        if service_accounts is not None and (
            isinstance(service_accounts, str)
            or not all(isinstance(s, str) and "@" in s for s in service_accounts)
        ):
            raise ConfigurationError(
                f"service_accounts must be a collection of emails, not {service_accounts!r}"
            )
        self.audiences = audiences
        self.service_accounts = None if service_accounts is None else frozenset(service_accounts)
        self.certs_fetcher = certs_fetcher or GoogleCertsFetcher()
        self.issuers = frozenset(issuers)
        self.clock_skew = clock_skew

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The token's claims, or :class:`PubSubAuthError` naming what is wrong."""
        if not authorization:
            raise PubSubAuthError("authorization", "is missing: Pub/Sub push sends a Bearer token")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise PubSubAuthError("authorization", "is not a Bearer token")
        from google.auth import (  # type: ignore[import-not-found,unused-ignore]
            exceptions,
            jwt,
        )

        certs = self.certs_fetcher()
        try:
            claims: dict[str, Any] = jwt.decode(  # type: ignore[no-untyped-call,unused-ignore]
                token,
                certs=dict(certs),
                audience=self.audiences,
                clock_skew_in_seconds=self.clock_skew,
            )
        except (ValueError, exceptions.GoogleAuthError) as exc:
            raise PubSubAuthError("authorization", f"the token is not valid: {exc}") from None
        if claims.get("iss") not in self.issuers:
            raise PubSubAuthError("iss", "the token was not issued by Google")
        email = claims.get("email")
        if self.service_accounts is not None and (
            email not in self.service_accounts or claims.get("email_verified") is not True
        ):
            raise PubSubAuthError("email", "the token is not for an allowed service account")
        return claims


class PubSubAuthMiddleware:
    """Answers 401 (problem+json) to requests whose Pub/Sub token does not verify.

    ``paths``: requests to these ``PATH_INFO`` values (the push endpoints)
    must carry a valid token; ``None`` checks every request. Paths are
    compared as a router would match them: case-insensitively, with runs of
    ``/`` as one and without a trailing ``/`` (``/pubsub/``, ``//PubSub``
    and ``/pubsub`` are one path). A request elsewhere is not checked (its
    ``Authorization`` header may be the app's own). A verified request reaches
    the app with the claims at ``environ["cloudevents_wsgi.pubsub_claims"]``.

    Fails closed whatever the path: every request that passes is marked
    (:data:`GUARDED`), and a :class:`~cloudevents_wsgi.CloudEventsMiddleware`
    behind reads a Pub/Sub push only from a request with verified claims, so a
    push sent to a path outside ``paths`` reaches the app unread, as a plain
    request. Put in the wrong order (inside the CloudEventsMiddleware), it
    checks the token of every push that middleware read, whatever its path.
    """

    def __init__(
        self,
        app: WSGIApplication,
        verifier: PubSubPushVerifier,
        *,
        paths: Collection[str] | None = None,
    ) -> None:
        if not callable(app):
            raise ConfigurationError(f"app must be a WSGI callable, not {app!r}")
        if paths is not None and (
            isinstance(paths, str) or not all(isinstance(p, str) for p in paths)
        ):
            raise ConfigurationError(f"paths must be a collection of paths, not {paths!r}")
        self.app = app
        self.verifier = verifier
        self.paths = None if paths is None else frozenset(map(_route, paths))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ.pop(CLAIMS, None)
        environ[GUARDED] = True
        # A push already read by a CloudEventsMiddleware outside this one (the
        # wrong order: it could not know a token is needed) is checked
        # whatever its path: fail closed.
        read_outside = environ.get(ADAPTER) == _PUBSUB
        if (
            self.paths is not None
            and not read_outside
            and _route(environ.get("PATH_INFO", "/")) not in self.paths
        ):
            return self.app(environ, start_response)
        try:
            claims = self.verifier.verify(environ.get("HTTP_AUTHORIZATION"))
        except PubSubAuthError as error:
            status, headers, body = problem_answer(
                error.status, error.field, error.reason, headers=[("WWW-Authenticate", "Bearer")]
            )
            start_response(status, headers)
            return [body]
        environ[CLAIMS] = claims
        return self.app(environ, start_response)


def _route(path: str) -> str:
    """``path`` as routers match it: ``//PubSub/`` -> ``/pubsub``."""
    route = "/" + "/".join(part for part in path.split("/") if part)
    return route.casefold()
