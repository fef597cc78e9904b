"""What the HTTP triggers share: the PEP 3333 environ of a request that Lambda
delivered as JSON, running the app on it, and the parts of the answer every
HTTP trigger writes alike (status, body as text or base64).

Each trigger module (``http_apigw_rest``, ``http_apigw_v2``,
``http_function_url``, ``http_alb``) reads its own event shape into the
arguments of :func:`environ` and writes its own response shape from
:class:`~cloudevents_wsgi._wsgi.Response`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from io import BytesIO  # a module attribute: io's __getattr__ keeps io.BytesIO unspecialised (3.11)
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote_to_bytes

from .._wsgi import Response, run
from ..errors import CloudEventsWSGIError, InvalidEventError, problem_response
from ..spec import CACHE_SIZE, CACHED_LENGTH
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["AWS_CONTEXT", "AWS_EVENT", "RESPONSE_LIMIT", "ResponseTooLargeError", "respond"]

logger = logging.getLogger("cloudevents_wsgi.aws_lambda")

# Mangum's names for them.
AWS_EVENT: Final = "aws.event"
AWS_CONTEXT: Final = "aws.context"

LambdaEvent = dict[str, Any]

#: Bytes: the largest response payload of a synchronous invocation
#: (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
RESPONSE_LIMIT: Final = 6 * 1024 * 1024


class ResponseTooLargeError(CloudEventsWSGIError):
    """The answer to an HTTP event is over Lambda's response limit (6 MB).

    Raised rather than returned, because Lambda would reject it with nothing
    in the function's logs. ``size`` is the serialised answer's bytes.
    """

    def __init__(self, kind: str, size: int, status: int) -> None:
        super().__init__(
            f"the answer to this {kind} event is {size} bytes, over Lambda's response "
            f"limit of {RESPONSE_LIMIT} bytes (6 MB); the application answered {status}. "
            "Send large bodies another way (an S3 presigned URL, streaming)."
        )
        self.size = size
        self.status = status


def respond(
    app: WSGIApplication,
    options: Options,
    kind: str,
    event: LambdaEvent,
    context: Any,
    read: Callable[[LambdaEvent], dict[str, Any]],
    write: Callable[[LambdaEvent, Response, Options], dict[str, Any]],
) -> dict[str, Any]:
    """Build the request with ``read``, run the app, answer with ``write``.

    A malformed event is answered 400 (problem+json) and an app that raises
    500, as a WSGI server does: API Gateway would turn a Lambda error into a
    502 that names no cause.
    """
    try:
        environ = read(event)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # A hand-made or damaged event (AWS itself sends none like it): the
        # request it describes cannot be built.
        logger.warning("malformed %s event: %r", kind, exc)
        status, headers, body = problem_response(
            InvalidEventError("event", f"is not a well-formed {kind} event ({type(exc).__name__})")
        )
        response = Response(status, headers, [body])
        return write(event, response, options)
    environ[AWS_EVENT] = event
    environ[AWS_CONTEXT] = context
    try:
        response = run(app, environ)
    except Exception:
        logger.exception(
            "the application raised for %r %r", environ["REQUEST_METHOD"], environ["PATH_INFO"]
        )
        response = Response(
            "500 Internal Server Error",
            [("Content-Type", "text/plain; charset=utf-8")],
            [b"Internal Server Error"],
        )
    answer = write(event, response, options)
    # JSON escapes make at most 6 bytes of 1 ("\u0001"): a body under 1 MB
    # cannot be over the limit, so only bigger ones are measured, once.
    if sum(map(len, response.chunks)) > RESPONSE_LIMIT // 6:
        size = len(json.dumps(answer, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        if size > RESPONSE_LIMIT:
            logger.error("the answer to a %s event is %d bytes, over 6 MB", kind, size)
            raise ResponseTooLargeError(kind, size, response.code)
    return answer


# -- the request -------------------------------------------------------------------


def payload_1_context(event: Any) -> dict[str, Any] | None:
    """The ``requestContext`` of a payload-1.0 proxy event (API Gateway REST,
    ALB): string ``httpMethod`` and ``path``, not payload 2.0; else ``None``.
    The callers tell REST from ALB by ``requestContext.elb``."""
    if not isinstance(event, dict):
        return None
    context = event.get("requestContext")
    if not isinstance(context, dict):
        return None
    if event.get("version") == "2.0" and isinstance(context.get("http"), dict):
        return None
    if isinstance(event.get("httpMethod"), str) and isinstance(event.get("path"), str):
        return context
    return None


def body(event: LambdaEvent) -> bytes:
    """The request body: ``body``, base64-decoded when ``isBase64Encoded``."""
    text = event.get("body")
    if not text:
        return b""
    if not isinstance(text, str):
        text = json.dumps(text)
    if event.get("isBase64Encoded"):
        import base64  # here, not at import: with struct and binascii 0.7 ms of cold start
        import binascii

        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            # AWS only flags real base64, but hand-made test events flag plain
            # text ("not really base64"). Decoding it would lose it and a 400
            # would reject a request the client sent correctly: pass it on as
            # it is.
            logger.warning("body flagged isBase64Encoded is not base64; passed on as text")
    return text.encode("utf-8", "surrogatepass")


def v1_headers(event: LambdaEvent) -> list[tuple[str, str]]:
    """Headers of a payload 1.0 event (REST APIs, ALB)."""
    multi = event.get("multiValueHeaders")
    if multi:  # REST APIs send both forms; this one keeps repeated headers
        return [(k, v) for k, values in multi.items() for v in values or () if v is not None]
    return [(k, v) for k, v in (event.get("headers") or {}).items() if v is not None]


def stage_mount(path: str, context: dict[str, Any]) -> tuple[str, str]:
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


def environ(
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
    """A PEP 3333 environ; ``path`` and ``script_name`` still percent-encoded.

    The shim's triggers pass the arguments by position: ten keywords cost
    CPython 3.11 about 640 instructions of matching per request (measured).
    """
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": _wsgi_path(script_name) if script_name else "",
        "PATH_INFO": path if "%" not in path and path.isascii() else _wsgi_path(path),
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_PROTOCOL": protocol if isinstance(protocol, str) and protocol else "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        # Many execution environments run the same app at once.
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    known = _HEADER_KEYS.get
    # Repeated headers are joined once at the end: appending to the environ's
    # string value one by one copies it each time (quadratic in the count).
    repeated: dict[str, list[str]] = {}
    for name, value in headers:
        key = known(name)
        if key and type(value) is str and key not in environ:
            environ[key] = value  # the usual case, first
            continue
        if key is None:
            key = _header_key(name)
        if not key or value is None:
            continue
        if type(value) is not str:
            raise TypeError(f"header {name!r} is not a string")
        if key not in environ or key == "CONTENT_TYPE":
            environ[key] = value
        elif key in repeated:
            repeated[key].append(value)
        else:
            repeated[key] = [environ[key], value]
    for key, values in repeated.items():
        environ[key] = ("; " if key == "HTTP_COOKIE" else ",").join(values)
    if remote_addr:
        environ["REMOTE_ADDR"] = remote_addr
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    # The usual value, as API Gateway and ALB send it, without the helpers.
    scheme = proto if proto == "https" else _last_entry(proto).lower()
    environ["wsgi.url_scheme"] = scheme if scheme in ("http", "https") else default_scheme
    host = environ.get("HTTP_HOST")
    # The usual value, a bare host name, without the helpers below.
    name = host.strip() if host and ":" not in host and "," not in host else ""
    if not name or "[" in name:
        host = _last_entry(host)
        if not host and isinstance(domain, str):
            host = domain
        name = _host_name(host) or "localhost"
    environ["SERVER_NAME"] = name
    port = environ.get("HTTP_X_FORWARDED_PORT")
    # ASCII digits only: str.isdigit() also takes "²" and "٣".
    if port is None or not (port.isascii() and port.isdigit()):
        port = _last_entry(port)
        if not (port.isascii() and port.isdigit()):
            port = "443" if environ["wsgi.url_scheme"] == "https" else "80"
    environ["SERVER_PORT"] = port
    return environ


def _header_key(name: str) -> str:
    """The environ key of header ``name``; ``""`` for a header that is dropped."""
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
    if len(_HEADER_KEYS) < CACHE_SIZE and len(name) <= CACHED_LENGTH:
        _HEADER_KEYS[name] = key
    return key


# Header name -> environ key. Hand-made, not lru_cache: a dict.get hit costs
# about half an lru_cache hit (37 vs 67 ns a header, measured). Bounded, as
# clients choose the names (spec.CACHE_SIZE, as every cache of the package).
_HEADER_KEYS: dict[str, str] = {}


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


# -- the answer --------------------------------------------------------------------


def encode_body(response: Response, options: Options) -> tuple[str, bool]:
    """The body as Lambda carries it, and whether that is base64: text for the
    ``text_types`` without Content-Encoding, base64 for everything else."""
    chunks = response.chunks  # never empty ones (_wsgi.run drops them)
    if not chunks:
        return "", False
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    content_type = response.header("content-type") or ""
    encoding = (response.header("content-encoding") or "").strip().lower()
    essence = content_type.split(";", 1)[0].strip().lower()
    if essence and options.is_text_type(essence) and encoding in ("", "identity"):
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # text in another charset: base64 keeps its bytes
    import base64  # here, not at import (cold start): text bodies never need it

    return base64.b64encode(data).decode("ascii"), True


def grouped(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Header values by name, names compared without case (first spelling kept)."""
    spelling: dict[str, str] = {}
    result: dict[str, list[str]] = {}
    for name, value in headers:
        name = spelling.setdefault(name.lower(), name)
        result.setdefault(name, []).append(value)
    return result


def joined(
    headers: list[tuple[str, str]], apart: str | None = None
) -> tuple[dict[str, str], list[str]]:
    """Header values joined with ``,`` by name, names compared without case
    (first spelling kept), and the values of header ``apart`` (lower case:
    ``set-cookie``), which are not joined. Linear in the headers."""
    result: dict[str, str] = {}
    apart_values: list[str] = []
    spelling: dict[str, str] = {}
    repeated: dict[str, list[str]] | None = None
    for name, value in headers:
        lower = name.lower()
        if lower == apart:
            apart_values.append(value)
            continue
        first = spelling.get(lower)
        if first is None:
            spelling[lower] = name
            result[name] = value
        elif repeated is None:
            repeated = {first: [result[first], value]}
        elif first in repeated:
            repeated[first].append(value)
        else:
            repeated[first] = [result[first], value]
    if repeated:
        for name, values in repeated.items():
            result[name] = ",".join(values)
    return result, apart_values


def proxy_answer(
    response: Response, options: Options, headers: dict[str, Any], *, multi_value: bool
) -> dict[str, Any]:
    """``statusCode``, ``headers`` or ``multiValueHeaders``, ``body``, ``isBase64Encoded``."""
    text, is_base64 = encode_body(response, options)
    return {
        "statusCode": response.code,
        "multiValueHeaders" if multi_value else "headers": headers,
        "body": text,
        "isBase64Encoded": is_base64,
    }


def phrase(code: int) -> str:
    """The standard reason phrase of ``code``, ``""`` for a code nobody knows."""
    # Imported here: the enum costs a cold start more than the odd phrase.
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""
