"""AWS Lambda handler: every Lambda event into one WSGI application.

Point the function's handler at ``cloudevents_wsgi.aws_lambda.handler`` and set
``CLOUDEVENTS_WSGI_APP=mysite.wsgi:application`` (or only
``DJANGO_SETTINGS_MODULE`` for a Django project), and if need be
``CLOUDEVENTS_WSGI_EVENT_PATH`` and ``CLOUDEVENTS_WSGI_ROUTES``
(:func:`environment_options`), or build one in code::

    from cloudevents_wsgi.aws_lambda import make_lambda_handler
    handler = make_lambda_handler(application, routes={"com.amazonaws.s3.*": "/hooks/s3"})

The application is always wrapped in :class:`cloudevents_wsgi.CloudEventsMiddleware`
(a middleware already inside it passes the event on untouched).

Each kind of trigger is one module that recognises its events (``infer``)
and reads the event and writes the answer Lambda expects (``handle``); they
are tried in the order of :data:`TRIGGERS` and the first that recognises an
event takes it. Only an authorizer's REQUEST event is also a request to an
HTTP trigger, hence ``authorizer`` first; no other two recognise the same
event (the test suite runs every sample through every predicate):

=========================  ==================================================
``authorizer``             API Gateway Lambda authorizers (TOKEN, REQUEST,
                           HTTP API simple responses): ``authorizer_path``
``http_apigw_v2``          API Gateway HTTP APIs (payload 2.0)
``http_function_url``      Lambda function URLs
``http_apigw_rest``        API Gateway REST APIs (payload 1.0)
``http_alb``               Application Load Balancer targets
``websocket``              API Gateway WebSocket APIs: ``websocket_path``
``http_vpc_lattice``       Amazon VPC Lattice targets (payload 1 and 2)
``kafka``                  Amazon MSK and self-managed Kafka
``tumbling_window``        Kinesis and DynamoDB batches with a window
``firehose``               Data Firehose transformation (one call per record)
``s3_batch``               S3 Batch Operations tasks (``results[]``)
``cognito``                Cognito user pool triggers (``response`` filled)
``cloudformation``         CloudFormation custom resources (PUT to
                           ``ResponseURL``, on failure too)
``native``                 everything else (S3, SQS, SNS, EventBridge,
                           DynamoDB, Kinesis, CloudWatch Logs, SES, a
                           CloudEvent invoked directly...): one ``POST`` to
                           ``event_path``; nothing is ever dropped as a
                           "warm-up ping"; an event nothing recognises is
                           the CloudEvent ``com.amazonaws.lambda.invocation``
                           (:mod:`.invocation`)
=========================  ==================================================

Adding a trigger is adding a module with ``KIND``, ``infer(event)`` and
``handle(app, options, event, context)``, and its row in ``_TABLE`` (with the
top-level key its ``infer`` needs: the module is imported on the first event
that has it).

Environ keys, besides PEP 3333's:

====================================  ===========================================
``aws.event``                         the Lambda event, as Lambda decoded it
``aws.context``                       the Lambda context object
``cloudevents_wsgi.lambda_delivery``  non-HTTP events only: the
                                      :class:`~cloudevents_wsgi.delivery.LambdaDelivery`
                                      (the decoded event, trusted because only AWS
                                      can invoke the function; the ``routes``; one
                                      result per event). Never set for HTTP events,
                                      never derived from a header.
====================================  ===========================================

Outcomes of non-HTTP events:

- SQS, Kinesis and DynamoDB stream batches return
  ``{"batchItemFailures": [...]}`` (see :func:`batch_item_failures`). Lambda
  reads it only when the event source mapping has ``FunctionResponseTypes:
  ["ReportBatchItemFailures"]``; **without that setting Lambda treats the
  answer as a complete success and deletes the failed records**. Enable it, or
  pass ``report_batch_item_failures=False`` so that any failure fails the whole
  batch instead. A batch whose every record failed raises
  :class:`BatchFailedError`, so the batch is retried (and bisected or
  dead-lettered as configured). SQS FIFO batches: after a failure, the rest
  of that message group is not handed over but reported, so the group is
  retried in order. A malformed record fails alone; on a stream, the records
  after it are not handed over.
- Any other event raises :class:`EventFailedError` when the app answers
  non-2xx or an event made from it failed, and lets an exception from the app
  propagate: Lambda records an error, retries asynchronous invocations and
  sends them to the dead-letter queue or failure destination.

Responses to HTTP events: the body is base64-encoded (``isBase64Encoded``)
unless its Content-Type matches ``text_types`` and it has no
Content-Encoding. REST APIs pass such a body on decoded only when the API's
``binaryMediaTypes`` include it: set ``*/*``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from .._options import check_path, check_routes
from ..errors import ConfigurationError
from ..middleware import CloudEventsMiddleware
from .options import DEFAULT_DEADLINE_MARGIN_MS, DEFAULT_TEXT_TYPES, Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    # The submodules __getattr__ gives (_SUBMODULES), typed.
    from . import authorizer as authorizer
    from . import batch as batch
    from . import cloudformation as cloudformation
    from . import cognito as cognito
    from . import errors as errors
    from . import firehose as firehose
    from . import http as http
    from . import http_alb as http_alb
    from . import http_apigw_rest as http_apigw_rest
    from . import http_apigw_v2 as http_apigw_v2
    from . import http_function_url as http_function_url
    from . import http_vpc_lattice as http_vpc_lattice
    from . import invocation as invocation
    from . import kafka as kafka
    from . import native as native
    from . import s3_batch as s3_batch
    from . import tumbling_window as tumbling_window
    from . import websocket as websocket

    # Imported on first use (cold start: see __getattr__ below).
    from .batch import batch_item_failures
    from .cloudformation import CustomResourceResponseError
    from .errors import BatchFailedError, EventFailedError
    from .http import ResponseTooLargeError

__all__ = [
    "ALB",
    "DEADLINE_VARIABLE",
    "DEFAULT_DEADLINE_MARGIN_MS",
    "DEFAULT_TEXT_TYPES",
    "FUNCTION_URL",
    "HTTP_API",
    "REST_API",
    "TRIGGERS",
    "BatchFailedError",
    "CustomResourceResponseError",
    "EventFailedError",
    "LazyHandler",
    "ResponseTooLargeError",
    "Trigger",
    "batch_item_failures",
    "environment_options",
    "handler",
    "http_event_kind",
    "load_app",
    "make_lambda_handler",
]

APP_VARIABLE: Final = "CLOUDEVENTS_WSGI_APP"
#: Milliseconds: the ``deadline_margin_ms`` of a handler built without one.
DEADLINE_VARIABLE: Final = "CLOUDEVENTS_WSGI_DEADLINE_MARGIN_MS"
EVENT_PATH_VARIABLE: Final = "CLOUDEVENTS_WSGI_EVENT_PATH"
ROUTES_VARIABLE: Final = "CLOUDEVENTS_WSGI_ROUTES"

# The kinds of HTTP event (the names of the sample folders in the test suite).
REST_API: Final = "apigw-rest-v1"
HTTP_API: Final = "apigw-http-v2"
ALB: Final = "alb"
FUNCTION_URL: Final = "function-url"

LambdaHandler = Callable[[Any, Any], Any]


class Trigger(Protocol):
    """One kind of Lambda trigger (a module satisfies it)."""

    KIND: str

    def infer(self, event: Any) -> bool:
        """Whether ``event`` is this trigger's; must not raise."""
        ...

    def handle(self, app: WSGIApplication, options: Options, event: Any, context: Any) -> Any:
        """Run ``app`` on ``event`` and return the answer Lambda expects."""
        ...


# The triggers, in the order they are tried: (KIND, a top-level key of the
# event without which the trigger's infer() is never true, module name). A
# module is imported on the first event that has its key (the test suite
# checks every sample and generated events): a function pays at cold start
# only for the triggers it receives, and an event is given to infer() only
# when it has the key.
_TABLE: Final = (
    # First: its REQUEST events are requests too (REST, HTTP API) to the HTTP triggers.
    ("authorizer", "type", "authorizer"),
    (HTTP_API, "version", "http_apigw_v2"),  # the most common next: these four never overlap
    (FUNCTION_URL, "version", "http_function_url"),
    (REST_API, "httpMethod", "http_apigw_rest"),
    (ALB, "httpMethod", "http_alb"),
    ("websocket", "requestContext", "websocket"),
    ("vpc-lattice", "method", "http_vpc_lattice"),
    ("kafka", "records", "kafka"),  # the non-HTTP triggers that need their own answer
    ("tumbling-window", "window", "tumbling_window"),
    ("firehose", "deliveryStreamArn", "firehose"),
    ("s3-batch", "tasks", "s3_batch"),
    ("cognito", "triggerSource", "cognito"),
    ("cloudformation", "ResponseURL", "cloudformation"),
)
_LAST: Final = "native"  # takes every event no other trigger recognises
_HTTP: Final = _TABLE[1:5]
_BY_MODULE: Final = {name: (kind, key, name) for kind, key, name in _TABLE}
# Tried on an event with a requestContext object: all of them, in table order
# (a Kafka event with one is still Kafka's). On the others, not the five whose
# infer() needs a requestContext object (VPC Lattice version 1 and TOKEN
# authorizers have none): the same choice, fewer tries.
_WITH_CONTEXT: Final = _TABLE
_NEEDS_CONTEXT: Final = frozenset((*_HTTP, _BY_MODULE["websocket"]))
_WITHOUT_CONTEXT: Final = tuple(row for row in _TABLE if row not in _NEEDS_CONTEXT)
# Their keys: an event with none of them (S3, SQS...) goes to native in one
# C-level test (isdisjoint), not one membership test per row (measured 85 ns
# against 260).
_KEYS_WITHOUT_CONTEXT: Final = frozenset(key for _, key, _ in _WITHOUT_CONTEXT)
_loaded: dict[str, Trigger] = {}


def _trigger(name: str) -> Trigger:
    """The trigger module ``name`` of this package, imported on first use."""
    trigger = _loaded.get(name)
    if trigger is None:
        trigger = _loaded[name] = cast("Trigger", import_module(f"{__name__}.{name}"))
    return trigger


_LAZY: Final = {
    # Raised for a native event (.native, .authorizer), which imports them.
    "BatchFailedError": ("errors", "BatchFailedError"),
    "EventFailedError": ("errors", "EventFailedError"),
    "batch_item_failures": ("batch", "batch_item_failures"),
    "CustomResourceResponseError": ("cloudformation", "CustomResourceResponseError"),
    "ResponseTooLargeError": ("http", "ResponseTooLargeError"),
}


# Not for type checkers, which would take any name this module lacks for a
# lazy one (a misspelled import typed as Any): they see the imports above.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """:data:`TRIGGERS` and the names of rarely used modules, imported on first
        use (PEP 562): the import of this package is Lambda's cold start."""
        if name == "TRIGGERS":
            triggers = (*(_trigger(module) for _, _, module in _TABLE), _trigger(_LAST))
            globals()[name] = triggers
            return triggers
        if name in _LAZY:
            module, attribute = _LAZY[name]
            value = getattr(import_module(f"{__name__}.{module}"), attribute)
            globals()[name] = value
            return value
        if name in _SUBMODULES:
            return import_module(f"{__name__}.{name}")  # as when the package imported them all
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__, *_SUBMODULES})


# Reachable as attributes, as when the package imported them all (errors: as
# when it imported BatchFailedError and EventFailedError).
_SUBMODULES: Final = frozenset((*_BY_MODULE, _LAST, "batch", "errors", "http", "invocation"))


if TYPE_CHECKING:
    #: The triggers; the last one takes every event no other one recognises.
    TRIGGERS: tuple[Trigger, ...]


def http_event_kind(event: Any) -> str | None:
    """:data:`REST_API`, :data:`HTTP_API`, :data:`ALB`, :data:`FUNCTION_URL`,
    or ``None`` for an event that is not a request of these four."""
    if not isinstance(event, dict) or ("type" in event and _trigger("authorizer").infer(event)):
        return None
    for kind, key, name in _HTTP:
        if key in event and _trigger(name).infer(event):
            return kind
    return None


def make_lambda_handler(
    app: WSGIApplication,
    *,
    event_path: str = "/events",
    routes: Mapping[str, str] | None = None,
    text_types: Collection[str] = DEFAULT_TEXT_TYPES,
    server_name: str = "localhost",
    report_batch_item_failures: bool = True,
    deadline_margin_ms: float | None = None,
    websocket_path: str = "/websocket",
    authorizer_path: str | None = None,
) -> LambdaHandler:
    """A Lambda handler, ``handler(event, context) -> dict``, that runs ``app``.

    ``event_path``
        where non-HTTP events are ``POST``-ed.
    ``routes``
        CloudEvent type glob patterns to paths (``{"com.amazonaws.s3.*":
        "/hooks/s3"}``), handed to the middleware in the delivery.
    ``text_types``
        media type glob patterns whose response bodies are sent as text.
    ``server_name``
        ``SERVER_NAME`` of the requests made from non-HTTP events; Django
        checks it against ``ALLOWED_HOSTS``.
    ``report_batch_item_failures``
        whether SQS and stream batches report failed records one by one
        (needs ``ReportBatchItemFailures`` on the event source mapping);
        when false any failure fails the whole batch.
    ``deadline_margin_ms``
        milliseconds: when ``context.get_remaining_time_in_millis()`` is
        under it, no further record of a batch is started and every record
        not started is reported failed (AWS redelivers it). ``None``: the
        ``CLOUDEVENTS_WSGI_DEADLINE_MARGIN_MS`` environment variable, else
        :data:`DEFAULT_DEADLINE_MARGIN_MS` (1000).
    ``websocket_path``
        where API Gateway WebSocket events are ``POST``-ed, one path per
        route: ``/websocket/$connect`` (see :mod:`.websocket`).
    ``authorizer_path``
        where Lambda authorizer events are ``POST``-ed; the app's JSON answer
        is the authorizer response. ``None``: an authorizer event raises
        :class:`EventFailedError` naming it (see :mod:`.authorizer`).

    Raises :class:`~cloudevents_wsgi.ConfigurationError` for an unusable option.
    """
    if not callable(app):
        raise ConfigurationError(f"app must be a WSGI callable, not {app!r}")
    if deadline_margin_ms is None:
        deadline_margin_ms = _margin_from_environment()
    options = Options(
        deadline_margin_ms=deadline_margin_ms,
        websocket_path=websocket_path,
        authorizer_path=authorizer_path,
        event_path=event_path,
        routes=routes,
        text_types=text_types,
        server_name=server_name,
        report_batch_item_failures=report_batch_item_failures,
    )
    # Always wrapped: a middleware inside passes an event's environ on untouched.
    wrapped = CloudEventsMiddleware(app)

    def handler(event: Any, context: Any) -> Any:
        # Every HTTP trigger needs a requestContext object (the tests check it):
        # without one, only the other triggers can take the event.
        if isinstance(event, dict):
            rows: tuple[tuple[str, str, str], ...]
            if isinstance(event.get("requestContext"), dict):
                rows = _WITH_CONTEXT
            elif _KEYS_WITHOUT_CONTEXT.isdisjoint(event):
                rows = ()  # S3, SQS...: native's
            else:
                rows = _WITHOUT_CONTEXT
            for _, key, name in rows:
                if key in event:
                    trigger = _loaded.get(name) or _trigger(name)
                    if trigger.infer(event):
                        return trigger.handle(wrapped, options, event, context)
        last = _loaded.get(_LAST) or _trigger(_LAST)
        return last.handle(wrapped, options, event, context)

    return handler


def _margin_from_environment() -> float:
    text = os.environ.get(DEADLINE_VARIABLE, "").strip()
    if not text:
        return DEFAULT_DEADLINE_MARGIN_MS
    try:
        value = float(text)
    except ValueError:
        raise ConfigurationError(
            f"{DEADLINE_VARIABLE} must be a number of milliseconds, not {text!r}"
        ) from None
    return value


class LazyHandler:
    """A handler that loads its app from the environment variables on first use.

    :data:`handler` is one: the app is imported once per Lambda execution
    environment, on the first invocation, then reused, with the options of
    :func:`environment_options` (``options`` given here take precedence). A
    configuration that cannot be loaded raises
    :class:`~cloudevents_wsgi.ConfigurationError` on each invocation (Lambda
    reports it) until it is fixed.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._handler: LambdaHandler | None = None

    def __call__(self, event: Any, context: Any) -> Any:
        if self._handler is None:
            options = {**environment_options(), **self.options}
            self._handler = make_lambda_handler(load_app(), **options)
        return self._handler(event, context)


def environment_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The :func:`make_lambda_handler` options set by environment variables
    (``os.environ`` by default); those not set are left out:

    ``CLOUDEVENTS_WSGI_EVENT_PATH``
        ``event_path``, e.g. ``/hooks/events``.
    ``CLOUDEVENTS_WSGI_ROUTES``
        ``routes``, as a JSON object of CloudEvent type glob patterns to
        paths, e.g. ``{"com.amazonaws.s3.*": "/hooks/s3"}``.

    Raises :class:`~cloudevents_wsgi.ConfigurationError` naming the variable.
    """
    environ = os.environ if environ is None else environ
    options: dict[str, Any] = {}
    event_path = environ.get(EVENT_PATH_VARIABLE, "").strip()
    if event_path:
        options["event_path"] = check_path(EVENT_PATH_VARIABLE, event_path)
    routes_text = environ.get(ROUTES_VARIABLE, "").strip()
    if routes_text:
        try:
            routes = json.loads(routes_text)
        except ValueError as error:
            raise ConfigurationError(
                f"{ROUTES_VARIABLE} must be a JSON object of CloudEvent type glob patterns "
                f'to paths (e.g. {{"com.amazonaws.s3.*": "/hooks/s3"}}), but it is not JSON: '
                f"{error}"
            ) from None
        options["routes"] = dict(check_routes(ROUTES_VARIABLE, routes))
    return options


_LOAD_MESSAGES: Final = {
    "form": APP_VARIABLE + " must be 'module:attribute' (e.g. 'mysite.wsgi:application'), "
    "not {error.spec!r}",
    "module": APP_VARIABLE + "={error.spec!r}: there is no module {error.module!r} on sys.path",
    "attribute": APP_VARIABLE + "={error.spec!r}: module {error.module!r} has no attribute "
    "{error.name!r}",
    "callable": APP_VARIABLE + "={error.spec!r}: {error.name!r} is not a WSGI callable but "
    "a {error.found}",
}


def load_app(environ: Mapping[str, str] | None = None) -> WSGIApplication:
    """The WSGI app named by ``CLOUDEVENTS_WSGI_APP`` (``module:attribute``),
    else Django's when ``DJANGO_SETTINGS_MODULE`` is set.

    Raises :class:`~cloudevents_wsgi.ConfigurationError` naming the variable;
    an import error inside the app's own module propagates as it is.
    """
    from .. import _loading  # only the ready handler's first invocation needs it

    environ = os.environ if environ is None else environ
    spec = environ.get(APP_VARIABLE, "").strip()
    if not spec:
        if environ.get("DJANGO_SETTINGS_MODULE"):
            try:
                return _loading.django_application()
            except ConfigurationError as error:
                raise ConfigurationError(
                    f"DJANGO_SETTINGS_MODULE is set but {error}; install it or set {APP_VARIABLE}"
                ) from error
        raise ConfigurationError(
            f"set {APP_VARIABLE} to the WSGI application as 'module:attribute' "
            "(e.g. 'mysite.wsgi:application'), or DJANGO_SETTINGS_MODULE for Django"
        )
    try:
        target: WSGIApplication = _loading.load_object(spec)
    except _loading.LoadError as error:
        raise ConfigurationError(_LOAD_MESSAGES[error.problem].format(error=error)) from None
    return target


#: The ready handler for the Lambda configuration (``cloudevents_wsgi.aws_lambda.handler``).
handler = LazyHandler()
