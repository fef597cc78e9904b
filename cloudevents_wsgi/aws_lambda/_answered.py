"""What the triggers that expect an answer share: running the app on one
CloudEvent made by the trigger module, and keeping the app's answer."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .._wsgi import Response
from ..delivery import LambdaDelivery
from . import native
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

logger = logging.getLogger("cloudevents_wsgi.aws_lambda")


def call(
    app: WSGIApplication, options: Options, event: dict[str, Any], context: Any
) -> tuple[Response, bool]:
    """``POST event_path`` with ``event`` (a CloudEvent in the JSON format),
    as the shim posts any event; ``(answer, ok)``, where ``ok`` is false when
    the answer is not 2xx, the app raised (answer 500, logged) or the
    middleware refused the event."""
    delivery = LambdaDelivery(event, routes=options.routes)
    try:
        response = native.post(app, options, delivery, context)
    except Exception:
        logger.exception("the application raised for %r", event.get("id"))
        return Response("500 Internal Server Error"), False
    failed = any(not result.ok for result in delivery.results)
    return response, response.ok and not failed and bool(delivery.results)


def deadline_passed(options: Options, context: Any) -> bool:
    """Whether the time left is under ``deadline_margin_ms``."""
    clock = native.deadline_clock(context)
    return clock is not None and clock() < options.deadline_margin_ms


__all__ = ["call", "deadline_passed"]
