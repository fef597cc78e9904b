"""API Gateway WebSocket APIs: ``$connect``, ``$disconnect``, ``$default``
and custom routes.

Event: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html
(``requestContext.routeKey``, ``eventType`` ``CONNECT`` / ``MESSAGE`` /
``DISCONNECT``, ``connectionId``; ``headers`` on ``$connect``; ``body`` on
messages). Answer: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html
(``statusCode``, ``body``; a non-2xx answer to ``$connect`` refuses the
connection; the body goes back to the client only on routes with a route
response).

Each event becomes ``POST <websocket_path>/<route key>`` (``/websocket/$connect``,
``/websocket/sendmessage``), the message as the body, with these environ keys:

=============================  ===========================================
``aws.websocket.connection_id``  ``requestContext.connectionId``
``aws.websocket.route_key``      ``requestContext.routeKey``
``aws.websocket.event_type``     ``CONNECT``, ``MESSAGE`` or ``DISCONNECT``
=============================  ===========================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from .._wsgi import Response
from . import http
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "websocket"

CONNECTION_ID: Final = "aws.websocket.connection_id"
ROUTE_KEY: Final = "aws.websocket.route_key"
EVENT_TYPE: Final = "aws.websocket.event_type"

_EVENT_TYPES: Final = ("CONNECT", "MESSAGE", "DISCONNECT")


def infer(event: Any) -> bool:
    """``requestContext`` with ``connectionId``, ``routeKey`` and an ``eventType``
    of a WebSocket API."""
    context = event.get("requestContext") if isinstance(event, dict) else None
    return (
        isinstance(context, dict)
        and context.get("eventType") in _EVENT_TYPES
        and isinstance(context.get("connectionId"), str)
        and isinstance(context.get("routeKey"), str)
    )


def handle(
    app: WSGIApplication, options: Options, event: dict[str, Any], context: Any
) -> dict[str, Any]:
    def read(event: dict[str, Any]) -> dict[str, Any]:
        request = event["requestContext"]
        route = request["routeKey"]
        environ = http.environ(
            "POST",  # method
            "",  # script_name
            options.websocket_path.rstrip("/") + "/" + quote(route, safe="$"),  # path
            "",  # query
            http.v1_headers(event),  # headers
            http.body(event),  # body
            (request.get("identity") or {}).get("sourceIp"),  # remote_addr
            None,  # protocol
            "https",  # default_scheme
            request.get("domainName"),  # domain
        )
        environ[CONNECTION_ID] = request["connectionId"]
        environ[ROUTE_KEY] = route
        environ[EVENT_TYPE] = request["eventType"]
        return environ

    return http.respond(app, options, KIND, event, context, read, write)


def write(event: dict[str, Any], response: Response, options: Options) -> dict[str, Any]:
    text, is_base64 = http.encode_body(response, options)
    answer: dict[str, Any] = {"statusCode": response.code}
    if text:
        answer["body"] = text
        answer["isBase64Encoded"] = is_base64
    return answer
