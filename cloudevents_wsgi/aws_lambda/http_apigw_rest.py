"""API Gateway REST APIs (payload format 1.0, Lambda proxy integration).

Event and response: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
(HTTP APIs with payload version 1.0 send the same shape, without the
``requestContext.path``). The answer always uses ``multiValueHeaders``, which
keeps repeated headers such as ``Set-Cookie``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from .._wsgi import Response
from . import http
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "apigw-rest-v1"


def infer(event: Any) -> bool:
    """A ``requestContext`` without ``elb``, string ``httpMethod`` and ``path``,
    and not payload 2.0."""
    context = http.payload_1_context(event)
    return context is not None and not isinstance(context.get("elb"), dict)


def handle(
    app: WSGIApplication, options: Options, event: dict[str, Any], context: Any
) -> dict[str, Any]:
    return http.respond(app, options, KIND, event, context, read, write)


def read(event: dict[str, Any]) -> dict[str, Any]:
    """The environ of the request ``event`` describes."""
    context = event["requestContext"]
    path = event["path"]
    if not path.startswith("/"):
        path = "/" + path  # console and SDK test events omit it
    script_name, path = _mount(path, context)
    multi = event.get("multiValueQueryStringParameters")
    if multi:
        pairs = [(k, v) for k, values in multi.items() for v in values or ()]
    else:
        pairs = list((event.get("queryStringParameters") or {}).items())
    # API Gateway hands the values decoded; encode them back.
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs if v is not None)
    identity = context.get("identity")
    source = identity.get("sourceIp") if isinstance(identity, dict) else None
    return http.environ(
        event["httpMethod"],  # method
        script_name,  # script_name
        path,  # path
        query,  # query
        http.v1_headers(event),  # headers
        http.body(event),  # body
        source if isinstance(source, str) else None,  # remote_addr
        context.get("protocol"),  # protocol
        "https",  # default_scheme
        context.get("domainName"),  # domain
    )


def _mount(path: str, context: dict[str, Any]) -> tuple[str, str]:
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
    return http.stage_mount(path, context)


def write(event: dict[str, Any], response: Response, options: Options) -> dict[str, Any]:
    """The proxy integration's answer, headers in ``multiValueHeaders``."""
    return http.proxy_answer(response, options, http.grouped(response.headers), multi_value=True)
