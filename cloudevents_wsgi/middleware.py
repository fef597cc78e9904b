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

Here: the options, ``__call__`` and the content-mode decision (a CloudEvent
in binary, structured or batch mode; a native payload and who may send it).
The body is read by :mod:`cloudevents_wsgi._body`, the app called once per
event by :mod:`cloudevents_wsgi.dispatch`, the environ written by
:mod:`cloudevents_wsgi.environ`.

Not for: producing events (use :func:`cloudevents_wsgi.to_http`), or apps
that must see the sender's raw request unchanged (the environ of an event is
rewritten).
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from functools import partial
from typing import TYPE_CHECKING, Any, Final, cast

from . import environ as keys
from ._body import read_event_body, read_or_pass
from ._json import (
    MAX_ATTRIBUTES,
    MAX_BATCH,
    MAX_DEPTH,
    encode_native,
    json_depth_over,
    load_json,
)
from ._options import check_flag, check_native_names, check_routes
from ._wsgi import Response, run
from .adapters.base import Adapter, BatchAdapter, Converted
from .delivery import LambdaDelivery
from .dispatch import (
    Refused,
    dispatch,
    each_record,
    problem,
    problem_parts,
    run_one,
    with_layers,
)
from .errors import (
    ConfigurationError,
    InvalidEventError,
    PayloadTooLargeError,
    UnsupportedFormatError,
)
from .event import CloudEvent
from .message import Message
from .origins import (
    DEFAULT_EVENTGRID_SECRET_PARAMETER,
    DEFAULT_SNS_MAX_AGE,
    EVENTGRID_EVENT_TYPE,
    SNS_MESSAGE_TYPE,
    Origins,
    answer,
)
from .spec import BATCH, BINARY, FORMAT_PREFIX, STRUCTURED
from .writer import json_bytes

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from . import receiver
    from .detect import find_adapter
    from .idempotency import IdempotencyStore
else:
    find_adapter = None  # imported by the first native event: _import_detect()
    receiver = None  # the module, imported by the first CloudEvents request: _import_receiver()

__all__ = ["CloudEventsMiddleware"]

logger = logging.getLogger("cloudevents_wsgi")
# The loggers of cloudevents_wsgi.diagnostics (REFUSED_LOGGER, LAMBDA_LOGGER),
# made here although the module is imported by the first refusal: logging
# configuration (dictConfig's disable_existing_loggers, fileConfig) acts on
# the loggers that exist when it runs, and must find them alike whether or not
# a refusal came first (tests/test_attacks_speed_round4.py). 8 to 11 us of
# cold start (measured), where importing the module costs 0.1 ms.
logging.getLogger("cloudevents_wsgi.refused")
logging.getLogger("cloudevents_wsgi.lambda")

MODES: Final = (BINARY, STRUCTURED)
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


def _import_receiver() -> None:
    """Binds the global ``receiver``: a function that never sees a CloudEvent
    over HTTP (S3 or API Gateway through the Lambda shim) never imports it
    (0.2 ms of a Lambda cold start)."""
    global receiver
    from . import receiver


def _import_detect() -> None:
    global find_adapter
    from .detect import find_adapter


def log_refusal(error: InvalidEventError, environ: WSGIEnvironment) -> None:
    """:func:`cloudevents_wsgi.diagnostics.log_refusal`, imported by the first
    refusal: a rare path, and the module is 0.1 ms of a Lambda cold start."""
    from .diagnostics import log_refusal as log

    log(error, environ)


class _NotGiven:
    """An option left out (where None is not a valid value). A plain class, not
    an Enum: creating an Enum class costs 60 us of the Lambda cold start."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"


_NOT_GIVEN: Final = _NotGiven()


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
        max_headers: int | _NotGiven = _NOT_GIVEN,
        idempotency: IdempotencyStore | None = None,
        tracing: bool | Any = False,
    ) -> None:
        if not callable(app):
            raise ConfigurationError(f"app must be a WSGI callable, not {app!r}")
        if mode not in MODES:
            raise ConfigurationError(f"mode must be one of {MODES}, not {mode!r}")
        given_max_headers = max_headers is not _NOT_GIVEN
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
        self.app = with_layers(app, idempotency, tracing)
        self.mode = mode
        self.adapters = tuple(adapters)
        self.native_over_http = self.origins.native_over_http
        self.unwrap = unwrap
        self.routes = route_pairs
        self.dapr = dapr
        # Whether a binary request may take the fast path (no per-event work).
        self._plain_binary = mode == BINARY and not self.routes and not dapr
        self.max_body_size = max_body_size
        self.max_batch_size = max_batch_size
        self.max_json_depth = max_json_depth
        self.max_attributes = max_attributes
        self.max_header_size = max_header_size
        self.methods = frozenset(m.upper() for m in methods)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that overrides _receive (the middleware less Dapr's
        # answer) had it run for every request, by the class's own __call__:
        # it still does, and the class itself keeps its one frame.
        if cls._receive is not _OWN_RECEIVE and cls.__call__ is _OWN_CALL:
            type.__setattr__(cls, "__call__", _call_through_receive)

    def __call__(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        _dapr_decided: bool = False,
    ) -> Iterable[bytes]:
        """The WSGI application. ``_dapr_decided`` is private: Dapr's answer
        is decided (:mod:`cloudevents_wsgi.dapr` hands a request on with it,
        through :meth:`_receive`). One frame, not two: a request that is no
        event pays for one Python call (fewer cache misses, measured)."""
        if self.dapr and not _dapr_decided:
            from .dapr import answer as dapr_answer

            return dapr_answer(self, environ, start_response)
        # The app is called as a local, read where it is called (as
        # ``self.app(...)`` read it: an app swapped mid-request is the one
        # called): ``self.app(...)`` is a method-call lookup that CPython 3.11
        # cannot specialise for an instance attribute (measured).
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in self.methods:
            if method == "OPTIONS" and "HTTP_WEBHOOK_REQUEST_ORIGIN" in environ:
                try:
                    granted = self.origins.webhook(environ)
                except InvalidEventError as error:
                    log_refusal(error, environ)
                    return problem(error, start_response)
                if granted is not None:
                    return answer(granted, start_response)
            app = self.app
            return app(environ, start_response)
        if keys.CONTENT_MODE in environ:
            # Already one event, handled by a middleware outside this one (a
            # Flask app whose wsgi_app is wrapped, served wrapped again): as it is.
            app = self.app
            return app(environ, start_response)
        content_type = environ.get("CONTENT_TYPE")
        try:
            has_specversion = "HTTP_CE_SPECVERSION" in environ
            # FORMAT_PREFIX is 23 characters: for a str, equality is startswith
            # here, and str.startswith parses its arguments the slow way (3.11).
            # Any other type (a str subclass, bytes from a broken server) is
            # asked as it always was: a subclass answers its own methods, and
            # bytes never meet a str in == (a BytesWarning under python -b).
            if has_specversion or (
                content_type
                and (
                    content_type[:23].lower() == FORMAT_PREFIX
                    if type(content_type) is str
                    else content_type[:23].lower().startswith(FORMAT_PREFIX)
                )
            ):
                if receiver is None:
                    _import_receiver()
                mode = receiver.content_mode(content_type, has_specversion)
            else:
                mode = None  # content_mode's own first test, inline: most requests stop here
            if mode is None:
                origins = self.origins
                # Origins.origin()'s own answer without the call when none of
                # the keys it asks about is here (ORIGIN_KEYS, tested there).
                if (
                    origins.reads_http
                    or keys.LAMBDA_DELIVERY in environ
                    or SNS_MESSAGE_TYPE in environ
                    or EVENTGRID_EVENT_TYPE in environ
                ):
                    origin = origins.origin(environ, content_type)
                    if origin is not None:
                        return self._native(environ, start_response, origin)
                app = self.app
                return app(environ, start_response)
            body = read_event_body(environ, self.max_body_size)
            depth, most = self.max_json_depth, self.max_attributes
            if mode == BINARY:
                raw_headers = keys.ce_headers(environ)
                self._check_headers(raw_headers)
                event = receiver.parse_binary(
                    raw_headers, content_type or None, body, max_depth=depth, max_attributes=most
                )
                if self._plain_binary and keys.LAMBDA_DELIVERY not in environ:
                    # The fast path: already in binary form, the environ is the app's.
                    keys.normalise_binary(environ, event, raw_headers, body)
                    environ[keys.CONTENT_MODE] = BINARY
                    app = self.app
                    return app(environ, start_response)
                events = [event]
            elif mode == BATCH:
                events = receiver.parse_batch(
                    body, max_batch=self.max_batch_size, max_depth=depth, max_attributes=most
                )
            else:
                events = [receiver.parse_structured(body, max_depth=depth, max_attributes=most)]
            if mode != BATCH and keys.LAMBDA_DELIVERY not in environ:
                # One event, no one recording: the app's answer streams straight back.
                env = self._event_environ(
                    environ, Converted(events[0], None), mode, body if mode == BINARY else None
                )
            else:
                return dispatch(
                    self,
                    environ,
                    start_response,
                    [Converted(e, None) for e in events],
                    mode,
                    batch=mode == BATCH,
                )
        except InvalidEventError as error:
            log_refusal(error, environ)
            return problem(error, start_response)
        app = self.app
        return app(env, start_response)

    def _receive(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The middleware's answer with Dapr's decided: what
        :mod:`cloudevents_wsgi.dapr` hands a request on to. The class's own
        ``__call__`` (``_OWN_CALL``), never ``self(...)``: a subclass's
        ``__call__`` (or one patched on the class) ran once, as the server
        called it, and takes the two WSGI arguments only."""
        return _OWN_CALL(self, environ, start_response, True)

    def deliver(self, environ: WSGIEnvironment, clean: bool = False) -> Response:
        """The whole answer (:class:`~cloudevents_wsgi._wsgi.Response`) to a
        request the Lambda shim made from a native event: ``environ`` holds a
        :class:`~cloudevents_wsgi.delivery.LambdaDelivery` with the payload,
        and a JSON ``CONTENT_TYPE``. The same as calling the middleware and
        collecting its answer, less the WSGI round trip and the checks that
        tell a CloudEvents request from others (the shim knows which it made).
        Raises what the app raised, as :func:`~cloudevents_wsgi._wsgi.run` does.

        ``clean``: ``environ`` holds exactly the keys of the shim's own
        ``POST`` (:func:`cloudevents_wsgi.aws_lambda.native.post_environ` and
        the delivery): no header key but ``CONTENT_TYPE``, no CloudEvents key.
        Its request is then told without looking at every key.
        """
        delivery = environ.get(keys.LAMBDA_DELIVERY)
        if not isinstance(delivery, LambdaDelivery) or not delivery.has_payload:
            raise TypeError("deliver() takes the environ of a LambdaDelivery with a payload")
        if environ.get("REQUEST_METHOD", "GET") not in self.methods or keys.CONTENT_MODE in environ:
            return run(self.app, environ)  # what __call__ does: passed on untouched
        payload = delivery.payload
        # Each shortcut of clean only where the function it passes over, or
        # is handed on to, is the package's own (not a replacement, a spy).
        message = (
            keys.headerless_message(
                environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["CONTENT_TYPE"]
            )
            if clean and keys.request_message is _OWN_REQUEST_MESSAGE
            else keys.request_message(environ)
        )
        try:
            if find_adapter is None:
                _import_detect()
            adapter = find_adapter(payload, message, self.adapters, unwrap=self.unwrap)
            if adapter is None:
                if delivery.fallback is None:
                    raise UnsupportedFormatError(
                        "body", "no adapter recognises this payload as an event it can convert"
                    )
                # The shim's own event for a payload nothing recognises.
                delivery.fell_back = True
                event = self._within_limits(delivery.fallback(payload))
                items: Sequence[Converted | Refused] = [Converted(event, None)]
                name = None
            else:
                items = self._convert(adapter, payload, message, delivery)
                name = adapter.name
            first = items[0] if len(items) == 1 else None
            if isinstance(first, Converted):
                # One event (an S3 notification...): its answer is the answer.
                if clean and run_one is _OWN_RUN_ONE:
                    return run_one(self, environ, first, NATIVE, name, True)
                return run_one(self, environ, first, NATIVE, name)
            environ = dict(environ)
            if name is not None:
                environ[keys.ADAPTER] = name
            return run(
                partial(dispatch, self, items=items, content_mode=NATIVE, batch=True), environ
            )
        except InvalidEventError as error:
            log_refusal(error, environ)
            return Response(*problem_parts(error))

    def _within_limits(self, event: CloudEvent) -> CloudEvent:
        """``event`` (a fallback's) held to the limits of a structured event,
        as which the shim once sent it: its data as JSON at most
        ``max_body_size`` bytes, nested at most ``max_json_depth`` deep with
        the event's object counted; raises :class:`InvalidEventError` (413,
        400). The JSON made is kept for the environ writers."""
        data = event.get_data()
        if data is None or isinstance(data, (bytes, bytearray)):
            return event
        limit = self.max_json_depth
        too_deep = InvalidEventError("body", f"nests JSON deeper than {limit} levels")
        try:
            data_json = encode_native(data) or json_bytes(data)
        except RecursionError:
            raise too_deep from None
        if len(data_json) > self.max_body_size:
            raise PayloadTooLargeError(
                "body", f"is larger than the limit of {self.max_body_size} bytes"
            )
        if data_json.count(b"[") + data_json.count(b"{") >= limit and json_depth_over(
            data_json, limit - 1
        ):
            raise too_deep
        event._received_as(data_json)
        return event

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
        clean: bool = False,
    ) -> dict[str, Any]:
        """A copy of ``environ`` holding one event in the configured form
        (and the name of the ``adapter`` that made it, if given); ``clean`` as
        for :func:`~cloudevents_wsgi.environ.write_binary`."""
        # Unpacked once: CPython 3.11 looks a named tuple's fields up
        # unspecialised, each time (measured).
        event, native, record_id = item
        env = dict(environ)
        if adapter is not None:
            env[keys.ADAPTER] = adapter
        if self.mode == BINARY:
            # Structured where binary cannot carry the event as it is (data
            # that is itself a CloudEvent, JSON data without a type...).
            if clean and keys.write_binary is _OWN_WRITE_BINARY:
                keys.write_binary(env, event, body, True)
            else:
                keys.write_binary(env, event, body)  # as before, for any write_binary
        else:
            keys.write_structured(env, event)
        env[keys.CONTENT_MODE] = content_mode
        if native is not None:
            env[keys.NATIVE] = native
        if record_id is not None:
            env[keys.RECORD_ID] = record_id
        delivery = environ.get(keys.LAMBDA_DELIVERY)
        routes = (delivery.routes if delivery is not None else None) or self.routes
        if routes:
            event_type = event.get_type()
            for pattern, path in routes:
                if fnmatchcase(event_type, pattern):
                    env["PATH_INFO"] = path
                    break
        return env

    # -- native provider events ----------------------------------------------------

    def _native(
        self, environ: WSGIEnvironment, start_response: StartResponse, origin: str
    ) -> Iterable[bytes]:
        delivery = environ.get(keys.LAMBDA_DELIVERY) if origin == "lambda" else None
        if delivery is not None and delivery.has_payload:
            # The shim's decoded event: no body to read and decode again.
            response = self.deliver(environ)
            start_response(response.status, response.headers)
            return response.chunks
        try:
            if origin == "http":
                # Not yet proved an event: never refused, passed on whole if too big.
                read = read_or_pass(environ, self.max_body_size)
                if read is None:
                    return self.app(environ, start_response)
                body = read
                try:
                    payload = load_json("body", body, max_depth=self.max_json_depth)
                except InvalidEventError:
                    return self._pass_through(environ, start_response, body)
            else:
                body = read_event_body(environ, self.max_body_size)
                payload = load_json("body", body, max_depth=self.max_json_depth)
            message = Message(
                environ.get("REQUEST_METHOD", "POST"),
                environ.get("PATH_INFO", "/"),
                keys.request_headers(environ),
                body,
            )
            origins = self.origins
            if origin in _EXPECTED_ADAPTER:
                # A provider's header: its authentication comes first, whatever the body.
                handshake = origins.check(_EXPECTED_ADAPTER[origin], payload, environ)
                if handshake is not None:
                    return answer(handshake, start_response)
            if find_adapter is None:
                _import_detect()
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
            items = self._convert(adapter, payload, message, delivery)
            first = items[0] if len(items) == 1 else None
            if not isinstance(first, Converted):
                environ = dict(environ)
                environ[keys.ADAPTER] = adapter.name
                return dispatch(self, environ, start_response, items, NATIVE, batch=True)
            # One event: its environ is the one copy made (the adapter's name
            # set first, where the copy of a copy had it).
            if delivery is not None:
                return dispatch(
                    self, environ, start_response, items, NATIVE, batch=False, adapter=adapter.name
                )
            env = self._event_environ(environ, first, NATIVE, adapter=adapter.name)
        except InvalidEventError as error:
            log_refusal(error, environ)
            return problem(error, start_response)
        return self.app(env, start_response)

    def _convert(
        self,
        adapter: Adapter,
        payload: Any,
        message: Message,
        delivery: LambdaDelivery | None,
    ) -> Sequence[Converted | Refused]:
        """The events ``adapter`` makes of ``payload``; under the Lambda shim a
        record batch record by record (an invalid record fails alone). An
        adapter's own bug is a 400 naming it, never a 500."""
        try:
            # Not isinstance(adapter, BatchAdapter): a runtime Protocol check
            # costs microseconds per request.
            if delivery is None or not hasattr(adapter, "convert_each"):
                return adapter.convert(payload, message)
            # Lambda retries record by record: an invalid record fails alone.
            batch_adapter = cast("BatchAdapter", adapter)
            outcomes = batch_adapter.convert_each(payload, message)
            return each_record(batch_adapter, payload, outcomes)
        except InvalidEventError:
            raise
        except Exception as exc:
            # An adapter's bug must not turn bad input into a 500: refuse
            # the payload, and log the bug where its owner will see it.
            logger.exception("adapter %s failed on a payload it matched", adapter.name)
            raise InvalidEventError(
                "body", f"could not be converted by {adapter.name} ({type(exc).__name__})"
            ) from None

    def _pass_through(
        self, environ: WSGIEnvironment, start_response: StartResponse, body: bytes
    ) -> Iterable[bytes]:
        """The app gets the request as it came, its body readable again."""
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


# The class's own __call__ and _receive, as defined here: what _receive runs
# (Dapr's decided), and what tells a subclass's own _receive.
_OWN_CALL: Final = CloudEventsMiddleware.__call__
_OWN_RECEIVE: Final = CloudEventsMiddleware._receive
# What takes deliver's clean, or is passed over by it, as defined here.
_OWN_DELIVER: Final = CloudEventsMiddleware.deliver
_OWN_EVENT_ENVIRON: Final = CloudEventsMiddleware._event_environ
_OWN_REQUEST_MESSAGE: Final = keys.request_message
_OWN_RUN_ONE: Final = run_one
_OWN_WRITE_BINARY: Final = keys.write_binary


def takes_clean_delivery(app: object) -> bool:
    """Whether ``app`` is this class itself, with the ``deliver`` and
    ``_event_environ`` defined here (on the class and the instance), which
    take ``clean``: a subclass's, or one replaced (a test's spy), may take
    the arguments they took before it. The module functions clean hands on
    to or passes over (``run_one``, ``environ.write_binary``,
    ``environ.request_message``) are checked where they are called."""
    if type(app) is not CloudEventsMiddleware:
        return False
    own = app.__dict__
    return (
        CloudEventsMiddleware.deliver is _OWN_DELIVER
        and CloudEventsMiddleware._event_environ is _OWN_EVENT_ENVIRON
        and "deliver" not in own
        and "_event_environ" not in own
    )


def _call_through_receive(
    self: CloudEventsMiddleware,
    environ: WSGIEnvironment,
    start_response: StartResponse,
    _dapr_decided: bool = False,
) -> Iterable[bytes]:
    """``__call__`` of a subclass with its own ``_receive``: Dapr's answer,
    or the subclass's ``_receive`` (as the class's ``__call__`` once was)."""
    if self.dapr and not _dapr_decided:
        from .dapr import answer as dapr_answer

        return dapr_answer(self, environ, start_response)
    return self._receive(environ, start_response)


# The adapter a provider's own header announces.
_EXPECTED_ADAPTER: Final = {"sns": "aws.sns", "eventgrid": "azure.eventgrid"}
