"""Amazon Cognito user pool Lambda triggers (pre sign-up, pre token
generation, custom message, define/create/verify auth challenge...).

Event and answer: https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html
(``version``, ``triggerSource``, ``region``, ``userPoolId``, ``userName``,
``callerContext``, ``request``, ``response``; the function returns the event
with ``response`` filled).

The app is called once with the CloudEvent:

==============  ===============================================================
``type``        ``com.amazonaws.cognito-idp.`` + ``triggerSource``
                (``com.amazonaws.cognito-idp.PreSignUp_SignUp``)
``source``      ``cognito-idp.<region>.amazonaws.com/<userPoolId>``
``id``          the invocation's request id (``context.aws_request_id``)
``subject``     ``userName``
data            the event (``application/json``)
==============  ===============================================================

The members of the app's JSON answer (an object; an empty body for none) are
set in the event's ``response``, and the event is returned. A non-2xx answer
raises :class:`~cloudevents_wsgi.aws_lambda.EventFailedError`: Cognito
refuses the operation and shows the error.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from . import _answered
from .errors import EventFailedError
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "cognito"
TYPE_PREFIX: Final = "com.amazonaws.cognito-idp."


def infer(event: Any) -> bool:
    """``triggerSource``, ``userPoolId`` and ``request`` / ``response`` objects."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("triggerSource"), str)
        and isinstance(event.get("userPoolId"), str)
        and isinstance(event.get("request"), dict)
        and isinstance(event.get("response"), dict)
    )


def handle(app: WSGIApplication, options: Options, event: Any, context: Any) -> dict[str, Any]:
    request_id = getattr(context, "aws_request_id", None)
    cloudevent: dict[str, Any] = {
        "specversion": "1.0",
        "type": TYPE_PREFIX + event["triggerSource"],
        "source": f"cognito-idp.{event.get('region')}.amazonaws.com/{event['userPoolId']}",
        "id": request_id if isinstance(request_id, str) and request_id else "unknown",
        "datacontenttype": "application/json",
        "data": event,
    }
    if isinstance(event.get("userName"), str) and event["userName"]:
        cloudevent["subject"] = event["userName"]
    response, ok = _answered.call(app, options, cloudevent, context)
    name = f"Cognito {event['triggerSource']} trigger"
    if not ok:
        raise EventFailedError(
            f"{name}: the application answered {response.status!r}",
            status=response.code,
            body=response.body,
            results=(),
        )
    body = response.body
    try:
        members = json.loads(body) if body else {}
    except ValueError:
        members = None
    if not isinstance(members, dict):
        raise EventFailedError(
            f"{name}: the application's answer is not a JSON object",
            status=response.code,
            body=body,
            results=(),
        )
    answer = dict(event)
    answer["response"] = {**event["response"], **members}
    return answer
