"""CloudEventsMiddleware: CloudEvents requests into any WSGI application.

A request that carries a CloudEvent (binary, structured or batched content
mode) reaches the app with the event at ``environ["cloudevent"]`` and the
environ rewritten into one standard form; a batch reaches it once per event.
Invalid events are answered with a problem+json 400/413/415, never reach
the app, and are logged once without their values
(:mod:`cloudevents_wsgi.diagnostics`). Every other request passes through
untouched, its body unread.

Wrapping is idempotent: a request that one middleware has handled (its
environ holds ``cloudevents_wsgi.content_mode``) passes through any further
one untouched, so an app wrapped twice (``app.wsgi_app`` wrapped, then the
app served by ``cloudevents-wsgi serve`` or the Lambda shim) gets each event
once, in the outer middleware's form and options.

Not for: producing events (use :func:`cloudevents_wsgi.to_http`), or apps
that must see the sender's raw request unchanged (the environ of an event is
rewritten).
"""

from __future__ import annotations

import enum
import io
import json
import logging
import sys
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

from . import environ as keys
from ._json import load_json
from ._options import check_flag, check_native_names, check_routes
from ._wsgi import Response, run
from .adapters.base import Adapter, BatchAdapter, Converted
from .delivery import EventResult, LambdaDelivery
from .detect import find_adapter
from .diagnostics import log_refusal
from .errors import (
    ConfigurationError,
    InvalidEventError,
    PayloadTooLargeError,
    UnsupportedFormatError,
    problem_response,
)
from .message import Message
from .origins import (
    DEFAULT_EVENTGRID_SECRET_PARAMETER,
    DEFAULT_SNS_MAX_AGE,
    Origins,
    answer,
)
from .receiver import (
    BATCH,
    BINARY,
    MAX_ATTRIBUTES,
    MAX_BATCH,
    MAX_DEPTH,
    content_mode,
    parse_batch,
    parse_binary,
    parse_structured,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .idempotency import IdempotencyStore

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
MAX_HEADER_SIZE: Final = 8192
#: Deprecated: the default of ``max_attributes`` (the old ``max_headers``).
MAX_HEADERS: Final = MAX_ATTRIBUTES


class _NotGiven(enum.Enum):
    NOT_GIVEN = enum.auto()  # an option left out (where None is not a valid value)


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
        nesting of JSON arrays and objects wherever JSON is parsed (structured
        and batch bodies, binary data of a JSON media type); deeper is
        answered 400. Other binary data is never parsed, so never refused for it.
    ``max_attributes``
        context attributes of each event, in every content mode (the ``ce-``
        headers of a binary event, the members of a structured event or of
        each batch member); more is answered 400 naming ``headers`` or
        ``attributes``. ``max_headers`` is its deprecated former name.
    ``max_header_size``
        bytes in each ``ce-`` header of a binary event; more is 400.
    ``methods``
        the request methods that may carry an event; others pass through.
    ``webhook_origins``
        origins granted in the CloudEvents webhook handshake (``OPTIONS``
        with ``WebHook-Request-Origin``), ``{"*"}`` for any; ``None`` (default)
        or empty: no handshake, the app answers OPTIONS.
    ``webhook_rate``
        requests per minute granted in the handshake; ``None`` for no limit.
    ``adapters``
        the user's own adapters (:class:`~cloudevents_wsgi.adapters.base.Adapter`),
        tried before the built-in ones, and accepted over plain HTTP.
    ``native_over_http``
        native provider payloads (S3, SQS, Event Grid, Pub/Sub...) POSTed over
        plain HTTP carry no proof of where they come from, so by default they
        pass through unread; ``True`` accepts them all, a collection of adapter
        names (``{"azure.eventgrid"}``) accepts those. Payloads from the Lambda
        shim need no opt-in; SNS needs ``sns_topics``. The rules are in
        :mod:`cloudevents_wsgi.origins`.
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
    ``sns_topics``
        TopicArn glob patterns (``{"arn:aws:sns:eu-west-1:123456789012:orders"}``)
        whose signed messages are accepted over HTTP; others get 403. ``None``
        (default): SNS over HTTP passes through unread.
    ``sns_max_age``
        seconds; a signed SNS ``Timestamp`` older than this is refused (403).
        Default 3,900: SNS's longest HTTP/S retry span (3,600 s) plus skew.
        ``None`` turns the check off.
    ``eventgrid_secret``, ``eventgrid_secret_parameter``
        Event Grid deliveries must carry this secret in the endpoint URL's
        query parameter (``code`` by default), else 403.
    ``dapr``
        answer CloudEvents requests the way Dapr's pub/sub expects: always 200
        with ``{"status": "SUCCESS" | "RETRY" | "DROP"}`` from the app's status
        (:func:`cloudevents_wsgi.dapr.dapr_status`), ``DROP`` for an event the
        receiver refuses; bulk deliveries entry by entry (:mod:`cloudevents_wsgi.dapr`).
    ``idempotency``
        a store (:class:`cloudevents_wsgi.idempotency.IdempotencyStore`): the
        app is called at most once per event ``source`` and ``id`` within a day
        (:func:`cloudevents_wsgi.idempotency.idempotent`).
    ``tracing``
        ``True`` (the global tracer provider) or an OpenTelemetry
        ``TracerProvider``: one span per event (:mod:`cloudevents_wsgi.tracing`,
        the ``otel`` extra).

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
        max_attributes: int = MAX_ATTRIBUTES,
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
        sns_topics: Collection[str] | None = None,
        sns_max_age: int | None = DEFAULT_SNS_MAX_AGE,
        eventgrid_secret: str | None = None,
        eventgrid_secret_parameter: str = DEFAULT_EVENTGRID_SECRET_PARAMETER,
        dapr: bool = False,
        max_headers: int | _NotGiven = _NotGiven.NOT_GIVEN,
        idempotency: IdempotencyStore | None = None,
        tracing: bool | Any = False,
    ) -> None:
        if not callable(app):
            raise ConfigurationError(f"app must be a WSGI callable, not {app!r}")
        if mode not in MODES:
            raise ConfigurationError(f"mode must be one of {MODES}, not {mode!r}")
        given_max_headers = max_headers is not _NotGiven.NOT_GIVEN
        if given_max_headers and max_attributes != MAX_ATTRIBUTES:
            raise ConfigurationError("max_headers is the old name of max_attributes: pass one")
        for name, value in (
            ("max_body_size", max_body_size),
            ("max_batch_size", max_batch_size),
            ("max_json_depth", max_json_depth),
            ("max_attributes", max_attributes),
            ("max_headers", max_headers if given_max_headers else MAX_ATTRIBUTES),
            ("max_header_size", max_header_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, not {value!r}")
        if isinstance(max_headers, int):
            warnings.warn(
                "max_headers is deprecated; use max_attributes, which caps the attributes "
                "of every event in every content mode",
                DeprecationWarning,
                stacklevel=2,
            )
            max_attributes = max_headers
        if isinstance(methods, str) or not all(isinstance(m, str) for m in methods):
            raise ConfigurationError(f"methods must be a collection of strings, not {methods!r}")
        if isinstance(adapters, str) or not all(
            callable(getattr(a, "matches", None))
            and callable(getattr(a, "convert", None))
            and isinstance(getattr(a, "name", None), str)
            for a in adapters
        ):
            raise ConfigurationError(
                "adapters must be a sequence of objects with name, matches() and convert()"
            )
        route_pairs = check_routes("routes", routes)
        for name, flag in (
            ("unwrap", unwrap),
            ("sns_confirm_subscriptions", sns_confirm_subscriptions),
            ("dapr", dapr),
        ):
            check_flag(name, flag)
        if idempotency is not None and not all(
            callable(getattr(idempotency, method, None))
            for method in ("claim", "complete", "release")
        ):
            raise ConfigurationError(
                "idempotency must be None or a store with claim(), complete() and release() "
                f"(cloudevents_wsgi.idempotency.IdempotencyStore), not {idempotency!r}"
            )
        self.origins = Origins(
            adapters=adapters,
            native_over_http=native_over_http,
            sns_topics=sns_topics,
            sns_max_age=sns_max_age,
            sns_certificate_fetcher=sns_certificate_fetcher,
            sns_confirm_subscriptions=sns_confirm_subscriptions,
            eventgrid_secret=eventgrid_secret,
            eventgrid_secret_parameter=eventgrid_secret_parameter,
            webhook_origins=webhook_origins,
            webhook_rate=webhook_rate,
        )
        check_native_names(native_over_http, adapters)
        self.app = _wrap(app, idempotency, tracing)
        self.mode = mode
        self.adapters = tuple(adapters)
        self.native_over_http = self.origins.native_over_http
        self.unwrap = unwrap
        self.routes = route_pairs
        self.dapr = dapr
        # Whether a binary request may take the fast path (no per-event work).
        self._plain_binary = mode == "binary" and not self.routes and not dapr
        self.max_body_size = max_body_size
        self.max_batch_size = max_batch_size
        self.max_json_depth = max_json_depth
        self.max_attributes = max_attributes
        self.max_header_size = max_header_size
        self.methods = frozenset(m.upper() for m in methods)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.dapr:
            from .dapr import answer

            return answer(self, environ, start_response)
        return self._receive(environ, start_response)

    def _receive(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in self.methods:
            if method == "OPTIONS" and "HTTP_WEBHOOK_REQUEST_ORIGIN" in environ:
                try:
                    granted = self.origins.webhook(environ)
                except InvalidEventError as error:
                    log_refusal(error, environ)
                    return _problem(error, start_response)
                if granted is not None:
                    return answer(granted, start_response)
            return self.app(environ, start_response)
        if keys.CONTENT_MODE in environ:
            # Already one event, handled by a middleware outside this one (a
            # Flask app whose wsgi_app is wrapped, served wrapped again): as it is.
            return self.app(environ, start_response)
        content_type = environ.get("CONTENT_TYPE")
        try:
            mode = content_mode(content_type, "HTTP_CE_SPECVERSION" in environ)
            if mode is None:
                origin = self.origins.origin(environ, content_type)
                if origin is None:
                    return self.app(environ, start_response)
                return self._native(environ, start_response, origin)
            body = self._read_body(environ)
            depth, most = self.max_json_depth, self.max_attributes
            if mode == BINARY:
                raw_headers = keys.ce_headers(environ)
                self._check_headers(raw_headers)
                event = parse_binary(
                    raw_headers, content_type or None, body, max_depth=depth, max_attributes=most
                )
                if self._plain_binary and keys.LAMBDA_DELIVERY not in environ:
                    # The fast path: already in binary form, the environ is the app's.
                    keys.normalise_binary(environ, event, raw_headers, body)
                    environ[keys.CONTENT_MODE] = BINARY
                    return self.app(environ, start_response)
                events = [event]
            elif mode == BATCH:
                events = parse_batch(
                    body, max_batch=self.max_batch_size, max_depth=depth, max_attributes=most
                )
            else:
                events = [parse_structured(body, max_depth=depth, max_attributes=most)]
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
            log_refusal(error, environ)
            return _problem(error, start_response)
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
            body = _read(stream, length)
            if len(body) < length:
                raise InvalidEventError(
                    "body", f"ended after {len(body)} of the {length} bytes announced"
                )
            return body
        if environ.get("wsgi.input_terminated"):
            # A chunked request: the server ends the stream at the last chunk.
            body = _read(stream, self.max_body_size + 1)
            if len(body) > self.max_body_size:
                raise PayloadTooLargeError(
                    "body", f"is larger than the limit of {self.max_body_size} bytes"
                )
            return body
        return b""

    @property
    def max_headers(self) -> int:
        """Deprecated: :attr:`max_attributes`."""
        return self.max_attributes

    def _check_headers(self, raw_headers: list[tuple[str, str]]) -> None:
        if len(raw_headers) > self.max_attributes:
            raise InvalidEventError(
                "headers",
                f"more than {self.max_attributes} ce- headers (max_attributes)",
                len(raw_headers),
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
        if self.mode == "binary":
            # Structured where binary cannot carry the event as it is (data
            # that is itself a CloudEvent, JSON data without a type...).
            keys.write_binary(env, item.event, body)
        else:
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

    # -- native provider events ----------------------------------------------------

    def _native(
        self, environ: WSGIEnvironment, start_response: StartResponse, origin: str
    ) -> Iterable[bytes]:
        try:
            delivery = environ.get(keys.LAMBDA_DELIVERY) if origin == "lambda" else None
            if delivery is not None and delivery.has_payload:
                # The shim's decoded event: no body to read and decode again.
                payload, body = delivery.payload, b""
            elif origin == "http":
                # Not yet proved an event: never refused, passed on whole if too big.
                read = self._read_or_pass(environ)
                if read is None:
                    return self.app(environ, start_response)
                body = read
                try:
                    payload = load_json("body", body, max_depth=self.max_json_depth)
                except InvalidEventError:
                    return self._pass_through(environ, start_response, body)
            else:
                body = self._read_body(environ)
                payload = load_json("body", body, max_depth=self.max_json_depth)
            message = Message(
                environ.get("REQUEST_METHOD", "POST"),
                environ.get("PATH_INFO", "/"),
                _headers(environ),
                body,
            )
            origins = self.origins
            if origin in _EXPECTED_ADAPTER:
                # A provider's header: its authentication comes first, whatever the body.
                handshake = origins.check(_EXPECTED_ADAPTER[origin], payload, environ)
                if handshake is not None:
                    return answer(handshake, start_response)
            adapter = find_adapter(payload, message, self.adapters, unwrap=self.unwrap)
            if origin == "http":
                if adapter is None or not origins.accepts_over_http(adapter, environ):
                    return self._pass_through(environ, start_response, body)
                if adapter not in self.adapters:
                    handshake = origins.check(adapter.name, payload, environ)
                    if handshake is not None:
                        return answer(handshake, start_response)
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
            log_refusal(error, environ)
            return _problem(error, start_response)
        return self.app(env, start_response)

    def _read_or_pass(self, environ: WSGIEnvironment) -> bytes | None:
        """The body of a request that may be a native event, or ``None`` when
        it is over ``max_body_size``: then ``wsgi.input`` still yields every
        byte (those read first, then the rest of the stream), for the app."""
        stream = environ["wsgi.input"]
        limit = self.max_body_size
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text:
            try:
                length = int(length_text)
            except ValueError:
                return None
            if length > limit or length < 0:
                return None  # not read at all
            return _read(stream, length)
        if not environ.get("wsgi.input_terminated"):
            return b""
        body = _read(stream, limit + 1)
        if len(body) > limit:
            environ["wsgi.input"] = _Rejoined(body, stream)
            return None
        return body

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
                # A record of a Lambda batch: reported failed (and logged by
                # the shim, with the batch's other failures), the app never sees it.
                refusal = step.error
                reason = f"{refusal.field}: {refusal.reason}"
                if delivery is not None:
                    delivery.report(
                        EventResult(index, None, refusal.status, None, step.record_id, reason)
                    )
                outcomes.append({"id": None, "status": refusal.status, "reason": reason})
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
            outcome: dict[str, Any] = {"id": item.event.get_id(), "status": code}
            if exc_info is not None or not 200 <= code < 300:
                # Why, without the app's body (it may quote the event).
                outcome["reason"] = (
                    f"the application raised {exc_info[0].__name__}"
                    if exc_info is not None
                    else f"the application answered {response.status}"
                )
                if first_failure is None:
                    first_failure = response.status
            outcomes.append(outcome)
        if answer is not None:
            start_response(answer.status, answer.headers)
            return answer.chunks
        if first_refusal is not None:
            # A 4xx is always problem+json: the first failure was a refused record.
            return _problem(first_refusal, start_response)
        return _json_answer(first_failure or "200 OK", {"results": outcomes}, start_response)


def _wrap(app: WSGIApplication, idempotency: Any, tracing: Any) -> WSGIApplication:
    """``app`` inside the per-event layers chosen: tracing outside idempotency,
    so that a redelivery answered from the store has its span too."""
    if idempotency is not None:
        from .idempotency import idempotent

        app = idempotent(app, idempotency)
    if tracing is not False:
        if tracing is not True and not callable(getattr(tracing, "get_tracer", None)):
            raise ConfigurationError(
                f"tracing must be True, False or an OpenTelemetry TracerProvider, not {tracing!r}"
            )
        try:
            from .tracing import traced
        except ImportError as exc:
            raise ConfigurationError(
                "tracing needs OpenTelemetry: pip install 'cloudevents-wsgi[otel]'"
            ) from exc
        app = traced(app, None if tracing is True else tracing)
    return app


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
# Dicts, not lru_cache: a lookup per environ key inline is about twice as fast
# as a call per key, on every request.
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


class _Rejoined(io.RawIOBase):
    """A WSGI input stream: ``head`` (already read), then the rest of ``tail``."""

    def __init__(self, head: bytes, tail: Any) -> None:
        super().__init__()
        self._head = io.BytesIO(head)
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = self._head.readinto(view)
        if count:
            return count
        chunk = self._tail.read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int | None = -1) -> bytes:
        head = self._head.read(size if size is not None and size >= 0 else -1)
        if size is None or size < 0:
            rest: bytes = self._tail.read()
            return head + rest
        if len(head) == size:
            return head
        # Filled from the stream, so that apps reading exactly what they ask get it.
        chunk: bytes = self._tail.read(size - len(head))
        return head + chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = self._head.readline(-1 if size is None else size)
        if line.endswith(b"\n") or (size is not None and 0 <= size == len(line)):
            return line
        rest: bytes = self._tail.readline(-1 if size is None or size < 0 else size - len(line))
        return line + rest


def _json_answer(status: str, obj: Any, start_response: StartResponse) -> Iterable[bytes]:
    body = json.dumps(obj).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _problem(error: InvalidEventError, start_response: StartResponse) -> Iterable[bytes]:
    status, headers, body = problem_response(error)
    start_response(status, headers)
    return [body]


def _read(stream: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream``: read until the end of input or the
    limit, whatever each ``read()`` returns (PEP 3333 allows short reads)."""
    chunk: bytes = stream.read(limit) if limit else b""
    if len(chunk) >= limit or not chunk:
        return chunk
    parts = [chunk]
    got = len(chunk)
    while got < limit:
        chunk = stream.read(limit - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


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
            logger.exception("the application raised for record %r", record_id)
        else:
            logger.exception("the application raised while handling an event")
        return Response("500 Internal Server Error"), sys.exc_info()
