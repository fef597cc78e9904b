"""Every other invocation: a direct invoke (``aws lambda invoke``, an SDK),
Step Functions' ``lambda:invoke`` task, a trigger no module knows.

Page: https://docs.aws.amazon.com/lambda/latest/dg/lambda-invocation.html
(the payload is any JSON value) and
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
(``aws_request_id``, ``invoked_function_arn``).

The event reaches the app as one CloudEvent, ``POST event_path``:

==============  ===============================================================
``type``        ``com.amazonaws.lambda.invocation``
``source``      the function ARN (``context.invoked_function_arn``), else
                ``urn:aws:lambda:function``
``id``          ``context.aws_request_id``
data            the event, as JSON (``application/json``)
==============  ===============================================================

The app's answer is the invocation's result: its body parsed as JSON when
it is JSON (``None`` for an empty body), else the text. A non-2xx answer
raises :class:`~cloudevents_wsgi.aws_lambda.EventFailedError` (an invocation
error). An event no module recognises is never an error by itself.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ..event import CloudEvent

__all__ = ["KIND", "TYPE", "as_cloudevent", "cloudevent", "result"]

KIND: Final = "invocation"
TYPE: Final = "com.amazonaws.lambda.invocation"
_NO_ARN: Final = "urn:aws:lambda:function"


def as_cloudevent(event: Any, context: Any) -> dict[str, Any]:
    """The invocation as a CloudEvent in the JSON format."""
    arn = getattr(context, "invoked_function_arn", None)
    request_id = getattr(context, "aws_request_id", None)
    return {
        "specversion": "1.0",
        "type": TYPE,
        "source": arn if isinstance(arn, str) and arn else _NO_ARN,
        "id": request_id if isinstance(request_id, str) and request_id else "unknown",
        "datacontenttype": "application/json",
        "data": event,
    }


def cloudevent(event: Any, context: Any) -> CloudEvent:
    """The invocation as a :class:`~cloudevents_wsgi.CloudEvent` (the attributes
    of :func:`as_cloudevent`); raises
    :class:`~cloudevents_wsgi.InvalidEventError` for an invalid one."""
    attributes = as_cloudevent(event, context)
    del attributes["specversion"], attributes["data"]
    return CloudEvent(attributes, event)


def result(body: bytes, content_type: str | None) -> Any:
    """The invocation's result from the app's answer."""
    if not body:
        return None
    text = body.decode("utf-8", "replace")
    if content_type is None or "json" in content_type.lower():
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text
