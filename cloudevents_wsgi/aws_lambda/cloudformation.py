"""AWS CloudFormation custom resources backed by Lambda.

Request and response: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
and https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
(``RequestType`` ``Create`` / ``Update`` / ``Delete``, ``ResponseURL``,
``StackId``, ``RequestId``, ``LogicalResourceId``, ``PhysicalResourceId``,
``ResourceProperties``; the response document is ``PUT`` to the presigned
``ResponseURL``).

The app is called once with the CloudEvent:

==============  ===============================================================
``type``        ``com.amazonaws.cloudformation.customresource.`` +
                ``RequestType`` (``...customresource.Create``)
``source``      ``StackId``
``id``          ``RequestId``
``subject``     ``LogicalResourceId``
data            the request (``application/json``)
==============  ===============================================================

A 2xx answer is ``SUCCESS``; its JSON object may set ``PhysicalResourceId``
(default: the request's, else ``LogicalResourceId`` + the request id),
``Data`` and ``NoEcho``. Anything else (non-2xx, an exception, an answer that
is not a JSON object) is ``FAILED`` with a ``Reason`` naming the status. The
response is sent **in every case**, so that the stack never waits an hour
for it; the handler returns the document it sent. A failed ``PUT`` raises
:class:`CustomResourceResponseError` (Lambda logs it; CloudFormation then
times out).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Final

from ..errors import CloudEventsWSGIError
from . import _answered
from .options import Options

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

KIND: Final = "cloudformation"
TYPE_PREFIX: Final = "com.amazonaws.cloudformation.customresource."

logger = logging.getLogger("cloudevents_wsgi.aws_lambda")

_REQUEST_TYPES: Final = ("Create", "Update", "Delete")
_TIMEOUT: Final = 20.0  # seconds; the presigned URL answers quickly or not at all


class CustomResourceResponseError(CloudEventsWSGIError):
    """The response document could not be ``PUT`` to the ``ResponseURL``."""


def infer(event: Any) -> bool:
    """``RequestType`` of a custom resource, ``ResponseURL``, ``StackId``, ``RequestId``."""
    return (
        isinstance(event, dict)
        and event.get("RequestType") in _REQUEST_TYPES
        and isinstance(event.get("ResponseURL"), str)
        and isinstance(event.get("StackId"), str)
        and isinstance(event.get("RequestId"), str)
    )


def handle(app: WSGIApplication, options: Options, event: Any, context: Any) -> dict[str, Any]:
    cloudevent: dict[str, Any] = {
        "specversion": "1.0",
        "type": TYPE_PREFIX + event["RequestType"],
        "source": event["StackId"],
        "id": event["RequestId"],
        "datacontenttype": "application/json",
        "data": event,
    }
    if isinstance(event.get("LogicalResourceId"), str) and event["LogicalResourceId"]:
        cloudevent["subject"] = event["LogicalResourceId"]
    physical = event.get("PhysicalResourceId") or (
        f"{event.get('LogicalResourceId')}-{event['RequestId']}"
    )
    document: dict[str, Any] = {
        "Status": "FAILED",
        "Reason": "",
        "PhysicalResourceId": physical,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event.get("LogicalResourceId"),
    }
    try:
        response, ok = _answered.call(app, options, cloudevent, context)
        members: Any = None
        if ok:
            try:
                members = json.loads(response.body) if response.body else {}
            except ValueError:
                members = None
        if ok and isinstance(members, dict):
            document["Status"] = "SUCCESS"
            for key in ("PhysicalResourceId", "Data", "NoEcho"):
                if key in members:
                    document[key] = members[key]
        elif ok:
            document["Reason"] = "the application's answer is not a JSON object"
        else:
            document["Reason"] = f"the application answered {response.status!r}"
    except BaseException as exc:  # even then, the stack must hear back
        document["Reason"] = f"the function failed ({type(exc).__name__})"
        _send(event["ResponseURL"], document)
        raise
    if not document["Reason"]:
        del document["Reason"]
    _send(event["ResponseURL"], document)
    return document


def _send(url: str, document: dict[str, Any]) -> None:
    import urllib.request  # only custom resources need it: not on every cold start

    body = json.dumps(document).encode()
    # A presigned S3 URL: signed without a Content-Type, so none is sent.
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:
            answer.read()
    except OSError as exc:
        logger.error("could not send the custom resource response: %s", type(exc).__name__)
        raise CustomResourceResponseError(
            f"the custom resource response could not be sent to ResponseURL ({exc})"
        ) from exc
