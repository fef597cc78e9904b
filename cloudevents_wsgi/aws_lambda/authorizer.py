"""Lambda authorizers of API Gateway: REST ``TOKEN`` and ``REQUEST``
authorizers, HTTP API authorizers (payload 1.0 and 2.0, simple responses),
WebSocket ``$connect`` authorizers.

Events: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
and https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html.
Answers: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
(``principalId``, ``policyDocument``, ``context``) or, for HTTP APIs with
simple responses, ``{"isAuthorized": true, "context": {...}}``.

An authorizer event is never answered as a proxied request. With
``authorizer_path`` set, it becomes ``POST <authorizer_path>`` with the event
as the JSON body (``environ["aws.event"]`` holds it too) and
``environ["aws.authorizer"]`` naming the kind (``TOKEN``, ``REQUEST``,
``REQUEST 2.0``); the app's JSON answer (2xx) is the authorizer response,
returned as it is. A non-2xx answer, an answer that is not JSON, or no
``authorizer_path``: :class:`~cloudevents_wsgi.aws_lambda.EventFailedError`
naming the authorizer (API Gateway then answers the client 500, or 401 for a
TOKEN authorizer whose error message is ``Unauthorized``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from .._wsgi import run
from . import native
from .errors import EventFailedError
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "authorizer"
AUTHORIZER: Final = "aws.authorizer"


def infer(event: Any) -> bool:
    """``type`` ``TOKEN`` or ``REQUEST`` with a ``methodArn`` (REST, WebSocket,
    HTTP API payload 1.0) or a ``routeArn`` (HTTP API payload 2.0)."""
    return (
        isinstance(event, dict)
        and event.get("type") in ("TOKEN", "REQUEST")
        and (isinstance(event.get("methodArn"), str) or isinstance(event.get("routeArn"), str))
    )


def kind(event: dict[str, Any]) -> str:
    """``TOKEN``, ``REQUEST`` or ``REQUEST 2.0`` (HTTP API payload 2.0)."""
    if event.get("version") == "2.0":
        return "REQUEST 2.0"
    return str(event["type"])


def handle(app: WSGIApplication, options: Options, event: dict[str, Any], context: Any) -> Any:
    name = f"API Gateway {kind(event)} authorizer event"
    if options.authorizer_path is None:
        raise EventFailedError(
            f"{name}: set authorizer_path to route it to the app "
            "(it is never answered as a proxied request)",
            status=0,
            body=b"",
            results=(),
        )
    body = json.dumps(event).encode()
    environ = native.post_environ(
        options, options.authorizer_path, "application/json", body, event, context
    )
    environ[AUTHORIZER] = kind(event)
    response = run(app, environ)
    answer = response.body
    if not response.ok:
        raise EventFailedError(
            f"{name}: the application answered {response.status!r} at {options.authorizer_path}",
            status=response.code,
            body=answer,
            results=(),
        )
    try:
        return json.loads(answer)
    except ValueError:
        raise EventFailedError(
            f"{name}: the application's answer at {options.authorizer_path} is not JSON",
            status=response.code,
            body=answer,
            results=(),
        ) from None
