"""API Gateway HTTP APIs (payload format 2.0); also the request and response
shape that Lambda function URLs share (:mod:`.http_function_url`).

Event and response: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
Payload 2.0 moves the ``Cookie`` header into a ``cookies`` list, and takes
``Set-Cookie`` back in one; other repeated headers are joined with commas.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from .._wsgi import Response
from . import http
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "apigw-http-v2"

_LAMBDA_URL_HOST = re.compile(r"\.lambda-url\.[a-z0-9-]+\.on\.aws\Z")


def payload_v2(event: Any) -> bool:
    """``version`` ``"2.0"`` with ``requestContext.http``: an HTTP API or function URL."""
    if not isinstance(event, dict) or event.get("version") != "2.0":
        return False
    context = event.get("requestContext")
    return isinstance(context, dict) and isinstance(context.get("http"), dict)


def on_function_url(event: dict[str, Any]) -> bool:
    """Whether a payload 2.0 event came through a function URL (its domain)."""
    domain = event["requestContext"].get("domainName")
    return (
        isinstance(domain, str)
        and ".lambda-url." in domain
        and bool(_LAMBDA_URL_HOST.search(domain))
    )


def infer(event: Any) -> bool:
    """Payload 2.0, not on a ``*.lambda-url.<region>.on.aws`` domain."""
    # payload_v2() and on_function_url() inlined: every invocation asks this first.
    if not isinstance(event, dict) or event.get("version") != "2.0":
        return False
    context = event.get("requestContext")
    if not isinstance(context, dict) or not isinstance(context.get("http"), dict):
        return False
    domain = context.get("domainName")
    return not (
        isinstance(domain, str) and ".lambda-url." in domain and _LAMBDA_URL_HOST.search(domain)
    )


def handle(
    app: WSGIApplication, options: Options, event: dict[str, Any], context: Any
) -> dict[str, Any]:
    return http.respond(app, options, KIND, event, context, read, write)


def read(event: dict[str, Any], *, stage_in_path: bool = True) -> dict[str, Any]:
    """The environ of the request ``event`` describes; a named stage on the
    execute-api domain becomes SCRIPT_NAME."""
    context = event["requestContext"]
    request = context["http"]
    path = event.get("rawPath") or request.get("path") or "/"
    # $default, the usual stage, is never in the path: stage_mount's first test, inline.
    if stage_in_path and context.get("stage") != "$default":
        script_name, path = http.stage_mount(path, context)
    else:
        script_name = ""
    source = request.get("sourceIp")
    environ = http.environ(
        request.get("method") or "GET",  # method
        script_name,  # script_name
        path,  # path
        event.get("rawQueryString") or "",  # query
        (event.get("headers") or {}).items(),  # headers
        http.body(event),  # body
        source if isinstance(source, str) else None,  # remote_addr
        request.get("protocol"),  # protocol
        "https",  # default_scheme
        context.get("domainName"),  # domain
    )
    cookies = event.get("cookies")
    if cookies:
        # Payload 2.0 moves the Cookie header into this list (function URLs may
        # keep both): the list is the whole of it.
        environ["HTTP_COOKIE"] = "; ".join(cookies)
    return environ


def write(event: dict[str, Any], response: Response, options: Options) -> dict[str, Any]:
    """Headers joined by name (compared without case), ``Set-Cookie`` in ``cookies``."""
    headers, cookies = http.joined(response.headers, "set-cookie")
    answer = http.proxy_answer(response, options, headers, multi_value=False)
    if cookies:
        answer["cookies"] = cookies
    return answer
