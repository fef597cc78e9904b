"""CloudEventsMiddleware: CloudEvents requests into any WSGI application.

Wrap the application once. A request that carries a CloudEvent (binary,
structured or batched content mode) reaches the app with the event at
``environ["cloudevent"]`` and the environ rewritten into one standard form;
a batch reaches it once per event. Invalid events are answered with a
problem+json 400/413/415 and never reach the app. Every other request passes
through untouched, its body unread.

Not for: producing events (use the cloudevents SDK), or apps that must see
the sender's raw request unchanged (the environ of an event is rewritten).
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

from . import environ as keys
from ._wsgi import Response, run
from .adapters.base import Adapter, BatchAdapter, Converted
from .delivery import EventResult, LambdaDelivery
from .detect import find_adapter
from .errors import (
    ConfigurationError,
    InvalidEventError,
    OriginNotAllowedError,
    PayloadTooLargeError,
    UnsupportedFormatError,
)
from .message import Message
from .receiver import (
    BATCH,
    BINARY,
    MAX_BATCH,
    MAX_DEPTH,
    check_depth,
    content_mode,
    load_json,
    parse_batch,
    parse_binary,
    parse_structured,
)
from .spec import is_json

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["CloudEventsMiddleware"]

logger = logging.getLogger("cloudevents_wsgi")

MODES: Final = ("binary", "structured")
NATIVE: Final = "native"
# Large enough for any event a broker sends (SQS, Event Grid and Pub/Sub cap
# theirs at 256 KiB to 10 MB); anything bigger is a mistake or an attack.
DEFAULT_MAX_BODY: Final = 10 * 1024 * 1024
# The methods the HTTP binding's examples and the webhook spec deliver with.
DEFAULT_METHODS: Final = ("POST", "PUT", "PATCH")
# Far more ce- headers than any event has; WSGI servers cap all headers at
# about 100 (gunicorn: limit_request_fields) and 8 KiB each.
MAX_HEADERS: Final = 100
MAX_HEADER_SIZE: Final = 8192


class CloudEventsMiddleware:
    """Hand CloudEvents to a WSGI application, one call per event.

    Options (keyword only):

    ``mode``
        ``"binary"`` (default) or ``"structured"``: the CloudEvents HTTP form
        the environ is rewritten into, so that code parsing the request
        itself (with the SDK, say) finds the same event.
    ``max_body_size``
        bytes; a longer event body is answered 413 without being read.
    ``max_batch_size``
        events; a longer batch is answered 413.
    ``max_json_depth``
        nesting of JSON arrays and objects in a body; deeper is answered 400.
    ``max_headers``, ``max_header_size``
        ``ce-`` headers of a binary-mode event, and bytes in each; more is 400.
    ``methods``
        the request methods that may carry an event; others pass through.
    ``webhook_origins``
        origins granted in the CloudEvents webhook handshake (``OPTIONS``
        with ``WebHook-Request-Origin``); ``None`` grants every origin, an
        empty collection turns the handshake off (the app answers OPTIONS).
    ``webhook_rate``
        requests per minute granted in the handshake; ``None`` for no limit.
    ``adapters``
        the user's own adapters (:class:`~cloudevents_wsgi.adapters.base.Adapter`),
        tried before the built-in ones, and accepted over plain HTTP.
    ``native_over_http``
        native provider payloads (S3, SQS, Pub/Sub...) POSTed over plain HTTP
        carry no proof of where they come from, so by default they pass through
        unread; ``True`` accepts them all, a collection of adapter names
        (``{"google.pubsub"}``) accepts those. Payloads from the Lambda shim,
        SNS messages (signatures checked) and Event Grid deliveries
        (``aeg-event-type`` header, validation handshake answered) need no opt-in.
    ``unwrap``
        ``True`` (default): an envelope (SQS, SNS) holding another event (S3,
        SNS, EventBridge) gives the innermost event; ``False`` keeps the envelope.
    ``routes``
        ``{type glob pattern: path}``: the first pattern matching an event's
        type sets ``PATH_INFO`` for its call (``{"com.amazonaws.s3.*": "/s3"}``).
    ``sns_certificate_fetcher``
        ``url -> PEM bytes`` for SNS signing certificates; by default a cached
        HTTPS download from the pinned ``sns.<region>.amazonaws.com`` host.
    ``sns_confirm_subscriptions``
        ``True`` confirms SNS subscriptions by visiting their (checked)
        ``SubscribeURL``; by default the URL is logged and the request answered 202.
    ``dapr``
        answer CloudEvents requests the way Dapr's pub/sub expects: always 200
        with ``{"status": "SUCCESS" | "RETRY" | "DROP"}`` from the app's status
        (:func:`cloudevents_wsgi.dapr.dapr_status`).

    The environ keys set are documented in :mod:`cloudevents_wsgi.environ`.

    A batch calls the app once per event, in order, each with its own
    environ, after every event of it has been checked. The answers are
    combined: if every event got a 2xx, the answer is 200; otherwise the
    status of the first event that did not (500 where the app raised), so
    that the sender retries. The body is JSON listing each event's ``id``
    and ``status``. An empty batch calls nothing and is answered 204.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        mode: str = "binary",
        max_body_size: int = DEFAULT_MAX_BODY,
        max_batch_size: int = MAX_BATCH,
        max_json_depth: int = MAX_DEPTH,
        max_headers: int = MAX_HEADERS,
        max_header_size: int = MAX_HEADER_SIZE,
        methods: Collection[str] = DEFAULT_METHODS,
        webhook_origins: Collection[str] | None = None,
        webhook_rate: int | None = None,
        adapters: Sequence[Adapter] = (),
        native_over_http: bool | Collection[str] = False,
        unwrap: bool = True,
        routes: Mapping[str, str] | None = None,
        sns_certificate_fetcher: Callable[[str], bytes] | None = None,
        sns_confirm_subscriptions: bool = False,
        dapr: bool = False,
    ) -> None:
        if not callable(app):
            raise ConfigurationError(f"app must be a WSGI callable, not {app!r}")
        if mode not in MODES:
            raise ConfigurationError(f"mode must be one of {MODES}, not {mode!r}")
        for name, value in (
            ("max_body_size", max_body_size),
            ("max_batch_size", max_batch_size),
            ("max_json_depth", max_json_depth),
            ("max_headers", max_headers),
            ("max_header_size", max_header_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, not {value!r}")
        if isinstance(methods, str) or not all(isinstance(m, str) for m in methods):
            raise ConfigurationError(f"methods must be a collection of strings, not {methods!r}")
        if webhook_origins is not None and (
            isinstance(webhook_origins, str) or not all(isinstance(o, str) for o in webhook_origins)
        ):
            raise ConfigurationError(
                f"webhook_origins must be a collection of strings or None, not {webhook_origins!r}"
            )
        if webhook_rate is not None and (
            isinstance(webhook_rate, bool) or not isinstance(webhook_rate, int) or webhook_rate < 1
        ):
            raise ConfigurationError(
                f"webhook_rate must be a positive integer or None, not {webhook_rate!r}"
            )
        if isinstance(adapters, str) or not all(
            callable(getattr(a, "matches", None))
            and callable(getattr(a, "convert", None))
            and isinstance(getattr(a, "name", None), str)
            for a in adapters
        ):
            raise ConfigurationError(
                "adapters must be a sequence of objects with name, matches() and convert()"
            )
        if not isinstance(native_over_http, bool) and (
            isinstance(native_over_http, str)
            or not all(isinstance(n, str) for n in native_over_http)
        ):
            raise ConfigurationError(
                "native_over_http must be True, False or a collection of adapter names, "
                f"not {native_over_http!r}"
            )
        if routes is not None and (
            not isinstance(routes, Mapping)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in routes.items())
        ):
            raise ConfigurationError(
                f"routes must map CloudEvent type patterns to paths, not {routes!r}"
            )
        if sns_certificate_fetcher is not None and not callable(sns_certificate_fetcher):
            raise ConfigurationError("sns_certificate_fetcher must be callable")
        self.app = app
        self.mode = mode
        self.adapters = tuple(adapters)
        self.native_over_http: bool | frozenset[str] = (
            native_over_http if isinstance(native_over_http, bool) else frozenset(native_over_http)
        )
        self.unwrap = unwrap
        self.routes = tuple((routes or {}).items())
        self.sns_certificate_fetcher = sns_certificate_fetcher
        self.sns_confirm_subscriptions = sns_confirm_subscriptions
        self.dapr = dapr
        # Whether a binary request may take the fast path (no per-event work).
        self._plain_binary = mode == "binary" and not self.routes and not dapr
        self.max_body_size = max_body_size
        self.max_batch_size = max_batch_size
        self.max_json_depth = max_json_depth
        self.max_headers = max_headers
        self.max_header_size = max_header_size
        self.methods = frozenset(m.upper() for m in methods)
        self.webhook_origins = None if webhook_origins is None else frozenset(webhook_origins)
        self.webhook_rate = "*" if webhook_rate is None else str(webhook_rate)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if keys.CONTENT_MODE in environ:
            # Already an event's environ, made by a middleware further out: pass it on.
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in self.methods:
            if method == "OPTIONS" and "HTTP_WEBHOOK_REQUEST_ORIGIN" in environ:
                return self._handshake(environ, start_response)
            return self.app(environ, start_response)
        content_type = environ.get("CONTENT_TYPE")
        try:
            mode = content_mode(content_type, "HTTP_CE_SPECVERSION" in environ)
            if mode is None:
                origin = self._native_origin(environ, content_type)
                if origin is None:
                    return self.app(environ, start_response)
                return self._native(environ, start_response, origin)
            body = self._read_body(environ)
            check_depth("body", body, self.max_json_depth)
            if mode == BINARY:
                raw_headers = keys.ce_headers(environ)
                self._check_headers(raw_headers)
                event = parse_binary(raw_headers, content_type or None, body)
                if self._plain_binary and keys.LAMBDA_DELIVERY not in environ:
                    # The fast path: already in binary form, the environ is the app's.
                    keys.normalise_binary(environ, event, raw_headers, body)
                    environ[keys.CONTENT_MODE] = BINARY
                    return self.app(environ, start_response)
                events = [event]
            elif mode == BATCH:
                events = parse_batch(body, max_batch=self.max_batch_size)
            else:
                events = [parse_structured(body)]
            if mode != BATCH and keys.LAMBDA_DELIVERY not in environ:
                # One event, no one recording: the app's answer streams straight back.
                env = self._event_environ(
                    environ, Converted(events[0], None), mode, body if mode == BINARY else None
                )
            else:
                return self._dispatch(
                    environ,
                    start_response,
                    [Converted(e, None) for e in events],
                    mode,
                    batch=mode == BATCH,
                )
        except InvalidEventError as error:
            return _problem(error, start_response)
        if self.dapr:
            return self._dapr_answer(env, start_response)
        return self.app(env, start_response)

    # -- reading -------------------------------------------------------------

    def _read_body(self, environ: WSGIEnvironment) -> bytes:
        raw_length = environ.get("CONTENT_LENGTH") or ""
        stream = environ["wsgi.input"]
        if raw_length:
            if not raw_length.isdigit() or not raw_length.isascii():
                raise InvalidEventError("content-length", "is not a number of bytes", raw_length)
            length = int(raw_length)
            if length > self.max_body_size:
                raise PayloadTooLargeError(
                    "body", f"is larger than the limit of {self.max_body_size} bytes", length
                )
            body: bytes = stream.read(length) if length else b""
            if len(body) < length:
                raise InvalidEventError(
                    "body", f"ended after {len(body)} of the {length} bytes announced"
                )
            return body
        if environ.get("wsgi.input_terminated"):
            # A chunked request: the server ends the stream at the last chunk.
            body = stream.read(self.max_body_size + 1)
            if len(body) > self.max_body_size:
                raise PayloadTooLargeError(
                    "body", f"is larger than the limit of {self.max_body_size} bytes"
                )
            return body
        return b""

    def _check_headers(self, raw_headers: list[tuple[str, str]]) -> None:
        if len(raw_headers) > self.max_headers:
            raise InvalidEventError(
                "headers", f"more than {self.max_headers} ce- headers", len(raw_headers)
            )
        for attribute, raw in raw_headers:
            if len(raw) > self.max_header_size:
                raise InvalidEventError(
                    attribute, f"the ce-{attribute} header is over {self.max_header_size} bytes"
                )

    def _event_environ(
        self,
        environ: WSGIEnvironment,
        item: Converted,
        content_mode: str,
        body: bytes | None = None,
        adapter: str | None = None,
    ) -> dict[str, Any]:
        """A copy of ``environ`` holding one event in the configured form
        (and the name of the ``adapter`` that made it, if given)."""
        env = dict(environ)
        if adapter is not None:
            env[keys.ADAPTER] = adapter
        if self.mode == "binary" and not _is_event_format(item.event.get_datacontenttype()):
            keys.write_binary(env, item.event, body)
        else:
            # Structured also when the data is itself a CloudEvent: in binary
            # form its Content-Type would make the request read as that event.
            keys.write_structured(env, item.event)
        env[keys.CONTENT_MODE] = content_mode
        if item.native is not None:
            env[keys.NATIVE] = item.native
        if item.record_id is not None:
            env[keys.RECORD_ID] = item.record_id
        delivery = environ.get(keys.LAMBDA_DELIVERY)
        routes = (delivery.routes if delivery is not None else None) or self.routes
        if routes:
            event_type = item.event.get_type()
            for pattern, path in routes:
                if fnmatchcase(event_type, pattern):
                    env["PATH_INFO"] = path
                    break
        return env

    def _dapr_answer(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Dapr's contract: always 200, the outcome in ``{"status": ...}``."""
        from .dapr import dapr_response_body, dapr_status

        response, _ = _run_event(self.app, environ)
        body = dapr_response_body(dapr_status(response.code))
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    # -- native provider events ----------------------------------------------------

    def _native_origin(self, environ: WSGIEnvironment, content_type: str | None) -> str | None:
        """Where a possible native event comes from, or None to pass it through.

        Only payloads that the provider authenticates, that come through the
        Lambda shim, or that the user accepts over HTTP are ever read.
        """
        if isinstance(environ.get(keys.LAMBDA_DELIVERY), LambdaDelivery):
            return "lambda"
        if "HTTP_X_AMZ_SNS_MESSAGE_TYPE" in environ:
            return "sns"
        if "HTTP_AEG_EVENT_TYPE" in environ:
            return "eventgrid"
        if (
            (self.native_over_http or self.adapters)
            and content_type
            and _is_json_type(content_type)
        ):
            return "http"
        return None

    def _native(
        self, environ: WSGIEnvironment, start_response: StartResponse, origin: str
    ) -> Iterable[bytes]:
        try:
            delivery = environ.get(keys.LAMBDA_DELIVERY) if origin == "lambda" else None
            if delivery is not None and delivery.has_payload:
                # The shim's decoded event: no body to read and decode again.
                payload, body = delivery.payload, b""
            else:
                body = self._read_body(environ)
                try:
                    check_depth("body", body, self.max_json_depth)
                    payload = load_json("body", body)
                except InvalidEventError:
                    if origin == "http":
                        return self._pass_through(environ, start_response, body)
                    raise
            message = Message(
                environ.get("REQUEST_METHOD", "POST"),
                environ.get("PATH_INFO", "/"),
                _headers(environ),
                body,
            )
            if origin == "sns":
                answer = self._sns(payload, message, start_response)
                if answer is not None:
                    return answer
            elif origin == "eventgrid":
                from .adapters.azure_eventgrid import validation_response

                handshake = validation_response(payload)
                if handshake is not None:
                    return _json_answer("200 OK", handshake, start_response)
            adapter = find_adapter(payload, message, self.adapters, unwrap=self.unwrap)
            if origin == "http" and (adapter is None or not self._accepts_over_http(adapter)):
                return self._pass_through(environ, start_response, body)
            if adapter is None:
                raise UnsupportedFormatError(
                    "body", "no adapter recognises this payload as an event it can convert"
                )
            expected = _EXPECTED_ADAPTER.get(origin)
            if expected is not None and adapter.name != expected:
                raise InvalidEventError(
                    "body", f"the request's headers announce {expected} but the body is not one"
                )
            items: Sequence[Converted | _Refused]
            try:
                # Not isinstance(adapter, BatchAdapter): a runtime Protocol check
                # costs microseconds per request.
                if delivery is None or not hasattr(adapter, "convert_each"):
                    items = adapter.convert(payload, message)
                else:
                    # Lambda retries record by record: an invalid record fails alone.
                    batch_adapter = cast("BatchAdapter", adapter)
                    outcomes = batch_adapter.convert_each(payload, message)
                    items = _each_record(batch_adapter, payload, outcomes)
            except InvalidEventError:
                raise
            except Exception as exc:
                # An adapter's bug must not turn bad input into a 500: refuse
                # the payload, and log the bug where its owner will see it.
                logger.exception("adapter %s failed on a payload it matched", adapter.name)
                raise InvalidEventError(
                    "body", f"could not be converted by {adapter.name} ({type(exc).__name__})"
                ) from None
            first = items[0] if len(items) == 1 else None
            if not isinstance(first, Converted):
                environ = dict(environ)
                environ[keys.ADAPTER] = adapter.name
                return self._dispatch(environ, start_response, items, NATIVE, batch=True)
            # One event: its environ is the one copy made (the adapter's name
            # set first, where the copy of a copy had it).
            if delivery is not None:
                return self._dispatch(
                    environ, start_response, items, NATIVE, batch=False, adapter=adapter.name
                )
            env = self._event_environ(environ, first, NATIVE, adapter=adapter.name)
        except InvalidEventError as error:
            return _problem(error, start_response)
        return self.app(env, start_response)

    def _accepts_over_http(self, adapter: Adapter) -> bool:
        allowed = self.native_over_http
        if adapter in self.adapters or allowed is True:
            return True
        return isinstance(allowed, frozenset) and adapter.name in allowed

    def _sns(
        self, payload: Any, message: Message, start_response: StartResponse
    ) -> Iterable[bytes] | None:
        """Check an SNS document's signature; answer subscription confirmations."""
        from . import sns_signature

        if not isinstance(payload, dict):
            raise InvalidEventError("body", "an SNS message is a JSON object", payload)
        fetcher = self.sns_certificate_fetcher or sns_signature.default_fetcher()
        sns_signature.verify_sns_message(payload, fetch_certificate=fetcher)
        kind = payload.get("Type")
        if kind == "SubscriptionConfirmation":
            url = sns_signature.confirmation_url(payload)
            if self.sns_confirm_subscriptions:
                fetcher(url)
                logger.info("confirmed the SNS subscription to %s", payload.get("TopicArn"))
                return _json_answer("200 OK", {"confirmed": True}, start_response)
            logger.warning(
                "SNS asks to confirm a subscription to %s; confirm it by visiting %s "
                "or enable sns_confirm_subscriptions",
                payload.get("TopicArn"),
                url,
            )
            return _json_answer("202 Accepted", {"confirmed": False}, start_response)
        if kind == "UnsubscribeConfirmation":
            return _json_answer("200 OK", {}, start_response)
        return None

    def _pass_through(
        self, environ: WSGIEnvironment, start_response: StartResponse, body: bytes
    ) -> Iterable[bytes]:
        """The app gets the request as it came, its body readable again."""
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    # -- several events ------------------------------------------------------------

    def _dispatch(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        items: Sequence[Converted | _Refused],
        content_mode: str,
        *,
        batch: bool,
        adapter: str | None = None,
    ) -> Iterable[bytes]:
        """Call the app once per event, then answer once.

        A single event's own answer is replayed; several are combined.
        ``adapter`` (single events only) is set in the event's environ. With a
        :class:`LambdaDelivery`, each outcome is reported to it, a refused
        record (:class:`_Refused`) fails alone, and an event the delivery does
        not admit is held back.
        """
        if not items:
            start_response("204 No Content", [])
            return []
        delivery: LambdaDelivery | None = environ.get(keys.LAMBDA_DELIVERY)
        single = items[0]
        if not batch and len(items) == 1 and isinstance(single, Converted):
            # One event (a caller records its outcome): the loop below, unrolled.
            env = self._event_environ(environ, single, content_mode, adapter=adapter)
            response, exc_info = _run_event(self.app, env, single.record_id)
            if delivery is not None:
                delivery.report(
                    EventResult(0, single.event, response.code, exc_info, single.record_id)
                )
            if exc_info is not None:
                raise exc_info[1].with_traceback(exc_info[2])
            start_response(response.status, response.headers)
            return response.chunks
        steps: list[tuple[Converted, dict[str, Any]] | _Refused] = []
        for index, item in enumerate(items):
            if isinstance(item, _Refused):
                steps.append(item)
                continue
            try:
                env = self._event_environ(environ, item, content_mode)
            except InvalidEventError as error:
                if delivery is None or item.record_id is None:
                    # Every event is written out before the app sees any: one
                    # that cannot be refuses the whole request.
                    raise error.within(f"[{index}].") if batch else error from None
                steps.append(_Refused(item.record_id, error))  # a Lambda record: fails alone
                continue
            if batch:
                env[keys.BATCH_INDEX] = index
                env[keys.BATCH_SIZE] = len(items)
            steps.append((item, env))
        outcomes: list[dict[str, Any]] = []
        first_failure: str | None = None
        first_refusal: InvalidEventError | None = None
        answer: Response | None = None
        for index, step in enumerate(steps):
            if isinstance(step, _Refused):
                # A record of a Lambda batch: reported failed, the app never sees it.
                refusal = step.error
                if delivery is not None:
                    reason = f"{refusal.field}: {refusal.reason}"
                    delivery.report(
                        EventResult(index, None, refusal.status, None, step.record_id, reason)
                    )
                outcomes.append({"id": None, "status": refusal.status})
                if first_failure is None:
                    first_failure, first_refusal = refusal.problem()["title"], refusal
                continue
            item, env = step
            if delivery is not None and not delivery.admit(item.record_id):
                continue  # held back behind a failure: no result, reported by the shim
            response, exc_info = _run_event(self.app, env, item.record_id)
            code = response.code
            if delivery is not None:
                delivery.report(EventResult(index, item.event, code, exc_info, item.record_id))
            if not batch:
                if exc_info is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
                answer = response
            outcomes.append({"id": item.event.get_id(), "status": code})
            if first_failure is None and (exc_info is not None or not 200 <= code < 300):
                first_failure = response.status
        if answer is not None:
            start_response(answer.status, answer.headers)
            return answer.chunks
        if first_refusal is not None:
            # A 4xx is always problem+json: the first failure was a refused record.
            return _problem(first_refusal, start_response)
        return _json_answer(first_failure or "200 OK", {"results": outcomes}, start_response)

    # -- webhook handshake (CloudEvents HTTP webhook spec, section 4) ---------

    def _handshake(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if self.webhook_origins is not None and not self.webhook_origins:
            return self.app(environ, start_response)
        origin = environ["HTTP_WEBHOOK_REQUEST_ORIGIN"].strip()
        if self.webhook_origins is not None and origin not in self.webhook_origins:
            return _problem(
                OriginNotAllowedError(
                    "webhook-request-origin", "this origin is not allowed", origin
                ),
                start_response,
            )
        allowed = "*" if self.webhook_origins is None else origin
        start_response(
            "200 OK",
            [
                ("Allow", "POST"),
                ("WebHook-Allowed-Origin", allowed),
                ("WebHook-Allowed-Rate", self.webhook_rate),
                ("Content-Length", "0"),
            ],
        )
        return []


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    names, others = _HEADER_NAMES, _NOT_HEADERS
    headers = {}
    for key, value in environ.items():
        if key in others:
            continue
        name = names[key] if key in names else _header_name(key)
        if name is not None:
            headers[name] = value
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


# Environ keys by what they are (``HTTP_X_AMZ_SNS_MESSAGE_TYPE``:
# ``x-amz-sns-message-type``; a server's own keys: not a header). Keys repeat,
# so a scan mostly looks them up; bounded, as clients choose header names.
_HEADER_NAMES: dict[str, str] = {}
_NOT_HEADERS: set[str] = set()
_KEYS_MAX: Final = 512
_KEY_LENGTH_MAX: Final = 64


def _header_name(key: str) -> str | None:
    if key.startswith("HTTP_"):
        name = key[5:].lower().replace("_", "-")
        if len(_HEADER_NAMES) < _KEYS_MAX and len(key) <= _KEY_LENGTH_MAX:
            _HEADER_NAMES[key] = name
        return name
    if len(_NOT_HEADERS) < _KEYS_MAX and len(key) <= _KEY_LENGTH_MAX:
        _NOT_HEADERS.add(key)
    return None


# The adapter a provider's own header announces.
_EXPECTED_ADAPTER: Final = {"sns": "aws.sns", "eventgrid": "azure.eventgrid"}


def _is_event_format(content_type: str | None) -> bool:
    return content_type is not None and content_type[:23].lower().startswith(
        "application/cloudevents"
    )


def _is_json_type(content_type: str) -> bool:
    essence = content_type.split(";", 1)[0].strip().lower()
    return is_json(essence) or essence == "text/plain"


def _json_answer(status: str, obj: Any, start_response: StartResponse) -> Iterable[bytes]:
    body = json.dumps(obj).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _problem(error: InvalidEventError, start_response: StartResponse) -> Iterable[bytes]:
    body = error.problem_json()
    start_response(
        f"{error.status} {error.problem()['title']}",
        [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class _Refused(NamedTuple):
    """A record of a Lambda batch that no event could be made of: it fails alone."""

    record_id: str | None
    error: InvalidEventError


def _each_record(
    adapter: BatchAdapter, payload: Any, outcomes: list[list[Converted] | InvalidEventError]
) -> list[Converted | _Refused]:
    """The events of every record, in order, a refused record in its place."""
    records = payload["Records"]  # convert_each returned: it is a list of records
    items: list[Converted | _Refused] = []
    for record, outcome in zip(records, outcomes, strict=True):
        if isinstance(outcome, InvalidEventError):
            items.append(_Refused(adapter.record_id(record), outcome))
        else:
            items += outcome
    return items


def _run_event(
    app: WSGIApplication, environ: dict[str, Any], record_id: str | None = None
) -> tuple[Response, Any]:
    """The app's whole answer to one event, or a 500 and the exception it raised."""
    try:
        return run(app, environ), None
    except Exception:
        if record_id is not None:
            logger.exception("the application raised for record %s", record_id)
        else:
            logger.exception("the application raised while handling an event")
        return Response("500 Internal Server Error"), sys.exc_info()
