"""Amazon VPC Lattice targets, event payload versions 1 and 2.

Event and response: https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html

- Version 1: ``raw_path`` (the path, possibly with ``?query``), ``method``,
  ``headers`` (one string per name), ``query_string_parameters``, ``body``,
  ``is_base64_encoded``; no ``requestContext``.
- Version 2: ``"version": "2.0"``, ``path``, ``method``, ``headers`` and
  ``queryStringParameters`` (a string, or an array of strings, per name),
  ``body``, ``isBase64Encoded``, and a ``requestContext`` naming the service
  network, service and target group.

The answer, for both: ``statusCode``, ``statusDescription``, ``headers`` (one
string per name, repeated values joined with ``,``), ``body`` and
``isBase64Encoded``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from .._wsgi import Response
from . import http
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "vpc-lattice"


def infer(event: Any) -> bool:
    """Version 1: ``raw_path`` and ``method`` strings and ``is_base64_encoded``;
    version 2: ``"version": "2.0"``, ``path``, ``method`` and a
    ``requestContext`` with ``serviceNetworkArn`` or ``targetGroupArn``."""
    if not isinstance(event, dict) or not isinstance(event.get("method"), str):
        return False
    if isinstance(event.get("raw_path"), str) and "is_base64_encoded" in event:
        return True
    context = event.get("requestContext")
    return (
        event.get("version") == "2.0"
        and isinstance(event.get("path"), str)
        and isinstance(context, dict)
        and ("serviceNetworkArn" in context or "targetGroupArn" in context)
    )


def handle(
    app: WSGIApplication, options: Options, event: dict[str, Any], context: Any
) -> dict[str, Any]:
    return http.respond(app, options, KIND, event, context, read, write)


def _pairs(values: Any) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in (values or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                pairs.append((name, item))
    return pairs


def read(event: dict[str, Any]) -> dict[str, Any]:
    """The environ of the request ``event`` describes."""
    if "raw_path" in event:  # version 1
        path, _, query = event["raw_path"].partition("?")
        if not query:
            query = _query(_pairs(event.get("query_string_parameters")))
        flagged = {"body": event.get("body"), "isBase64Encoded": event.get("is_base64_encoded")}
    else:
        path, query = event["path"], _query(_pairs(event.get("queryStringParameters")))
        flagged = event
    headers = _pairs(event.get("headers"))
    return http.environ(
        event["method"],  # method
        "",  # script_name
        path if path.startswith("/") else "/" + path,  # path
        query,  # query
        headers,  # headers
        http.body(flagged),  # body
        _client(headers),  # remote_addr
        None,  # protocol
        "https",  # default_scheme
        None,  # domain
    )


def _query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _client(headers: list[tuple[str, str]]) -> str | None:
    # VPC Lattice appends the address it saw to X-Forwarded-For.
    for name, value in reversed(headers):
        if name.lower() == "x-forwarded-for" and value.strip():
            return value.rsplit(",", 1)[-1].strip()
    return None


def write(event: dict[str, Any], response: Response, options: Options) -> dict[str, Any]:
    headers = http.joined(response.headers)[0]
    answer = http.proxy_answer(response, options, headers, multi_value=False)
    code = response.code
    reason = response.status[4:].strip() or http.phrase(code)
    answer["statusDescription"] = f"{code} {reason}".strip()
    return answer
