"""Lambda function URLs: payload 2.0 on a ``*.lambda-url.<region>.on.aws`` domain.

Event and response: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
The shape is the HTTP API's (:mod:`.http_apigw_v2`), but a function URL has
no stage: the whole path is PATH_INFO.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Final

from . import http, http_apigw_v2
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "function-url"

_read = partial(http_apigw_v2.read, stage_in_path=False)


def infer(event: Any) -> bool:
    """Payload 2.0 on a function URL's domain."""
    return http_apigw_v2.payload_v2(event) and http_apigw_v2.on_function_url(event)


def handle(
    app: WSGIApplication, options: Options, event: dict[str, Any], context: Any
) -> dict[str, Any]:
    return http.respond(app, options, KIND, event, context, _read, http_apigw_v2.write)
