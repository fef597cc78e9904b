"""AWS Lambda handler: every Lambda event into one WSGI application.

Point the function's handler at ``cloudevents_wsgi.aws_lambda.handler`` and set
``CLOUDEVENTS_WSGI_APP=mysite.wsgi:application`` (or only
``DJANGO_SETTINGS_MODULE`` for a Django project), or build one in code::

    from cloudevents_wsgi.aws_lambda import make_lambda_handler
    handler = make_lambda_handler(application, routes={"com.amazonaws.s3.*": "/hooks/s3"})

The application is wrapped in :class:`cloudevents_wsgi.CloudEventsMiddleware`
unless it already is one.

HTTP events become the request they describe, each recognised by its own
predicate (:func:`http_event_kind`): API Gateway REST APIs (payload 1.0),
HTTP APIs (payload 2.0), Application Load Balancers and Lambda function URLs.
Every other event (S3, SQS, SNS, EventBridge, DynamoDB, Kinesis, CloudWatch
Logs, SES, a CloudEvent invoked directly...) becomes one ``POST`` to
``event_path`` whose body is the event as JSON, marked trusted for the
middleware; nothing is ever dropped as a "warm-up ping".

Environ keys, besides PEP 3333's:

==============================  =================================================
``aws.event``                   the Lambda event, as Lambda decoded it
``aws.context``                 the Lambda context object
``cloudevents_wsgi.trusted``    ``True`` on the ``POST`` made from a non-HTTP
                                event: only AWS can invoke the function, so the
                                native payload is trusted (never set for HTTP
                                events, never derived from a header)
``cloudevents_wsgi.results``    non-HTTP events: a list the middleware appends
                                one :class:`~cloudevents_wsgi.environ.EventResult`
                                per dispatched event to
``cloudevents_wsgi.routes``     non-HTTP events, when ``routes`` is given: a list
                                of ``(type glob pattern, path)`` pairs for the
                                middleware to route events by type
==============================  =================================================

Outcomes of non-HTTP events:

- SQS, Kinesis and DynamoDB stream batches return
  ``{"batchItemFailures": [...]}`` (see :func:`batch_item_failures`). Lambda
  reads it only when the event source mapping has ``FunctionResponseTypes:
  ["ReportBatchItemFailures"]``; **without that setting Lambda treats the
  answer as a complete success and deletes the failed records**. Enable it, or
  pass ``report_batch_item_failures=False`` so that any failure fails the whole
  batch instead. A batch whose every record failed raises
  :class:`BatchFailedError`, so the batch is retried (and bisected or
  dead-lettered as configured). SQS FIFO batches are handed to the app one
  record at a time: after a failure, the rest of that message group is not
  handed over but reported, so the group is retried in order. A batch the
  middleware refuses as a whole (one malformed record) is handed over record
  by record, so that only the bad records fail (a stream stops at the first).
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

import base64
import binascii
import fnmatch
import importlib
import io
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, unquote_to_bytes

from .environ import PAYLOAD, RESULTS, ROUTES, TRUSTED, EventResult
from .errors import CloudEventsWSGIError, ConfigurationError, InvalidEventError
from .middleware import CloudEventsMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = [
    "ALB",
    "DEFAULT_TEXT_TYPES",
    "FUNCTION_URL",
    "HTTP_API",
    "REST_API",
    "BatchFailedError",
    "EventFailedError",
    "LazyHandler",
    "batch_item_failures",
    "handler",
    "http_event_kind",
    "load_app",
    "make_lambda_handler",
]

logger = logging.getLogger("cloudevents_wsgi.aws_lambda")

# Mangum's names for them.
AWS_EVENT: Final = "aws.event"
AWS_CONTEXT: Final = "aws.context"

APP_VARIABLE: Final = "CLOUDEVENTS_WSGI_APP"

# The kinds of HTTP event (the names of the sample folders in the test suite).
REST_API: Final = "apigw-rest-v1"
HTTP_API: Final = "apigw-http-v2"
ALB: Final = "alb"
FUNCTION_URL: Final = "function-url"

# Bodies of these types go back as text; everything else (images, PDFs,
# octet-streams, fonts...) as base64, which loses nothing.
DEFAULT_TEXT_TYPES: Final = (
    "text/*",
    "application/json",
    "*+json",
    "application/xml",
    "*+xml",
    "application/javascript",
    "application/ecmascript",
    "application/x-www-form-urlencoded",
    "application/yaml",
    "application/x-yaml",
)

LambdaHandler = Callable[[Any, Any], dict[str, Any]]


class EventFailedError(CloudEventsWSGIError):
    """The app did not accept a non-HTTP event: a non-2xx answer, or a failed event.

    Raised so that Lambda reports an invocation error and AWS retries the event
    (and finally dead-letters it). ``status`` is the app's answer, ``body`` its
    bytes, ``results`` the outcome of each event the middleware dispatched.
    """

    def __init__(
        self, message: str, *, status: int, body: bytes, results: Sequence[EventResult]
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.results = list(results)


class BatchFailedError(EventFailedError):
    """Every record of an SQS, Kinesis or DynamoDB batch failed (or could not be
    reported one by one): the whole batch must be retried."""


# -- the handlers ------------------------------------------------------------------


def make_lambda_handler(
    app: WSGIApplication,
    *,
    event_path: str = "/events",
    routes: Mapping[str, str] | None = None,
    text_types: Collection[str] = DEFAULT_TEXT_TYPES,
    server_name: str = "localhost",
    report_batch_item_failures: bool = True,
) -> LambdaHandler:
    """A Lambda handler, ``handler(event, context) -> dict``, that runs ``app``.

    ``event_path``
        where non-HTTP events are ``POST``-ed.
    ``routes``
        CloudEvent type glob patterns to paths (``{"com.amazonaws.s3.*":
        "/hooks/s3"}``), handed to the middleware as ``cloudevents_wsgi.routes``.
    ``text_types``
        media type glob patterns whose response bodies are sent as text.
    ``server_name``
        ``SERVER_NAME`` of the requests made from non-HTTP events; Django
        checks it against ``ALLOWED_HOSTS``.
    ``report_batch_item_failures``
        whether SQS and stream batches report failed records one by one
        (needs ``ReportBatchItemFailures`` on the event source mapping);
        when false any failure fails the whole batch.
    """
    if not callable(app):
        raise ConfigurationError(f"app must be a WSGI callable, not {app!r}")
    if not isinstance(app, CloudEventsMiddleware):
        app = CloudEventsMiddleware(app)
    _check_path("event_path", event_path)
    route_list: list[tuple[str, str]] = []
    if routes is not None:
        if not isinstance(routes, Mapping):
            raise ConfigurationError(
                f"routes must be a mapping of patterns to paths, not {routes!r}"
            )
        for pattern, path in routes.items():
            if not isinstance(pattern, str) or not pattern:
                raise ConfigurationError(
                    f"routes: a pattern must be a non-empty string, not {pattern!r}"
                )
            _check_path(f"routes[{pattern!r}]", path)
            route_list.append((pattern, path))
    if isinstance(text_types, str) or not all(isinstance(t, str) and t for t in text_types):
        raise ConfigurationError(f"text_types must be a collection of strings, not {text_types!r}")
    if not isinstance(server_name, str) or not server_name:
        raise ConfigurationError(f"server_name must be a non-empty string, not {server_name!r}")
    text_re = re.compile("|".join(fnmatch.translate(t.lower()) for t in text_types) or "(?!)")
    options = _Options(
        event_path, route_list, text_re.match, server_name, bool(report_batch_item_failures)
    )

    def handler(event: Any, context: Any) -> dict[str, Any]:
        kind = http_event_kind(event)
        if kind is not None:
            return _handle_http(app, options, kind, event, context)
        return _handle_native(app, options, event, context)

    return handler


class LazyHandler:
    """A handler that loads its app from the environment variables on first use.

    :data:`handler` is one: the app is imported once per Lambda execution
    environment, on the first invocation, then reused. A configuration that
    cannot be loaded raises :class:`~cloudevents_wsgi.ConfigurationError` on
    each invocation (Lambda reports it) until it is fixed.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._handler: LambdaHandler | None = None

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        if self._handler is None:
            self._handler = make_lambda_handler(load_app(), **self.options)
        return self._handler(event, context)


def load_app(environ: Mapping[str, str] | None = None) -> WSGIApplication:
    """The WSGI app named by ``CLOUDEVENTS_WSGI_APP`` (``module:attribute``),
    else Django's when ``DJANGO_SETTINGS_MODULE`` is set."""
    environ = os.environ if environ is None else environ
    spec = environ.get(APP_VARIABLE, "").strip()
    if not spec:
        if environ.get("DJANGO_SETTINGS_MODULE"):
            return _django_app()
        raise ConfigurationError(
            f"set {APP_VARIABLE} to the WSGI application as 'module:attribute' "
            "(e.g. 'mysite.wsgi:application'), or DJANGO_SETTINGS_MODULE for Django"
        )
    module_name, _, attribute = spec.partition(":")
    if not _dotted(module_name) or not _dotted(attribute):
        raise ConfigurationError(
            f"{APP_VARIABLE} must be 'module:attribute' (e.g. 'mysite.wsgi:application'), "
            f"not {spec!r}"
        )
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise ConfigurationError(
                f"{APP_VARIABLE}={spec!r}: there is no module {missing!r} on sys.path"
            ) from error
        raise  # a dependency of the app is missing: its own error says which
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise ConfigurationError(
                f"{APP_VARIABLE}={spec!r}: module {module_name!r} has no attribute {attribute!r}"
            ) from None
    if not callable(target):
        raise ConfigurationError(
            f"{APP_VARIABLE}={spec!r}: {attribute!r} is not a WSGI callable but {target!r}"
        )
    return target  # type: ignore[no-any-return]


def _django_app() -> WSGIApplication:
    try:
        module = importlib.import_module("django.core.wsgi")
    except ImportError as error:
        raise ConfigurationError(
            f"DJANGO_SETTINGS_MODULE is set but Django cannot be imported ({error}); "
            f"install it or set {APP_VARIABLE}"
        ) from error
    return module.get_wsgi_application()  # type: ignore[no-any-return]


def _dotted(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _check_path(name: str, path: Any) -> None:
    if not isinstance(path, str) or not path.startswith("/") or not path.isascii():
        raise ConfigurationError(f"{name} must be an ASCII path starting with '/', not {path!r}")
    if "?" in path or "#" in path:
        raise ConfigurationError(f"{name} must be a path without query or fragment, not {path!r}")


class _Options:
    def __init__(
        self,
        event_path: str,
        routes: list[tuple[str, str]],
        is_text_type: Callable[[str], object],
        server_name: str,
        report_batch_item_failures: bool,
    ) -> None:
        self.event_path = event_path
        self.routes = routes
        self.is_text_type = is_text_type
        self.server_name = server_name
        self.report_batch_item_failures = report_batch_item_failures


#: The ready handler for the Lambda configuration (``cloudevents_wsgi.aws_lambda.handler``).
handler = LazyHandler()


# -- which event is it -------------------------------------------------------------

_LAMBDA_URL_HOST = re.compile(r"\.lambda-url\.[a-z0-9-]+\.on\.aws\Z")


def http_event_kind(event: Any) -> str | None:
    """:data:`REST_API`, :data:`HTTP_API`, :data:`ALB`, :data:`FUNCTION_URL`,
    or ``None`` for an event that is not an HTTP request."""
    if not isinstance(event, dict):
        return None
    context = event.get("requestContext")
    if not isinstance(context, dict):
        return None
    if event.get("version") == "2.0" and isinstance(context.get("http"), dict):
        domain = context.get("domainName")
        if isinstance(domain, str) and ".lambda-url." in domain and _LAMBDA_URL_HOST.search(domain):
            return FUNCTION_URL
        return HTTP_API
    if not isinstance(event.get("httpMethod"), str) or not isinstance(event.get("path"), str):
        return None
    # ALB sends no version; its requestContext holds only "elb".
    return ALB if isinstance(context.get("elb"), dict) else REST_API


# -- HTTP events -------------------------------------------------------------------


def _handle_http(
    app: WSGIApplication, options: _Options, kind: str, event: dict[str, Any], context: Any
) -> dict[str, Any]:
    try:
        if kind == REST_API:
            environ = _rest_environ(event)
        elif kind == ALB:
            environ = _alb_environ(event)
        else:
            environ = _v2_environ(event, stage_in_path=kind == HTTP_API)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # A hand-made or damaged event (AWS itself sends none like it): the
        # request it describes cannot be built.
        logger.warning("malformed %s event: %r", kind, exc)
        problem = InvalidEventError(
            "event", f"is not a well-formed {kind} event ({type(exc).__name__})"
        )
        response = _Response()
        response.status = "400 Bad Request"
        response.headers = [("Content-Type", "application/problem+json")]
        response.chunks = [problem.problem_json()]
        return _http_answer(kind, response, options, kind == REST_API)
    environ[AWS_EVENT] = event
    environ[AWS_CONTEXT] = context
    try:
        response = _run(app, environ)
    except Exception:
        # What a WSGI server does: log it and answer 500. (API Gateway would
        # answer a Lambda error with a 502 that names no cause.)
        logger.exception(
            "the application raised for %r %r", environ["REQUEST_METHOD"], environ["PATH_INFO"]
        )
        response = _Response()
        response.status = "500 Internal Server Error"
        response.headers = [("Content-Type", "text/plain; charset=utf-8")]
        response.chunks = [b"Internal Server Error"]
    multi_value = kind == REST_API or (kind == ALB and event.get("multiValueHeaders") is not None)
    return _http_answer(kind, response, options, multi_value)


def _rest_environ(event: dict[str, Any]) -> dict[str, Any]:
    context = event["requestContext"]
    path = event["path"]
    if not path.startswith("/"):
        path = "/" + path  # console and SDK test events omit it
    script_name, path = _rest_mount(path, context)
    multi = event.get("multiValueQueryStringParameters")
    if multi:
        pairs = [(k, v) for k, values in multi.items() for v in values or ()]
    else:
        pairs = list((event.get("queryStringParameters") or {}).items())
    # API Gateway hands the values decoded; encode them back.
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs if v is not None)
    identity = context.get("identity")
    source = identity.get("sourceIp") if isinstance(identity, dict) else None
    return _environ(
        method=event["httpMethod"],
        script_name=script_name,
        path=path,
        query=query,
        headers=_v1_headers(event),
        body=_body(event),
        remote_addr=source if isinstance(source, str) else None,
        protocol=context.get("protocol"),
        default_scheme="https",
        domain=context.get("domainName"),
    )


def _rest_mount(path: str, context: dict[str, Any]) -> tuple[str, str]:
    """SCRIPT_NAME and PATH_INFO (still percent-encoded) of a REST API request.

    On the execute-api domain, ``path`` lacks the stage that the client put in
    the URL and ``requestContext.path`` has it (``/Prod/foo``); through a custom
    domain both are the same. Whatever ``requestContext.path`` has in front of
    ``path`` is the mount point, so SCRIPT_NAME + PATH_INFO is what the client
    asked for and the app builds URLs that work.
    """
    full = context.get("path")
    if isinstance(full, str):
        # One sample has "/Prod/foo%2Fbar/" for "/foo%2Fbar": compare without the
        # trailing slash.
        full, tail = full.rstrip("/"), path.rstrip("/")
        if len(full) > len(tail) and full.endswith(tail) and full.startswith("/"):
            return full[: len(full) - len(tail)], path
        return "", path
    # HTTP APIs with payload 1.0 put a named stage in ``path`` itself.
    return _stage_mount(path, context)


def _stage_mount(path: str, context: dict[str, Any]) -> tuple[str, str]:
    """Split a named stage off the front of ``path``, where API Gateway put it.

    Named stages appear in the path on the execute-api domain only; ``$default``
    never does, and custom domains map the stage away.
    """
    stage = context.get("stage")
    domain = context.get("domainName")
    if not isinstance(stage, str) or not stage or stage == "$default":
        return "", path
    if isinstance(domain, str) and ".execute-api." not in domain:
        return "", path
    prefix = "/" + stage
    if path == prefix or path.startswith(prefix + "/"):
        return prefix, path[len(prefix) :] or "/"
    return "", path


def _v1_headers(event: dict[str, Any]) -> list[tuple[str, str]]:
    multi = event.get("multiValueHeaders")
    if multi:  # REST APIs send both forms; this one keeps repeated headers
        return [(k, v) for k, values in multi.items() for v in values or () if v is not None]
    return [(k, v) for k, v in (event.get("headers") or {}).items() if v is not None]


def _alb_environ(event: dict[str, Any]) -> dict[str, Any]:
    multi = event.get("multiValueQueryStringParameters")
    if multi is not None:
        pairs = [(k, v) for k, values in multi.items() for v in values or ()]
    else:
        pairs = list((event.get("queryStringParameters") or {}).items())
    # ALB passes query keys and values as the client sent them, still
    # percent-encoded ("%3FshowAll%3Dtrue"): keep them, quoting only what may not
    # appear in a query at all.
    query = "&".join(f"{_requote(k)}={_requote(v)}" for k, v in pairs if v is not None)
    headers = _v1_headers(event)
    path = event["path"] if event["path"].startswith("/") else "/" + event["path"]
    return _environ(
        method=event["httpMethod"],
        script_name="",
        path=path,
        query=query,
        headers=headers,
        body=_body(event),
        remote_addr=_alb_client(headers),
        protocol=None,
        default_scheme="http",
        domain=None,
    )


def _requote(text: str) -> str:
    return quote(text, safe="!$&'()*+,/:;=?@[]~%")


def _alb_client(headers: list[tuple[str, str]]) -> str | None:
    # ALB gives no source IP. It appends the address it saw to X-Forwarded-For,
    # so the rightmost entry is the client; everything left of it is whatever
    # the client claimed.
    entries = [
        entry.strip()
        for name, value in headers
        if name.lower() == "x-forwarded-for"
        for entry in value.split(",")
    ]
    entries = [entry for entry in entries if entry]
    return entries[-1] if entries else None


def _v2_environ(event: dict[str, Any], *, stage_in_path: bool) -> dict[str, Any]:
    context = event["requestContext"]
    http = context["http"]
    path = event.get("rawPath") or http.get("path") or "/"
    script_name, path = _stage_mount(path, context) if stage_in_path else ("", path)
    source = http.get("sourceIp")
    environ = _environ(
        method=http.get("method") or "GET",
        script_name=script_name,
        path=path,
        query=event.get("rawQueryString") or "",
        headers=(event.get("headers") or {}).items(),
        body=_body(event),
        remote_addr=source if isinstance(source, str) else None,
        protocol=http.get("protocol"),
        default_scheme="https",
        domain=context.get("domainName"),
    )
    cookies = event.get("cookies")
    if cookies:
        # Payload 2.0 moves the Cookie header into this list (function URLs may
        # keep both): the list is the whole of it.
        environ["HTTP_COOKIE"] = "; ".join(cookies)
    return environ


def _body(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if not body:
        return b""
    if not isinstance(body, str):
        body = json.dumps(body)
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            # AWS only flags real base64, but hand-made test events flag plain
            # text ("not really base64"). Decoding it would lose it and a 400
            # would reject a request the client sent correctly: pass it on as
            # it is.
            logger.warning("body flagged isBase64Encoded is not base64; passed on as text")
    return body.encode("utf-8", "surrogatepass")


def _environ(
    *,
    method: str,
    script_name: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str | None]],
    body: bytes,
    remote_addr: str | None,
    protocol: Any,
    default_scheme: str,
    domain: Any,
) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": _wsgi_path(script_name),
        "PATH_INFO": _wsgi_path(path),
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_PROTOCOL": protocol if isinstance(protocol, str) and protocol else "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        # Many execution environments run the same app at once.
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    keys = _HEADER_KEYS
    for name, value in headers:
        key = keys.get(name)
        if key is None:
            key = _header_key(name)
        if not key or value is None:
            continue
        if type(value) is not str:
            raise TypeError(f"header {name!r} is not a string")
        if key not in environ:
            environ[key] = value
        elif key == "CONTENT_TYPE":
            environ[key] = value
        else:
            environ[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
    if remote_addr:
        environ["REMOTE_ADDR"] = remote_addr
    scheme = _last_entry(environ.get("HTTP_X_FORWARDED_PROTO")).lower()
    environ["wsgi.url_scheme"] = scheme if scheme in ("http", "https") else default_scheme
    host = _last_entry(environ.get("HTTP_HOST"))
    if not host and isinstance(domain, str):
        host = domain
    environ["SERVER_NAME"] = _host_name(host) or "localhost"
    port = _last_entry(environ.get("HTTP_X_FORWARDED_PORT"))
    if not port.isdigit():
        port = "443" if environ["wsgi.url_scheme"] == "https" else "80"
    environ["SERVER_PORT"] = port
    return environ


# Header name -> environ key ("" for a header that is dropped). Names repeat
# from one request to the next; the cache is bounded, as clients choose them.
_HEADER_KEYS: dict[str, str] = {}
_HEADER_KEYS_MAX: Final = 512


def _header_key(name: str) -> str:
    if "_" in name:
        # "X_Forwarded_For" would pass for X-Forwarded-For: dropped, as
        # gunicorn and nginx do.
        key = ""
    else:
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            key = ""  # the body is what counts (one sample announces 41 bytes, sends none)
        elif key != "CONTENT_TYPE":
            key = "HTTP_" + key
    if len(_HEADER_KEYS) < _HEADER_KEYS_MAX:
        _HEADER_KEYS[name] = key
    return key


def _wsgi_path(path: str) -> str:
    # PEP 3333: the percent-decoded bytes, as a latin-1 string.
    if "%" not in path and path.isascii():
        return path
    return unquote_to_bytes(path).decode("latin-1")


def _last_entry(value: str | None) -> str:
    # Proxies append: the rightmost entry is the one AWS added.
    if not value:
        return ""
    return (value.rsplit(",", 1)[-1] if "," in value else value).strip()


def _host_name(host: str) -> str:
    if host.startswith("["):  # [IPv6]:port
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def _http_answer(
    kind: str, response: _Response, options: _Options, multi_value: bool
) -> dict[str, Any]:
    code = response.code
    body, is_base64 = _encode_body(response, options)
    answer: dict[str, Any] = {"statusCode": code}
    if kind == ALB:
        # ALB requires it; the app's own reason phrase where it gave one.
        reason = response.status[4:].strip() or _phrase(code)
        answer["statusDescription"] = f"{code} {reason}".strip()
    if kind in (HTTP_API, FUNCTION_URL):
        headers: dict[str, str] = {}
        cookies: list[str] = []
        spelling: dict[str, str] = {}  # names compared without case, first spelling kept
        for name, value in response.headers:
            lower = name.lower()
            if lower == "set-cookie":
                cookies.append(value)
            elif lower in spelling:
                headers[spelling[lower]] += "," + value
            else:
                spelling[lower] = name
                headers[name] = value
        answer["headers"] = headers
        if cookies:
            answer["cookies"] = cookies
    elif multi_value:
        answer["multiValueHeaders"] = _grouped(response.headers)
    else:
        single: dict[str, str] = {}
        for name, values in _grouped(response.headers).items():
            if name.lower() == "set-cookie" and len(values) > 1:
                logger.warning(
                    "ALB single-value headers carry one Set-Cookie; %d dropped. "
                    "Enable multi-value headers on the target group.",
                    len(values) - 1,
                )
                single[name] = values[-1]
            else:
                single[name] = ",".join(values)
        answer["headers"] = single
    answer["body"] = body
    answer["isBase64Encoded"] = is_base64
    return answer


def _grouped(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Header values by name, names compared without case (first spelling kept)."""
    spelling: dict[str, str] = {}
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        name = spelling.setdefault(name.lower(), name)
        grouped.setdefault(name, []).append(value)
    return grouped


def _encode_body(response: _Response, options: _Options) -> tuple[str, bool]:
    body = b"".join(response.chunks)
    if not body:
        return "", False
    content_type = response.header("content-type") or ""
    encoding = (response.header("content-encoding") or "").strip().lower()
    essence = content_type.split(";", 1)[0].strip().lower()
    if essence and options.is_text_type(essence) and encoding in ("", "identity"):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # text in another charset: base64 keeps its bytes
    return base64.b64encode(body).decode("ascii"), True


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


# -- running the app ----------------------------------------------------------------


_STATUS_LINE = re.compile(r"[1-5][0-9][0-9]( |\Z)").match


class _Response:
    """What the app answered: a buffering WSGI server's side of start_response."""

    def __init__(self) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []

    @property
    def code(self) -> int:
        return int(self.status[:3])

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name]
        return values[-1] if values else None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None:
            try:
                if self.chunks:  # PEP 3333: the headers count as sent
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status:
            raise RuntimeError("start_response called a second time without exc_info")
        if not isinstance(status, str) or not _STATUS_LINE(status):
            raise ValueError(f"not a WSGI status line: {status!r}")
        self.status = status
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        if data:
            self.chunks.append(bytes(data))


def _run(app: WSGIApplication, environ: WSGIEnvironment) -> _Response:
    response = _Response()
    iterable: Iterable[bytes] = app(environ, response.start_response)
    try:
        for chunk in iterable:
            if chunk:
                if not response.status:
                    raise RuntimeError("the application sent a body before start_response")
                response.chunks.append(bytes(chunk))
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    if not response.status:
        raise RuntimeError("the application returned without calling start_response")
    return response


# -- every other event ----------------------------------------------------------------

# Built once: json.dumps with options builds an encoder on every call.
_TO_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_STRUCTURED: Final = "application/cloudevents+json"
_BATCH: Final = "application/cloudevents-batch+json"

# eventSource of the records Lambda can retry one by one, and where their id is.
_PARTIAL_SOURCES: Final = {
    "aws:sqs": ("messageId",),
    "aws:kinesis": ("kinesis", "sequenceNumber"),
    "aws:dynamodb": ("dynamodb", "SequenceNumber"),
}


def _handle_native(
    app: WSGIApplication, options: _Options, event: Any, context: Any
) -> dict[str, Any]:
    results: list[EventResult] = []
    source = _partial_source(event)
    records: list[Any] = event["Records"] if source is not None else []
    if source == "aws:sqs" and len(records) > 1 and _is_fifo(records):
        response = _one_by_one(app, options, event, context, results)
    else:
        try:
            response = _post(app, options, event, event, context, results)
        except Exception:
            if source is None or not results:
                raise  # a Lambda error: AWS retries
            # A batch of one whose event raised (the middleware recorded it):
            # reported below like any failed batch.
            response = _failed()
        if source is not None and len(records) > 1 and not results and not response.ok:
            # The batch was refused before any record reached the app (one
            # malformed record makes the whole request invalid): hand the
            # records over one at a time, so that only the bad ones fail.
            response = _one_by_one(app, options, event, context, results)
    answer_body = b"".join(response.chunks)

    # The source as it was before the app ran (it is handed the event).
    failures = None if source is None else _failed_records(event, results, source)
    if failures is not None:
        if not failures:
            return {"batchItemFailures": []}
        report = _report(event, failures)
        partial = len(failures) < len(records) and options.report_batch_item_failures
        if report is None or not partial:
            count = (
                "every record"
                if len(failures) == len(records)
                else f"{len(failures)} of {len(records)} records"
            )
            raise BatchFailedError(
                f"{count} of the batch failed; {_answered(response, results, answer_body)}",
                status=response.code,
                body=answer_body,
                results=results,
            ) from _first_exception(results)
        return {"batchItemFailures": [{"itemIdentifier": i} for i in report]}

    failed = [r for r in results if not r.ok]
    if not response.ok or failed:
        if response.code in (404, 405, 415) and not results:
            summary = (
                "nothing recognised this event (is there an adapter for it, and does the "
                f"app answer POST {options.event_path}?)"
            )
        elif failed and len(results) > 1:
            summary = f"{len(failed)} of the {len(results)} events made from this event failed"
        else:
            summary = "the event failed"
        raise EventFailedError(
            f"{summary}; {_answered(response, results, answer_body)}",
            status=response.code,
            body=answer_body,
            results=results,
        ) from _first_exception(results)
    text, is_base64 = _encode_body(response, options)
    return {
        "statusCode": response.code,
        "headers": {name: ",".join(values) for name, values in _grouped(response.headers).items()},
        "body": text,
        "isBase64Encoded": is_base64,
    }


def _post(
    app: WSGIApplication,
    options: _Options,
    payload: Any,
    event: Any,
    context: Any,
    results: list[EventResult],
) -> _Response:
    """``POST`` ``payload`` to the app; the middleware appends to ``results``.

    The middleware takes a decoded native payload from the environ; the body
    holds it as JSON for CloudEvents (read as any CloudEvents request) and for
    an app that is not the middleware itself (one wrapped around it reads the
    request as it is).
    """
    content_type = _native_content_type(payload)
    if (
        type(app) is CloudEventsMiddleware
        and "POST" in app.methods
        and content_type == "application/json"
    ):
        body = b""
    else:
        # surrogatepass: a lone surrogate (a JSON "\ud800" escape) stays, as
        # bytes that are not UTF-8, for the middleware to refuse with a 400.
        body = _TO_JSON(payload).encode("utf-8", "surrogatepass")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": options.event_path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": options.server_name,
        # "https", so that apps that redirect plain HTTP (Django's
        # SECURE_SSL_REDIRECT) take the event rather than answer 301.
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        # The request comes from inside the execution environment.
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        TRUSTED: True,
        PAYLOAD: payload,
        RESULTS: results,
        AWS_EVENT: event,
        AWS_CONTEXT: context,
    }
    if options.routes:
        environ[ROUTES] = list(options.routes)
    return _run(app, environ)


def _one_by_one(
    app: WSGIApplication,
    options: _Options,
    event: dict[str, Any],
    context: Any,
    results: list[EventResult],
) -> _Response:
    """Each record of a batch as a batch of its own, in order.

    SQS FIFO queues: after a record fails, the later records of its message
    group are not handed over (they are reported with it, and the group is
    retried in order). Streams: nothing after the first failure is handed
    over (Lambda retries from there). Returns the answer to the first failed
    record, else to the last one.
    """
    records: list[Any] = event["Records"]
    source = records[0]["eventSource"]
    fifo = source == "aws:sqs" and _is_fifo(records)
    blocked: set[Any] = set()
    first_failed: _Response | None = None
    response = _Response()
    for record in records:
        group = _message_group(record) if fifo else None
        if group in blocked:
            continue
        done = len(results)
        try:
            response = _post(app, options, {"Records": [record]}, event, context, results)
        except Exception:
            if len(results) == done:  # else the middleware recorded and logged it
                logger.exception("the application raised for record %r", _record_id(source, record))
            response = _failed()
        mine = results[done:]
        if response.ok and mine and all(r.ok for r in mine):
            continue
        first_failed = first_failed or response
        if fifo:
            blocked.add(group)
        elif source != "aws:sqs":
            break  # a stream: Lambda retries from the first failure
    return first_failed or response


def _failed() -> _Response:
    response = _Response()
    response.status = "500 Internal Server Error"
    return response


def _message_group(record: Any) -> Any:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    return attributes.get("MessageGroupId") if isinstance(attributes, dict) else None


def _answered(response: _Response, results: Sequence[EventResult], body: bytes) -> str:
    if results:
        return f"the application answered {response.status!r}{_detail(body)}"
    # The middleware refused it (an invalid event): the app never saw it.
    return f"no event reached the application; answered {response.status!r}{_detail(body)}"


def _native_content_type(event: Any) -> str:
    if isinstance(event, dict) and "specversion" in event:
        return _STRUCTURED
    if (
        isinstance(event, list)
        and event
        and all(isinstance(item, dict) and "specversion" in item for item in event)
    ):
        return _BATCH
    return "application/json"


def _detail(body: bytes) -> str:
    if not body:
        return ""
    try:
        problem = json.loads(body)
    except ValueError:
        problem = None
    if isinstance(problem, dict) and isinstance(problem.get("reason"), str):
        # The field and the reason, not the quoted value: this message goes to
        # CloudWatch, and logs never carry event data.
        return f": {problem.get('field')}: {problem['reason']}"
    text = body[:300].decode("utf-8", "replace")
    return ": " + text + ("..." if len(body) > 300 else "")


def _first_exception(results: Sequence[EventResult]) -> BaseException | None:
    for result in results:
        if result.exc_info is not None and isinstance(result.exc_info[1], BaseException):
            return result.exc_info[1]
    return None


# -- batch item failures ------------------------------------------------------------


def batch_item_failures(event: Any, results: Sequence[EventResult]) -> dict[str, Any] | None:
    """Lambda's partial batch response for an SQS, Kinesis or DynamoDB batch.

    ``None`` when ``event`` is not such a batch. A record has failed when an
    event made from it failed (non-2xx or exception) or when no result names
    it (the app never saw it); a failed result that names no record of the
    batch fails them all. Reported:

    - SQS: the ``messageId`` of every failed record. FIFO queues (the ARN ends
      with ``.fifo``): also every later record of the same ``MessageGroupId``,
      even one the app accepted, so the group is retried in order (the app may
      see those records again: make it idempotent).
    - Kinesis and DynamoDB streams: the sequence number of the first failed
      record only. Lambda checkpoints there and retries every later record, so
      reporting more would change nothing.

    Reports that cannot be made (a failed record without an id) return the
    whole batch as failed: one identifier per record, as Lambda then retries it
    all. The handler raises :class:`BatchFailedError` instead.
    """
    failures = _failed_records(event, results)
    if failures is None:
        return None
    report = _report(event, failures)
    if report is None:
        report = [_record_id(event["Records"][0]["eventSource"], r) or "" for r in event["Records"]]
    return {"batchItemFailures": [{"itemIdentifier": i} for i in report]}


def _partial_source(event: Any) -> str | None:
    if not isinstance(event, dict):
        return None
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return None
    sources: set[str | None] = set()
    for record in records:
        source = record.get("eventSource") if isinstance(record, dict) else None
        sources.add(source if isinstance(source, str) else None)
    if len(sources) != 1:
        return None
    source = sources.pop()
    return source if source in _PARTIAL_SOURCES else None


def _record_id(source: str, record: Any) -> str | None:
    value = record
    for key in _PARTIAL_SOURCES[source]:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) and value else None


def _failed_records(
    event: Any, results: Sequence[EventResult], source: str | None = None
) -> list[int] | None:
    """Indexes of the failed records, in order; None if not a partial-batch source.

    ``source`` is :func:`_partial_source` of ``event`` when the caller has it.
    """
    if source is None:
        source = _partial_source(event)
    if source is None:
        return None
    records = event["Records"]
    ids = [_record_id(source, record) for record in records]
    known = set(ids)
    seen: set[str] = set()
    failed_ids: set[str] = set()
    for result in results:
        if result.record_id in known and result.record_id is not None:
            seen.add(result.record_id)
            if not result.ok:
                failed_ids.add(result.record_id)
        elif not result.ok:
            # A failure we cannot pin on a record: all of them have failed.
            return list(range(len(records)))
    failed = [i for i, rid in enumerate(ids) if rid is None or rid not in seen or rid in failed_ids]
    if source == "aws:sqs" and failed and _is_fifo(records):
        blocked: set[Any] = set()
        in_order: list[int] = []
        failed_set = set(failed)
        for index, record in enumerate(records):
            group = _message_group(record)
            if index in failed_set or group in blocked:
                blocked.add(group)
                in_order.append(index)
        failed = in_order
    return failed


def _is_fifo(records: list[Any]) -> bool:
    arn = records[0].get("eventSourceARN")
    return isinstance(arn, str) and arn.endswith(".fifo")


def _report(event: dict[str, Any], failed: list[int]) -> list[str] | None:
    """The itemIdentifiers to return, or None when a failed record has no id."""
    records = event["Records"]
    source = records[0]["eventSource"]
    if source != "aws:sqs":
        failed = failed[:1]
    report: list[str] = []
    for index in failed:
        rid = _record_id(source, records[index])
        if rid is None:
            return None
        if rid not in report:
            report.append(rid)
    return report
