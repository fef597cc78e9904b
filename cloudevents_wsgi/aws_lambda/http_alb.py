"""Application Load Balancer targets.

Event and response: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
ALB sends no version and no source IP; its ``requestContext`` holds only
``elb``. With multi-value headers enabled on the target group it sends (and
expects back) ``multiValueHeaders`` and ``multiValueQueryStringParameters``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from .._wsgi import Response
from . import http
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "alb"

logger = logging.getLogger("cloudevents_wsgi.aws_lambda")


def infer(event: Any) -> bool:
    """``requestContext.elb`` is an object, ``httpMethod`` and ``path`` strings."""
    context = http.payload_1_context(event)
    return context is not None and isinstance(context.get("elb"), dict)


def handle(
    app: WSGIApplication, options: Options, event: dict[str, Any], context: Any
) -> dict[str, Any]:
    return http.respond(app, options, KIND, event, context, read, write)


def read(event: dict[str, Any]) -> dict[str, Any]:
    """The environ of the request ``event`` describes."""
    multi = event.get("multiValueQueryStringParameters")
    if multi is not None:
        pairs = [(k, v) for k, values in multi.items() for v in values or ()]
    else:
        pairs = list((event.get("queryStringParameters") or {}).items())
    # ALB passes query keys and values as the client sent them, still
    # percent-encoded ("%3FshowAll%3Dtrue"): keep them, quoting only what may not
    # appear in a query at all.
    query = "&".join(f"{_requote(k)}={_requote(v)}" for k, v in pairs if v is not None)
    headers = http.v1_headers(event)
    path = event["path"] if event["path"].startswith("/") else "/" + event["path"]
    return http.environ(
        event["httpMethod"],  # method
        "",  # script_name
        path,  # path
        query,  # query
        headers,  # headers
        http.body(event),  # body
        _client(headers),  # remote_addr
        None,  # protocol
        "http",  # default_scheme
        None,  # domain
    )


def _requote(text: str) -> str:
    return quote(text, safe="!$&'()*+,/:;=?@[]~%")


def _client(headers: list[tuple[str, str]]) -> str | None:
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


def write(event: dict[str, Any], response: Response, options: Options) -> dict[str, Any]:
    """The target's answer: ``statusDescription``, and headers in the form the
    request came in (multi-value or single)."""
    by_name = http.grouped(response.headers)
    multi_value = event.get("multiValueHeaders") is not None
    headers: dict[str, Any]
    if multi_value:
        headers = by_name
    else:
        headers = {}
        for name, values in by_name.items():
            if name.lower() == "set-cookie" and len(values) > 1:
                logger.warning(
                    "ALB single-value headers carry one Set-Cookie; %d dropped. "
                    "Enable multi-value headers on the target group.",
                    len(values) - 1,
                )
                headers[name] = values[-1]
            else:
                headers[name] = ",".join(values)
    answer = http.proxy_answer(response, options, headers, multi_value=multi_value)
    # ALB requires it; the app's own reason phrase where it gave one.
    code = response.code
    reason = response.status[4:].strip() or http.phrase(code)
    answer["statusDescription"] = f"{code} {reason}".strip()
    return answer
